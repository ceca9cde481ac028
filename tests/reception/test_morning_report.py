"""R6.8: when the night ends, the morning report lists the night's visits, who
is still on site, incidents and lost items — on screen, and emailed once to
the office directors."""

import smtplib
from datetime import date, time, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from reception import morning_report, registers
from reception.errors import ReceptionError
from reception.models import DutyCode, IncidentKind
from reception.roles import DUTY_GROUPS
from reception.tasks import REPORT_DELAY, send_morning_report, send_morning_reports
from tests.reception.night_shift import leave, local, roster_night, walk_in
from visitors import notify, services
from visitors.models import Notification, Visit, Visitor

EVENING = date(2026, 11, 26)
MORNING = date(2026, 11, 27)


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("mail server went away")


@pytest.fixture
def the_night(site, clerk, night_officer, security_guard, ordinary, lounge):
    """A day and a night at the site, with things in the report and things not."""
    roster_night(site, night_officer, EVENING)
    visits = {
        "left_by_day": walk_in(category=ordinary, room=lounge, by=clerk, at=local(site, EVENING, 10), name="Day Done"),
        "day_staying": walk_in(
            category=ordinary, room=lounge, by=clerk, at=local(site, EVENING, 15), name="Day Staying"
        ),
        "night_gone": walk_in(
            category=ordinary, room=lounge, by=night_officer, at=local(site, EVENING, 21), name="Night Courier"
        ),
        "night_staying": walk_in(
            category=ordinary, room=lounge, by=night_officer, at=local(site, EVENING, 23), name="Night Engineer"
        ),
        "next_morning": walk_in(
            category=ordinary, room=lounge, by=clerk, at=local(site, MORNING, 8), name="Morning Visitor"
        ),
    }
    leave(visits["left_by_day"], by=clerk, at=local(site, EVENING, 11))
    leave(visits["night_gone"], by=night_officer, at=local(site, EVENING, 22))
    leave(visits["day_staying"], by=clerk, at=local(site, MORNING, 9))  # after the night: still there at 08:00
    registers.report_incident(
        site=site,
        by=security_guard,
        kind=IncidentKind.REST_AREA,
        description="Sleeping in the rest area",
        location="Rest area",
        occurred_at=local(site, EVENING, 23, 30),
        at=local(site, EVENING, 23, 35),
    )
    registers.report_incident(
        site=site,
        by=clerk,
        kind=IncidentKind.DAMAGE,
        description="Broken cup",
        location="Lounge",
        occurred_at=local(site, EVENING, 12),
        at=local(site, EVENING, 12),
    )
    registers.record_lost_item(
        site=site,
        by=night_officer,
        description="Black umbrella",
        found_at=local(site, MORNING, 2),
        found_where="Lobby",
        found_by="Security",
        stored_where="Desk drawer",
        at=local(site, MORNING, 2, 5),
    )
    return visits


def test_the_report_holds_the_night_and_nothing_else(site, the_night):
    report = morning_report.build_morning_report(site=site, day=MORNING)

    assert report.night.start == local(site, EVENING, 20)
    assert report.night.end == local(site, MORNING, 8)
    assert [v.visitor.full_name for v in report.visits] == ["Night Courier", "Night Engineer"]
    assert [v.visitor.full_name for v in report.still_on_site] == ["Day Staying", "Night Engineer"]
    assert [i.description for i in report.incidents] == ["Sleeping in the rest area"]
    assert [i.description for i in report.lost_items] == ["Black umbrella"]


def test_an_invitation_made_at_night_for_another_day_is_not_a_night_visit(site, host, business, business_room):
    visit = Visit(category=business, room=business_room, purpose="Talks", expected_at=local(site, MORNING, 15))
    services.register_visit(
        visit=visit, visitor=Visitor(full_name="Tomorrow Guest"), by=host, arrive_now=False, at=local(site, EVENING, 22)
    )

    report = morning_report.build_morning_report(site=site, day=MORNING)
    handover_work = registers.visits_between(site, local(site, EVENING, 20), local(site, MORNING, 8))

    assert report.visits == []
    assert list(handover_work) == [visit]  # the night's desk made it: the handover carries it


