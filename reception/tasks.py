"""Background work of the night side: sending the morning report (R6.8).

`send_morning_reports` sends every site's report for its last finished night
and then queues itself for the next time a night ends, so once started
(`python manage.py send_morning_report --schedule`) the worker keeps it going.
Each email is a Notification delivered by visitors.tasks.deliver_notification,
the path every message takes: one claim rule, one retry schedule, one limit of
attempts. Sending is idempotent, so a second chain or a cron job beside it
sends nothing twice.
"""

from datetime import date, datetime, timedelta

from django.utils import timezone
from django_tasks import task

from reception import morning_report
from reception.models import Site
from reception.scheduling import schedule_once
from visitors.models import Notification
from visitors.tasks import deliver_notification

# Let the night end (and the officer check the last visitors out) before sending.
REPORT_DELAY = timedelta(minutes=5)


def send_morning_report(*, site: Site, day: date, at: datetime | None = None) -> int:
    """Email the morning report for the night ending on `day` to the site's
    office directors. Returns how many messages went out this time.

    Idempotent per site, night and recipient (morning_report.report_notifications):
    a second run sends nothing again. A message not yet delivered is attempted
    on every run, and a failure is also retried by the worker on
    notify.RETRY_SCHEDULE, up to notify.MAX_ATTEMPTS in all. Refuses, with
    ReceptionError("night_not_over"), a night that is not over yet.
    """
    pending = morning_report.report_notifications(site=site, day=day, at=at)
    statuses = [deliver_notification.call(pk) for pk in pending]
    return statuses.count(Notification.Status.SENT)


def send_due_morning_reports(at: datetime | None = None) -> int:
    """Send every site's report for its last finished night; safe to run often."""
    at = at or timezone.now()
    return sum(
        send_morning_report(site=site, day=morning_report.last_finished_night_day(site, at), at=at)
        for site in Site.objects.all()
    )


@task()
def send_morning_reports() -> int:
    sent = send_due_morning_reports()
    schedule_morning_reports()
    return sent


def schedule_morning_reports() -> datetime | None:
    """Queue the report task for when the next night ends, unless it is queued
    already. Returns when it will run, or None if nothing was queued."""
    when = morning_report.next_report_time()
    if when is None:
        return None
    queued = schedule_once(send_morning_reports, run_after=when + REPORT_DELAY)
    return queued.run_after if queued is not None and queued.new else None
