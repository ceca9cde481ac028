"""What the front-desk dashboard shows (/desk/ and its self-refresh): who is
expected today, who is on site and whether their host has acknowledged them
(R3.2), the room board, and who left recently.

With hundreds of visitors on site the page costs what its rows cost (issue #7).
So the rows are read as plain values, not model instances, in four queries
whatever the number of visitors, and everything a row shows is worked out here
once: its links (one reverse() per kind of link), times in the site's time
zone, the host as "Department-Name" (R3.1), the minutes waiting and the
acknowledgement state in the reader's language. The templates and the desk
template tags only lay the rows out. The visitor log's page of rows
(log_rows) is read and formatted the same way."""

from collections.abc import Callable
from datetime import datetime
from functools import cache
from operator import attrgetter, itemgetter
from typing import TypedDict

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache as shared_cache
from django.db import router
from django.http import HttpResponseNotModified
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from reception import prebuilt
from reception.drawing import CSRF_SLOT, with_reader_token
from reception.i18n import localized
from reception.middleware import IDLE_SESSION_KEY
from reception.models import STAFF_LABEL_VALUES, ReceptionRoom, Site, staff_label_of, staff_labels
from reception.roster import duty_panel_context
from visitors.models import AuditEvent, Visit, VisitStatus, ack_due_at, ack_minutes, ack_overdue, minutes_between

RECENTLY_LEFT = 10
# The room board names the parties of a room up to this many and counts them
# beyond: a full visitor centre's names are in the table beside it, which the
# filter box searches, and on the on-site list.
ROOM_NAMES_SHOWN = 8

PARTY = (
    "pk",
    "party_size",
    "visitor__full_name",
    "visitor__company",
    "room_id",
    "room__name",
    "room__name_zh",
    "category__code",
    "host_id",
    *(f"host__{name}" for name in STAFF_LABEL_VALUES),
)
# The dashboard's open visits without their room's and host's names: hundreds
# of rows that name the same few rooms and hosts, whose names come from the
# site's rooms (read for the room board anyway) and one read of the hosts'
# labels. Joining the room and the host's user, profile and department to
# every row cost more than the two reads (issue #7).
OPEN_VISIT = (
    *(name for name in PARTY if not name.startswith(("room__", "host__"))),
    "status",
    "expected_at",
    "checked_in_at",
    "acknowledged_at",
    "ack_deadline_minutes",
    "category__ack_deadline_minutes",
    "category__name",
    # Issue #19 (A13): a walk-up waiting for the host, and whether the host's time is up.
    "registered_at",
    "host_approval__due_at",
    "host_approval__unanswered_at",
)


class ExpectedRow(TypedDict):
    pk: int
    url: str  # the visit's page
    check_in_url: str
    no_show_url: str
    cancel_url: str
    time: str  # expected at, H:i in the site's time zone
    name: str
    party_size: int
    company: str
    category: str  # its code and name, "B · Business"
    room_id: int | None
    room: str  # its name, or a dash
    host: str  # "Department-Name" (R3.1), or a dash


class OnSiteRow(TypedDict):
    pk: int
    url: str
    check_out_url: str
    arrived: str  # H:i in the site's time zone
    name: str
    party_size: int
    company: str
    category: str
    room_id: int | None
    room: str
    host: str
    waiting: str  # "12 min" waiting for the host, or a dash once acknowledged
    acknowledged: bool  # R3.2: the host has acknowledged the arrival
    overdue: bool  # R3.2: unacknowledged past the category's deadline
    ack: str  # what the acknowledgement cell shows: no_host, acknowledged, overdue or waiting
    ack_text: str


class AwaitingHostRow(TypedDict):
    pk: int
    url: str
    registered: str  # H:i in the site's time zone
    due: str  # H:i: when the host's time is up
    name: str
    party_size: int
    company: str
    category: str
    room_id: int | None
    room: str
    host: str
    unanswered: bool  # the host did not answer in time: the desk decides


class LeftRow(TypedDict):
    pk: int
    url: str
    name: str
    room: str
    left: str  # "left 11:05"


