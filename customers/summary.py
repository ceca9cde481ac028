"""The monthly complaint summary (R5.5; issue #18 item 5): for the office
director, one site and one calendar month of the site's local days —
complaints by channel, severity, department and outcome, the median minutes
to the first reply and to closing, the overdue ones, and the follow-ups done
against those due with the average satisfaction, by tier.

A fixed number of queries (see build_summary). Medians are nearest-rank (the
ceil(n / 2)-th shortest), read with ORDER BY and OFFSET as visitors.insights
reads its p90: portable, where PostgreSQL's percentile_cont has no SQLite
counterpart. Each table is a visitors.insights.Table, so visitors.charts
draws it and the page lists its numbers beside the chart.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils.translation import gettext as _

from customers.models import Complaint, ComplaintChannel, ComplaintStatus, FollowUp, Severity, Tier
from reception.models import Site
from visitors.insights import Period, Table, _minutes, month_period


@dataclass
class Summary:
    site: Site
    period: Period
    tables: list[Table]

    def table(self, slug: str) -> Table:
        return next(table for table in self.tables if table.slug == slug)


def _since_opened(field: str):
    return ExpressionWrapper(F(field) - F("opened_at"), output_field=DurationField())


def _median(complaints, field: str, count: int) -> float | None:
    """Nearest-rank median minutes from opening to `field`: one query, none
    when nothing reached it."""
    if not count:
        return None
    rank = math.ceil(count / 2) - 1
    value = complaints.annotate(took=_since_opened(field)).order_by("took", "pk").values_list("took", flat=True)[rank]
    return _minutes(value)


def _counted(rows, choices, key: str) -> list[tuple]:
    """Rows of (label, count) in the choices' order, a zero for each missing one."""
    found = {row[key]: row["n"] for row in rows}
    return [(label, found.get(value, 0)) for value, label in choices]


def build_summary(*, site: Site, first: date, today: date) -> Summary:
    """The month starting on `first`, seen on the site's local `today` (a
    complaint is overdue when its reply-by day passed before its first reply,
    or before today while it has none). Seven queries, and one more per
    median that has something to measure."""
    period = month_period(first)
    tz = site.tzinfo
    start = datetime.combine(period.start, time.min, tzinfo=tz)
    end = datetime.combine(period.end, time.min, tzinfo=tz)
    opened = Complaint.objects.filter(site=site, opened_at__gte=start, opened_at__lt=end)
    number = _("Complaints")

    by_channel = opened.values("channel").annotate(n=Count("pk")).order_by()  # query 1
    by_severity = opened.values("severity").annotate(n=Count("pk")).order_by()  # query 2
    by_department = (
        opened.values("department__name").annotate(n=Count("pk")).order_by()  # query 3
    )
    by_status = opened.values("status").annotate(n=Count("pk")).order_by()  # query 4
    reached = opened.aggregate(  # query 5
        replied=Count("pk", filter=Q(first_replied_at__isnull=False)),
        closed=Count("pk", filter=Q(status=ComplaintStatus.CLOSED, closed_at__isnull=False)),
    )
    replied = opened.filter(first_replied_at__isnull=False)
    closed = opened.filter(status=ComplaintStatus.CLOSED, closed_at__isnull=False)
    median_reply = _median(replied, "first_replied_at", reached["replied"])  # query 6
    median_close = _median(closed, "closed_at", reached["closed"])  # query 7

    overdue = []
    candidates = opened.filter(reply_by__isnull=False).select_related("department", "handler__profile")
    for complaint in candidates.order_by("reply_by", "pk"):  # query 8
        answered = complaint.first_replied_at and complaint.first_replied_at.astimezone(tz).date()
        late = answered > complaint.reply_by if answered else complaint.reply_by < today
        if late:
            handler = complaint.handler
            overdue.append(
                (
                    complaint.reference,
                    complaint.get_severity_display(),
                    complaint.department.name if complaint.department else "",
                    (handler.profile.real_name or handler.get_username()) if handler else "",
                    complaint.reply_by.isoformat(),
                    answered.isoformat() if answered else _("not yet"),
                )
            )

    due = FollowUp.objects.filter(site=site, due_on__gte=period.start, due_on__lt=period.end)
    by_tier = due.values("customer__tier").annotate(  # query 9
        due=Count("pk"),
        done=Count("pk", filter=Q(done_at__isnull=False)),
        satisfaction=Avg("satisfaction", filter=Q(done_at__isnull=False)),
    )
    tiers = {row["customer__tier"]: row for row in by_tier.order_by()}
    tier_rows = []
    for value, label in Tier.choices:
        row = tiers.get(value, {"due": 0, "done": 0, "satisfaction": None})
        average = row["satisfaction"]
        satisfaction = None if average is None else round(float(average), 1)
        tier_rows.append((label, row["done"], row["due"] - row["done"], row["due"], satisfaction))

    tables = [
        Table(
            "channel",
            _("Complaints by channel"),
            [_("Channel"), number],
            _counted(by_channel, ComplaintChannel.choices, "channel"),
            chart="bars",
            series=[1],
        ),
        Table(
            "severity",
            _("Complaints by severity"),
            [_("Severity"), number],
            _counted(by_severity, Severity.choices, "severity"),
            chart="bars",
            series=[1],
        ),
        Table(
            "department",
            _("Complaints by department"),
            [_("Department"), number],
            # NULL sorts first on SQLite and last on PostgreSQL: the unrouted go last on both.
            sorted(
                ((row["department__name"] or _("Not routed yet"), row["n"]) for row in by_department),
                key=lambda row: (row[0] == _("Not routed yet"), row[0]),
            ),
            chart="bars",
            series=[1],
        ),
        Table(
            "outcome",
            _("Complaints by outcome"),
            [_("Status now"), number],
            _counted(by_status, ComplaintStatus.choices, "status"),
            chart="bars",
            series=[1],
        ),
        Table(
            "times",
            _("Median minutes"),
            [_("From opening"), _("Complaints"), _("Median minutes")],
            [
                (_("to the first reply"), reached["replied"], median_reply),
                (_("to closing"), reached["closed"], median_close),
            ],
            note=_("Of the complaints opened this month that got that far; the middle one (nearest rank)."),
        ),
        Table(
            "overdue",
            _("Overdue complaints"),
            [_("Complaint"), _("Severity"), _("Department"), _("Responsible person"), _("Reply by"), _("First reply")],
            overdue,
            note=_("Opened this month and not replied to by their reply-by day."),
        ),
        Table(
            "follow_ups",
            _("Follow-ups by tier"),
            [_("Tier"), _("Done"), _("Not done"), _("Due"), _("Average satisfaction (1-5)")],
            tier_rows,
            chart="bars",
            series=[1, 2],
            note=_("Follow-ups due this month, and those of them done."),
        ),
    ]
    return Summary(site=site, period=period, tables=tables)


def default_month(today: date) -> date:
    """Last month's first day: the summary is read once a month is over."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
