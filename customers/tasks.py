"""Background tasks of customer care (django-tasks): the R5.2 alerts and
escalation of a major complaint, the daily due-work digest and the monthly
complaint summary (R5.5).

As in visitors.tasks, a service only asks for a task with
transaction.on_commit, so the complaint is saved before anyone is told of it;
the sending is visitors.tasks.deliver_notification's (one delivery path).
"""

from datetime import date, datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from customers import alerts, due, summary_report
from customers.models import Complaint
from reception.models import Site
from reception.scheduling import enqueue, schedule_once
from visitors import monthly_report
from visitors.models import Notification
from visitors.tasks import deliver_notification


@task()
def alert_major(complaint_id: int) -> int:
    """R5.2: tell the department head and the director, and watch for the
    acknowledgement."""
    rows = alerts.major_alerts(complaint_id=complaint_id)
    for row in rows:
        enqueue(deliver_notification, row.pk)
    complaint = Complaint.objects.select_related("site").get(pk=complaint_id)
    enqueue(escalate_major, complaint_id, run_after=alerts.escalation_due_at(complaint))
    return len(rows)


@task()
def escalate_major(complaint_id: int) -> int:
    done = alerts.escalate_major(complaint_id=complaint_id)
    for row in done.notifications:
        enqueue(deliver_notification, row.pk)
    if done.next_at is not None:
        enqueue(escalate_major, complaint_id, run_after=done.next_at)
    return len(done.notifications)


def escalate_overdue_complaints(at: datetime | None = None) -> int:
    """The sweep: every major complaint past its limit and never escalated."""
    sent = 0
    for complaint_id in alerts.overdue_major(at):
        done = alerts.escalate_major(complaint_id=complaint_id, at=at)
        sent += sum(deliver_notification.call(row.pk) == "sent" for row in done.notifications)
    return sent


def announce_major(complaint: Complaint) -> None:
    """Called by customers.complaints inside its transaction."""
    transaction.on_commit(partial(enqueue, alert_major, complaint.pk), robust=True)


# --- the daily digest of due work ------------------------------------------------


def send_digests(at: datetime | None = None) -> int:
    """Every site's digest of the day, once the site's morning has come
    (due.DIGEST_AT, local time); safe to run as often as a timer likes
    (dedupe per person and day)."""
    at = at or timezone.now()
    sent = 0
    for site in Site.objects.all():
        local = site.local(at)
        if local.time() < due.DIGEST_AT:
            continue
        for pk in due.digest_notifications(site=site, day=local.date(), at=at):
            sent += deliver_notification.call(pk) == Notification.Status.SENT
    return sent


@task()
def send_daily_digests() -> int:
    sent = send_digests()
    schedule_daily_digests()
    return sent


def schedule_daily_digests() -> datetime | None:
    """Queue the digest task for the next morning, unless it is queued already."""
    when = due.next_digest_time()
    if when is None:
        return None
    queued = schedule_once(send_daily_digests, run_after=when)
    return queued.run_after if queued is not None and queued.new else None


# --- the monthly complaint summary (R5.5) ---------------------------------------


def send_complaint_summary(*, site: Site, first: date, at: datetime | None = None) -> int:
    """Email the complaint summary of the month starting on `first` to the
    site's office directors; how many went out this time. Idempotent per
    site, month and director (summary_report.summary_notifications); refuses
    a month not over with ReceptionError("month_not_over")."""
    pending = summary_report.summary_notifications(site=site, first=first, at=at)
    return sum(deliver_notification.call(pk) == Notification.Status.SENT for pk in pending)


def send_due_complaint_summaries(at: datetime | None = None) -> int:
    """Every site's summary of its last month that is due (the insights
    report's calendar, visitors.monthly_report); safe to run every day."""
    at = at or timezone.now()
    return sum(
        send_complaint_summary(site=site, first=monthly_report.last_due_month(site, at), at=at)
        for site in Site.objects.all()
    )


@task()
def send_complaint_summaries() -> int:
    sent = send_due_complaint_summaries()
    schedule_complaint_summaries()
    return sent


def schedule_complaint_summaries() -> datetime | None:
    """Queue the summary task for the next 1st, unless it is queued already."""
    when = monthly_report.next_send_time()
    if when is None:
        return None
    queued = schedule_once(send_complaint_summaries, run_after=when)
    return queued.run_after if queued is not None and queued.new else None
