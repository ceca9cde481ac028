"""Demo data for the sales floor (R2, R9.2, R10.1): a floor manager, three
salespeople on the roster and in the rotation, customers in each tier and a
week of calls; and customer care's last month (R5, R10.2-R10.3; issue #18):
complaints at every stage, two of them major, one written with its letter
(a small generated PDF), and follow-ups done and due. Called by reception's
seed_demo when this app is installed.

Idempotent: a second run finds everything in place and changes nothing.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from customers import calls, complaints, followups, services
from customers.models import (
    Call,
    Complaint,
    ComplaintChannel,
    ComplaintHandler,
    Customer,
    FollowUp,
    RotationMember,
    RotationQueue,
    Severity,
    Tier,
)
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

# customer, channel, severity, department, stage, days ago, what they said
COMPLAINTS = [
    ("周杰", ComplaintChannel.PHONE, Severity.MAJOR, "After-sales", "closed", 29, "The delivered unit does not start."),
    (
        "Hans Müller",
        ComplaintChannel.WRITTEN,
        Severity.GENERAL,
        "After-sales",
        "closed",
        26,
        "Invoice in the wrong currency.",
    ),
    (
        "陈静",
        ComplaintChannel.IN_PERSON,
        Severity.GENERAL,
        "Sales",
        "closed",
        22,
        "Waited forty minutes for a salesperson.",
    ),
    (
        "Ana Lima",
        ComplaintChannel.ONLINE,
        Severity.GENERAL,
        "After-sales",
        "closed",
        18,
        "Spare part sent to the old address.",
    ),
    ("周杰", ComplaintChannel.PHONE, Severity.GENERAL, "Sales", "replied", 12, "Quote differs from the price list."),
    (
        "Hans Müller",
        ComplaintChannel.IN_PERSON,
        Severity.MAJOR,
        "After-sales",
        "routed",
        8,
        "Installation damaged the floor.",
    ),
    ("陈静", ComplaintChannel.PHONE, Severity.GENERAL, "", "open", 3, "Nobody called back about the brochure."),
    ("Ana Lima", ComplaintChannel.ONLINE, Severity.GENERAL, "Sales", "routed", 1, "Online form lost the order notes."),
]

# customer, due days ago (negative: still ahead), satisfaction when done (None: not yet)
FOLLOW_UPS = [
    ("周杰", 25, 4),
    ("Hans Müller", 20, 3),
    ("Ana Lima", 14, 5),
    ("陈静", 9, None),
    ("周杰", 2, None),
    ("Hans Müller", -5, None),
]


DEPARTMENTS_ZH = {"After-sales": "售后服务部", "Sales": "销售部"}


def demo_letter(text: str) -> bytes:
    """A one-page PDF reading `text`: enough for a scanned letter in the demo."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


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
            self.seed_care(site, users)
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

    def seed_care(self, site: Site, users: dict) -> None:
        """Last month's complaints at each stage and follow-ups done and due
        (issue #18), through the services, so each is audited as at the desk.
        Once: a site with complaints already is left alone."""
        if Complaint.objects.filter(site=site).exists() or FollowUp.objects.filter(site=site).exists():
            return
        User = get_user_model()
        staff = {user.username: user for user in User.objects.filter(username__in=["clerk", "director", "host"])}
        desk = staff.get("clerk", users["floor"])
        director = staff.get("director", users["floor"])
        handlers = {"After-sales": staff.get("host", users["floor"]), "Sales": users["floor"]}
        for name, handler in handlers.items():
            department = Department.objects.get_or_create(name=name, defaults={"name_zh": DEPARTMENTS_ZH[name]})[0]
            ComplaintHandler.objects.get_or_create(
                site=site, department=department, user=handler, defaults={"is_head": True}
            )
        customers = {customer.name: customer for customer in Customer.objects.filter(site=site)}
        now = timezone.now()
        for name, channel, severity, department, stage, days, heard in COMPLAINTS:
            at = now - timedelta(days=days)
            letter = None
            if channel == ComplaintChannel.WRITTEN:
                letter = SimpleUploadedFile("letter.pdf", demo_letter(heard), content_type="application/pdf")
            complaint = complaints.open_complaint(
                site=site,
                by=desk,
                customer=customers[name],
                channel=channel,
                severity=severity,
                heard=heard,
                department=Department.objects.get(name=department) if department else None,
                handler=handlers.get(department),
                letter=letter,
                at=at,
            )
            if severity == Severity.MAJOR:
                complaints.acknowledge(complaint=complaint, by=director, at=at + timedelta(minutes=12))
            if stage in {"replied", "closed"}:
                reply_letter = None
                if channel == ComplaintChannel.WRITTEN:
                    reply_letter = SimpleUploadedFile(
                        "reply.pdf", demo_letter("Our reply to your letter"), content_type="application/pdf"
                    )
                complaints.record_reply(
                    complaint=complaint,
                    by=complaint.handler or desk,
                    reply="Apologised and explained what happens next.",
                    reply_letter=reply_letter,
                    at=at + timedelta(hours=3 + days % 5),
                )
            if stage == "closed":
                complaints.close(
                    complaint=complaint,
                    by=desk,
                    outcome="Settled to the customer's satisfaction.",
                    at=at + timedelta(days=2),
                )
        for name, days_ago, satisfaction in FOLLOW_UPS:
            customer = customers[name]
            due_on = timezone.localdate(now, site.tzinfo) - timedelta(days=days_ago)
            scheduled = now - timedelta(days=max(days_ago, 0) + 30)
            follow_up = followups.schedule_follow_up(
                customer=customer, by=desk, due_on=due_on, assigned_to=customer.owner or desk, at=scheduled
            )
            if satisfaction is not None:
                followups.complete_follow_up(
                    follow_up=follow_up,
                    by=follow_up.assigned_to,
                    satisfaction=satisfaction,
                    shortcomings="Wants quicker answers on the phone.",
                    at=now - timedelta(days=days_ago),
                )
