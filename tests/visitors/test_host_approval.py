"""Walk-ups that wait for their host's approval (issue #19, A13): held as
"waiting for the host" (not on site, in no room's count), the host asked at
once with a signed link, approving (R1.3 and R6.8 still apply) or declining
with a reason, the desk deciding once the host's time is up; everything on
the timeline and in the audit chain."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reception.errors import ReceptionError
from tests.visitors.desk import walk_in
from visitors import approvals, escalation, links
from visitors.audit import verify_chain
from visitors.models import (
    ApprovalOutcome,
    AuditEvent,
    HostApproval,
    Notification,
    Visit,
    VisitEvent,
    VisitStatus,
)
from visitors.selectors import room_occupancy
from visitors.tasks import deliver_notification, notify_approval


@pytest.fixture
def contractor(business):
    """Business visitors whose walk-ups wait for the host."""
    business.walk_ups_need_approval = True
    business.save()
    return business


def ask_the_host() -> None:
    """Run what the worker would: the queued approval requests, then their delivery."""
    for queued in DBTaskResult.objects.filter(task_path="visitors.tasks.notify_approval"):
        notify_approval.call(*queued.args_kwargs["args"])
    for pk in Notification.objects.filter(kind=Notification.Kind.APPROVAL).values_list("pk", flat=True):
        deliver_notification.call(pk)


@pytest.fixture
def waiting(daytime, clerk, host, contractor, business_room, django_capture_on_commit_callbacks):
    """Maria Rossi walked in to see Sales-Sun Li and waits for his approval."""
    with django_capture_on_commit_callbacks(execute=True):
        visit = walk_in(category=contractor, room=business_room, by=clerk, name="Maria Rossi", host=host)
    ask_the_host()
    return visit


def approval_link(host) -> str:
    sent = [message for message in mail.outbox if host.email in message.to]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    return re.search(r"/i/approve/([^/\s]+)/", sent[0].body).group(1)


# --- held at the door ------------------------------------------------------------------


def test_a_walk_up_of_an_approval_category_waits_out_of_the_room(waiting, host, business_room):
    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.AWAITING_HOST and waiting.checked_in_at is None
    assert room_occupancy(business_room) == (0, 0)
    approval = HostApproval.objects.get(visit=waiting)
    assert approval.outcome == ApprovalOutcome.WAITING
    assert approval.due_at == approval.asked_at + timedelta(minutes=10)  # the site's default
    kinds = list(waiting.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == [VisitEvent.Kind.REGISTERED, VisitEvent.Kind.AWAITING_HOST]
    assert AuditEvent.objects.filter(action="visit.await_host", object_id=str(waiting.pk)).exists()
    # The host is asked at once, with a link; no arrival notice before an arrival.
    sent = [message for message in mail.outbox if host.email in message.to]
    assert len(sent) == 1 and "Maria Rossi" in sent[0].subject and "/i/approve/" in sent[0].body
    assert not Notification.objects.filter(visit=waiting, kind=Notification.Kind.ARRIVAL).exists()


def test_a_category_without_the_flag_checks_in_at_once(daytime, clerk, host, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk, host=host)

    assert visit.status == VisitStatus.ON_SITE
    assert not HostApproval.objects.filter(visit=visit).exists()


def test_the_site_flag_holds_every_category_and_the_category_sets_its_own_time(
    daytime, site, clerk, host, business, business_room
):
    site.walk_ups_need_approval = True
    site.save()
    business.host_approval_minutes = 3
    business.save()

    visit = walk_in(category=business, room=business_room, by=clerk, host=host)

    assert visit.status == VisitStatus.AWAITING_HOST
    approval = HostApproval.objects.get(visit=visit)
    assert approval.due_at - approval.asked_at == timedelta(minutes=3)


def test_the_desk_is_told_the_visitor_waits_for_the_host(client, daytime, clerk, host, contractor, business_room):
    client.force_login(clerk)
    response = client.post(
        "/desk/register/",
        {
            "full_name": "Maria Rossi",
            "category": contractor.pk,
            "party_size": 1,
            "room": business_room.pk,
            "host": host.pk,
            "purpose": "Talks",
        },
        follow=True,
    )

    visit = Visit.objects.get(visitor__full_name="Maria Rossi")
    assert visit.status == VisitStatus.AWAITING_HOST
    page = response.content.decode()
    assert "waits for their host" in page and 'data-testid="awaiting-host"' in page


def test_the_kiosk_says_waiting_for_your_host_and_shows_no_badge(walk_in, ordinary, site):
    ordinary.walk_ups_need_approval = True
    ordinary.save()

    response = walk_in()
    assert response.status_code == 302
    page = response.client.get(response["Location"]).content.decode()

    visit = Visit.objects.get(site=site)
    assert visit.status == VisitStatus.AWAITING_HOST
    assert "Waiting for your host to confirm" in page
    assert visit.badge_code not in page and "You are checked in" not in page


# --- the host answers from the link -------------------------------------------------------


def test_the_link_page_shows_no_visitor_data_and_approving_checks_in(
    waiting, host, business_room, django_capture_on_commit_callbacks
):
    token = approval_link(host)
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(f"/i/approve/{token}/")
    text = page.content.decode()
    assert page.status_code == 200 and "Maria Rossi" not in text and "csrfmiddlewaretoken" in text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        answer = browser.post(f"/i/approve/{token}/", {"decision": "approve", "csrfmiddlewaretoken": csrf})

    assert answer.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.ON_SITE and waiting.checked_in_by == host
    assert room_occupancy(business_room) == (1, 1)
    approval = HostApproval.objects.get(visit=waiting)
    assert (approval.outcome, approval.decided_by, approval.decided_via) == (ApprovalOutcome.APPROVED, host, "link")
    assert AuditEvent.objects.get(action="visit.approve", object_id=str(waiting.pk)).changes["via"] == "link"
    assert DBTaskResult.objects.filter(task_path="visitors.tasks.notify_arrival").exists()  # R3.2 from here on
    assert "Approved at" in browser.get(f"/i/approve/{token}/").content.decode()
    assert verify_chain(waiting.site).intact


def test_declining_from_the_link_needs_a_reason(waiting, host, business_room):
    token = approval_link(host)

    without = Client().post(f"/i/approve/{token}/", {"decision": "decline", "reason": ""})
    waiting.refresh_from_db()
    assert without.status_code == 409 and waiting.status == VisitStatus.AWAITING_HOST

    Client().post(f"/i/approve/{token}/", {"decision": "decline", "reason": "I am not in today"})

    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.DECLINED and waiting.checked_in_at is None
    assert waiting.events.get(kind=VisitEvent.Kind.DECLINED).note == "I am not in today"
    assert AuditEvent.objects.get(action="visit.decline", object_id=str(waiting.pk)).changes["reason"] == (
        "I am not in today"
    )
    assert room_occupancy(business_room) == (0, 0)


def test_a_forged_or_other_kind_of_link_is_refused(waiting, host):
    assert Client().get("/i/approve/not-a-token/").status_code == 404
    ack = links.ack_token(waiting, host)  # an acknowledge link's token is not an approval's
    assert Client().post(f"/i/approve/{ack}/", {"decision": "approve"}).status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.AWAITING_HOST


def test_a_link_sent_to_someone_who_is_not_the_host_decides_nothing(waiting, clerk):
    token = links.approval_token(waiting, clerk)

    response = Client().post(f"/i/approve/{token}/", {"decision": "approve"})

    assert response.status_code == 409
    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.AWAITING_HOST


def test_approval_refused_when_the_room_is_full_leaves_the_visit_waiting(waiting, host, clerk, business_room):
    business_room.capacity = 1
    business_room.save()
    walk_in(category=waiting.category, room=business_room, by=clerk, host=None, name="Someone Quicker")
    # The flag is the category's; the second walk-up has no host, so it waits too: fill the room by hand.
    Visit.objects.filter(visitor__full_name="Someone Quicker").update(
        status=VisitStatus.ON_SITE, checked_in_at=timezone.now()
    )

    with pytest.raises(ReceptionError) as refusal:
        approvals.approve_walk_up(visit=waiting, by=host, via=approvals.VIA_APP)

    assert refusal.value.code == "room_full"
    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.AWAITING_HOST
    assert HostApproval.objects.get(visit=waiting).outcome == ApprovalOutcome.WAITING


# --- in the app ---------------------------------------------------------------------------


def test_the_host_approves_from_my_visitors(client, waiting, host):
    client.force_login(host)

    page = client.get("/desk/my-visitors/").content.decode()
    assert 'data-testid="my-awaiting"' in page and "Maria Rossi" in page

    response = client.post(f"/desk/visits/{waiting.pk}/approve/", {"next": "/desk/my-visitors/"})

    assert response.status_code == 302 and response["Location"] == "/desk/my-visitors/"
    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.ON_SITE
    assert HostApproval.objects.get(visit=waiting).decided_via == "app"


def test_the_desk_waits_for_the_host_until_the_time_is_up(client, waiting, clerk):
    client.force_login(clerk)

    client.post(f"/desk/visits/{waiting.pk}/approve/", {"reason": "Known contractor"})

    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.AWAITING_HOST
    assert "decline" not in client.get(f"/desk/visits/{waiting.pk}/").content.decode().split("awaiting-host")[1][:300]


def test_no_answer_in_time_flags_it_for_the_desk_which_decides_with_a_reason(client, waiting, clerk, daytime):
    daytime.shift(timedelta(minutes=11))
    call_command("escalate_overdue", stdout=open("/dev/null", "w"))  # noqa: SIM115

    approval = HostApproval.objects.get(visit=waiting)
    assert approval.unanswered_at == timezone.now()
    assert waiting.events.filter(kind=VisitEvent.Kind.NO_ANSWER).count() == 1
    assert escalation.host_did_not_answer(visit_id=waiting.pk) is False  # flagged once
    client.force_login(clerk)
    desk = client.get("/desk/").content.decode()
    assert 'data-testid="host-no-answer"' in desk and "Maria Rossi" in desk

    client.post(f"/desk/visits/{waiting.pk}/approve/", {"reason": ""})
    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.AWAITING_HOST  # a reason is needed

    client.post(f"/desk/visits/{waiting.pk}/approve/", {"reason": "Known contractor, host in a meeting"})

    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.ON_SITE and waiting.checked_in_by == clerk
    approval.refresh_from_db()
    assert (approval.decided_via, approval.reason) == ("desk", "Known contractor, host in a meeting")
    assert AuditEvent.objects.filter(action="visit.host_no_answer", object_id=str(waiting.pk)).exists()


@pytest.mark.parametrize("person", ["stranger", "salesperson"])
def test_nobody_else_decides(request, person, waiting):
    client = Client()
    client.force_login(request.getfixturevalue(person))

    assert client.post(f"/desk/visits/{waiting.pk}/approve/").status_code == 403
    assert client.post(f"/desk/visits/{waiting.pk}/decline/", {"reason": "No"}).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.AWAITING_HOST


def test_another_sites_clerk_gets_404(client, waiting, other_clerk):
    client.force_login(other_clerk)

    assert client.post(f"/desk/visits/{waiting.pk}/approve/").status_code == 404


def test_a_decided_visit_cannot_be_decided_again(waiting, host):
    approvals.decline_walk_up(visit=waiting, by=host, via=approvals.VIA_APP, reason="Not today")

    with pytest.raises(ReceptionError) as refusal:
        approvals.approve_walk_up(visit=waiting, by=host, via=approvals.VIA_APP)

    assert refusal.value.code == "not_awaiting_host"


# --- the night (R6.8) -------------------------------------------------------------------------


def test_at_night_the_host_cannot_check_in_but_the_night_officer_can_once_the_time_is_up(
    time_machine, site, night_officer, host, contractor, business_room
):
    from reception.models import Duty, DutyCode, RosterEntry

    time_machine.move_to("2026-11-27 22:00:00+08:00", tick=False)
    RosterEntry.objects.create(
        site=site,
        user=night_officer,
        duty=Duty.objects.get(code=DutyCode.NIGHT_OFFICER),
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() + timedelta(hours=10),
    )
    visit = walk_in(category=contractor, room=business_room, by=night_officer, host=host)
    assert visit.status == VisitStatus.AWAITING_HOST and visit.night_registration and visit.id_sighted

    with pytest.raises(ReceptionError) as refusal:
        approvals.approve_walk_up(visit=visit, by=host, via=approvals.VIA_APP)
    assert refusal.value.code == "night_duty"

    time_machine.shift(timedelta(minutes=11))
    approvals.approve_walk_up(visit=visit, by=night_officer, via=approvals.VIA_DESK, reason="Host unreachable")

    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_SITE and visit.id_sighted and visit.host_contacted


# --- what else hears of it ----------------------------------------------------------------------


def test_a_chat_channel_hears_of_the_request_without_the_hosts_link(
    daytime, site, clerk, host, contractor, business_room, django_capture_on_commit_callbacks
):
    from reception.models import ChannelKind, NotificationChannel
    from visitors import notify

    NotificationChannel.objects.create(
        site=site, name="Front desk group", kind=ChannelKind.GENERIC, url="https://chat.example.com/hook", secret="s"
    )
    with django_capture_on_commit_callbacks(execute=True):
        visit = walk_in(category=contractor, room=business_room, by=clerk, name="Maria Rossi", host=host)
    for queued in DBTaskResult.objects.filter(task_path="visitors.tasks.notify_approval"):
        notify_approval.call(*queued.args_kwargs["args"])

    to_channel = Notification.objects.get(visit=visit, kind=Notification.Kind.APPROVAL, channel__isnull=False)
    title, text = notify.chat_text(to_channel)
    assert "Maria Rossi" in title and "host's approval" in text
    assert "/i/approve/" not in text and "/i/approve/" not in str(notify.webhook_payload(to_channel))


def test_an_alert_match_tells_security_and_still_waits_for_the_host(
    daytime, site, clerk, host, contractor, business_room, django_capture_on_commit_callbacks
):
    from visitors import watchlist
    from visitors.models import WatchlistEntry, WatchlistLevel

    entry = WatchlistEntry.objects.create(site=site, name="Maria Rossi", reason="Watch", level=WatchlistLevel.ALERT)
    watchlist.index_entry(entry)

    with django_capture_on_commit_callbacks(execute=True):
        visit = walk_in(category=contractor, room=business_room, by=clerk, name="Maria Rossi", host=host)

    assert visit.status == VisitStatus.AWAITING_HOST
    assert AuditEvent.objects.filter(action="visit.watchlist_alert", object_id=str(visit.pk)).exists()
    assert DBTaskResult.objects.filter(task_path="visitors.tasks.notify_security").exists()


def test_the_dashboard_reads_waiting_walk_ups_in_its_four_queries(waiting, django_assert_num_queries):
    from visitors.dashboard import desk_context

    with django_assert_num_queries(4):  # open visits (with the waiting walk-up), rooms, host labels, recently left
        context = desk_context(waiting.site)

    assert [row["name"] for row in context["awaiting_host"]] == ["Maria Rossi"]
    assert context["expected"] == [] and context["on_site"] == []
