"""Shared fixtures, named like the people at the desk.

Markers: `postgres` tests run only on PostgreSQL and `browser` tests only where
Debian's Chromium is installed; each is skipped with a visible notice otherwise,
and CI (REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1) turns that skip into a failure.
"""

import os
import re
import secrets
from datetime import time, timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone, translation

from reception.models import Department, DutyCode, KioskDevice, ReceptionRoom, Site, StaffProfile, VisitorCategory
from reception.roles import DUTY_GROUPS, OFFICE_MANAGER, sync_roles

PASSWORD = "correct-horse-battery"
# Skip reasons start with these markers; the summary counts them (this works
# under pytest-xdist too, where skips are reported back to the controller).
SKIP_POSTGRES = "PostgreSQL-only test"
SKIP_BROWSER = "browser test"


def _required(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") is None:
        return
    if connection.vendor != "postgresql":
        if _required("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but the tests run on " + connection.vendor)
        pytest.skip(f"{SKIP_POSTGRES} (set DATABASE_URL=postgres://… to run it)")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL the visitor log refuses TRUNCATE (visitors migration 0003);
    the test database alone allows it, so transactional tests can flush."""
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            name = connection.ops.quote_name(connection.settings_dict["NAME"])
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER DATABASE {name} SET lobby.allow_truncate = 'on'")
                cursor.execute("SET lobby.allow_truncate = 'on'")


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    # Tests make many staff accounts and are not about hashing strength; the
    # default hasher costs about a second per test. Password validation (what a
    # user may choose) is unaffected.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_of_its_own(settings, tmp_path):
    # Scanned letters and replies (R5.4) a test uploads, or seed_demo makes,
    # stay in the test's own folder, never in the checkout's var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english_unless_asked(settings):
    # The active language is per thread and outlives a test that switched it
    # (a request in Chinese, a translation check); start every test in English.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def pytest_configure(config):
    """LOBBY_TEST_CLOCK="2026-12-05 23:00:00+08:00" runs the suite as if the
    wall clock read that (ticking on from it): a test that leaves the clock
    alone must pass at any hour, and CI may well run at night in the demo
    sites' time zone, when R6.8 refuses walk-ins. Tests that set the clock
    (the time_machine fixture) still set it."""
    clock = os.environ.get("LOBBY_TEST_CLOCK")
    if clock:
        import time_machine

        time_machine.travel(clock, tick=True).start()


def pytest_terminal_summary(terminalreporter):
    reasons = [str(report.longrepr) for report in terminalreporter.stats.get("skipped", [])]
    for kind, marker in (("PostgreSQL", SKIP_POSTGRES), ("browser", SKIP_BROWSER)):
        count = sum(marker in reason for reason in reasons)
        if count:
            terminalreporter.write_sep(
                "!", f"NOTICE: {count} {kind} test(s) skipped here; CI runs them (see README 'Tests')", yellow=True
            )


# --- the site and its rooms (R1.2, R1.3) -------------------------------------


@pytest.fixture
def site(db):
    return Site.objects.create(name="Headquarters Base", slug="hq", night_starts=time(20), night_ends=time(8))


@pytest.fixture
def other_site(db):
    return Site.objects.create(name="River Branch", slug="river")


@pytest.fixture
def vip(site):
    return VisitorCategory.objects.create(site=site, code="A", name="VIP", escort_required=True)


@pytest.fixture
def business(site):
    return VisitorCategory.objects.create(site=site, code="B", name="Business")


@pytest.fixture
def ordinary(site):
    return VisitorCategory.objects.create(site=site, code="C", name="Ordinary")


def _room(site, name, capacity, categories, **extra):
    room = ReceptionRoom.objects.create(site=site, name=name, capacity=capacity, **extra)
    room.categories.set(categories)
    return room


@pytest.fixture
def culture_pavilion(site, vip):
    return _room(site, "Culture Pavilion", 12, [vip], exclusive=True)


@pytest.fixture
def business_room(site, business):
    return _room(site, "Business Room", 8, [business])


@pytest.fixture
def lounge(site, ordinary):
    return _room(site, "Lounge", 20, [ordinary])


@pytest.fixture
def gm_office(site):
    return _room(site, "General Manager's Office", 4, [], any_category=True, exclusive=True)


@pytest.fixture
def rooms(culture_pavilion, business_room, lounge, gm_office):
    """All four rooms of the demo site, for tests that need the whole house."""
    return [culture_pavilion, business_room, lounge, gm_office]


# --- people --------------------------------------------------------------------


@pytest.fixture
def make_staff(db):
    # Transactional tests (live_server) flush the groups the data migration made.
    if not Group.objects.exists():
        sync_roles(django_apps)

    def make(username, group=None, *, site, department="Front Desk", real_name=None, is_staff=False):
        user = get_user_model().objects.create_user(
            username=username, password=PASSWORD, email=f"{username}@lobby.test", is_staff=is_staff
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        StaffProfile.objects.create(
            user=user,
            site=site,
            real_name=real_name or username.title(),
            department=Department.objects.get_or_create(name=department)[0],
        )
        return user

    return make


@pytest.fixture
def clerk(make_staff, site):
    return make_staff("clerk", DUTY_GROUPS[DutyCode.CLERK], site=site, real_name="Zhang Wei")


@pytest.fixture
def night_officer(make_staff, site):
    return make_staff("night", DUTY_GROUPS[DutyCode.NIGHT_OFFICER], site=site, real_name="Liu Yang")


@pytest.fixture
def security_guard(make_staff, site):
    return make_staff("security", DUTY_GROUPS[DutyCode.SECURITY], site=site, department="Security")


@pytest.fixture
def secretary(make_staff, site):
    return make_staff("secretary", DUTY_GROUPS[DutyCode.SECRETARY], site=site, department="Administration")


@pytest.fixture
def host(make_staff, site):
    return make_staff("host", DUTY_GROUPS[DutyCode.HOST], site=site, department="Sales", real_name="Sun Li")


@pytest.fixture
def director(make_staff, site):
    return make_staff("director", DUTY_GROUPS[DutyCode.DIRECTOR], site=site, department="Administration")


@pytest.fixture
def reception_centre(make_staff, site):
    return make_staff("centre", DUTY_GROUPS[DutyCode.RECEPTION_CENTRE], site=site, department="Reception")


@pytest.fixture
def manager(make_staff, site):
    return make_staff("manager", OFFICE_MANAGER, site=site, department="Administration", is_staff=True)


@pytest.fixture
def stranger(make_staff, site):
    """Signed in, on the site, but holding no duty."""
    return make_staff("stranger", None, site=site)


@pytest.fixture
def other_clerk(make_staff, other_site):
    return make_staff("river-clerk", DUTY_GROUPS[DutyCode.CLERK], site=other_site)


# --- the public side: kiosk and invitations (issue 4) ---------------------------


@pytest.fixture
def daytime(time_machine):
    """Friday 10:00 in Shanghai, outside the night window (R6.8); the clock
    stands still until a test moves it."""
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=False)
    return time_machine


@pytest.fixture
def lobby_kiosk(site):
    return KioskDevice.objects.create(site=site, name="Lobby tablet", token=secrets.token_urlsafe(32))


@pytest.fixture
def kiosk_client(client, lobby_kiosk):
    """A browser enrolled as the lobby kiosk through its enrolment link."""
    response = client.post(f"/kiosk/enrol/{lobby_kiosk.token}/")
    assert response.status_code == 302, response
    return client


@pytest.fixture
def found_umbrella(site, clerk):
    """A black umbrella the clerk logged an hour ago, waiting in the desk drawer."""
    from reception import registers

    return registers.record_lost_item(
        site=site,
        by=clerk,
        description="Black umbrella",
        found_at=timezone.now() - timedelta(hours=1),
        found_where="Lounge",
        found_by="Zhang Wei",
        stored_where="Desk drawer",
    )


@pytest.fixture
def broken_cup(site, clerk):
    """An open incident: a cup broken in the Lounge just now."""
    from reception import registers

    return registers.report_incident(
        site=site, by=clerk, kind="damage", description="Cup broken", location="Lounge", occurred_at=timezone.now()
    )


@pytest.fixture
def invitation(daytime, site, host, business, business_room):
    """Kenji Tanaka, invited by his host for 10:30 today, not yet confirmed."""
    from visitors.invitations import create_invitation

    return create_invitation(
        site=site,
        by=host,
        email="kenji@tanaka.example",
        full_name="Kenji Tanaka",
        company="Tanaka Industries",
        category=business,
        host=host,
        room=business_room,
        purpose="Product demonstration",
        party_size=2,
        expected_at=timezone.now() + timedelta(minutes=30),
    )


@pytest.fixture
def walk_in(daytime, kiosk_client, host, lounge):
    """Maria Rossi registering herself at the kiosk to see Sales-Sun Li, as a
    tablet would post it; keyword arguments change the form's fields."""

    def post(**fields):
        page = kiosk_client.get("/kiosk/walk-in/").content.decode()
        hosts = kiosk_client.get("/kiosk/walk-in/hosts/", {"host_search": "Sun"}).content.decode()
        form = {
            "full_name": "Maria Rossi",
            "company": "Rossi Design",
            "phone": "+39 06 5551234",
            "party_size": "1",
            "host": re.search(r'name="host" value="([^"]+)"', hosts).group(1),
            "accept_privacy": "on",
            "submission_key": re.search(r'name="submission_key" value="([^"]*)"', page).group(1),
        }
        return kiosk_client.post("/kiosk/walk-in/", {**form, **fields})

    return post


# --- the sales floor (R2, issue #17) -----------------------------------------------


@pytest.fixture
def salesperson(make_staff, site):
    return make_staff(
        "salesperson", DUTY_GROUPS[DutyCode.SALESPERSON], site=site, department="Sales", real_name="Zhou Min"
    )


@pytest.fixture
def sales2(make_staff, site):
    return make_staff("sales2", DUTY_GROUPS[DutyCode.SALESPERSON], site=site, department="Sales", real_name="Wu Hao")


@pytest.fixture
def sales3(make_staff, site):
    return make_staff("sales3", DUTY_GROUPS[DutyCode.SALESPERSON], site=site, department="Sales", real_name="Xu Jing")


@pytest.fixture
def floor_manager(make_staff, site):
    return make_staff(
        "floor", DUTY_GROUPS[DutyCode.FLOOR_MANAGER], site=site, department="Sales", real_name="Huang Lei"
    )


@pytest.fixture
def sales_floor(daytime, site, salesperson, sales2, sales3):
    """The rotation queue of Zhou Min, Wu Hao and Xu Jing, in that order, all
    three on the roster as salespeople from 08:00 to 20:00 today."""
    from customers.models import RotationMember, RotationQueue
    from reception.models import Duty, RosterEntry

    queue = RotationQueue.objects.create(site=site)
    duty = Duty.objects.get(code=DutyCode.SALESPERSON)
    start = timezone.localtime(timezone.now(), site.tzinfo).replace(hour=8, minute=0, second=0, microsecond=0)
    for position, user in enumerate([salesperson, sales2, sales3], start=1):
        RotationMember.objects.create(queue=queue, position=position, user=user)
        RosterEntry.objects.create(
            site=site, duty=duty, user=user, starts_at=start, ends_at=start + timedelta(hours=12)
        )
    return queue
