"""Retention (R4.1, storage limitation): anonymise visitors past their sites'
retention periods, and make sure the daily run is queued on the task worker."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from visitors.privacy import purge_expired, schedule_daily_purge


class Command(BaseCommand):
    help = (
        "Anonymise the identity of every visitor whose visits are all past their site's retention period "
        "(none on legal hold, none on site). Idempotent. Also queues the daily purge on the task worker "
        "unless --no-schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count who would be anonymised.")
        parser.add_argument("--no-schedule", action="store_true", help="Do not queue the daily purge task.")

    def handle(self, *args, dry_run=False, no_schedule=False, **options):
        report = purge_expired(dry_run=dry_run)
        verb = "would be anonymised" if dry_run else "anonymised"
        self.stdout.write(f"{report.anonymised} visitor(s) past retention {verb}.")
        if report.held:
            self.stdout.write(f"{report.held} visitor(s) past retention kept: a visit is under legal hold.")
        if dry_run or no_schedule:
            return
        due = schedule_daily_purge()
        if due is None:
            self.stdout.write(self.style.WARNING("The daily purge is not scheduled: TASKS is not the database queue."))
        else:
            self.stdout.write(f"Next daily purge queued for {timezone.localtime(due):%Y-%m-%d %H:%M %Z}.")
