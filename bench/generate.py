"""Benchmark data: years of visit history, then "today" on top of it.

    python -m bench.generate history --visits 1000000   # into an empty, migrated database
    python -m bench.generate today --on-site 300         # the live part, before each run

`history` writes three sites with their rooms, categories, staff and hosts, and
N finished visits spread over three years, each with its timeline steps and a
valid hash-chained audit trail — the rows a desk accumulates. Sites, rooms and
staff go through the ORM; the bulk goes through PostgreSQL COPY (psycopg 3),
with secondary indexes dropped during the load and rebuilt from their own
definitions afterwards, and foreign-key triggers paused (the generator makes
every reference itself and checks them at the end).

`today` adds what depends on the clock, so that a history made last week can
be reused: the roster around now, visitors on site, visits expected today and
one enrolled kiosk device per site. Both print one JSON line on stdout.
"""

import argparse
import json
import os
import random
import secrets
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.data import GENERATOR_VERSION, People, badge_code  # noqa: E402
from reception.models import (  # noqa: E402
    Department,
    Duty,
    DutyCode,
    KioskDevice,
    KioskMode,
    ReceptionRoom,
    RosterEntry,
    Site,
    StaffProfile,
    VisitorCategory,
)
from reception.roles import DUTY_GROUPS  # noqa: E402
from visitors.audit import compute_hash  # noqa: E402
from visitors.models import AuditEvent, Visit, VisitEvent, Visitor, VisitSource, VisitStatus  # noqa: E402

BENCH_PASSWORD = "lobby-bench-password"
HISTORY_DAYS = 3 * 365
HOSTS_PER_SITE = 40

# slug, name, share of the traffic. The main campus takes nine visits in ten
# (about 300k a year at 1M, the clerk's one-year export); two branches share the rest.
SITES = [
    ("bench-hq", "North Campus", 0.90),
    ("bench-river", "River Campus", 0.06),
    ("bench-harbour", "Harbour Campus", 0.04),
]
CATEGORIES = [("A", "VIP", 0.05), ("B", "Business", 0.35), ("C", "Ordinary", 0.60)]
# name, capacity, exclusive, categories, any category (R1.3). A large campus has a
# visitor centre big enough for a morning rush of walk-ins.
ROOMS = [
    ("Culture Pavilion", 12, True, ["A"], False),
    ("Business Room", 8, False, ["B"], False),
    ("Lounge", 20, False, ["C"], False),
    ("Visitor Centre", 30000, False, ["B", "C"], False),
    ("General Manager's Office", 4, True, [], True),
]
DEPARTMENTS = ["Sales", "Engineering", "Finance", "Procurement", "Legal", "Marketing", "R&D", "Human Resources"]
STAFF = [  # role key, duty
    ("clerk", DutyCode.CLERK),
    ("night", DutyCode.NIGHT_OFFICER),
    ("secretary", DutyCode.SECRETARY),
    ("director", DutyCode.DIRECTOR),
    ("security", DutyCode.SECURITY),
]


def log(message: str) -> None:
    print(f"[generate] {message}", file=sys.stderr, flush=True)


def staff_username(role: str, slug: str) -> str:
    return f"{role}-{slug}"


# --- reference data through the ORM ------------------------------------------


