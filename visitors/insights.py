"""Insight for the office director and the office manager (issue #20): how
many visitors came and when, how fast hosts acknowledged them (R3.2), how full
the rooms were (R1.3), how invitations fared, and the night window (R6.8),
for one site and a range of its local days, beside the period before.

Reads only, and every figure is aggregated by the database: the queries
return at most a row per day, hour, room, category, host or night, never a row
per visit, so their number and the work done here do not grow with the
history (tests/visitors/test_insights.py pins both). Days, hours and weekdays
are the site's own (TruncDate, ExtractHour and ExtractIsoWeekDay with the
site's tzinfo): a visit at 23:30 local time counts on that local day.

Definitions (docs/user-guide.md repeats them for readers):

- A visit *arrived* in the period when it was checked in during it; arrivals
  are what every visit count below counts.
- *Time on site* is check-out minus check-in, of the arrivals that have left.
  p90 is the nearest-rank 90th percentile: the ceil(0.9 × n)-th shortest.
- *Acknowledgement* buckets compare the minutes from arrival to the host's
  acknowledgement with the visit's category's deadline d: within d/2, within
  d, within 2d, later, or never.
- A *late acknowledgement* is an arrival acknowledged after its deadline, or
  never acknowledged while the visitor stayed past it (checked out after it,
  or still on site now).
- *Room utilisation* by hour h: the people (party sizes) of the arrivals
  received in the room whose stay touched local clock hour h, summed over the
  period, divided by the room's capacity times the days of the period. A stay
  touches an hour when any part of it, to the minute, falls in it (a visit
  from 10:40 to 11:10 touches 10:00 and 11:00); a stay past midnight touches
  the hours from its arrival to midnight and from midnight to its departure
  (the days in between of a stay over 24 hours are not counted). A visitor
  still on site stays until now.
- *Refusals because a room was full* are not recorded: the desk refuses the
  registration (ReceptionError "room_full") and nothing is written, so there
  is nothing to count; the page says so instead of guessing.
- An *invitation* is due when its visit was expected in the period, before
  now, and not cancelled; a *no-show* is a due invitation whose visitor never
  checked in; *confirmed in advance* means the visitor confirmed by the
  expected time.
- A *night* is named by the local day it ended (as the morning report,
  R6.8); its visits are the registrations made in the night window, and a
  *stand-in* is one made by someone other than the night-duty officer, with
  the override reason they gave.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Avg, Case, Count, DurationField, ExpressionWrapper, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reception.models import ReceptionRoom, Site, VisitorCategory, staff_labels
from visitors.models import Invitation, Notification, Visit, VisitSource, VisitStatus

# --- the period -------------------------------------------------------------

PRESETS = {
    "last_7_days": gettext_lazy("Last 7 days"),
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "this_year": gettext_lazy("This year"),
}
CUSTOM = "custom"
# A custom range is at most this long: the page is built for a year at most.
LONGEST_RANGE_DAYS = 366


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, on the same day of the month or, past the
    end of a shorter month, its last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


@dataclass(frozen=True)
class Period:
    """Local days of a site: from `start` up to, not including, `end`."""

    start: date
    end: date
    # Months the previous period lies back (0: the same number of days just before).
    months_back: int = 0

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def bounds(self, site: Site) -> tuple[datetime, datetime]:
        """The period's first and first-after moments: the site's local midnights."""
        tz = site.tzinfo
        return (
            datetime.combine(self.start, datetime.min.time(), tzinfo=tz),
            datetime.combine(self.end, datetime.min.time(), tzinfo=tz),
        )

    def previous(self) -> "Period":
        """The period to compare with. A month or year to date is compared with
        the same days of the month or year before, a whole month with the whole
        month before; any other range with as many days just before it."""
        if not self.months_back:
            return Period(self.start - timedelta(days=self.days), self.start)
        start = add_months(self.start, -self.months_back)
        if self.end.day == 1:
            end = add_months(self.end, -self.months_back)
        else:
            end = min(add_months(self.last_day, -self.months_back) + timedelta(days=1), self.start)
        return Period(start, end, self.months_back)


def preset_period(preset: str, today: date) -> Period:
    """The period a preset names, seen on the site's local `today`."""
    tomorrow = today + timedelta(days=1)
    if preset == "this_month":
        return Period(today.replace(day=1), tomorrow, months_back=1)
    if preset == "last_month":
        first = today.replace(day=1)
        return Period(add_months(first, -1), first, months_back=1)
    if preset == "this_year":
        return Period(today.replace(month=1, day=1), tomorrow, months_back=12)
    return Period(today - timedelta(days=6), tomorrow)


