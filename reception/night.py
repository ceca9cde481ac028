"""R6.8, the night rules: when a night runs on a site's clock, who may register
during it, and which stretches of it nobody on the roster covers."""

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import DutyCode, RosterEntry, Site, on_duty, staff_label

# From this local time on, the desk is warned about a night nobody covers (R6.8).
NIGHT_WARNING_FROM = time(16, 0)


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
    # Nobody signed in (a kiosk) is never the night-duty officer.
    signed_in = getattr(user, "pk", None) is not None
    if signed_in and any(officer.pk == user.pk for officer in officers):
        return ""
    override_reason = (override_reason or "").strip()
    if signed_in and user.has_perm("visitors.override_night_duty"):
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