def make_reference_data() -> dict:
    """Sites, categories, rooms, duty staff and hosts. Returns ids for the bulk part."""
    User = get_user_model()
    password = make_password(BENCH_PASSWORD)  # hashed once: PBKDF2 is slow on purpose
    groups = {code: Group.objects.get(name=name) for code, name in DUTY_GROUPS.items()}
    departments = {name: Department.objects.get_or_create(name=name)[0] for name in DEPARTMENTS}
    front_desk = Department.objects.get_or_create(name="Front Desk")[0]
    sites = []
    for slug, name, share in SITES:
        site = Site.objects.create(name=name, slug=slug, kiosk_night_mode=KioskMode.OPEN)
        categories = {
            code: VisitorCategory.objects.create(site=site, code=code, name=label) for code, label, _ in CATEGORIES
        }
        rooms = {}
        for order, (room_name, capacity, exclusive, codes, any_category) in enumerate(ROOMS):
            room = ReceptionRoom.objects.create(
                site=site,
                name=room_name,
                capacity=capacity,
                exclusive=exclusive,
                any_category=any_category,
                sort_order=order,
            )
            room.categories.set([categories[c] for c in codes])
            rooms[room_name] = room
        staff = {}
        for role, duty in STAFF:
            user = User.objects.create(username=staff_username(role, slug), password=password)
            user.groups.add(groups[duty])
            StaffProfile.objects.create(user=user, site=site, real_name=f"{role.title()} {name}", department=front_desk)
            staff[role] = user
        hosts = []
        people = People(seed=len(sites) + 100)
        for n in range(HOSTS_PER_SITE):
            user = User.objects.create(username=f"host-{slug}-{n:02d}", password="!")
            user.groups.add(groups[DutyCode.HOST])
            department = departments[DEPARTMENTS[n % len(DEPARTMENTS)]]
            StaffProfile.objects.create(user=user, site=site, real_name=people.full_name(), department=department)
            hosts.append((user.pk, department.pk))
        sites.append(
            SimpleNamespace(
                pk=site.pk,
                share=share,
                tz=site.tzinfo,
                site=site,
                categories={code: c.pk for code, c in categories.items()},
                rooms={room_name: r.pk for room_name, r in rooms.items()},
                staff={role: u.pk for role, u in staff.items()},
                hosts=hosts,
            )
        )
    roles = {}
    for user in User.objects.prefetch_related("groups"):
        roles[user.pk] = (user.get_username(), ", ".join(sorted(g.name for g in user.groups.all())))
    return {"sites": sites, "roles": roles}


# --- bulk rows ----------------------------------------------------------------


class Table:
    """A model's columns in order, with each field's default filled in, so the
    generator keeps working when someone adds a column with a default."""

    def __init__(self, model):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.template = []
        for field in self.fields:
            default = field.get_default() if field.has_default() or not field.null else None
            if hasattr(default, "isoformat") or field.primary_key:
                default = None  # set per row
            elif field.get_internal_type() == "JSONField":
                default = json.dumps(default)
            self.template.append(default)

    def row(self, **values) -> list:
        row = self.template.copy()
        for attname, value in values.items():
            row[self.index[attname]] = value
        return row

    def copy_sql(self) -> str:
        columns = ", ".join(f'"{c}"' for c in self.columns)
        return f'COPY "{self.model._meta.db_table}" ({columns}) FROM STDIN'


def raw_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    conn = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"] or None
    )
    try:
        # Pause foreign-key triggers for the load (needs a superuser; without one
        # the load is slower but equally correct).
        conn.execute("SET session_replication_role = replica")
    except psycopg.Error:
        conn.rollback()
        log("not a superuser: loading with foreign-key triggers on")
    conn.execute("SET synchronous_commit = off")
    return conn


@contextmanager
def secondary_indexes_dropped(conn: psycopg.Connection, tables: list[str]):
    """Drop the indexes that back no constraint, yield, and rebuild each as the
    migrations left it: from its own definition, with any statistics target
    set on its columns (migration 0008 sets one on the trigram indexes, and
    CREATE INDEX alone would drop it). Loading into a bare table and indexing
    once is much faster."""
    rows = conn.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid),
               ARRAY(SELECT ARRAY[a.attnum::int, a.attstattarget::int] FROM pg_attribute a
                     WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0 ORDER BY a.attnum)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    ).fetchall()
    for name, _, _ in rows:
        conn.execute(f"DROP INDEX {name}")
    conn.commit()
    yield
    conn.execute("SET maintenance_work_mem = '512MB'")
    started = time.monotonic()
    for name, definition, targets in rows:
        conn.execute(definition)
        for column, target in targets:
            conn.execute(f"ALTER INDEX {name} ALTER COLUMN {int(column)} SET STATISTICS {int(target)}")
    conn.commit()
    log(f"rebuilt {len(rows)} indexes in {time.monotonic() - started:.1f}s")