class LogRow(TypedDict):
    pk: int
    url: str
    day: str  # Y-m-d of the visit's log day (visitors.models.log_day) in the site's time zone
    arrived: str  # H:i, or empty
    left: str  # H:i, or empty
    name: str
    party_size: int
    company: str
    category: str
    room: str
    host: str
    status: str  # its label in the reader's language


def _link(name: str) -> Callable[[int], str]:
    """The address of `name` for any visit, from one reverse(): reversing per
    row costs more than the rest of the row."""
    placeholder = "2147483647"
    head, _, tail = reverse(name, args=[placeholder]).rpartition(placeholder)
    return lambda pk: f"{head}{pk}{tail}"


class _Rows:
    """Formats the rows of one response: the same `now` for every row, each
    link reversed once, each phrase translated once, each host labelled once."""

    def __init__(self, site: Site, now: datetime):
        self.tz = site.tzinfo
        self.now = now
        self.visit = _link("visitors:visit")
        self.check_in = _link("visitors:check_in")
        self.no_show = _link("visitors:no_show")
        self.cancel = _link("visitors:cancel")
        self.check_out = _link("visitors:check_out")
        self.hosts: dict[int | None, str] = {None: "—"}
        self.no_host = gettext("No host")
        self.acknowledged = gettext("Acknowledged %(time)s")
        self.overdue_since = gettext("Overdue since %(time)s (R3.2)")
        self.due_by = gettext("Waiting, due by %(time)s")
        self.left_at = gettext("left %(time)s")
        self.statuses: dict[str, str] = {}
        self.waited: dict[int, str] = {}  # "12 min", by minutes: many parties share a count

    def hhmm(self, at: datetime) -> str:
        local = at.astimezone(self.tz)
        return f"{local.hour:02}:{local.minute:02}"

    def label_hosts(self, host_ids: set[int]) -> None:
        """Read the R3.1 labels of these hosts in one query, for rows read
        without their host's name (OPEN_VISIT)."""
        labels = staff_labels(host_ids) if host_ids else {}
        self.hosts.update((pk, labels.get(pk) or "—") for pk in host_ids)

    def host(self, row: dict) -> str:
        """The host as "Department-Name" (R3.1), or a dash without one."""
        if row["host_id"] not in self.hosts:
            self.hosts[row["host_id"]] = staff_label_of(row, "host__") or "—"
        return self.hosts[row["host_id"]]

    def party(self, row: dict) -> dict:
        """What both tables show of a party: its link, name, size, company,
        category, room and host."""
        return {
            "pk": row["pk"],
            "url": self.visit(row["pk"]),
            "name": row["visitor__full_name"],
            "party_size": row["party_size"],
            "company": row["visitor__company"],
            "category": row["category__code"],
            "room_id": row["room_id"],
            "room": localized(row["room__name"], row["room__name_zh"]) or "—",
            "host": self.host(row),
        }

    @staticmethod
    def category(row: dict) -> str:
        """The category as its code and name, "B · Business": the letters
        alone say little to a new clerk (issue #16 item 8)."""
        return f"{row['category__code']} · {row['category__name']}"

    def expected(self, row: dict) -> ExpectedRow:
        pk = row["pk"]
        return {
            **self.party(row),
            "category": self.category(row),
            "time": self.hhmm(row["expected_at"]),
            "check_in_url": self.check_in(pk),
            "no_show_url": self.no_show(pk),
            "cancel_url": self.cancel(pk),
        }

    def on_site(self, row: dict) -> OnSiteRow:
        """A visit on site with R3.2: how long the party has waited for the
        host, and whether the host's acknowledgement is in, due or overdue."""
        due = ack_due_at(
            row["checked_in_at"], ack_minutes(row["ack_deadline_minutes"], row["category__ack_deadline_minutes"])
        )
        overdue = ack_overdue(due, row["acknowledged_at"], self.now)
        if row["host_id"] is None:
            ack, text = "no_host", self.no_host
        elif row["acknowledged_at"]:
            ack, text = "acknowledged", self.acknowledged % {"time": self.hhmm(row["acknowledged_at"])}
        elif overdue:
            ack, text = "overdue", self.overdue_since % {"time": self.hhmm(due)}
        else:
            ack, text = "waiting", self.due_by % {"time": self.hhmm(due)}
        if row["acknowledged_at"]:
            waiting = "—"
        else:
            minutes = minutes_between(row["checked_in_at"], self.now)
            if minutes not in self.waited:
                self.waited[minutes] = ngettext("%(minutes)s min", "%(minutes)s min", minutes) % {"minutes": minutes}
            waiting = self.waited[minutes]
        return {
            **self.party(row),
            "category": self.category(row),
            "arrived": self.hhmm(row["checked_in_at"]),
            "check_out_url": self.check_out(row["pk"]),
            "waiting": waiting,
            "acknowledged": row["acknowledged_at"] is not None,
            "overdue": overdue,
            "ack": ack,
            "ack_text": text,
        }

    def awaiting_host(self, row: dict) -> AwaitingHostRow:
        """A walk-up waiting for the host's approval (issue #19, A13)."""
        return {
            **self.party(row),
            "category": self.category(row),
            "registered": self.hhmm(row["registered_at"]),
            "due": self.hhmm(row["host_approval__due_at"]) if row["host_approval__due_at"] else "",
            "unanswered": row["host_approval__unanswered_at"] is not None,
        }

    def logged(self, row: dict) -> LogRow:
        """A row of the visitor log."""
        if row["status"] not in self.statuses:
            self.statuses[row["status"]] = str(VisitStatus(row["status"]).label)
        day = row["day_at"].astimezone(self.tz)
        return {
            **self.party(row),
            "day": f"{day.year:04}-{day.month:02}-{day.day:02}",
            "arrived": self.hhmm(row["checked_in_at"]) if row["checked_in_at"] else "",
            "left": self.hhmm(row["checked_out_at"]) if row["checked_out_at"] else "",
            "status": self.statuses[row["status"]],
        }

    def left(self, row: dict) -> LeftRow:
        return {
            "pk": row["pk"],
            "url": self.visit(row["pk"]),
            "name": row["visitor__full_name"],
            "room": localized(row["room__name"], row["room__name_zh"]) or "—",
            "left": self.left_at % {"time": self.hhmm(row["checked_out_at"])},
        }


