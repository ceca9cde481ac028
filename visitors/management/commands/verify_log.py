"""Tamper evidence for the audit trail (R6.4): walk each site's hash chain."""

from django.core.management.base import BaseCommand, CommandError

from reception.models import Site
from visitors.audit import verify_chain


class Command(BaseCommand):
    help = (
        "Recompute every audit event's hash, site by site, and check the sequence and the links between "
        "events. Exits non-zero and names the first broken link if the log was altered."
    )

    def add_arguments(self, parser):
        parser.add_argument("--site", metavar="SLUG", help="Check one site only (its short name).")

    def handle(self, *args, site=None, **options):
        sites = Site.objects.order_by("slug")
        if site:
            sites = sites.filter(slug=site)
            if not sites.exists():
                raise CommandError(f"No site with the short name {site!r}.")
        broken, total, checked = [], 0, 0
        for each in sites:
            report = verify_chain(each)
            checked += 1
            if report.intact:
                total += report.count
                head = f"head #{report.head_seq} {report.head_hash[:16]}" if report.count else "no events yet"
                self.stdout.write(f"{each.slug}: {report.count} events, chain intact ({head})")
            else:
                broken.append(report)
                self.stderr.write(
                    f"{each.slug}: BROKEN at event #{report.broken_seq} (audit event id {report.broken_id}): "
                    f"{report.problem}. {report.count} events before it are intact."
                )
        if broken:
            raise CommandError(f"The audit trail of {len(broken)} of {checked} site(s) is broken; see above.")
        self.stdout.write(self.style.SUCCESS(f"OK: {checked} site(s), {total} events, every chain intact."))
