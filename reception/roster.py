"""Reading the roster: a week of it for the roster page, and the duty board
(who holds each duty now, tonight's night cover) and the duty panel built
on it for the desk dashboard."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext, pgettext_lazy

from reception import registers
from reception.models import (
    STAFF_LABEL_VALUES,
    DutyCode,
    Handover,
    RosterEntry,
    Site,
    actor_label,
    staff_label,
    staff_label_of,
)
from reception.night import (
    NIGHT_WARNING_FROM,
    NightWindow,
    current_or_last_night,
    current_or_next_night,
    night_ending_on,
    uncovered,
)

# Short weekdays as a front desk writes them: Django's Chinese "D" is 星期六,
# where a timetable says 周六.
WEEKDAYS_SHORT = [
    pgettext_lazy("weekday", "Mon"),
    pgettext_lazy("weekday", "Tue"),
    pgettext_lazy("weekday", "Wed"),
    pgettext_lazy("weekday", "Thu"),
    pgettext_lazy("weekday", "Fri"),
    pgettext_lazy("weekday", "Sat"),
    pgettext_lazy("weekday", "Sun"),
]


def day_label(moment: date) -> str:
    """The day as a timetable names it: "Sat 5 Dec", "12月5日 周六"."""
    day_and_month = formats.date_format(moment, pgettext("date format: day and month", "j M"))
    return pgettext("weekday and date", "%(weekday)s %(date)s") % {
        "weekday": WEEKDAYS_SHORT[moment.weekday()],
        "date": day_and_month,
    }


def time_range(starts: datetime, ends: datetime, *, day: date) -> str:
    """A span of local time as people write it in the active language, in the
    column of `day`: "09:00–17:00"; past midnight, "20:00 – 08:00 next day"
    ("20:00–次日08:00"); a start on another day, or an end two or more days
    later, names that day ("Sun 22 Nov 20:00 – 08:00 next day"). An end at the
    midnight after the start day is "24:00"."""
    start = formats.time_format(starts, "H:i")
    if starts.date() != day:
        start = f"{day_label(starts)} {start}"
    end = formats.time_format(ends, "H:i")
    days_later = (ends.date() - starts.date()).days
    if days_later == 1 and ends.time() == time.min:
        days_later, end = 0, "24:00"
    if days_later == 0 and starts.date() == day:
        return f"{start}–{end}"
    if days_later == 0:
        return gettext("%(start)s – %(end)s") % {"start": start, "end": end}
    if days_later == 1:
        return gettext("%(start)s – %(end)s next day") % {"start": start, "end": end}
    return gettext("%(start)s – %(end)s") % {"start": start, "end": f"{day_label(ends)} {end}"}


@dataclass(frozen=True)
class RosterShift:
    """One roster entry as a cell of a day: its times on the site's clock."""

    entry: RosterEntry
    label: str
    when: str
    now: bool


def _shift(site: Site, entry: RosterEntry, day: date, now: datetime) -> RosterShift:
    return RosterShift(
        entry=entry,
        label=staff_label(entry.user),
        when=time_range(site.local(entry.starts_at), site.local(entry.ends_at), day=day),
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
    def headings(self) -> list[str]:
        return [day_label(day) for day in self.days]

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


# The dashboard shows the start of the night log; the morning report has all of it.
NIGHT_LOG_MAX = 15


def duty_panel_context(site: Site | None, *, now: datetime | None = None) -> dict:
    """What the desk dashboard's duty panel shows for `site`: who holds each
    duty now, tonight's night duty and its gaps (R6.8), the night log and the
    handovers waiting for the incoming person (R6.6). Three queries, however
    busy the night.

    The dashboard draws the panel with its page (visitors.dashboard.duty_part);
    it then refreshes itself from reception:duty_panel, so the night officer's
    name and the 16:00 warning appear on a screen that stays open all day."""
    if site is None:
        return {"site": None}
    now = now or timezone.now()
    night = current_or_last_night(site, now)
    # 1: roster entries held now or tonight
    board = duty_board(site, now)
    # 2: the visits of this (or last) night, one more than shown to know if there are more;
    # read as the five values the log shows: building a visit, its visitor and
    # who signed it in (user, profile, department) cost more than the rest of
    # the panel on every load of the dashboard (issue #7).
    night_log = [
        {
            "visitor": row["visitor__full_name"],
            "checked_in_at": row["checked_in_at"],
            "checked_out_at": row["checked_out_at"],
            # R3.1 "Department-Name"; the kiosk for a visitor who checked
            # themself in; blank for an account without a staff profile.
            "signed_by": (
                actor_label(None)
                if row["checked_in_by"] is None
                else ""
                if row["checked_in_by__profile__real_name"] is None
                else staff_label_of(row, "checked_in_by__")
            ),
            "night_override_reason": row["night_override_reason"],
        }
        for row in registers.night_visits(site, night)
        .order_by("checked_in_at", "pk")
        .values(
            "visitor__full_name",
            "checked_in_at",
            "checked_out_at",
            "checked_in_by",
            "checked_in_by__profile__real_name",
            "checked_in_by__profile__department__name",
            "checked_in_by__profile__department__name_zh",
            "night_override_reason",
        )[: NIGHT_LOG_MAX + 1]
    ]
    # 3: handovers nobody has taken over yet
    waiting = list(
        Handover.objects.filter(site=site, acknowledged_at__isnull=True)
        .select_related("written_by__profile__department")
        .order_by("written_at", "pk")
    )
    return {
        "site": site,
        "now": now,
        "board": board,
        "night": night,
        "in_night": now in night,
        "night_log": night_log[:NIGHT_LOG_MAX],
        "night_log_more": len(night_log) > NIGHT_LOG_MAX,
        "report_day": site.local(night.end).date(),
        "waiting_handovers": waiting,
    }
