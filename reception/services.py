"""Reception rules that several workflows share."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import STAFF_LABEL_VALUES, DutyCode, RosterEntry, Site, on_duty, staff_label, staff_label_of


def night_duty_officers(site: Site, at: datetime) -> list:
    return list(on_duty(site, DutyCode.NIGHT_OFFICER, at))


def check_night_duty(*, site: Site, user, at: datetime, override_reason: str = "") -> str:
    """R6.8: inside the night window only the rostered night-duty officer registers.

    Returns the override reason when the office director stepped in (to be
    recorded on the visit), "" otherwise. Raises ReceptionError("night_duty")
    naming who is on night duty.
    """
    if not site.in_night_window(at):
        return ""
    officers = night_duty_officers(site, at)
    if any(officer.pk == user.pk for officer in officers):
        return ""
    override_reason = (override_reason or "").strip()
    if user.has_perm("visitors.override_night_duty"):
        if override_reason:
            return override_reason
        raise ReceptionError(
            "night_override_reason",
            _("It is night duty time; to register in place of the night-duty officer, give a reason."),
            field="night_override_reason",
        )
    names = ", ".join(staff_label(o) for o in officers) or _("nobody is rostered")
    raise ReceptionError(
        "night_duty",
        _(
            "From %(start)s to %(end)s visitors are registered by the night-duty officer (R6.8). "
            "On night duty now: %(names)s."
        )
        % {
            "start": formats.time_format(site.night_starts, "H:i"),
            "end": formats.time_format(site.night_ends, "H:i"),
            "names": names,
        },
    )


class NightWindow(NamedTuple):
    """One night of R6.8 as two instants in UTC; `end` is exclusive."""

    start: datetime
    end: datetime

    def __contains__(self, at: datetime) -> bool:
        return self.start <= at < self.end


def night_ending_on(site: Site, day: date) -> NightWindow:
    """The night window that ends on the site's local `day` (20:00 the evening
    before to 08:00 that morning by default).

    Each bound is put on the site's wall clock first and only then turned into
    UTC, so a night that spans a daylight-saving change is 11 or 13 hours long
    and still runs from 20:00 to 08:00 local time.
    """
    tz = site.tzinfo
    crosses_midnight = site.night_starts > site.night_ends
    start_day = day - timedelta(days=1) if crosses_midnight else day
    start = datetime.combine(start_day, site.night_starts, tzinfo=tz)
    end = datetime.combine(day, site.night_ends, tzinfo=tz)
    return NightWindow(start.astimezone(UTC), end.astimezone(UTC))


def current_or_last_night(site: Site, at: datetime | None = None) -> NightWindow:
    """The night window `at` falls in, or else the last one that has ended.

    The morning report and the handover read "last night" through this.
    """
    at = at or timezone.now()
    day = site.local(at).date()
    for offset in (1, 0, -1):
        window = night_ending_on(site, day + timedelta(days=offset))
        if window.start <= at:
            return window
    raise AssertionError("unreachable: a night ending yesterday has started")  # pragma: no cover


def current_or_next_night(site: Site, at: datetime | None = None) -> NightWindow:
    """The night window `at` falls in, or else the next one ("tonight").

    The 16:00 warning about an unstaffed night reads tonight through this.
    """
    at = at or timezone.now()
    day = site.local(at).date()
    for offset in (0, 1, 2):
        window = night_ending_on(site, day + timedelta(days=offset))
        if window.end > at:
            return window
    raise AssertionError("unreachable: a night ending the day after tomorrow has not ended")  # pragma: no cover


def uncovered(window: NightWindow, spans) -> list[NightWindow]:
    """The parts of `window` that none of the (start, end) `spans` covers."""
    gaps, cursor = [], window.start
    for start, end in sorted(spans):
        if start > cursor:
            gaps.append(NightWindow(cursor, min(start, window.end)))
        cursor = max(cursor, end)
        if cursor >= window.end:
            return gaps
    gaps.append(NightWindow(cursor, window.end))
    return gaps


def night_duty_gaps(site: Site, window: NightWindow) -> list[NightWindow]:
    """R6.8: the stretches of a night with no active night-duty officer rostered.

    An empty list means the whole night is covered. One query.
    """
    spans = (
        RosterEntry.objects.filter(site=site, duty__code=DutyCode.NIGHT_OFFICER, user__is_active=True)
        .overlapping(window.start, window.end)
        .values_list("starts_at", "ends_at")
    )
    return uncovered(window, spans)


# --- reading the roster ----------------------------------------------------------

# From this local time on, the desk is warned about a night nobody covers (R6.8).
NIGHT_WARNING_FROM = time(16, 0)


@dataclass(frozen=True)
class RosterShift:
    """One roster entry as a cell of a day: its times on the site's clock."""

    entry: RosterEntry
    label: str
    starts: str
    ends: str
    now: bool


def _shift(site: Site, entry: RosterEntry, day: date, now: datetime) -> RosterShift:
    starts, ends = site.local(entry.starts_at), site.local(entry.ends_at)
    same_day = "H:i" if starts.date() == day else "D j H:i"
    next_day = "H:i" if ends.date() == day else "D j H:i"
    return RosterShift(
        entry=entry,
        label=staff_label(entry.user),
        starts=formats.date_format(starts, same_day),
        ends=formats.date_format(ends, next_day),
        now=entry.starts_at <= now < entry.ends_at,
    )


