"""Demo data: one site run by the rules of R1, a user per duty, and a day of visits.

Idempotent: a second run finds everything in place and changes nothing.
"""

import secrets
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from reception import registers, rulebook
from reception.models import (
    Department,
    Duty,
    DutyCode,
    EscalationStep,
    IncidentKind,
    KioskDevice,
    LostItem,
    ReceptionRoom,
    RosterEntry,
    RulesVersion,
    Site,
    StaffProfile,
    VisitorCategory,
)
from reception.morning_report import last_finished_night_day
from reception.night import night_ending_on
from reception.roles import DUTY_GROUPS, OFFICE_MANAGER
from visitors import agreements, links, services, watchlist
from visitors.escalation import DEFAULT_CHAIN
from visitors.models import Agreement, AgreementKind, Visit, Visitor, VisitSource, WatchlistEntry

PASSWORD = "lobby-demo"

PRIVACY_EN = (
    "Headquarters Base records your name, company and phone number to keep everyone on site safe and to tell "
    "your host you have arrived. Only reception staff see them; they are deleted 180 days after your visit."
)
PRIVACY_ZH = "总部基地登记您的姓名、公司和电话，用于保障现场安全并通知接待人。仅接待人员可见；来访180天后删除。"

# Issue #19: the visitor NDA of the demo site's walk-ins.
NDA_TITLE_EN = "Visitor non-disclosure agreement"
NDA_TITLE_ZH = "访客保密协议"
NDA_EN = """While on our premises you may see or hear information that is not public:
products, plans, customers and people. You agree to keep it to yourself, not to
photograph or record anything without your host's permission, and to hand back
any documents you were given before you leave. This agreement holds for two
years after your visit."""
NDA_ZH = """在我方场所内，您可能看到或听到未公开的信息，包括产品、计划、客户和人员。
您同意对此保密；未经接待人许可，不拍照、不录音录像；离开前归还所获得的所有文件。
本协议自来访之日起两年内有效。"""

# The first version of the written rules (issue #22), after docs/reception-rules.md.
RULES_EN = """## Who we receive, and where

- VIP guests (category A) are met in the Culture Pavilion, business visitors (B) in the Business Room,
  everyone else (C) in the Lounge. The general manager's office may receive anyone.
- Never seat a visitor in a room their category is not allowed in.

## Telling the host

- Every arrival is announced to the host at once. The host answers within **30 minutes**;
  if nobody does, the secretary and then the office director are told.

## At night

- From 20:00 to 08:00 only the rostered **night-duty officer** registers visitors, sights an ID
  and calls the host or an escort. The kiosk is closed at night.

## Records

- Every visit is registered before the visitor goes in. Corrections are made by amending the visit,
  never by deleting it.
"""
RULES_ZH = """## 接待对象与接待地点

- 贵宾（A类）在文化馆接待，商务访客（B类）在商务室，其他访客（C类）在休闲厅。总经理办公室可接待任何访客。
- 不得将访客安排在其类别不允许的接待室。

## 通知接待人

- 每位访客到达即通知接待人。接待人须在**30分钟**内确认；无人确认时依次通知秘书和办公室主任。

## 夜间

- 20:00至次日08:00仅由轮值的**夜间值班员**登记访客、查验证件并联系接待人或陪同人员。夜间自助终端关闭。

## 记录

- 访客进入前必须登记。更正通过修改来访记录完成，不得删除。
"""
HOUSE_RULES_EN = """- Please wear your visitor badge where it can be seen.
- Stay with your host or escort outside the reception rooms.
- Return your badge at the desk or the kiosk when you leave.
"""
HOUSE_RULES_ZH = """- 请将访客证佩戴在明显位置。
- 离开接待室时请由接待人或陪同人员陪同。
- 离开时请在前台或自助终端交还访客证。
"""

# The Chinese names and address beside the English ones (issue #16 item 14).
SITE_ZH = {"name_zh": "总部基地", "address_zh": "大堂路1号"}
CATEGORIES_ZH = {"A": "贵宾", "B": "商务", "C": "普通"}
ROOMS_ZH = {
    "Culture Pavilion": "文化馆",
    "Business Room": "商务室",
    "Lounge": "休闲厅",
    "General Manager's Office": "总经理办公室",
}
DEPARTMENTS_ZH = {"Administration": "行政部", "Front Desk": "前台", "Security": "安保部", "Sales": "销售部"}

CATEGORIES = [
    (
        "A",
        "VIP",
        "Important guests of company leaders, key customers, foreign guests, delegations, government.",
        True,
        True,
    ),
    ("B", "Business", "Sales and marketing customers.", False, False),
    ("C", "Ordinary", "Everyone else.", False, False),
]