def month_period(first: date) -> Period:
    """A whole calendar month (the monthly report's), compared with the month before."""
    return Period(first, add_months(first, 1), months_back=1)


# --- the figures ------------------------------------------------------------


@dataclass
class Table:
    """One chart's numbers: what the page draws, lists in a table and offers
    as CSV, and the monthly report prints. `rows` are tuples of a label and
    numbers, in the order of `columns`."""

    slug: str
    title: str
    columns: list[str]
    rows: list[tuple]
    chart: str = ""  # "bars", "stacked", "heatmap" or "" (a table alone)
    note: str = ""
    # Which columns the chart draws (by index); the label is column 0.
    series: list[int] = field(default_factory=list)


@dataclass
class Insights:
    site: Site
    period: Period
    previous: Period
    tables: list[Table]

    def table(self, slug: str) -> Table:
        return next(table for table in self.tables if table.slug == slug)


def _duration():
    return ExpressionWrapper(F("checked_out_at") - F("checked_in_at"), output_field=DurationField())


def _minutes(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    if not isinstance(value, timedelta):  # some backends average a duration as microseconds
        value = timedelta(microseconds=value)
    return round(value.total_seconds() / 60, 1)


def _percent(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


def _p90(visits, count: int) -> float | None:
    """Nearest-rank p90 of time on site: the ceil(0.9 × count)-th shortest
    stay, read with ORDER BY and OFFSET (portable; PostgreSQL's
    percentile_cont has no SQLite counterpart). One query, none without stays."""
    if not count:
        return None
    rank = math.ceil(0.9 * count) - 1
    value = visits.annotate(stay=_duration()).order_by("stay").values_list("stay", flat=True)[rank]
    return _minutes(value)


def _late(categories, now: datetime) -> Q:
    """R3.2: an arrival acknowledged after its category's deadline, or never
    acknowledged while the visitor stayed past it."""
    late = Q(pk__in=[])
    for category in categories:
        due = F("checked_in_at") + timedelta(minutes=category.ack_deadline_minutes)
        late |= Q(category_id=category.pk) & (
            Q(acknowledged_at__gt=due)
            | Q(acknowledged_at__isnull=True, checked_out_at__gt=due)
            | Q(
                acknowledged_at__isnull=True,
                checked_out_at__isnull=True,
                status=VisitStatus.ON_SITE,
                checked_in_at__lt=now - timedelta(minutes=category.ack_deadline_minutes),
            )
        )
    return late


ACK_BUCKETS = (
    # (slug, label, upper bound as a multiple of the deadline)
    ("half", gettext_lazy("Within half the deadline"), 0.5),
    ("deadline", gettext_lazy("Within the deadline"), 1),
    ("double", gettext_lazy("Within twice the deadline"), 2),
    ("later", gettext_lazy("Later"), None),
)


def _ack_bucket_filters(categories) -> dict[str, Q]:
    """Each bucket of ACK_BUCKETS and "never", as one condition over every
    category (each category's deadline is a constant in the SQL)."""
    filters = {slug: Q(pk__in=[]) for slug, _label, _bound in ACK_BUCKETS}
    for category in categories:
        lower = None
        for slug, _label, bound in ACK_BUCKETS:
            here = Q(category_id=category.pk, acknowledged_at__isnull=False)
            if lower is not None:
                here &= Q(acknowledged_at__gt=F("checked_in_at") + lower)
            if bound is not None:
                upper = timedelta(minutes=category.ack_deadline_minutes * bound)
                here &= Q(acknowledged_at__lte=F("checked_in_at") + upper)
                lower = upper
            filters[slug] |= here
    filters["never"] = Q(acknowledged_at__isnull=True)
    return filters


def _night_day(site: Site):
    """The local day a night-window moment's night ended on (as the morning
    report names nights): a window across midnight ends the next day for a
    moment after its start. Shifting by the time from the window's start to
    midnight moves exactly those moments to the next day (read on the UTC
    offset of the shifted moment: on a night when the clocks change, a visit
    within an hour of midnight may be put on the other night)."""
    if site.night_starts > site.night_ends:
        start = datetime.combine(date.min, site.night_starts)
        shift = datetime.combine(date.min + timedelta(days=1), datetime.min.time()) - start
    else:
        shift = timedelta(0)
    return TruncDate(F("registered_at") + shift, tzinfo=site.tzinfo)


WEEKDAYS = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)
TOP = 10
STAND_INS_LISTED = 50


def build_insights(*, site: Site, period: Period, now: datetime | None = None) -> Insights:
    """Every figure of the insights page for `site` over `period`, beside the
    previous period. A fixed number of queries (16, and one per p90 that has
    stays to rank), each an aggregate; labels are translated in the active
    language."""
    now = now or timezone.now()
    tz = site.tzinfo
    previous = period.previous()
    start, end = period.bounds(site)
    prev_start, _prev_end = previous.bounds(site)
    categories = list(VisitorCategory.objects.filter(site=site).order_by("code"))  # query 1
    site_visits = Visit.objects.filter(site=site)
    arrived = site_visits.filter(checked_in_at__gte=start, checked_in_at__lt=end)
    late = _late(categories, now)

    # The summary, this period and the previous one in one pass (query 2).
    current = Q(checked_in_at__gte=start)
    before = Q(checked_in_at__lt=start)
    left = Q(checked_out_at__isnull=False)
    summary = site_visits.filter(checked_in_at__gte=prev_start, checked_in_at__lt=end).aggregate(
        arrivals=Count("pk", filter=current),
        prev_arrivals=Count("pk", filter=before),
        stays=Count("pk", filter=current & left),
        prev_stays=Count("pk", filter=before & left),
        average=Avg(_duration(), filter=current & left),
        prev_average=Avg(_duration(), filter=before & left),
        late=Count("pk", filter=current & late),
        prev_late=Count("pk", filter=before & late),
    )
    p90 = _p90(arrived.filter(left), summary["stays"])  # query 3
    prev_p90 = _p90(  # query 4
        site_visits.filter(checked_in_at__gte=prev_start, checked_in_at__lt=start).filter(left), summary["prev_stays"]
    )

    # Invitations, both periods (query 5).
    due = Invitation.objects.filter(
        visit__site=site, visit__expected_at__gte=prev_start, visit__expected_at__lt=min(end, now)
    ).exclude(visit__status=VisitStatus.CANCELLED)
    invited_now = Q(visit__expected_at__gte=start)
    invited_before = Q(visit__expected_at__lt=start)
    no_show = Q(visit__checked_in_at__isnull=True)
    confirmed = Q(confirmed_at__isnull=False, confirmed_at__lte=F("visit__expected_at"))
    invitations = due.aggregate(
        due=Count("pk", filter=invited_now),
        prev_due=Count("pk", filter=invited_before),
        no_show=Count("pk", filter=invited_now & no_show),
        prev_no_show=Count("pk", filter=invited_before & no_show),
        confirmed=Count("pk", filter=invited_now & confirmed),
        prev_confirmed=Count("pk", filter=invited_before & confirmed),
    )

    def change(now_value, before_value):
        if now_value is None or before_value is None:
            return None
        return round(now_value - before_value, 1)

    summary_rows = [
        (_("Arrivals"), summary["arrivals"], summary["prev_arrivals"]),
        (_("Visits that have left"), summary["stays"], summary["prev_stays"]),
        (
            _("Average minutes on site"),
            _minutes(summary["average"]),
            _minutes(summary["prev_average"]),
        ),
        (_("p90 minutes on site"), p90, prev_p90),
        (_("Late acknowledgements"), summary["late"], summary["prev_late"]),
        (
            _("Late acknowledgements, share of arrivals (%)"),
            _percent(summary["late"], summary["arrivals"]),
            _percent(summary["prev_late"], summary["prev_arrivals"]),
        ),
        (_("Invitations due"), invitations["due"], invitations["prev_due"]),
        (
            _("No-show rate, %"),
            _percent(invitations["no_show"], invitations["due"]),
            _percent(invitations["prev_no_show"], invitations["prev_due"]),
        ),
        (
            _("Confirmed in advance, %"),
            _percent(invitations["confirmed"], invitations["due"]),
            _percent(invitations["prev_confirmed"], invitations["prev_due"]),
        ),
    ]
    tables = [
        Table(
            "summary",
            _("Summary"),
            [_("Measure"), _("This period"), _("Previous period"), _("Change")],
            [(label, value, prev, change(value, prev)) for label, value, prev in summary_rows],
        )
    ]

    # Arrivals per local day, category and source (query 6).
    per_day = defaultdict(lambda: defaultdict(int))
    per_source = defaultdict(int)
    for row in (
        arrived.annotate(day=TruncDate("checked_in_at", tzinfo=tz))
        .values("day", "category_id", "source")
        .annotate(visits=Count("pk"))
        .order_by()
    ):
        per_day[row["day"]][row["category_id"]] += row["visits"]
        per_source[row["source"]] += row["visits"]
    names = [category.name for category in categories]
    days = [period.start + timedelta(days=n) for n in range(period.days)]
    series = list(range(1, len(categories) + 1))
    day_rows = []
    for day in days:
        counts = [per_day[day][category.pk] for category in categories]
        day_rows.append((day.isoformat(), *counts, sum(counts)))
    tables.append(
        Table(
            "daily",
            _("Arrivals per day, by category"),
            [_("Day"), *names, _("Total")],
            day_rows,
            chart="stacked",
            series=series,
        )
    )
    weeks: dict[str, list[int]] = {}
    for day in days:
        year, week, _weekday = day.isocalendar()
        counts = weeks.setdefault(f"{year}-W{week:02d}", [0] * len(categories))
        for index, category in enumerate(categories):
            counts[index] += per_day[day][category.pk]
    tables.append(
        Table(
            "weekly",
            _("Arrivals per ISO week, by category"),
            [_("Week"), *names, _("Total")],
            [(week, *counts, sum(counts)) for week, counts in weeks.items()],
            chart="stacked",
            series=series,
        )
    )

    # Arrivals by local hour and weekday (query 7).
    heat = defaultdict(int)
    for row in (
        arrived.annotate(
            hour=ExtractHour("checked_in_at", tzinfo=tz), weekday=ExtractIsoWeekDay("checked_in_at", tzinfo=tz)
        )
        .values("hour", "weekday")
        .annotate(visits=Count("pk"))
        .order_by()
    ):
        heat[row["hour"], row["weekday"]] += row["visits"]
    tables.append(
        Table(
            "arrivals_by_hour",
            _("Arrivals by hour of day and weekday"),
            [_("Hour"), *[str(day) for day in WEEKDAYS]],
            [(f"{hour:02d}:00", *[heat[hour, weekday] for weekday in range(1, 8)]) for hour in range(24)],
            chart="heatmap",
            series=list(range(1, 8)),
        )
    )

    # Minutes to acknowledge against each category's deadline (query 8).
    buckets = _ack_bucket_filters(categories)
    by_category = {
        row["category_id"]: row
        for row in arrived.values("category_id")
        .annotate(**{slug: Count("pk", filter=condition) for slug, condition in buckets.items()})
        .order_by()
    }
    bucket_slugs = [slug for slug, _label, _bound in ACK_BUCKETS] + ["never"]
    tables.append(
        Table(
            "acknowledgement",
            _("Minutes to acknowledge against the deadline (R3.2)"),
            [
                _("Category"),
                _("Deadline (minutes)"),
                *[str(label) for _slug, label, _bound in ACK_BUCKETS],
                _("Never acknowledged"),
            ],
            [
                (
                    category.name,
                    category.ack_deadline_minutes,
                    *[by_category.get(category.pk, {}).get(slug, 0) for slug in bucket_slugs],
                )
                for category in categories
            ],
            chart="stacked",
            series=list(range(2, 2 + len(bucket_slugs))),
        )
    )

    # Escalations by step: visits that reached each step (query 9).
    steps = (
        Notification.objects.filter(
            kind=Notification.Kind.ESCALATION,
            visit__site=site,
            visit__checked_in_at__gte=start,
            visit__checked_in_at__lt=end,
        )
        .values("step")
        .annotate(visits=Count("visit", distinct=True))
        .order_by("step")
    )
    tables.append(
        Table(
            "escalation",
            _("Arrivals escalated, by step (R3.2)"),
            [_("Step"), _("Visits"), _("Share of arrivals (%)")],
            [
                (
                    _("Step %(step)s") % {"step": row["step"]},
                    row["visits"],
                    _percent(row["visits"], summary["arrivals"]),
                )
                for row in steps
            ],
            chart="bars",
            series=[1],
        )
    )

    # Hosts (query 10, and 11 for their labels) and departments (query 12)
    # with the most late acknowledgements.
    hosts = list(
        arrived.filter(late, host__isnull=False)
        .values("host_id")
        .annotate(late=Count("pk"))
        .order_by("-late", "host_id")[:TOP]
    )
    labels = staff_labels([row["host_id"] for row in hosts]) if hosts else {}
    tables.append(
        Table(
            "late_hosts",
            _("Hosts with the most late acknowledgements"),
            [_("Host"), _("Late acknowledgements")],
            [(labels.get(row["host_id"], ""), row["late"]) for row in hosts],
            chart="bars",
            series=[1],
        )
    )
    departments = (
        arrived.filter(late)
        .annotate(department_name=Coalesce("department__name", "host__profile__department__name"))
        .filter(department_name__isnull=False)
        .values("department_name")
        .annotate(late=Count("pk"))
        .order_by("-late", "department_name")[:TOP]
    )
    tables.append(
        Table(
            "late_departments",
            _("Departments with the most late acknowledgements"),
            [_("Department"), _("Late acknowledgements")],
            [(row["department_name"], row["late"]) for row in departments],
            chart="bars",
            series=[1],
        )
    )

    # Rooms by hour (queries 13 and 14).
    rooms = list(ReceptionRoom.objects.filter(site=site).order_by("sort_order", "name"))
    stay_end = Coalesce("checked_out_at", Value(now))
    people = defaultdict(lambda: [0] * 24)
    for row in (
        arrived.filter(room__isnull=False)
        .alias(in_day=TruncDate("checked_in_at", tzinfo=tz), out_day=TruncDate(stay_end, tzinfo=tz))
        .annotate(
            in_hour=ExtractHour("checked_in_at", tzinfo=tz),
            out_hour=ExtractHour(stay_end, tzinfo=tz),
            overnight=Case(When(out_day__gt=F("in_day"), then=Value(True)), default=Value(False)),
        )
        .values("room_id", "in_hour", "out_hour", "overnight")
        .annotate(people=Sum("party_size"))
        .order_by()
    ):
        if row["overnight"]:
            hours = [*range(row["in_hour"], 24), *range(0, row["out_hour"] + 1)]
        else:
            hours = range(row["in_hour"], row["out_hour"] + 1)
        for hour in set(hours):
            people[row["room_id"]][hour] += row["people"]
    tables.append(
        Table(
            "rooms",
            _("Room utilisation by hour, share of capacity in per cent (R1.3)"),
            [_("Room"), _("Capacity"), *[f"{hour:02d}" for hour in range(24)]],
            [
                (
                    room.name,
                    room.capacity,
                    *[round(100 * count / (room.capacity * period.days), 1) for count in people[room.pk]],
                )
                for room in rooms
            ],
            chart="heatmap",
            series=list(range(2, 26)),
            note=_(
                "Refusals because a room was full are not recorded: the desk refuses such a registration "
                "and nothing is written, so they cannot be counted here."
            ),
        )
    )

    # Where registrations came from (from query 6).
    total = sum(per_source.values())
    tables.append(
        Table(
            "sources",
            _("Arrivals by how they were registered"),
            [_("Registered via"), _("Visits"), _("Share of arrivals (%)")],
            [(str(label), per_source[value], _percent(per_source[value], total)) for value, label in _SOURCES],
            chart="bars",
            series=[1],
        )
    )

    # The night window (queries 15 to 17).
    registered_at_night = site_visits.filter(night_registration=True, registered_at__gte=start, registered_at__lt=end)
    nights = (
        registered_at_night.annotate(night=_night_day(site))
        .values("night")
        .annotate(visits=Count("pk"), stand_ins=Count("pk", filter=~Q(night_override_reason="")))
        .order_by("night")
    )
    tables.append(
        Table(
            "nights",
            _("Night-window registrations per night (R6.8)"),
            [_("Night ending"), _("Visits"), _("Stand-ins")],
            [(row["night"].isoformat(), row["visits"], row["stand_ins"]) for row in nights],
            chart="bars",
            series=[1],
        )
    )
    stand_ins = list(
        registered_at_night.exclude(night_override_reason="")
        .values("registered_at", "registered_by_id", "night_override_reason")
        .order_by("-registered_at", "-pk")[:STAND_INS_LISTED]
    )
    by = staff_labels({row["registered_by_id"] for row in stand_ins}) if stand_ins else {}
    tables.append(
        Table(
            "stand_ins",
            _("Stand-ins for the night-duty officer, with their reasons (R6.8)"),
            [_("Registered at"), _("By"), _("Reason")],
            [
                (
                    site.local(row["registered_at"]).strftime("%Y-%m-%d %H:%M"),
                    by.get(row["registered_by_id"], ""),
                    row["night_override_reason"],
                )
                for row in stand_ins
            ],
        )
    )
    return Insights(site=site, period=period, previous=previous, tables=tables)


_SOURCES = VisitSource.choices
