"""Background tasks (django-tasks): notifications and escalations.

A check-in never waits for a mail server or a webhook: the services only ask
for these tasks with `transaction.on_commit`, so the arrival is saved in its own
transaction first and a task is queued only for an arrival that exists. The
worker (`manage.py db_worker`, started by `make run`) does the sending.

A check-in queues one task, notify_arrival. Escalation is scheduled twice
over: notify_arrival, before it writes any notice, queues a task to run at the
first step's due time (`run_after`, counted from the arrival, so it is due when
it would have been had the check-in queued it), which re-queues itself for the
next step; and `manage.py escalate_overdue`, a sweep for cron that repeats
whatever a lost or unscheduled task missed. The check-in itself stays one task
insert (issue #7: the kiosk's morning rush). Both are idempotent (Notification.dedupe_key and
the visit lock in escalation.escalate_visit).
"""

from datetime import date, datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from reception.models import Site
from reception.scheduling import enqueue as _enqueue
from reception.scheduling import schedule_once
from visitors import escalation, monthly_report, notify
from visitors.models import Invitation, Notification, Visit


def _deliver_later(notifications: list[Notification]) -> None:
    for notification in notifications:
        _enqueue(deliver_notification, notification.pk)


@task()
def deliver_notification(notification_id: int) -> str:
    """One attempt at one notification; a failure queues the next attempt."""
    notification = notify.deliver(notification_id)
    retry_at = notify.next_attempt_at(notification)
    if notification.status == Notification.Status.FAILED and retry_at is not None:
        _enqueue(deliver_notification, notification.pk, run_after=retry_at)
    return notification.status


@task()
def notify_arrival(visit_id: int) -> int:
    """Start the R3.2 escalation watch, then tell the host (and the channels,
    and for VIPs the office director)."""
    visit = Visit.objects.select_related("site", "category", "host").get(pk=visit_id)
    _watch_for_acknowledgement(visit)
    notifications = escalation.arrival_notifications(visit=visit)
    _deliver_later(notifications)
    return len(notifications)


@task()
def escalate(visit_id: int) -> int:
    """R3.2: take the escalation steps that are due, then wait for the next."""
    done = escalation.escalate_visit(visit_id=visit_id)
    _deliver_later(done.notifications)
    if done.next_at is not None:
        _enqueue(escalate, visit_id, run_after=done.next_at)
    return len(done.notifications)


@task()
def notify_security(visit_id: int, step: int) -> int:
    """Issue #19: tell security on duty (and the chat channels) about a
    watchlist match on this visit."""
    visit = Visit.objects.select_related("site", "category", "host").get(pk=visit_id)
    notifications = escalation.security_notifications(visit=visit, step=step)
    _deliver_later(notifications)
    return len(notifications)


@task()
def notify_approval(visit_id: int) -> int:
    """Issue #19 (A13): ask the host to approve a walk-up (email with signed
    approve/decline links, and the channels that hear arrivals)."""
    visit = Visit.objects.select_related("site", "category", "host").get(pk=visit_id)
    notifications = escalation.approval_notifications(visit=visit)
    _deliver_later(notifications)
    return len(notifications)


@task()
def approval_timeout(visit_id: int) -> bool:
    """Issue #19 (A13): the host's time is up; flag the walk-up for the desk."""
    return escalation.host_did_not_answer(visit_id=visit_id)


@task()
def send_invitation(invitation_id: int) -> str:
    invitation = Invitation.objects.select_related("visit__site").get(pk=invitation_id)
    notification = notify.invitation_notification(invitation)
    return deliver_notification.call(notification.pk)


def _watch_for_acknowledgement(visit: Visit) -> None:
    """R3.2: queue the escalation task for the first step due, if any."""
    first = escalation.next_escalation_at(visit)
    if first is not None:
        _enqueue(escalate, visit.pk, run_after=first)


def announce_arrival(visit: Visit) -> None:
    """Called by the check-in services inside their transaction: once it
    commits, queue the host notification, which starts the escalation watch."""
    # robust: a queue that cannot be reached is logged, never turned into an
    # error for a check-in that has already been saved.
    transaction.on_commit(partial(_enqueue, notify_arrival, visit.pk), robust=True)


def announce_to_security(visit: Visit, *, ahead: bool = False) -> None:
    """Called by the services inside their transaction on a watchlist match
    (issue #19): security hears of it once this commits. `ahead`: the match
    was on an invitation confirmed before the visit, not at the door."""
    step = escalation.SECURITY_AHEAD if ahead else escalation.SECURITY_AT_DOOR
    transaction.on_commit(partial(_enqueue, notify_security, visit.pk, step), robust=True)


def ask_host_to_approve(visit: Visit, *, due_at: datetime) -> None:
    """Called by the services inside their transaction for a walk-up that
    waits for its host (issue #19 A13): once it commits, the host is asked,
    and the timeout is queued for `due_at` (the escalate_overdue sweep
    catches it where the backend cannot defer)."""
    transaction.on_commit(partial(_enqueue, notify_approval, visit.pk), robust=True)
    transaction.on_commit(partial(_enqueue, approval_timeout, visit.pk, run_after=due_at), robust=True)


def announce_invitation(invitation: Invitation) -> None:
    transaction.on_commit(partial(_enqueue, send_invitation, invitation.pk), robust=True)


# --- the monthly report (issue #20) -------------------------------------------------


def send_monthly_report(*, site: Site, first: date, at: datetime | None = None) -> int:
    """Email the insights of the month starting on `first` to the site's
    office directors. Returns how many messages went out this time.

    Idempotent per site, month and recipient (monthly_report.report_notifications);
    delivery is notify.deliver's, with its claim rule and retries. Refuses,
    with ReceptionError("month_not_over"), a month whose report is not due."""
    pending = monthly_report.report_notifications(site=site, first=first, at=at)
    statuses = [deliver_notification.call(pk) for pk in pending]
    return statuses.count(Notification.Status.SENT)


def send_due_monthly_reports(at: datetime | None = None) -> int:
    """Send every site's report for its last month that is due; safe to run often."""
    at = at or timezone.now()
    return sum(
        send_monthly_report(site=site, first=monthly_report.last_due_month(site, at), at=at)
        for site in Site.objects.all()
    )


@task()
def send_monthly_reports() -> int:
    sent = send_due_monthly_reports()
    schedule_monthly_reports()
    return sent


def schedule_monthly_reports() -> datetime | None:
    """Queue the monthly report task for the next 1st, unless it is queued
    already. Returns when it will run, or None if nothing was queued."""
    when = monthly_report.next_send_time()
    if when is None:
        return None
    queued = schedule_once(send_monthly_reports, run_after=when)
    return queued.run_after if queued is not None and queued.new else None