# Issue #19 (A13): code, name, who belongs here, Chinese name; walk-ups wait for the host's approval.
CONTRACTOR = ("D", "Contractor", "Contractors and service staff without an appointment.", "承包商")
# Issue #19: one person the demo's security wants held at the door.
WATCHLISTED = {
    "name": "Wang Qiang",
    "aliases": "王强",
    "phone": "+86 139 0000 4444",
    "company": "",
    "reason": "Banned after threatening the reception staff (demo entry).",
    "level": "deny",
}

# name, capacity, exclusive, categories, any_category (R1.3)
ROOMS = [
    ("Culture Pavilion", 12, True, ["A"], False),
    ("Business Room", 8, False, ["B"], False),
    ("Lounge", 20, False, ["C"], False),
    ("General Manager's Office", 4, True, [], True),
]

# username, real name, department, group, is_staff
USERS = [
    ("manager", "Wang Fang", "Administration", OFFICE_MANAGER, True),
    ("director", "Li Qiang", "Administration", DUTY_GROUPS[DutyCode.DIRECTOR], False),
    ("clerk", "Zhang Wei", "Front Desk", DUTY_GROUPS[DutyCode.CLERK], False),
    ("night", "Liu Yang", "Front Desk", DUTY_GROUPS[DutyCode.NIGHT_OFFICER], False),
    ("security", "Chen Jie", "Security", DUTY_GROUPS[DutyCode.SECURITY], False),
    ("secretary", "Zhao Min", "Administration", DUTY_GROUPS[DutyCode.SECRETARY], False),
    ("host", "Sun Li", "Sales", DUTY_GROUPS[DutyCode.HOST], False),
]

# What the night officer records when a demo visitor arrives at night (R6.8).
NIGHT_FACTS = services.NightFacts(id_sighted=True, id_sighted_type="national_id", host_contacted=True)

# full name, company, phone, category, room, party, purpose, state, minutes from now
VISITS = [
    (
        "Hans Müller",
        "Bergmann GmbH",
        "+49 30 1234567",
        "A",
        "Culture Pavilion",
        3,
        "Delegation: partnership talks",
        "on_site",
        -40,
    ),
    ("周杰", "华信贸易", "13800138000", "B", "Business Room", 1, "Quarterly order review", "on_site", -12),
    ("Maria Rossi", "Rossi Design", "+39 06 5551234", "C", "Lounge", 1, "Job interview", "left", -180),
    ("王小明", "", "13912345678", "C", "Lounge", 2, "Delivery of documents", "left", -150),
    (
        "Kenji Tanaka",
        "Tanaka Industries",
        "+81 3 5550123",
        "B",
        "Business Room",
        2,
        "Product demonstration",
        "expected",
        60,
    ),
    ("李娜", "市商务局", "13700001111", "A", "Culture Pavilion", 4, "Government inspection", "expected", 120),
]