BOARD_ORDER = ("-active", "sort_order", "name")


def room_board(
    site: Site,
    on_site: list,
    room_of: Callable = attrgetter("room_id"),
    people_of: Callable = attrgetter("party_size"),
    rooms: list[ReceptionRoom] | None = None,
) -> list[dict]:
    """Each room in use with its parties and occupancy, grouped from the
    on-site list already loaded; then an occupied room taken out of use, then
    the parties with no room. One query (the site's rooms), or none when
    `rooms` holds them already, in BOARD_ORDER. `on_site` holds visits, or rows
    with `room_of` and `people_of` saying how to read them."""
    by_room: dict[int | None, list] = {}
    for visit in on_site:
        by_room.setdefault(room_of(visit), []).append(visit)
    if rooms is None:
        rooms = ReceptionRoom.objects.filter(site=site).order_by(*BOARD_ORDER)
    board = []
    for room in (room for room in rooms if room.active or room.pk in by_room):
        visits = by_room.pop(room.pk, [])
        people = sum(people_of(v) for v in visits)
        board.append(
            {
                "room": room,
                "visits": visits,
                "people": people,
                # R1.3: at capacity, or an exclusive room already in use; a room
                # out of use takes nobody new anyway.
                "full": room.active and (people >= room.capacity or (room.exclusive and bool(visits))),
            }
        )
    if None in by_room:
        visits = by_room[None]
        board.append({"room": None, "visits": visits, "people": sum(people_of(v) for v in visits), "full": False})
    return board


