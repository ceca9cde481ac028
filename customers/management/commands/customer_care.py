"""Customer care's background work, for cron or the worker (issue #18):

    python manage.py customer_care            # escalate overdue major complaints (R5.2), send today's digests
                                              # and, from the 1st, last month's complaint summary (R5.5)
    python manage.py customer_care --schedule # let the worker send the digest every morning and the summary each 1st

Idempotent: a major complaint is escalated once, a person gets one digest a
day, a director one summary a month.
"""

from django.core.management.base import BaseCommand

from customers.tasks import (
    escalate_overdue_complaints,
    schedule_complaint_summaries,
    schedule_daily_digests,
    send_digests,
    send_due_complaint_summaries,
)


class Command(BaseCommand):
    help = (
        "Escalate unacknowledged major complaints, send the daily due-work digests and the monthly complaint summary."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the daily digest task for the next morning and the summary task for the next 1st.",
        )

    def handle(self, *args, schedule=False, **options):
        if schedule:
            when = schedule_daily_digests()
            if when is None:
                self.stdout.write("The daily digest is already queued (or no background worker can defer tasks).")
            else:
                self.stdout.write(self.style.SUCCESS(f"The daily digest will be sent at {when:%Y-%m-%d %H:%M} UTC."))
            when = schedule_complaint_summaries()
            if when is None:
                self.stdout.write("The complaint summary is already queued (or no background worker can defer tasks).")
            else:
                self.stdout.write(
                    self.style.SUCCESS(f"The complaint summary will be sent at {when:%Y-%m-%d %H:%M} UTC.")
                )
            return
        escalated = escalate_overdue_complaints()
        sent = send_digests()
        summaries = send_due_complaint_summaries()
        self.stdout.write(f"{escalated} escalation(s), {sent} digest(s) and {summaries} summary email(s) sent.")
