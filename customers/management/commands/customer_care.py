"""Customer care's background work, for cron or the worker (issue #18):

    python manage.py customer_care            # escalate overdue major complaints (R5.2), send today's digests
    python manage.py customer_care --schedule # let the worker send the digest every morning

Idempotent: a major complaint is escalated once, a person gets one digest a day.
"""

from django.core.management.base import BaseCommand

from customers.tasks import escalate_overdue_complaints, schedule_daily_digests, send_digests


class Command(BaseCommand):
    help = "Escalate unacknowledged major complaints and send the daily due-work digests."

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help="Queue the daily digest task for the next morning.")

    def handle(self, *args, schedule=False, **options):
        if schedule:
            when = schedule_daily_digests()
            if when is None:
                self.stdout.write("The daily digest is already queued (or no background worker can defer tasks).")
            else:
                self.stdout.write(self.style.SUCCESS(f"The daily digest will be sent at {when:%Y-%m-%d %H:%M} UTC."))
            return
        escalated = escalate_overdue_complaints()
        sent = send_digests()
        self.stdout.write(f"{escalated} escalation(s) and {sent} digest(s) sent.")
