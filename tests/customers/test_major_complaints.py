"""R5.2: a major complaint reaches the department head and the office
director at once, through the one delivery path (Notification rows sent by
visitors.notify.deliver); nobody acknowledging within the site's limit, the
director hears again, once; an acknowledgement stops it."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command

from customers import alerts, complaints
from customers.models import CareSettings
from customers.tasks import escalate_overdue_complaints, schedule_daily_digests
from reception.errors import ReceptionError
from reception.models import ChannelKind, NotificationChannel
from tests.visitors import test_notifications
from visitors.models import AuditEvent, Notification

# The local webhook receiver of the notification tests (it needs private webhooks allowed).
receiver = test_notifications.receiver
allow_private_webhooks = test_notifications.allow_private_webhooks


@pytest.fixture
def major(gao, clerk, after_sales, department_head, director, immediate_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return complaints.open_complaint(
            site=gao.site,
            by=clerk,
            customer=gao,
            channel="phone",
            severity="major",
            heard="The boiler installed yesterday leaks <badly> & smells of gas.",
            department=after_sales,
        )


def test_a_major_complaint_emails_the_department_head_and_the_director_at_once(major, mailoutbox):
    assert sorted(mail.to[0] for mail in mailoutbox) == ["director@lobby.test", "head@lobby.test"]
    mail = mailoutbox[0]
    assert major.reference in mail.subject
    assert "Gao Feng · Gao Trading" in mail.body
    assert f"/desk/complaints/{major.pk}/" in mail.body
    assert "&amp;" not in mail.body  # plain text, not HTML-escaped
    assert Notification.objects.filter(kind="prepared", status="sent").count() == 2


def test_a_major_complaint_reaches_the_sites_chat_groups_too(
    gao, clerk, after_sales, department_head, director, immediate_tasks, receiver, django_capture_on_commit_callbacks
):
    site = gao.site
    NotificationChannel.objects.create(site=site, name="Managers", kind=ChannelKind.WECOM, url=receiver.url)
    NotificationChannel.objects.create(site=site, name="Ops", kind=ChannelKind.GENERIC, url=receiver.url)
    NotificationChannel.objects.create(site=site, name="Door", url=receiver.url, on_escalation=False)

    with django_capture_on_commit_callbacks(execute=True):
        major = complaints.open_complaint(
            site=site,
            by=clerk,
            customer=gao,
            channel="phone",
            severity="major",
            heard="The boiler leaks and smells of gas.",
            department=after_sales,
        )

    assert len(receiver.requests) == 2  # the two channels that hear escalations, not the door's
    wecom, generic = sorted(receiver.requests, key=lambda request: b"msgtype" not in request["body"])
    content = json.loads(wecom["body"])["markdown"]["content"]
    assert f"Major complaint {major.reference}" in content and "Gao Feng" in content
    assert "smells of gas" not in content  # what the customer said stays in the register
    payload = json.loads(generic["body"])
    assert payload["event"] == "customers.complaint" and payload["site"] == "hq"
    sent = Notification.objects.filter(channel__isnull=False, status="sent")
    assert sorted(sent.values_list("address", flat=True)) == ["Managers", "Ops"]


def test_a_general_complaint_tells_nobody(gao, clerk, director, immediate_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaints.open_complaint(site=gao.site, by=clerk, customer=gao, channel="phone", heard="Rude driver")

    assert not Notification.objects.exists()


def test_unacknowledged_past_the_sites_limit_the_director_hears_again_once(major, mailoutbox, time_machine):
    CareSettings.objects.create(site=major.site, major_ack_minutes=20)
    mailoutbox.clear()

    assert escalate_overdue_complaints() == 0  # not yet
    time_machine.shift(timedelta(minutes=21))
    first = escalate_overdue_complaints()
    again = escalate_overdue_complaints()

    assert (first, again) == (1, 0)
    [mail] = mailoutbox
    assert mail.to == ["director@lobby.test"]
    assert mail.subject.startswith("Not acknowledged")
    assert AuditEvent.objects.filter(action="complaint.escalate").count() == 1


def test_an_acknowledged_major_complaint_is_not_escalated(major, director, mailoutbox, time_machine):
    complaints.acknowledge(complaint=major, by=director)
    mailoutbox.clear()
    time_machine.shift(timedelta(hours=2))

    assert escalate_overdue_complaints() == 0
    assert alerts.escalate_major(complaint_id=major.pk).notifications == []
    assert not mailoutbox


def test_the_first_acknowledgement_wins(major, director, department_head):
    complaints.acknowledge(complaint=major, by=department_head)
    complaints.acknowledge(complaint=major, by=director)

    major.refresh_from_db()
    assert major.acknowledged_by == department_head
    assert AuditEvent.objects.filter(action="complaint.acknowledge").count() == 1


def test_a_general_complaint_is_not_acknowledged(gao, clerk, director):
    complaint = complaints.open_complaint(site=gao.site, by=clerk, customer=gao, channel="phone", heard="Late")

    with pytest.raises(ReceptionError) as refusal:
        complaints.acknowledge(complaint=complaint, by=director)

    assert refusal.value.code == "not_major"


def test_the_care_command_escalates_and_sends_the_digests(major, mailoutbox, time_machine):
    mailoutbox.clear()
    time_machine.shift(timedelta(hours=1))
    out = io.StringIO()

    call_command("customer_care", stdout=out)

    assert "1 escalation(s)" in out.getvalue()
    assert any(mail.subject.startswith("Not acknowledged") for mail in mailoutbox)


def test_the_daily_digest_is_queued_once_for_the_next_morning(db, site):
    first = schedule_daily_digests()
    again = schedule_daily_digests()

    assert first is not None and again is None
    assert site.local(first).hour == 8


def test_the_care_command_sends_no_digest_before_the_sites_morning(major, mailoutbox, time_machine):
    # The timer runs customer_care every five minutes: the digest waits for 08:00 local.
    time_machine.move_to("2026-11-28 07:55:00+08:00", tick=False)
    mailoutbox.clear()
    call_command("customer_care", stdout=io.StringIO())
    early = [mail for mail in mailoutbox if mail.subject.startswith("Due customer work")]

    time_machine.move_to("2026-11-28 08:00:00+08:00", tick=False)
    call_command("customer_care", stdout=io.StringIO())
    call_command("customer_care", stdout=io.StringIO())

    assert early == []
    assert [mail.to for mail in mailoutbox if mail.subject.startswith("Due customer work")] == [["head@lobby.test"]]
