"""Email the monthly insights report (issue #20) to the office directors.

    python manage.py send_monthly_report                     # every site, its last month
    python manage.py send_monthly_report --site hq --month 2026-11
    python manage.py send_monthly_report --schedule          # let the worker send it each 1st

Idempotent per site, month and director: run it from cron as often as you like.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reception.errors import ReceptionError
from reception.models import Site
from visitors import monthly_report
from visitors.tasks import schedule_monthly_reports, send_monthly_report


def _month(value: str) -> date:
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise CommandError(f"--month {value!r} is not a month (YYYY-MM).") from None


class Command(BaseCommand):
    help = "Email the insights of the last month to each site's office directors."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Only this site (its short name).")
        parser.add_argument("--month", type=_month, help="The month (YYYY-MM); default: the last one due.")
        parser.add_argument("--schedule", action="store_true", help="Queue the background task for the next 1st.")

    def handle(self, *args, site=None, month=None, schedule=False, **options):
        if schedule:
            when = schedule_monthly_reports()
            if when is None:
                self.stdout.write("The monthly report is already queued (or no background worker can defer tasks).")
            else:
                self.stdout.write(self.style.SUCCESS(f"The monthly report will be sent at {when:%Y-%m-%d %H:%M} UTC."))
            return
        sites = Site.objects.all()
        if site:
            sites = sites.filter(slug=site)
            if not sites.exists():
                raise CommandError(f"No site with the short name {site!r}.")
        for one in sites:
            first = month or monthly_report.last_due_month(one)
            try:
                sent = send_monthly_report(site=one, first=first)
            except ReceptionError as error:
                raise CommandError(f"{one.name}: {error.message}") from None
            self.stdout.write(f"{one.name}, {first:%Y-%m}: {sent} sent.")
