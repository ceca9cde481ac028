"""R3.2: an arrival nobody acknowledges within the category's deadline escalates
along the duties, by default host -> secretary -> office director."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reception.models import (
    Duty,
    DutyCode,
    EscalationStep,
    KioskDevice,
    NotificationChannel,
    RosterEntry,
    VisitorCategory,
)
from reception.roles import DUTY_GROUPS
from visitors import escalation, links, notify, services
from visitors.models import AuditEvent, Notification, Visit, VisitEvent, Visitor
from visitors.tasks import escalate

Status = Notification.Status


def sweep() -> str:
    out = io.StringIO()
    call_command("escalate_overdue", stdout=out)
    return out.getvalue()


def escalations(**filters):
    return Notification.objects.filter(kind=Notification.Kind.ESCALATION, **filters)


@pytest.fixture
def arrival(daytime, clerk, host, secretary, director, business, business_room):
    """Hans Müller arrives for Sales-Sun Li at 10:00; the deadline is 10:30."""
    visit = Visit(category=business, room=business_room, host=host, purpose="Talks")
    return services.register_visit(
        visit=visit, visitor=Visitor(full_name="Hans Müller", company="Bergmann GmbH"), by=clerk, arrive_now=True
    )


def test_nothing_escalates_before_the_deadline(arrival, daytime, mailoutbox):
    daytime.shift(timedelta(minutes=29))

    sweep()

    assert not escalations().exists()
    assert not arrival.events.filter(kind=VisitEvent.Kind.ESCALATED).exists()
    assert mailoutbox == []


def test_after_31_minutes_the_host_is_reminded_and_the_secretary_told(arrival, daytime, host, secretary, mailoutbox):
    daytime.shift(timedelta(minutes=31))

    output = sweep()

    assert "1 overdue visit(s), 2 escalation notice(s)" in output
    sent = {(n.step, n.recipient.username, n.status) for n in escalations().select_related("recipient")}
    assert sent == {(1, "host", Status.SENT), (2, "secretary", Status.SENT)}
    assert sorted(email.to[0] for email in mailoutbox) == ["host@lobby.test", "secretary@lobby.test"]
    to_secretary = next(email for email in mailoutbox if email.to == ["secretary@lobby.test"])
    assert "Not yet acknowledged: Hans Müller is waiting" in to_secretary.subject
    assert "waiting 31 minutes" in to_secretary.body and "Sales-Sun Li" in to_secretary.body
    assert f"/i/ack/{links.ack_token(arrival, secretary)}/" in to_secretary.body  # the secretary may take over
    notes = list(arrival.events.filter(kind=VisitEvent.Kind.ESCALATED).values_list("note", flat=True))
    assert notes == ["Step 1: Host (handling department)", "Step 2: Secretary"]
    assert AuditEvent.objects.filter(action="visit.escalate").count() == 2


def test_a_quarter_of_an_hour_later_the_office_director_is_told(arrival, daytime, mailoutbox):
    daytime.shift(timedelta(minutes=31))
    sweep()
    daytime.shift(timedelta(minutes=15))

    sweep()

    assert escalations(step=3, recipient__username="director", status=Status.SENT).exists()
    assert mailoutbox[-1].to == ["director@lobby.test"]


def test_running_the_sweep_again_tells_nobody_twice(arrival, daytime, mailoutbox):
    daytime.shift(timedelta(minutes=31))

    sweep()
    sweep()
    escalation.escalate_visit(visit_id=arrival.pk)  # and a scheduled task arriving late

    assert escalations().count() == 2
    assert len(mailoutbox) == 2
    assert arrival.events.filter(kind=VisitEvent.Kind.ESCALATED).count() == 2


def test_an_acknowledged_arrival_never_escalates(arrival, daytime, host, mailoutbox):
    daytime.shift(timedelta(minutes=12))
    escalation.acknowledge_visit(visit=arrival, by=host)
    daytime.shift(timedelta(hours=2))

    sweep()

    assert not escalations().exists()
    assert mailoutbox == []


def test_acknowledging_midway_stops_the_chain(arrival, daytime, secretary):
    daytime.shift(timedelta(minutes=31))
    sweep()
    escalation.acknowledge_visit(visit=arrival, by=secretary)
    daytime.shift(timedelta(minutes=30))

    sweep()

    assert not escalations(step=3).exists()
    assert Visit.objects.get(pk=arrival.pk).acknowledged_by == secretary


def test_a_category_chain_set_in_the_admin_replaces_the_default(arrival, daytime, business):
    EscalationStep.objects.create(
        category=business, position=1, duty=Duty.objects.get(code=DutyCode.DIRECTOR), delay_minutes=5
    )
    daytime.shift(timedelta(minutes=31))
    sweep()
    assert not escalations().exists()  # due at 10:35

    daytime.shift(timedelta(minutes=5))
    sweep()

    assert [(n.step, n.recipient.username) for n in escalations()] == [(1, "director")]


def test_the_category_deadline_decides_when_it_escalates(daytime, clerk, host, secretary, vip, culture_pavilion):
    vip.ack_deadline_minutes = 10
    vip.save()
    visit = Visit(category=vip, room=culture_pavilion, host=host, purpose="Delegation")
    services.register_visit(visit=visit, visitor=Visitor(full_name="李娜"), by=clerk, arrive_now=True)
    daytime.shift(timedelta(minutes=11))

    sweep()

    assert escalations(step=2, recipient=secretary).exists()


def test_the_roster_says_which_secretary_is_told(arrival, daytime, make_staff, site, secretary):
    other = make_staff("secretary2", DUTY_GROUPS[DutyCode.SECRETARY], site=site, department="Administration")
    RosterEntry.objects.create(
        site=site,
        duty=Duty.objects.get(code=DutyCode.SECRETARY),
        user=other,
        starts_at=timezone.now() - timedelta(hours=2),
        ends_at=timezone.now() + timedelta(hours=6),
    )
    daytime.shift(timedelta(minutes=31))

    sweep()

    assert list(escalations(step=2).values_list("recipient__username", flat=True)) == ["secretary2"]


def test_a_duty_nobody_holds_shows_as_a_failed_notice_at_the_desk(
    daytime, clerk, host, director, business, business_room
):
    visit = Visit(category=business, room=business_room, host=host, purpose="Talks")
    services.register_visit(visit=visit, visitor=Visitor(full_name="Hans Müller"), by=clerk, arrive_now=True)
    daytime.shift(timedelta(minutes=31))

    sweep()

    nobody = escalations(step=2).get()
    assert nobody.status == Status.GAVE_UP and nobody.recipient is None
    assert nobody.last_error == "Nobody holds the duty “Secretary”."
    assert visit.events.filter(kind=VisitEvent.Kind.ESCALATED, note="Step 2: Secretary").exists()


def test_a_channel_hears_of_an_escalation_once(arrival, daytime, site, settings):
    NotificationChannel.objects.create(site=site, name="Ops", url="http://127.0.0.1:9/", on_arrival=False)
    daytime.shift(timedelta(minutes=31))
    sweep()
    daytime.shift(timedelta(minutes=15))

    sweep()

    assert escalations(channel__name="Ops").count() == 1


def test_the_escalate_task_takes_due_steps_and_waits_for_the_next(arrival, daytime):
    daytime.shift(timedelta(minutes=31))

    escalate.call(arrival.pk)

    assert escalations().count() == 2
    queued = DBTaskResult.objects.filter(task_path="visitors.tasks.escalate").get()
    assert queued.run_after == arrival.checked_in_at + timedelta(minutes=30 + 15)  # the director's step
    assert DBTaskResult.objects.filter(task_path="visitors.tasks.deliver_notification").count() == 2


def test_the_escalate_task_reads_nothing_after_the_locked_step(arrival, daytime, django_assert_max_num_queries):
    daytime.shift(timedelta(minutes=31))

    # the visit locked, steps taken, the chain, then per step: duty holders,
    # notifications, channels, timeline, audit (with its chain head); and the
    # two deliveries and the next escalate queued. No second read of the visit.
    with django_assert_max_num_queries(40) as captured:
        escalate.call(arrival.pk)

    visit_reads = [q for q in captured.captured_queries if 'FROM "visitors_visit"' in q["sql"]]
    assert len(visit_reads) == 1  # the locked read in escalate_visit
    assert escalations().count() == 2


def test_overdue_visits_are_chosen_by_the_database_at_the_exact_deadline(
    arrival, daytime, clerk, vip, culture_pavilion, django_assert_num_queries
):
    vip.ack_deadline_minutes = 10
    vip.save()
    vip_arrival = services.register_visit(
        visit=Visit(category=vip, room=culture_pavilion, purpose="Visit"),
        visitor=Visitor(full_name="Guest"),
        by=clerk,
        arrive_now=True,
    )

    def overdue_at(at):
        with django_assert_num_queries(1):  # the deadlines are compared in SQL
            return sorted(visit.pk for visit in escalation.overdue_visits(at))

    vip_deadline, business_deadline = vip_arrival.ack_deadline, arrival.ack_deadline
    assert overdue_at(vip_deadline - timedelta(microseconds=1)) == []
    assert overdue_at(vip_deadline) == [vip_arrival.pk]
    assert overdue_at(business_deadline - timedelta(microseconds=1)) == [vip_arrival.pk]
    assert overdue_at(business_deadline) == sorted([arrival.pk, vip_arrival.pk])


def test_due_for_retry_follows_the_retry_schedule_in_one_query(arrival, daytime, django_assert_num_queries):
    created = timezone.now()
    rows = {
        (status, attempts): Notification.objects.create(
            visit=arrival,
            site=arrival.site,
            kind=Notification.Kind.ARRIVAL,
            dedupe_key=f"test:{status}:{attempts}",
            status=status,
            attempts=attempts,
            created_at=created,
        )
        for status, attempts in [
            (Status.PENDING, 0),
            (Status.FAILED, 1),
            (Status.FAILED, 2),
            (Status.FAILED, notify.MAX_ATTEMPTS),
            (Status.SENT, 1),
        ]
    }

    def due_after(wait):
        with django_assert_num_queries(1):
            return {(row.status, row.attempts) for row in notify.due_for_retry(created + wait)}

    assert due_after(timedelta(seconds=59)) == set()  # the queued task still has the pending one
    assert due_after(notify.LOST_TASK_GRACE) == {(Status.PENDING, 0), (Status.FAILED, 1)}
    assert due_after(notify.RETRY_SCHEDULE[2] - timedelta(microseconds=1)) == {(Status.PENDING, 0), (Status.FAILED, 1)}
    assert due_after(notify.RETRY_SCHEDULE[2]) == {(Status.PENDING, 0), (Status.FAILED, 1), (Status.FAILED, 2)}
    assert len(rows) == 5


def test_the_sweep_retries_a_failed_delivery_once_its_backoff_has_passed(arrival, daytime, settings, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    escalation.arrival_notifications(visit=arrival)
    notification = Notification.objects.get(kind="arrival")
    notify.deliver(notification.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the mail server is back

    daytime.shift(timedelta(seconds=30))
    sweep()
    assert Notification.objects.get(pk=notification.pk).status == Status.FAILED  # still backing off

    daytime.shift(timedelta(seconds=31))
    sweep()

    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 2
    assert [email.to for email in mailoutbox] == [["host@lobby.test"]]


def test_the_demo_comes_with_the_default_chain_a_kiosk_and_no_channel(daytime, db):
    out = io.StringIO()
    call_command("seed_demo", allow_production=True, stdout=out)

    for category in VisitorCategory.objects.all():
        chain = [(s.position, s.duty.code, s.delay_minutes) for s in category.escalation_steps.select_related("duty")]
        assert chain == [(1, "host", 0), (2, "secretary", 0), (3, "director", 15)], category
    kiosk = KioskDevice.objects.get()
    assert f"/kiosk/enrol/{kiosk.token}/" in out.getvalue()
    assert not NotificationChannel.objects.exists()
    assert "180" in kiosk.site.privacy_notice_en and kiosk.site.privacy_notice_zh
