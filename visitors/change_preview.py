"""What a change to a site's rules would do to the visits already expected
today and tomorrow (issue #22 item 3), said before the office manager saves it:
a room that would no longer receive a booked category or party (R1.3), a night
window that moves booked arrivals in or out of the night officer's hours
(R6.8), a deadline or escalation chain that booked visits would be held to
(R3.2). Reads only; each function makes one query.

The rules themselves are asked, not repeated: a room's rule through
ReceptionRoom.allows on the room as it would be, the night window through
Site.in_night_window on the site as it would be, the chain through
escalation_chain.
"""

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reception.models import ReceptionRoom, Site, VisitorCategory
from visitors.escalation import DEFAULT_CHAIN, Step, escalation_chain
from visitors.models import Visit, VisitStatus


def expected_soon(site: Site, now: datetime | None = None) -> QuerySet[Visit]:
    """The site's visits expected from the start of its local today to the end of tomorrow."""
    start = site.local(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return Visit.objects.filter(
        site=site, status=VisitStatus.EXPECTED, expected_at__gte=start, expected_at__lt=start + timedelta(days=2)
    )


def room_change(
    room: ReceptionRoom,
    *,
    categories: Iterable[VisitorCategory],
    any_category: bool,
    active: bool,
    capacity: int,
    now: datetime | None = None,
) -> list[str]:
    """R1.3: the visits booked into `room` it would no longer receive as changed."""
    allowed = {category.pk for category in categories}
    visits = list(expected_soon(room.site, now).filter(room=room).select_related("category"))
    refused = Counter(
        visit.category.display_name
        for visit in visits
        if not active or not (any_category or visit.category_id in allowed)
    )
    received = [visit for visit in visits if active and (any_category or visit.category_id in allowed)]
    too_big = sum(1 for visit in received if visit.party_size > capacity)
    lines = [
        ngettext(
            "%(count)s expected %(category)s visit is booked into a room no longer allowed for it (R1.3).",
            "%(count)s expected %(category)s visits are booked into a room no longer allowed for them (R1.3).",
            count,
        )
        % {"count": count, "category": category}
        for category, count in sorted(refused.items())
    ]
    if too_big:
        lines.append(
            ngettext(
                "%(count)s expected visit has a party larger than %(capacity)s places (R1.3).",
                "%(count)s expected visits have a party larger than %(capacity)s places (R1.3).",
                too_big,
            )
            % {"count": too_big, "capacity": capacity}
        )
    return lines


def night_window_change(site: Site, *, starts: time, ends: time, now: datetime | None = None) -> list[str]:
    """R6.8: booked arrivals the new window would move into or out of the night."""
    if (starts, ends) == (site.night_starts, site.night_ends) or starts == ends:
        return []
    changed = Site(timezone=site.timezone, night_starts=starts, night_ends=ends)
    moments = list(expected_soon(site, now).values_list("expected_at", flat=True))
    into = sum(1 for at in moments if changed.in_night_window(at) and not site.in_night_window(at))
    out = sum(1 for at in moments if site.in_night_window(at) and not changed.in_night_window(at))
    lines = []
    if into:
        lines.append(
            ngettext(
                "%(count)s expected visit would arrive in the night window, for the night-duty officer (R6.8).",
                "%(count)s expected visits would arrive in the night window, for the night-duty officer (R6.8).",
                into,
            )
            % {"count": into}
        )
    if out:
        lines.append(
            ngettext(
                "%(count)s expected visit would no longer arrive in the night window (R6.8).",
                "%(count)s expected visits would no longer arrive in the night window (R6.8).",
                out,
            )
            % {"count": out}
        )
    return lines


def deadline_change(category: VisitorCategory, *, minutes: int, now: datetime | None = None) -> list[str]:
    """R3.2: booked visits that would be held to a different acknowledgement deadline."""
    if minutes == category.ack_deadline_minutes:
        return []
    count = expected_soon(category.site, now).filter(category=category).count()
    if not count:
        return []
    return [
        ngettext(
            "%(count)s expected %(category)s visit would have %(new)s minutes to be acknowledged, not %(old)s (R3.2).",
            "%(count)s expected %(category)s visits would have %(new)s minutes to be acknowledged, not %(old)s (R3.2).",
            count,
        )
        % {"count": count, "category": category.display_name, "new": minutes, "old": category.ack_deadline_minutes}
    ]


def chain_change(category: VisitorCategory, steps: list[Step], now: datetime | None = None) -> list[str]:
    """R3.2: booked visits whose escalation chain would change (no steps: the default chain)."""
    new = sorted(steps, key=lambda step: step.position) or list(DEFAULT_CHAIN)
    if new == escalation_chain(category):
        return []
    count = expected_soon(category.site, now).filter(category=category).count()
    if not count:
        return []
    chain = ", ".join(
        _("%(duty)s +%(minutes)s min") % {"duty": step.label, "minutes": step.delay_minutes} for step in new
    )
    return [
        ngettext(
            "%(count)s expected %(category)s visit would escalate to: %(chain)s (R3.2).",
            "%(count)s expected %(category)s visits would escalate to: %(chain)s (R3.2).",
            count,
        )
        % {"count": count, "category": category.display_name, "chain": chain}
    ]