class Command(BaseCommand):
    help = "Create demo data: a site, rooms, categories, a user per duty (password lobby-demo) and a day of visits."

    def add_arguments(self, parser):
        parser.add_argument("--allow-production", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("seed_demo creates accounts with a public password; refusing with DEBUG off.")
        with transaction.atomic():
            site = self.seed_site()
            users = self.seed_users(site)
            self.seed_roster(site, users)
            self.seed_visits(site, users)
            self.seed_registers(site, users)
            self.seed_security_at_the_door(site, users)
            kiosk = self.seed_public_side(site)
            self.seed_written_rules(site, users)
            self.seed_agreements(site)
        self.stdout.write(self.style.SUCCESS(f"Demo site: {site.name}. Accounts (password {PASSWORD}):"))
        for username, real_name, department, group, _ in USERS:
            self.stdout.write(f"  {username:<10} {department}-{real_name} ({group})")
        if apps.is_installed("customers"):
            # The sales floor (R2) is an app above this one: called by name only.
            call_command("seed_sales_demo", allow_production=allow_production, stdout=self.stdout)
        enrol = links.kiosk_enrolment_url(kiosk)
        self.stdout.write(f"Lobby kiosk: open {enrol} on the tablet (or this browser) to enrol it.")

    def seed_written_rules(self, site: Site, users) -> None:
        """The first version of the written rules (issue #22), once."""
        if site.rules_versions.exists():
            return
        rulebook.publish_rules_version(
            version=RulesVersion(
                site=site,
                effective_from=timezone.localdate(),
                summary="First version",
                body_en=RULES_EN,
                body_zh=RULES_ZH,
                house_rules_en=HOUSE_RULES_EN,
                house_rules_zh=HOUSE_RULES_ZH,
            ),
            by=None,
        )

    def seed_agreements(self, site: Site) -> None:
        """Issue #19: the NDA every walk-in (category C, the kiosk's) signs, in
        both languages, once."""
        category = site.categories.get(code="C")
        if Agreement.objects.filter(category=category, kind=AgreementKind.NDA).exists():
            return
        nda = Agreement.objects.create(site=site, category=category, kind=AgreementKind.NDA, validity_days=365)
        agreements.publish_version(
            agreement=nda, title_en=NDA_TITLE_EN, title_zh=NDA_TITLE_ZH, text_en=NDA_EN, text_zh=NDA_ZH, by=None
        )

    def seed_security_at_the_door(self, site: Site, users: dict) -> None:
        """Issue #19: a Contractor category whose walk-ups wait for the host's
        approval (A13), received in the Business Room, and one watchlist
        entry security is told about (a walk-in named Wang Qiang or 王强 is
        held for security). Each made once; a manager's later edits stay."""
        contractor, created = VisitorCategory.objects.get_or_create(
            site=site,
            code=CONTRACTOR[0],
            defaults={"name": CONTRACTOR[1], "description": CONTRACTOR[2], "walk_ups_need_approval": True},
        )
        _fill_blank(contractor, name_zh=CONTRACTOR[3])
        if created:
            room = ReceptionRoom.objects.filter(site=site, name="Business Room").first()
            if room is not None:
                room.categories.add(contractor)
        entry, created = WatchlistEntry.objects.get_or_create(
            site=site, name=WATCHLISTED["name"], defaults={**WATCHLISTED, "added_by": users.get("security")}
        )
        if created:
            watchlist.index_entry(entry)

    def seed_public_side(self, site: Site) -> KioskDevice:
        """R3.2 escalation chains (host, secretary, office director), a privacy
        notice in both languages and one kiosk. No notification channel: the
        demo notifies by email only (printed on the console)."""
        duties = {duty.code: duty for duty in Duty.objects.all()}
        for category in site.categories.all():
            if not category.escalation_steps.exists():
                EscalationStep.objects.bulk_create(
                    EscalationStep(
                        category=category,
                        position=step.position,
                        duty=duties[step.duty],
                        delay_minutes=step.delay_minutes,
                    )
                    for step in DEFAULT_CHAIN
                )
        if not site.privacy_notice_en and not site.privacy_notice_zh:
            site.privacy_notice_en = PRIVACY_EN
            site.privacy_notice_zh = PRIVACY_ZH
            site.save(update_fields=["privacy_notice_en", "privacy_notice_zh"])
        kiosk, _ = KioskDevice.objects.get_or_create(
            site=site, name="Lobby kiosk", defaults={"token": secrets.token_urlsafe(32)}
        )
        return kiosk

    def seed_site(self) -> Site:
        site, _ = Site.objects.get_or_create(
            slug="hq",
            defaults={"name": "Headquarters Base", "desk_phone": "+86 10 8888 0000", "address": "1 Lobby Road"},
        )
        _fill_blank(site, **SITE_ZH)
        categories = {}
        for code, name, description, escort, notify in CATEGORIES:
            categories[code], _ = VisitorCategory.objects.get_or_create(
                site=site,
                code=code,
                defaults={
                    "name": name,
                    "description": description,
                    "escort_required": escort,
                    "notify_director_on_arrival": notify,
                },
            )
            _fill_blank(categories[code], name_zh=CATEGORIES_ZH[code])
        for order, (name, capacity, exclusive, codes, any_category) in enumerate(ROOMS):
            room, created = ReceptionRoom.objects.get_or_create(
                site=site,
                name=name,
                defaults={
                    "capacity": capacity,
                    "exclusive": exclusive,
                    "any_category": any_category,
                    "sort_order": order,
                },
            )
            if created:
                room.categories.set([categories[c] for c in codes])
            _fill_blank(room, name_zh=ROOMS_ZH[name])
        return site

    def seed_users(self, site: Site) -> dict:
        User = get_user_model()
        users = {}
        for name, name_zh in DEPARTMENTS_ZH.items():
            _fill_blank(Department.objects.get_or_create(name=name)[0], name_zh=name_zh)
        for username, real_name, department, group, is_staff in USERS:
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": is_staff})
            if created:
                user.set_password(PASSWORD)
                user.email = f"{username}@lobby.example"
                user.save()
                user.groups.add(Group.objects.get(name=group))
                StaffProfile.objects.create(
                    user=user,
                    site=site,
                    real_name=real_name,
                    department=Department.objects.get_or_create(name=department)[0],
                )
            users[username] = user
        return users

    def seed_roster(self, site: Site, users: dict) -> None:
        """Day shifts 08:00-20:00 and night duty 20:00-08:00, yesterday to tomorrow."""
        tz = site.tzinfo
        today = timezone.now().astimezone(tz).date()
        day_duties = [
            (DutyCode.CLERK, "clerk"),
            (DutyCode.SECURITY, "security"),
            (DutyCode.SECRETARY, "secretary"),
            (DutyCode.DIRECTOR, "director"),
            (DutyCode.HOST, "host"),
        ]
        for offset in (-1, 0, 1):
            day = today + timedelta(days=offset)
            morning = datetime.combine(day, site.night_ends, tzinfo=tz)
            evening = datetime.combine(day, site.night_starts, tzinfo=tz)
            next_morning = datetime.combine(day + timedelta(days=1), site.night_ends, tzinfo=tz)
            for code, username in day_duties:
                RosterEntry.objects.get_or_create(
                    site=site,
                    duty=Duty.objects.get(code=code),
                    user=users[username],
                    starts_at=morning,
                    defaults={"ends_at": evening},
                )
            RosterEntry.objects.get_or_create(
                site=site,
                duty=Duty.objects.get(code=DutyCode.NIGHT_OFFICER),
                user=users["night"],
                starts_at=evening,
                defaults={"ends_at": next_morning},
            )

    def seed_visits(self, site: Site, users: dict) -> None:
        if Visit.objects.filter(site=site).exists():
            return
        now = timezone.now().replace(second=0, microsecond=0)
        rooms = {room.name: room for room in site.rooms.all()}
        categories = {c.code: c for c in site.categories.all()}

        def desk_user(at):
            return users["night"] if site.in_night_window(at) else users["clerk"]

        for name, company, phone, code, room, party, purpose, state, minutes in VISITS:
            at = now + timedelta(minutes=minutes)
            visitor = Visitor(full_name=name, company=company, phone=phone)
            visit = Visit(
                category=categories[code],
                room=rooms[room],
                party_size=party,
                purpose=purpose,
                host=users["host"],
                department=users["host"].profile.department,
                source=VisitSource.DESK,
                refreshments=code in "AB",
                meals=code == "A",
            )
            if state == "expected":
                visit.expected_at = at
                services.register_visit(
                    visit=visit,
                    visitor=visitor,
                    by=users["secretary"],
                    arrive_now=False,
                    at=now - timedelta(days=1, hours=-10),
                )
                continue
            services.register_visit(
                visit=visit, visitor=visitor, by=desk_user(at), arrive_now=True, night_facts=NIGHT_FACTS, at=at
            )
            if state == "left":
                leave = at + timedelta(minutes=75)
                services.check_out_visit(visit=visit, by=desk_user(leave), at=leave)

    def seed_registers(self, site: Site, users: dict) -> None:
        """Last night's lost item and incident, and the night officer's handover
        waiting for the morning clerk (R6.2, R6.5, R6.6)."""
        if LostItem.objects.filter(site=site).exists():
            return
        night = night_ending_on(site, last_finished_night_day(site))
        registers.record_lost_item(
            site=site,
            by=users["night"],
            description="Black umbrella",
            found_at=night.start + timedelta(hours=2),
            found_where="Lounge, by the window",
            found_by="Security-Chen Jie",
            stored_where="Front desk, drawer 2",
            at=night.start + timedelta(hours=2, minutes=5),
        )
        registers.report_incident(
            site=site,
            by=users["security"],
            kind=IncidentKind.REST_AREA,
            description="A visitor fell asleep in the rest area; woken and shown out.",
            location="Rest area, ground floor",
            occurred_at=night.start + timedelta(hours=3),
            at=night.start + timedelta(hours=3, minutes=10),
        )
        registers.write_handover(
            site=site,
            by=users["night"],
            open_items="Courier for the Sales department expected at 09:00.",
            incidents="Rest-area incident overnight, see the incident register.",
            keys_and_items="Server room key; visitor badge box.",
            at=night.end - timedelta(minutes=5),
        )


def _fill_blank(obj, **values) -> None:
    """Set the fields that are still empty, so a database seeded before they
    existed gets them too, and one the office manager edited keeps its values."""
    blank = {field: value for field, value in values.items() if not getattr(obj, field)}
    if blank:
        for field, value in blank.items():
            setattr(obj, field, value)
        obj.save(update_fields=list(blank))
