"""Demo data for the sales floor (R2, R9.2, R10.1): a floor manager, three
salespeople on the roster and in the rotation, customers in each tier and a
week of calls. Called by reception's seed_demo when this app is installed.

Idempotent: a second run finds everything in place and changes nothing.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from customers import calls, services
from customers.models import Call, Customer, RotationMember, RotationQueue, Tier
from reception.models import Department, Duty, DutyCode, RosterEntry, Site, StaffProfile
from reception.roles import DUTY_GROUPS

PASSWORD = "lobby-demo"

# username, real name, duty
SALES_TEAM = [
    ("floor", "Huang Lei", DutyCode.FLOOR_MANAGER),
    ("salesperson", "Zhou Min", DutyCode.SALESPERSON),
    ("sales2", "Wu Hao", DutyCode.SALESPERSON),
    ("sales3", "Xu Jing", DutyCode.SALESPERSON),
]

# name, company, phone, tier, owner
CUSTOMERS = [
    ("周杰", "华信贸易", "13800138000", Tier.GOLD, "salesperson"),
    ("Hans Müller", "Bergmann GmbH", "+49 30 1234567", Tier.IMPORTANT, "sales2"),
    ("陈静", "", "13611112222", Tier.GENERAL, None),
    ("Ana Lima", "Lima Imports", "+55 11 5550 1234", Tier.GENERAL, "sales3"),
]

# caller, phone, topic, asked for, days ago
CALLS = [
    ("周杰", "13800138000", "enquiry", "salesperson", 6),
    ("Mr Gao", "13511113333", "enquiry", None, 5),
    ("Hans Müller", "+49 30 1234567", "after_sales", None, 4),
    ("Ms Qian", "13722224444", "feedback", None, 3),
    ("陈静", "13611112222", "complaint", None, 2),
    ("Mr Sun", "13933335555", "enquiry", "sales3", 1),
]


class Command(BaseCommand):
    help = "Create the sales floor's demo data (password lobby-demo); run by seed_demo."

    def add_arguments(self, parser):
        parser.add_argument("--allow-production", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("seed_sales_demo creates accounts with a public password; refusing with DEBUG off.")
        site = Site.objects.filter(slug="hq").first()
        if site is None:
            raise CommandError("Run seed_demo first: the sales floor joins its demo site.")
        with transaction.atomic():
            users = self.seed_team(site)
            self.seed_roster(site, users)
            self.seed_queue(site, users)
            self.seed_customers_and_calls(site, users)
        for username, real_name, duty in SALES_TEAM:
            self.stdout.write(f"  {username:<11} Sales-{real_name} ({DUTY_GROUPS[duty]})")

    def seed_team(self, site: Site) -> dict:
        User = get_user_model()
        users = {}
        for username, real_name, duty in SALES_TEAM:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(PASSWORD)
                user.email = f"{username}@lobby.example"
                user.save()
                user.groups.add(Group.objects.get(name=DUTY_GROUPS[duty]))
                StaffProfile.objects.create(
                    user=user,
                    site=site,
                    real_name=real_name,
                    department=Department.objects.get_or_create(name="Sales")[0],
                )
            users[username] = user
        return users

    def seed_roster(self, site: Site, users: dict) -> None:
        """The day shift (the end of the night to its start), a week back to tomorrow."""
        tz = site.tzinfo
        today = timezone.now().astimezone(tz).date()
        for offset in range(-7, 2):
            day = today + timedelta(days=offset)
            morning = datetime.combine(day, site.night_ends, tzinfo=tz)
            evening = datetime.combine(day, site.night_starts, tzinfo=tz)
            for username, _, duty in SALES_TEAM:
                RosterEntry.objects.get_or_create(
                    site=site,
                    duty=Duty.objects.get(code=duty),
                    user=users[username],
                    starts_at=morning,
                    defaults={"ends_at": evening},
                )

    def seed_queue(self, site: Site, users: dict) -> None:
        queue, _ = RotationQueue.objects.get_or_create(site=site)
        if not queue.members.exists():
            RotationMember.objects.bulk_create(
                RotationMember(queue=queue, position=position, user=users[username])
                for position, (username, _, duty) in enumerate(
                    [row for row in SALES_TEAM if row[2] == DutyCode.SALESPERSON], start=1
                )
            )

    def seed_customers_and_calls(self, site: Site, users: dict) -> None:
        if Customer.objects.filter(site=site).exists() or Call.objects.filter(site=site).exists():
            return
        floor = users["floor"]
        for name, company, phone, tier, owner in CUSTOMERS:
            customer = services.create_customer(
                site=site, by=floor, name=name, company=company, phone=phone, confirm_duplicate=True
            )
            customer.tier = tier
            customer.owner = users[owner] if owner else None
            customer.save(update_fields=["tier", "owner"])
        today = timezone.now().astimezone(site.tzinfo).date()
        for caller, phone, topic, asked_for, days in CALLS:
            # Mid-morning of each past day, when the team was on the roster.
            at = datetime.combine(today - timedelta(days=days), site.night_ends, tzinfo=site.tzinfo) + timedelta(
                hours=2
            )
            calls.log_call(
                site=site,
                by=floor,
                caller=caller,
                phone=phone,
                customer=services.match_customer(site=site, phone=phone, name=caller, company=""),
                topic=topic,
                notes="",
                asked_for=users[asked_for] if asked_for else None,
                at=at,
            )