def desk_context(site: Site, now: datetime | None = None) -> dict:
    """The dashboard's lists for `site`. Four queries: the day's open visits
    (on site, expected today and walk-ups waiting for their host, read together), the site's rooms, the labels
    of their hosts, recently left.

    Drawn as of the minute (`now` without its seconds): what the clock alone
    changes (minutes waiting, overdue, R3.2) then changes once a minute, so a
    refresh within the minute that finds nothing new can keep what it has
    (live_marker), and the whole page and its refreshes agree."""
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    rows = _Rows(site, now)
    visits = Visit.objects.for_site(site)

    waiting_for_host = visits.filter(status=VisitStatus.AWAITING_HOST)
    open_today = list(
        (visits.on_site() | Visit.objects.expected_on(site, now) | waiting_for_host).order_by().values(*OPEN_VISIT)
    )
    rooms = list(ReceptionRoom.objects.filter(site=site).order_by(*BOARD_ORDER))
    room_names = {room.pk: (room.name, room.name_zh) for room in rooms}
    rows.label_hosts({row["host_id"] for row in open_today} - {None})
    arrived, awaited, asking = [], [], []
    for row in open_today:
        row["room__name"], row["room__name_zh"] = room_names.get(row["room_id"], (None, None))
        if row["status"] == VisitStatus.ON_SITE:
            arrived.append(row)
        elif row["status"] == VisitStatus.AWAITING_HOST:
            asking.append(row)
        else:
            awaited.append(row)
    awaiting_host = [rows.awaiting_host(row) for row in sorted(asking, key=itemgetter("registered_at", "pk"))]
    on_site = [rows.on_site(row) for row in sorted(arrived, key=itemgetter("checked_in_at", "pk"))]
    expected = [rows.expected(row) for row in sorted(awaited, key=itemgetter("expected_at", "pk"))]

    board = room_board(site, on_site, room_of=itemgetter("room_id"), people_of=itemgetter("party_size"), rooms=rooms)
    for room in board:
        room["named"] = room["visits"] if len(room["visits"]) <= ROOM_NAMES_SHOWN else []

    start_of_day = site.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    recently_left = [
        rows.left(row)
        for row in visits.filter(status=VisitStatus.LEFT, checked_out_at__gte=start_of_day)
        .order_by("-checked_out_at", "-pk")
        .values("pk", "visitor__full_name", "room__name", "room__name_zh", "checked_out_at")[:RECENTLY_LEFT]
    ]

    # The notifications panel's counts (R3.2): acknowledged, else overdue, else waiting.
    ack = {"waiting": 0, "overdue": 0, "acknowledged": 0}
    for row in on_site:
        ack["acknowledged" if row["acknowledged"] else "overdue" if row["overdue"] else "waiting"] += 1

    return {
        "site": site,
        "now": now,
        "expected": expected,
        "awaiting_host": awaiting_host,
        "on_site": on_site,
        "on_site_people": sum(row["party_size"] for row in on_site),
        "ack": ack,
        "board": board,
        "recently_left": recently_left,
    }


def live_marker(site: Site, now: datetime) -> str:
    """A string that changes whenever the dashboard's live part (desk_context)
    would: one indexed read, for the desk's 30-second refresh to be answered
    304 when nothing changed (issue #24).

    - The head of the site's audit chain, its number and hash: every change
      Lobby makes to a visit (registration, check-in and out,
      acknowledgement, amendment, a hold), a room, a category or the site is
      an event in it (R6.4). The hash, not the number alone, so that a
      database restored from a backup and written to again never matches a
      part drawn before.
    - The minute: desk_context draws the part as of the minute, so the
      waiting minutes, an acknowledgement falling overdue (R3.2), "expected
      today" at midnight and the "updated at" line change with it and with
      nothing finer. It also bounds, to a minute, how long a change made
      outside the chain can go unseen: a host's name or department (R3.1),
      which the rows show but no audit event records.

    The duty panel and the notification details are not in the live part:
    the first is drawn with the whole page, the second polls on its own."""
    return _marker(site.pk, now)


