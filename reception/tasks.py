"""Background work of the night side: the morning report (R6.8).

`send_morning_reports` sends every site's report for its last finished night
and then queues itself for the next time a night ends, so once started
(`python manage.py send_morning_report --schedule`) the worker keeps it going.
Sending is idempotent, so a second chain or a cron job beside it sends nothing twice.
"""

from datetime import datetime, timedelta

from django_tasks import task

from reception import registers

# Let the night end (and the officer check the last visitors out) before sending.
REPORT_DELAY = timedelta(minutes=5)


@task()
def send_morning_reports() -> int:
    sent = registers.send_due_morning_reports()
    schedule_morning_reports()
    return sent


def _already_queued() -> bool:
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(send_morning_reports.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(task_path=send_morning_reports.module_path, status="READY").exists()


def schedule_morning_reports() -> datetime | None:
    """Queue the report task for when the next night ends, unless it is queued
    already. Returns when it will run, or None if nothing was queued."""
    backend = send_morning_reports.get_backend()
    when = registers.next_report_time()
    if when is None or not backend.supports_defer or _already_queued():
        return None
    send_morning_reports.using(run_after=when + REPORT_DELAY).enqueue()
    return when + REPORT_DELAY
