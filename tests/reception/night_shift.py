"""Helpers for the night-side tests: roster entries and visits made through the
services, as the desk would make them."""

from datetime import date, datetime, time, timedelta

from reception.models import Duty, DutyCode, RosterEntry, Site
from visitors import services
from visitors.models import Visit, Visitor


def local(site: Site, day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=site.tzinfo)


def roster(site: Site, duty: str, user, starts: datetime, ends: datetime, note: str = "") -> RosterEntry:
    return RosterEntry.objects.create(
        site=site, duty=Duty.objects.get(code=duty), user=user, starts_at=starts, ends_at=ends, note=note
    )


def roster_night(site: Site, user, evening: date) -> RosterEntry:
    """Night duty from the site's night start that evening to its end next morning."""
    return roster(
        site,
        DutyCode.NIGHT_OFFICER,
        user,
        datetime.combine(evening, site.night_starts, tzinfo=site.tzinfo),
        datetime.combine(evening + timedelta(days=1), site.night_ends, tzinfo=site.tzinfo),
    )


# What the night officer records at a night arrival (R6.8); not recorded by day.
NIGHT_FACTS = services.NightFacts(id_sighted=True, id_sighted_type="national_id", host_contacted=True)


def walk_in(*, category, room, by, at: datetime, name: str = "Walk-in Visitor", company: str = "", **extra) -> Visit:
    visit = Visit(category=category, room=room, purpose="Talks", **extra)
    visitor = Visitor(full_name=name, company=company)
    return services.register_visit(visit=visit, visitor=visitor, by=by, arrive_now=True, night_facts=NIGHT_FACTS, at=at)


def leave(visit: Visit, *, by, at: datetime) -> Visit:
    return services.check_out_visit(visit=visit, by=by, at=at)
