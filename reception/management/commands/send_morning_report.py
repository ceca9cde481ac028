"""Email the morning report (R6.8) to the office directors.

    python manage.py send_morning_report                 # every site, its last finished night
    python manage.py send_morning_report --site hq --date 2026-11-27
    python manage.py send_morning_report --schedule      # let the worker send it each morning

Idempotent per site, night and director: run it from cron as often as you like.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reception import morning_report
from reception.errors import ReceptionError
from reception.models import Site
from reception.tasks import schedule_morning_reports, send_morning_report


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date {value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Email the morning report of the last finished night to each site's office directors."

    def add_arguments(self, parser):
        parser.add_argument("--site", help="Only this site (its short name).")
        parser.add_argument(
            "--date", type=_day, help="The morning the night ended (YYYY-MM-DD); default: the last night."
        )
        parser.add_argument(
            "--schedule", action="store_true", help="Queue the background task for the next night's end and stop."
        )

    def handle(self, *args, site=None, date=None, schedule=False, **options):
        if schedule:
            when = schedule_morning_reports()
            if when is None:
                self.stdout.write("The morning report is already queued (or no background worker can defer tasks).")
            else:
                self.stdout.write(self.style.SUCCESS(f"The morning report will be sent at {when:%Y-%m-%d %H:%M} UTC."))
            return
        sites = Site.objects.all()
        if site:
            sites = sites.filter(slug=site)
            if not sites.exists():
                raise CommandError(f"No site with the short name {site!r}.")
        total = 0
        for one in sites:
            day = date or morning_report.last_finished_night_day(one)
            try:
                sent = send_morning_report(site=one, day=day)
            except ReceptionError as error:
                raise CommandError(f"{one.name}: {error.message}") from None
            total += sent
            self.stdout.write(f"{one.name}, night to {day:%Y-%m-%d}: {sent} sent.")
        self.stdout.write(self.style.SUCCESS(f"{total} morning report(s) sent."))
