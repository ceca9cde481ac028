"""R2.2: how fairly the turns went, per salesperson, for a day or a week:
turns offered (taken or passed over), taken, passed over by reason, given by
override or as a returning customer's own salesperson, and the average
minutes from a customer's arrival to their greeting."""

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from django.utils import timezone

from customers.forms import FairnessForm
from customers.models import Assignment, AssignmentKind, RotationMember, Skip, SkipReason
from reception.models import Site, staff_labels


def period_bounds(site: Site, day: date, period: str) -> tuple[datetime, datetime]:
    if period == "week":
        day = day - timedelta(days=day.weekday())
    start = datetime.combine(day, datetime.min.time(), tzinfo=site.tzinfo)
    return start, start + timedelta(days=7 if period == "week" else 1)


def rows(site: Site, start: datetime, end: datetime) -> list[dict]:
    """One row per salesperson of the rotation (and anyone else given a
    customer in the period), in three queries."""
    assignments = list(
        Assignment.objects.filter(site=site, assigned_at__gte=start, assigned_at__lt=end).values(
            "salesperson_id", "kind", "arrived_at", "greeted_at"
        )
    )
    skips = list(
        Skip.objects.filter(
            assignment__site=site, assignment__assigned_at__gte=start, assignment__assigned_at__lt=end
        ).values_list("user_id", "reason")
    )
    order = list(RotationMember.objects.filter(queue__site=site).order_by("position").values_list("user_id", flat=True))
    kinds: dict[int, Counter] = defaultdict(Counter)
    waits: dict[int, list[float]] = defaultdict(list)
    for row in assignments:
        kinds[row["salesperson_id"]][row["kind"]] += 1
        if row["greeted_at"] is not None:
            waits[row["salesperson_id"]].append((row["greeted_at"] - row["arrived_at"]).total_seconds() / 60)
    skipped: dict[int, Counter] = defaultdict(Counter)
    for user_id, reason in skips:
        skipped[user_id][reason] += 1
    people = order + sorted(set(kinds) | set(skipped) - set(order))
    labels = staff_labels(people)
    result = []
    for pk in people:
        taken = kinds[pk][AssignmentKind.TURN]
        passed = skipped[pk]
        result.append(
            {
                "name": labels.get(pk, str(pk)),
                "offered": taken
                + sum(passed[reason] for reason in SkipReason if reason != SkipReason.OWNER_UNAVAILABLE),
                "taken": taken,
                "skipped": [(SkipReason(reason).label, passed[reason]) for reason in SkipReason if passed[reason]],
                "owner": kinds[pk][AssignmentKind.OWNER],
                "overrides": kinds[pk][AssignmentKind.OVERRIDE],
                "asked_for": kinds[pk][AssignmentKind.ASKED_FOR],
                "average_wait": round(sum(waits[pk]) / len(waits[pk]), 1) if waits[pk] else None,
            }
        )
    return result


def report(site: Site, query) -> dict:
    form = FairnessForm(query or None)
    today = site.local(timezone.now()).date()
    day, period = today, "day"
    if form.is_valid():
        day = form.cleaned_data.get("day") or today
        period = form.cleaned_data.get("period") or "day"
    start, end = period_bounds(site, day, period)
    return {
        "form": form,
        "rows": rows(site, start, end),
        "start": start,
        "end": end - timedelta(days=1),
        "period": period,
    }