def day_counts(total: int, start: datetime, days: int) -> list[int]:
    """Exactly `total` visits spread over the days, weekdays busier than weekends."""
    weights = [(1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.2)[(start + timedelta(days=d)).weekday()] for d in range(days)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for d in range(total - sum(counts)):
        counts[d % days] += 1
    return counts


def local_seconds(rng: random.Random) -> int:
    """Seconds after local midnight: office hours with two peaks, a few at night."""
    if rng.random() < 0.05:
        hour = rng.choice([20, 21, 22, 23, 0, 1, 5, 6, 7])
    else:
        hour = min(19, max(8, int(rng.choice([9.5, 10.5, 14.5, 15.5, 12]) + rng.gauss(0, 2))))
    return hour * 3600 + rng.randrange(3600)


def generate_history(visits: int, seed: int = 7) -> dict:
    started = time.monotonic()
    rng = random.Random(seed)
    people = People(seed)
    with transaction.atomic():
        ref = make_reference_data()
    sites, roles = ref["sites"], ref["roles"]
    site_weights = [s.share for s in sites]
    category_codes = [c for c, _, _ in CATEGORIES]
    category_weights = [w for _, _, w in CATEGORIES]
    rooms_for = {
        "A": [("Culture Pavilion", 0.9), ("General Manager's Office", 0.1)],
        "B": [("Business Room", 0.5), ("Visitor Centre", 0.5)],
        "C": [("Lounge", 0.4), ("Visitor Centre", 0.6)],
    }

    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    first_day = end - timedelta(days=HISTORY_DAYS)
    counts = day_counts(visits, first_day, HISTORY_DAYS)

    visit_t, event_t, visitor_t, audit_t = Table(Visit), Table(VisitEvent), Table(Visitor), Table(AuditEvent)
    visitor_first_seen: list[datetime] = []  # index = visitor id - 1
    actions = {s.pk: [] for s in sites}  # (at, order, visit id, action, actor, changes)

    tables = ["visitors_visit", "visitors_visitevent", "visitors_visitor", "visitors_auditevent"]
    visits_conn, events_conn = raw_connection(), raw_connection()
    with secondary_indexes_dropped(visits_conn, tables):
        with (
            visits_conn.cursor().copy(visit_t.copy_sql()) as visit_copy,
            events_conn.cursor().copy(event_t.copy_sql()) as event_copy,
        ):
            visit_id = event_id = 0
            for day, count in enumerate(counts):
                date = (first_day + timedelta(days=day)).date()
                for _ in range(count):
                    visit_id += 1
                    s = rng.choices(sites, site_weights)[0]
                    midnight = datetime(date.year, date.month, date.day, tzinfo=s.tz)
                    arrival = (midnight + timedelta(seconds=local_seconds(rng))).astimezone(UTC)
                    night = s.site.in_night_window(arrival)
                    desk = s.staff["night" if night else "clerk"]

                    if visitor_first_seen and rng.random() < 0.55:
                        visitor_id = rng.randrange(len(visitor_first_seen)) + 1
                    else:
                        visitor_first_seen.append(arrival)
                        visitor_id = len(visitor_first_seen)

                    code = rng.choices(category_codes, category_weights)[0]
                    names, weights = zip(*rooms_for[code], strict=True)
                    room = rng.choices(names, weights)[0]
                    host_id, department_id = rng.choice(s.hosts)
                    party = 1 if rng.random() < 0.8 else rng.choice([2, 2, 3, 4, 6])
                    source_roll = rng.random()
                    source = (
                        VisitSource.INVITATION
                        if source_roll < 0.2
                        else (VisitSource.KIOSK if source_roll < 0.45 else VisitSource.DESK)
                    )
                    expected_at = None
                    if source == VisitSource.INVITATION:
                        expected_at = arrival.replace(minute=arrival.minute // 15 * 15, second=0)
                        registered_at = arrival - timedelta(days=rng.randint(1, 7), minutes=rng.randrange(600))
                        registered_by = rng.choice([host_id, s.staff["secretary"]])
                        roll = rng.random()
                        status = (
                            VisitStatus.LEFT
                            if roll < 0.9
                            else (VisitStatus.NO_SHOW if roll < 0.95 else VisitStatus.CANCELLED)
                        )
                    else:
                        registered_at = arrival
                        registered_by = None if source == VisitSource.KIOSK else desk
                        status = VisitStatus.LEFT

                    checked_in_at = checked_in_by = checked_out_at = checked_out_by = None
                    acknowledged_at = acknowledged_by = None
                    if status == VisitStatus.LEFT:
                        checked_in_at = arrival
                        checked_in_by = desk if source == VisitSource.INVITATION else registered_by
                        checked_out_at = arrival + timedelta(minutes=rng.randint(15, 240))
                        checked_out_by = s.staff["night" if s.site.in_night_window(checked_out_at) else "clerk"]
                        if rng.random() < 0.9:
                            acknowledged_at = arrival + timedelta(minutes=rng.randint(1, 45))
                            acknowledged_by = host_id

                    visit_copy.write_row(
                        visit_t.row(
                            id=visit_id,
                            site_id=s.pk,
                            visitor_id=visitor_id,
                            category_id=s.categories[code],
                            host_id=host_id,
                            department_id=department_id,
                            room_id=s.rooms[room],
                            purpose=people.purpose(),
                            party_size=party,
                            expected_at=expected_at,
                            expected_until=expected_at + timedelta(hours=2) if expected_at else None,
                            status=status,
                            source=source,
                            badge_code=badge_code(visit_id),
                            registered_at=registered_at,
                            registered_by_id=registered_by,
                            checked_in_at=checked_in_at,
                            checked_in_by_id=checked_in_by,
                            checked_out_at=checked_out_at,
                            checked_out_by_id=checked_out_by,
                            acknowledged_at=acknowledged_at,
                            acknowledged_by_id=acknowledged_by,
                            refreshments=code in "AB",
                            meals=code == "A" and rng.random() < 0.5,
                            night_registration=night and source == VisitSource.DESK,
                        )
                    )

                    register = (
                        registered_at,
                        visit_id,
                        "visit.register",
                        registered_by,
                        {
                            "visitor": visitor_id,
                            "category": code,
                            "room": room,
                            "host": host_id,
                            "status": VisitStatus.ON_SITE if checked_in_at == registered_at else VisitStatus.EXPECTED,
                            "source": source,
                        },
                    )
                    steps = [(VisitEvent.Kind.REGISTERED, registered_at, registered_by)]
                    site_actions = actions[s.pk]
                    site_actions.append(register)
                    if status == VisitStatus.LEFT:
                        steps.append((VisitEvent.Kind.ARRIVED, checked_in_at, checked_in_by))
                        if source == VisitSource.INVITATION:
                            site_actions.append(
                                (checked_in_at, visit_id, "visit.check_in", checked_in_by, {"status": "on_site"})
                            )
                        if acknowledged_at:
                            steps.append((VisitEvent.Kind.ACKNOWLEDGED, acknowledged_at, acknowledged_by))
                        steps.append((VisitEvent.Kind.LEFT, checked_out_at, checked_out_by))
                        site_actions.append(
                            (checked_out_at, visit_id, "visit.check_out", checked_out_by, {"status": "left"})
                        )
                    else:
                        kind = VisitEvent.Kind.NO_SHOW if status == VisitStatus.NO_SHOW else VisitEvent.Kind.CANCELLED
                        steps.append((kind, arrival, desk))
                        site_actions.append((arrival, visit_id, f"visit.{status}", desk, {"status": status}))
                    for kind, at, by in steps:
                        event_id += 1
                        event_copy.write_row(event_t.row(id=event_id, visit_id=visit_id, kind=kind, at=at, by_id=by))
                if day % 100 == 0:
                    log(f"day {day}/{HISTORY_DAYS}: {visit_id} visits")
        visits_conn.commit()
        events_conn.commit()
        events_conn.close()
        log(f"visits and steps copied at {time.monotonic() - started:.1f}s")

        with visits_conn.cursor().copy(visitor_t.copy_sql()) as copy:
            for n, first_seen in enumerate(visitor_first_seen, start=1):
                copy.write_row(
                    visitor_t.row(
                        id=n,
                        full_name=people.full_name(),
                        company=people.company(),
                        phone=people.phone(),
                        created_at=first_seen,
                    )
                )
        visits_conn.commit()
        audit_rows = write_audit_chains(visits_conn, audit_t, actions, roles)
        visits_conn.commit()
        log(f"visitors and audit copied at {time.monotonic() - started:.1f}s")

    for table in tables:
        visits_conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
        )
    visits_conn.commit()
    check_references(visits_conn)
    visits_conn.commit()
    visits_conn.autocommit = True
    visits_conn.execute("VACUUM (ANALYZE) visitors_visit, visitors_visitor, visitors_visitevent, visitors_auditevent")
    visits_conn.close()
    return {
        "visits": visit_id,
        "visitors": len(visitor_first_seen),
        "steps": event_id,
        "audit_events": audit_rows,
        "history_from": first_day.isoformat(),
        "history_to": end.isoformat(),
        "seconds": round(time.monotonic() - started, 1),
    }


def write_audit_chains(conn, audit_t: Table, actions: dict, roles: dict) -> int:
    """Each site's actions in time order, numbered and hash-chained exactly as
    visitors.audit.record() would have chained them one by one."""
    rows = 0
    with conn.cursor().copy(audit_t.copy_sql()) as copy:
        for site_id, site_actions in actions.items():
            site_actions.sort(key=lambda a: (a[0], a[1]))
            prev_hash = ""
            for seq, (at, visit_id, action, actor, changes) in enumerate(site_actions, start=1):
                label, role = roles[actor] if actor else ("", "")
                event = SimpleNamespace(
                    site_id=site_id,
                    seq=seq,
                    at=at,
                    actor_id=actor,
                    actor_label=label,
                    role=role,
                    action=action,
                    object_type="visitors.visit",
                    object_id=str(visit_id),
                    changes=changes,
                    client_address=None,
                    prev_hash=prev_hash,
                )
                event.hash = compute_hash(event)
                rows += 1
                copy.write_row(
                    audit_t.row(
                        id=rows,
                        site_id=site_id,
                        seq=seq,
                        at=at,
                        actor_id=actor,
                        actor_label=label,
                        role=role,
                        action=action,
                        object_type="visitors.visit",
                        object_id=str(visit_id),
                        changes=json.dumps(changes),
                        client_address=None,
                        prev_hash=prev_hash,
                        hash=event.hash,
                    )
                )
                prev_hash = event.hash
            site_actions.clear()
    return rows


def check_references(conn) -> None:
    """The load ran without foreign-key triggers: prove every reference resolves."""
    problems = conn.execute(
        """
        SELECT
          (SELECT count(*) FROM visitors_visit v LEFT JOIN visitors_visitor p ON p.id = v.visitor_id
            WHERE p.id IS NULL),
          (SELECT count(*) FROM visitors_visitevent e LEFT JOIN visitors_visit v ON v.id = e.visit_id
            WHERE v.id IS NULL),
          (SELECT count(*) FROM visitors_auditevent a LEFT JOIN visitors_visit v ON v.id::text = a.object_id
            WHERE a.object_type = 'visitors.visit' AND v.id IS NULL)
        """
    ).fetchone()
    if any(problems):
        raise SystemExit(f"dangling references after the load (visits, steps, audit): {problems}")


# --- today: what depends on the clock -------------------------------------------


def kiosk_cookies(site: Site, count: int) -> list[str]:
    """`count` kiosk devices at the site, each with the signed cookie that
    enrolling it on a tablet would set (the same signer, salt and secret key
    the app uses). Many devices, because each is rate limited like a real one."""
    try:
        from visitors.links import KIOSK_COOKIE, KIOSK_COOKIE_SALT
    except ImportError:
        return []
    from django.core.signing import get_cookie_signer

    signer = get_cookie_signer(salt=KIOSK_COOKIE + KIOSK_COOKIE_SALT)
    devices = KioskDevice.objects.bulk_create(
        KioskDevice(site=site, name=f"Lobby tablet {n:04d}", token=secrets.token_hex(24)) for n in range(count)
    )
    return [f"{KIOSK_COOKIE}={signer.sign(device.token)}" for device in devices]


# Each API token is rate limited as an integration is (120 requests a minute),
# so the "API list visits" step takes these in turn, as the kiosk step its tablets.
API_TOKENS = 100


def api_token_secrets(site: Site, count: int) -> list[str]:
    """`count` API tokens of `site` with the read_visits scope, made as the
    back office makes them (issue #21); returns their secrets, which exist
    nowhere else (only digests are stored)."""
    try:
        from reception import api_tokens
        from reception.models import ApiScope, ApiToken
    except ImportError:  # a checkout from before the API
        return []
    tokens, made = [], []
    for n in range(count):
        token = ApiToken(site=site, name=f"Benchmark integration {n:03d}", scopes=[ApiScope.READ_VISITS])
        made.append(api_tokens.issue(token))
        tokens.append(token)
    ApiToken.objects.bulk_create(tokens)
    return made


@transaction.atomic
def generate_today(on_site: int, expected: int, kiosks: int = 0, seed: int = 11, api_tokens: int = 0) -> dict:
    """The roster around now, `on_site` visitors on site at the main site, visits
    expected later today, and `kiosks` enrolled kiosk devices and `api_tokens`
    API tokens there."""
    rng = random.Random(seed)
    people = People(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    User = get_user_model()
    result = {"sites": {}, "on_site": 0, "expected": 0}
    main = SITES[0][0]
    for slug, _, _ in SITES:
        site = Site.objects.get(slug=slug)
        staff = {role: User.objects.get(username=staff_username(role, slug)) for role, _ in STAFF}
        for role, duty in STAFF:
            RosterEntry.objects.create(
                site=site,
                duty=Duty.objects.get(code=duty),
                user=staff[role],
                starts_at=now - timedelta(hours=6),
                ends_at=now + timedelta(hours=6),
                note="benchmark shift",
            )
        hosts = list(User.objects.filter(username__startswith=f"host-{slug}-").select_related("profile"))
        for host in hosts:
            RosterEntry.objects.create(
                site=site,
                duty=Duty.objects.get(code=DutyCode.HOST),
                user=host,
                starts_at=now - timedelta(hours=6),
                ends_at=now + timedelta(hours=6),
            )
        result["sites"][slug] = {
            "id": site.pk,
            "clerk": staff["clerk"].username,
            "director": staff["director"].username,
        }
        if slug != main:
            continue
        result["sites"][slug]["kiosks"] = kiosk_cookies(site, kiosks)
        result["sites"][slug]["api_tokens"] = api_token_secrets(site, api_tokens)
        result["sites"][slug]["host_names"] = [h.profile.real_name for h in hosts[:8]]
        categories = {c.code: c for c in site.categories.all()}
        centre = site.rooms.get(name="Visitor Centre")
        visitors = Visitor.objects.bulk_create(
            Visitor(full_name=people.full_name(), company=people.company(), phone=people.phone())
            for _ in range(on_site + expected)
        )
        visits = []
        for n, visitor in enumerate(visitors):
            host = rng.choice(hosts)
            arriving = n < on_site
            at = now - timedelta(minutes=rng.randint(1, 240)) if arriving else now + timedelta(minutes=n % 480)
            visit = Visit(
                site=site,
                visitor=visitor,
                category=categories["C" if n % 3 else "B"],
                host=host,
                department=host.profile.department,
                room=centre,
                purpose=people.purpose(),
                source=VisitSource.KIOSK if n % 2 else VisitSource.DESK,
                registered_at=at if arriving else now - timedelta(days=1),
                registered_by=None if n % 2 else staff["clerk"],
                expected_at=None if arriving else at,
                status=VisitStatus.EXPECTED,
                badge_code=f"T{n:07d}",
            )
            if arriving:
                visit.check_in(by=visit.registered_by, at=at)
                if rng.random() < 0.5:
                    visit.acknowledged_at, visit.acknowledged_by = at + timedelta(minutes=3), host
            visits.append(visit)
        Visit.objects.bulk_create(visits)
        result["on_site"] = on_site
        result["expected"] = expected
    # The template's statistics were taken before anyone was on site, which
    # no live database is: without them PostgreSQL counts a room's occupants
    # (R1.3) through the wrong index, three times slower (issue #24).
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Visit._meta.db_table}")
    return result


def local_time_zone(hour: int, now: datetime | None = None) -> str:
    """An IANA zone (Etc/GMT±N) in which the local time is now `hour` o'clock."""
    now = now or datetime.now(UTC)
    offset = (hour - now.hour + 12) % 24 - 12  # -12 … +11
    # Etc/ zones have the POSIX sign: Etc/GMT-8 is UTC+8.
    name = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    ZoneInfo(name)
    return name


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    history = sub.add_parser("history")
    history.add_argument("--visits", type=int, required=True)
    history.add_argument("--seed", type=int, default=7)
    today = sub.add_parser("today")
    today.add_argument("--on-site", type=int, default=300)
    today.add_argument("--expected", type=int, default=120)
    today.add_argument("--kiosks", type=int, default=0)
    today.add_argument("--api-tokens", type=int, default=API_TOKENS)
    today.add_argument(
        "--local-hour",
        type=int,
        default=None,
        help="Put the sites in a time zone where it is this hour now (the day path, not night duty).",
    )
    args = parser.parse_args(argv)
    if connection.vendor != "postgresql":
        raise SystemExit("bench.generate needs PostgreSQL (DATABASE_URL=postgres://…)")
    if args.command == "history":
        if Visit.objects.exists() or Site.objects.filter(slug__startswith="bench-").exists():
            raise SystemExit("bench.generate history needs an empty, migrated database")
        result = generate_history(args.visits, seed=args.seed)
        result["generator_version"] = GENERATOR_VERSION
    else:
        if args.local_hour is not None:
            Site.objects.filter(slug__startswith="bench-").update(timezone=local_time_zone(args.local_hour))
        result = generate_today(args.on_site, args.expected, args.kiosks, api_tokens=args.api_tokens)
        result["password"] = BENCH_PASSWORD
    print(json.dumps(result))


if __name__ == "__main__":
    main()