def current_marker(request, site: Site, now: datetime) -> str:
    """live_marker, reusing the one unchanged_poll read for this request when
    it was for the same site and minute (a poll it could not answer)."""
    early = getattr(request, "desk_marker", None)
    if early is not None and early[0] == site.pk and early[1] == int(now.timestamp() // 60):
        return early[2]
    return live_marker(site, now)


def _marker(site_id: int, now: datetime) -> str:
    alias = router.db_for_read(AuditEvent)
    rows = prebuilt.fetch(alias, _chain_head_sql(alias), site_id)
    head = rows[0] if rows else (0, "")
    return f"{site_id}.{head[0]}.{head[1][:16]}.{int(now.timestamp() // 60)}"


@cache
def _chain_head_sql(alias: str) -> str:
    """The SQL of a site's newest audit event (its number and hash): building
    it was a third of what the repeat poll cost (issue #24)."""
    return prebuilt.sql_of(
        lambda site_id: (
            AuditEvent.objects.using(alias).filter(site_id=site_id).order_by("-seq").values_list("seq", "hash")[:1]
        )
    )


# --- the refresh that finds nothing new ------------------------------------------
#
# A desk polls the live part every 30 seconds and nearly every poll finds the
# part it holds still current. Such a poll is answered 304 by
# DeskPollMiddleware before the signed-in user is read (issue #24), from a
# note ("poll grant") that the last full answer to the same session left in
# the cache. What a grant lets through is only "what you hold is still
# current": a 304 has no body. Each grant is bound to
# - the session it was written for, and that session's signed-in account: a
#   sign-out or a sign-in as someone else ends it;
# - the reader's language and the exact ETag (marker, account, buttons);
# - the minute its part was drawn in, because the marker holds the minute:
#   every minute, and after every change at the site, the poll goes the whole
#   way again, through the sign-in, permission and idle checks. An account
#   disabled or stripped of its permission at the desk is refused at its
#   next full poll, within the minute, and learns nothing meanwhile.

POLL_GRANT_KEY = "desk-poll:{}"


def grant_poll(request, *, etag: str, site: Site, marker: str, now: datetime) -> None:
    """Note, for DeskPollMiddleware, that this session was just sent the live
    part under `etag`, after the full checks."""
    if not request.session.session_key:
        return
    grant = {
        "user": request.session.get(SESSION_KEY),
        "etag": etag,
        "site": site.pk,
        "marker": marker,
        "language": get_language(),
    }
    shared_cache.set(POLL_GRANT_KEY.format(request.session.session_key), grant, 61 - now.second)


def unchanged_poll(request) -> HttpResponseNotModified | None:
    """The 304 for a poll whose session holds a grant that still matches, the
    site having changed nothing since; None sends the poll the whole way."""
    user = request.session.get(SESSION_KEY)
    if user is None:
        return None
    grant = shared_cache.get(POLL_GRANT_KEY.format(request.session.session_key))
    if grant is None or grant["user"] != user or grant["language"] != get_language():
        return None
    if request.headers.get("If-None-Match") != grant["etag"]:
        return None
    now = timezone.now()
    last_activity = request.session.get(IDLE_SESSION_KEY)
    if last_activity is None or now.timestamp() - last_activity > settings.IDLE_TIMEOUT_MINUTES * 60:
        return None  # the whole way, where the idle sign-out happens (R4.1)
    marker = _marker(grant["site"], now)
    if marker != grant["marker"]:
        request.desk_marker = (grant["site"], int(now.timestamp() // 60), marker)
        return None
    response = HttpResponseNotModified()
    response["ETag"] = grant["etag"]
    patch_cache_control(response, private=True, no_cache=True)
    return response


# The live part's buttons, by the permission that shows each; the part is
# drawn once for each combination a site's readers have.
LIVE_BUTTONS = ("check_in_visit", "check_out_visit", "register_visit")
LIVE_TEMPLATE = "visitors/_dashboard_live.html"
# Longer than the minute the part is drawn for, which is in its key.
LIVE_CACHE_SECONDS = 120


def live_buttons(user) -> str:
    """Which of the live part's buttons `user` sees, as "101"."""
    return "".join("1" if user.has_perm(f"visitors.{name}") else "0" for name in LIVE_BUTTONS)


def _drawn_once(request, key: str, draw: Callable[[], str]) -> SafeString:
    """The drawing cached under `key`, drawn by `draw()` when missing, with the
    reader's own CSRF token put where the drawing holds its slot."""
    html = shared_cache.get(key)
    if html is None:
        html = draw()
        shared_cache.set(key, html, LIVE_CACHE_SECONDS)
    return with_reader_token(request, html)


def live_part(request, site: Site, now: datetime, *, marker: str | None = None) -> SafeString:
    """The dashboard's live part for this reader, drawn once per site, minute,
    change, language and set of buttons, and shared by every desk of the site
    through the cache (issue #24).

    The key is the live_marker (the head of the site's audit chain and the
    minute), so any change Lobby makes to what the part shows draws it afresh
    on the next load, and what the clock alone changes (minutes waiting, R3.2
    overdue) follows the minute; a conditional refresh is answered 304 by
    the same marker. Nothing in the part belongs to one reader but their
    buttons (in the key) and their CSRF token, put into the shared drawing
    per response."""
    marker = marker or live_marker(site, now)
    buttons = live_buttons(request.user)
    shown = {name: flag == "1" for name, flag in zip(LIVE_BUTTONS, buttons, strict=True)}
    return _drawn_once(
        request,
        f"desk-live:{marker}:{get_language()}:{buttons}",
        lambda: render_to_string(
            LIVE_TEMPLATE, {**desk_context(site, now), "perms": {"visitors": shown}, "csrf_token": CSRF_SLOT}
        ),
    )


# The duty panel's links, by the permission that shows each.
DUTY_LINKS = ("view_rosterentry", "view_handover")


def duty_part(request, site: Site, now: datetime, *, marker: str) -> SafeString:
    """The duty panel as the dashboard page shows it (R1.5, R6.6, R6.8), drawn
    once per site, minute and change like the live part: what it shows (the
    roster, the night's visits, waiting handovers) changes only through the
    admin, the desk and the registers, each of which writes to the site's
    audit chain, or with the clock (the night starting, the 16:00 warning),
    which the minute in the marker follows."""
    links = {name: request.user.has_perm(f"reception.{name}") for name in DUTY_LINKS}
    flags = "".join("1" if links[name] else "0" for name in DUTY_LINKS)
    return _drawn_once(
        request,
        f"desk-duty:{marker}:{get_language()}:{flags}",
        lambda: render_to_string(
            "reception/_duty_panel.html", {**duty_panel_context(site, now=now), "perms": {"reception": links}}
        ),
    )


# A row of the visitor log as read: the room, category and host by id only.
LOG_VISIT = (
    *(name for name in PARTY if not name.startswith(("room__", "host__", "category__"))),
    "category_id",
    "day_at",
    "checked_in_at",
    "checked_out_at",
    "status",
)


def log_rows(visits, site: Site, names: dict) -> list[LogRow]:
    """A page of the visitor log (a queryset of visits annotated with their
    log day, in log order) as formatted rows, in one query. The rooms,
    categories and hosts are named from `names` (LogFilterForm.names: the
    site's, which the log's filters read anyway); joining them to the rows
    cost PostgreSQL more to plan than to run (issue #24). A row naming one
    that `names` lacks (a host who has left) has it read."""
    rows = _Rows(site, timezone.now())
    page = list(visits.values(*LOG_VISIT))
    rooms, categories = names["rooms"], names["categories"]
    missing_rooms = {row["room_id"] for row in page} - rooms.keys() - {None}
    missing_categories = {row["category_id"] for row in page} - categories.keys()
    if missing_rooms:
        rooms = {**rooms, **{r.pk: (r.name, r.name_zh) for r in ReceptionRoom.objects.filter(pk__in=missing_rooms)}}
    if missing_categories:
        found = visits.filter(category_id__in=missing_categories).values_list("category_id", "category__code")
        categories = {**categories, **dict(found)}
    rows.hosts.update((pk, label or "—") for pk, label in names["hosts"].items())
    rows.label_hosts({row["host_id"] for row in page} - rows.hosts.keys())
    for row in page:
        row["room__name"], row["room__name_zh"] = rooms.get(row["room_id"], (None, None))
        row["category__code"] = categories[row["category_id"]]
    return [rows.logged(row) for row in page]