def _night_starting_on(site: Site, day: date) -> NightWindow:
    crosses_midnight = site.night_starts > site.night_ends
    return night_ending_on(site, day + timedelta(days=1) if crosses_midnight else day)


@dataclass(frozen=True)
class RosterCell:
    shifts: list[RosterShift]
    gaps: list[NightWindow]


@dataclass(frozen=True)
class RosterWeek:
    """A week of the roster, Monday to Sunday on the site's clock.

    `rows` holds, per duty, seven cells: each entry appears on the day it starts
    (one from the week before appears on Monday). The night-duty cells also hold
    the stretches of that evening's night that nobody covers.
    """

    days: list[date]
    rows: list[tuple[str, str, list[RosterCell]]]

    @property
    def previous(self) -> date:
        return self.days[0] - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.days[0] + timedelta(days=7)


def roster_week(site: Site, day: date, *, now: datetime | None = None) -> RosterWeek:
    """The roster of the week containing the local `day`. One query."""
    now = now or timezone.now()
    monday = day - timedelta(days=day.weekday())
    days = [monday + timedelta(days=offset) for offset in range(7)]
    start = datetime.combine(monday, time.min, tzinfo=site.tzinfo)
    end = datetime.combine(monday + timedelta(days=7), time.min, tzinfo=site.tzinfo)
    nights = [_night_starting_on(site, d) for d in days]
    entries = list(
        RosterEntry.objects.filter(site=site)
        .overlapping(start, max(end, nights[-1].end))
        .select_related("duty", "user__profile__department")
        .order_by("starts_at", "pk")
    )
    cells: dict[str, list[list[RosterShift]]] = {code: [[] for _ in days] for code in DutyCode.values}
    for entry in entries:
        if entry.starts_at >= end:
            continue  # only read for the last night's cover
        local_day = max(site.local(entry.starts_at).date(), monday)
        cells[entry.duty.code][(local_day - monday).days].append(_shift(site, entry, local_day, now))
    night_spans = [
        (e.starts_at, e.ends_at) for e in entries if e.duty.code == DutyCode.NIGHT_OFFICER and e.user.is_active
    ]
    night_gaps = [
        uncovered(night, [s for s in night_spans if s[0] < night.end and s[1] > night.start]) for night in nights
    ]
    rows = []
    for code, label in DutyCode.choices:
        gaps = night_gaps if code == DutyCode.NIGHT_OFFICER else [[] for _ in days]
        rows.append(
            (code, label, [RosterCell(shifts, day_gaps) for shifts, day_gaps in zip(cells[code], gaps, strict=True)])
        )
    return RosterWeek(days=days, rows=rows)


@dataclass(frozen=True)
class DutyBoard:
    """Who holds each duty now, and tonight's night duty (R1.5, R6.8)."""

    on_duty: list[tuple[str, list[str]]]
    night: NightWindow
    in_night: bool
    night_officers: list[str]
    night_gaps: list[NightWindow]
    warn: bool


def duty_board(site: Site, now: datetime | None = None) -> DutyBoard:
    """The duties held now and tonight's cover. One query.

    Inside the night window the night officers are those on duty now; before
    it, those rostered for tonight. From NIGHT_WARNING_FROM on the day tonight
    begins, `warn` says that some of the rest of tonight has nobody on night duty.
    """
    now = now or timezone.now()
    night = current_or_next_night(site, now)
    # Read as values: with every host on the roster these are dozens of rows,
    # shown on each load of the desk dashboard (issue #7).
    entries = list(
        RosterEntry.objects.filter(site=site, user__is_active=True)
        .overlapping(now, night.end)
        .order_by("starts_at", "pk")
        .values("starts_at", "ends_at", "duty__code", *(f"user__{name}" for name in STAFF_LABEL_VALUES))
    )
    holding: dict[str, list[str]] = {}
    for entry in entries:
        entry["label"] = staff_label_of(entry, "user__")
        if entry["starts_at"] <= now:
            holding.setdefault(entry["duty__code"], []).append(entry["label"])
    in_night = now in night
    night_entries = [e for e in entries if e["duty__code"] == DutyCode.NIGHT_OFFICER]
    if in_night:
        officers = holding.get(DutyCode.NIGHT_OFFICER, [])
    else:
        officers = list(dict.fromkeys(e["label"] for e in night_entries if e["ends_at"] > night.start))
    rest_of_night = NightWindow(max(now, night.start), night.end)
    gaps = uncovered(rest_of_night, [(e["starts_at"], e["ends_at"]) for e in night_entries])
    warn_from = min(
        night.start,
        datetime.combine(site.local(night.start).date(), NIGHT_WARNING_FROM, tzinfo=site.tzinfo),
    )
    return DutyBoard(
        on_duty=[(label, holding[code]) for code, label in DutyCode.choices if code in holding],
        night=night,
        in_night=in_night,
        night_officers=officers,
        night_gaps=gaps,
        warn=bool(gaps) and now >= warn_from,
    )