def test_the_report_reads_the_night_of_a_clock_change_on_the_wall_clock(site, night_officer, ordinary, lounge):
    site.timezone = "Europe/Berlin"
    site.save()
    sunday = date(2026, 3, 29)  # the clocks went forward at 02:00
    roster_night(site, night_officer, date(2026, 3, 28))
    walk_in(category=ordinary, room=lounge, by=night_officer, at=local(site, sunday, 7, 59, 59), name="Last Second")
    walk_in(category=ordinary, room=lounge, by=night_officer, at=local(site, sunday, 8), name="First Of The Day")

    report = morning_report.build_morning_report(site=site, day=sunday)

    assert [v.visitor.full_name for v in report.visits] == ["Last Second"]
    assert report.night.end - report.night.start == timedelta(hours=11)


def test_the_report_is_emailed_once_to_each_director(site, director, make_staff, other_site, the_night, time_machine):
    make_staff("river-director", DUTY_GROUPS[DutyCode.DIRECTOR], site=other_site)  # another site's director
    no_mail = make_staff("no-mail-director", DUTY_GROUPS[DutyCode.DIRECTOR], site=site)
    no_mail.email = ""
    no_mail.save()
    time_machine.move_to(local(site, MORNING, 8, 5), tick=False)

    assert send_morning_report(site=site, day=MORNING) == 1
    assert send_morning_report(site=site, day=MORNING) == 0  # a second run sends nothing

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["director@lobby.test"]
    assert "Headquarters Base" in message.subject and "2026-11-27" in message.subject
    assert "Night Engineer" in message.body and "Sleeping in the rest area" in message.body
    assert "Black umbrella" in message.body
    assert "Day Done" not in message.body
    html = message.alternatives[0][0]
    assert "Night Courier" in html
    notification = Notification.objects.get()
    assert (notification.kind, notification.status, notification.recipient) == ("report", "sent", director)
    assert notification.dedupe_key == f"morning-report:{site.pk}:2026-11-27:{director.pk}"


def test_a_night_that_is_not_over_is_not_sent(site, director, the_night, time_machine):
    time_machine.move_to(local(site, MORNING, 7, 59, 59), tick=False)

    with pytest.raises(ReceptionError) as refusal:
        send_morning_report(site=site, day=MORNING)

    assert refusal.value.code == "night_not_over"
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_failed_delivery_is_retried_on_the_next_run(site, director, the_night, time_machine, settings):
    time_machine.move_to(local(site, MORNING, 8, 5), tick=False)
    settings.EMAIL_BACKEND = "tests.reception.test_morning_report.BrokenBackend"

    assert send_morning_report(site=site, day=MORNING) == 0
    failed = Notification.objects.get()
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "mail server went away" in failed.last_error

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_morning_report(site=site, day=MORNING) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("sent", 2, "")


def test_a_failed_report_is_retried_by_the_sweep_like_any_notification(
    site, director, the_night, time_machine, settings
):
    time_machine.move_to(local(site, MORNING, 8, 5), tick=False)
    settings.EMAIL_BACKEND = "tests.reception.test_morning_report.BrokenBackend"
    assert send_morning_report(site=site, day=MORNING) == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    time_machine.move_to(local(site, MORNING, 8, 5) + notify.RETRY_SCHEDULE[1], tick=False)
    call_command("escalate_overdue", stdout=StringIO())  # the sweep: notify.due_for_retry, notify.deliver

    report = Notification.objects.get(kind=Notification.Kind.REPORT)  # the sweep escalates the night's visits too
    assert (report.status, report.attempts, report.report_day) == ("sent", 2, MORNING)
    assert [m.to for m in mail.outbox if "Morning report" in m.subject] == [["director@lobby.test"]]


def test_a_report_gives_up_after_the_one_attempt_limit(site, director, the_night, time_machine, settings):
    time_machine.move_to(local(site, MORNING, 8, 5), tick=False)
    settings.EMAIL_BACKEND = "tests.reception.test_morning_report.BrokenBackend"

    for _ in range(notify.MAX_ATTEMPTS + 1):
        send_morning_report(site=site, day=MORNING)

    report = Notification.objects.get()
    assert (report.status, report.attempts) == ("gave_up", notify.MAX_ATTEMPTS)


def test_the_command_sends_last_nights_report_once(site, director, the_night, time_machine):
    time_machine.move_to(local(site, MORNING, 8, 5), tick=False)

    call_command("send_morning_report")
    call_command("send_morning_report")

    assert len(mail.outbox) == 1
    assert "2026-11-27" in mail.outbox[0].subject


def test_the_command_at_night_sends_the_night_before(site, director, the_night, time_machine):
    time_machine.move_to(local(site, MORNING, 23), tick=False)  # the next night has begun

    call_command("send_morning_report", "--site", "hq")

    assert "2026-11-27" in mail.outbox[0].subject


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--date", "27/11/2026"], "is not a date"),
        (["--site", "nowhere"], "No site with the short name"),
        (["--date", "2099-01-01"], "The night is not over yet"),
    ],
)
def test_the_command_refuses_bad_arguments_clearly(site, args, error):
    with pytest.raises(CommandError, match=error):
        call_command("send_morning_report", *args)


def test_schedule_queues_the_task_for_the_end_of_the_next_night_once(site, time_machine):
    time_machine.move_to(local(site, MORNING, 12), tick=False)

    call_command("send_morning_report", "--schedule")
    call_command("send_morning_report", "--schedule")

    queued = DBTaskResult.objects.get()
    assert queued.task_path == send_morning_reports.module_path
    assert queued.run_after == local(site, date(2026, 11, 28), 8) + REPORT_DELAY


def test_the_task_sends_and_queues_the_next_run(site, director, the_night, time_machine):
    time_machine.move_to(local(site, MORNING, 8, 5), tick=False)

    assert send_morning_reports.call() == 1

    assert len(mail.outbox) == 1
    assert DBTaskResult.objects.get().run_after == local(site, date(2026, 11, 28), 8) + REPORT_DELAY


# --- the page ----------------------------------------------------------------------


def test_the_morning_clerk_reads_the_report(
    client, site, clerk, the_night, time_machine, django_assert_max_num_queries
):
    time_machine.move_to(local(site, MORNING, 8, 30), tick=False)
    client.force_login(clerk)

    # session, user, profile, site, user perms, group perms, navbar department,
    # night visits, still on site, incidents, lost items, session save (3)
    with django_assert_max_num_queries(14):
        response = client.get("/desk/reports/morning/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Thu 26 Nov 20:00" in page and "Fri 27 Nov 08:00" in page
    assert "Night Courier" in page and "Night Engineer" in page
    assert "Sleeping in the rest area" in page and "Black umbrella" in page
    assert "Broken cup" not in page and "Day Done" not in page
    assert "not over yet" not in page


def test_a_given_date_shows_that_night(client, site, clerk, the_night, time_machine):
    time_machine.move_to(local(site, date(2026, 12, 3), 12), tick=False)
    client.force_login(clerk)

    page = client.get("/desk/reports/morning/?date=2026-11-27").content.decode()

    assert "Night Engineer" in page
    assert "Still on site when the night ended" in page


def test_during_the_night_the_report_says_it_is_still_growing(client, site, night_officer, the_night, time_machine):
    time_machine.move_to(local(site, EVENING, 23, 45), tick=False)
    client.force_login(night_officer)

    page = client.get("/desk/reports/morning/?date=2026-11-27").content.decode()

    assert "The night is not over yet" in page
    assert "Night Courier" in page


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30", "10000-01-01", "1900-01-01", "\x00"])
def test_a_bad_date_shows_last_night_with_a_message(client, site, clerk, the_night, time_machine, value):
    time_machine.move_to(local(site, MORNING, 8, 30), tick=False)
    client.force_login(clerk)

    response = client.get("/desk/reports/morning/", {"date": value})

    page = response.content.decode()
    assert response.status_code == 200
    assert "That is not a date we can report on" in page
    assert "Night Engineer" in page


def test_the_report_uses_the_site_clock_not_the_servers(site, the_night, time_machine):
    time_machine.move_to(local(site, MORNING, 8, 5), tick=False)

    assert morning_report.last_finished_night_day(site) == MORNING
    assert morning_report.last_finished_night_day(site, local(site, MORNING, 7, 59, 59)) == EVENING
    assert time(8) == site.night_ends
