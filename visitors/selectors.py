"""Reads that several modules share: a room's occupancy and the rooms with
space (R1.3), which registration, amendments, the walk-in form and the kiosk
all ask; and the desk's notifications (R3.2), which its own polled view and
the dashboard's template tags show. Each makes a fixed number of queries."""

from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from reception.models import ReceptionRoom, Site, VisitorCategory
from visitors.models import Notification, Visit, VisitStatus

# --- rooms (R1.3) ------------------------------------------------------------------

# A room's occupancy, as the R1.3 capacity rule counts it: the people and the
# parties on site in it. party_size is never null, so counting it counts the
# parties, read from visit_room_on_site_idx alone.
OCCUPANCY = {"people": Sum("party_size"), "parties": Count("party_size")}


def room_occupancy(room: ReceptionRoom, *, exclude: Visit | None = None) -> tuple[int, int]:
    """(people, parties) currently on site in the room, leaving out `exclude`
    (a visit already in the room whose own party is being re-counted)."""
    on_site = Visit.objects.filter(room=room, status=VisitStatus.ON_SITE)
    if exclude is not None:
        on_site = on_site.exclude(pk=exclude.pk)
    agg = on_site.aggregate(**OCCUPANCY)
    return agg["people"] or 0, agg["parties"] or 0


def with_occupancy(rooms: QuerySet[ReceptionRoom]) -> QuerySet[ReceptionRoom]:
    """The rooms annotated with their `people` and `parties` on site now, the
    same counts as room_occupancy, in the same query (no query per room)."""
    on_site = Visit.objects.filter(room=OuterRef("pk"), status=VisitStatus.ON_SITE).order_by().values("room")
    return rooms.annotate(
        **{name: Coalesce(Subquery(on_site.annotate(n=count).values("n")), 0) for name, count in OCCUPANCY.items()}
    )


def rooms_with_space(category: VisitorCategory, party_size: int) -> list[ReceptionRoom]:
    """Rooms allowed for the category (R1.3) with space for the party right
    now, each carrying its `people` and `parties` (one query), and knowing
    that it allows the category (ReceptionRoom.allows asks no more)."""
    rooms = []
    # The rooms of one site: its order without the join to the site's name.
    for room in with_occupancy(ReceptionRoom.objects.allowed_for(category).order_by("sort_order", "name")):
        if not (room.exclusive and room.parties) and room.people + party_size <= room.capacity:
            room.read_as_allowed_for = (category.pk,)
            rooms.append(room)
    return rooms


# --- the desk's notifications (R3.2) -------------------------------------------------

FAILED = (Notification.Status.FAILED, Notification.Status.GAVE_UP)
# Failed deliveries stay on the dashboard for a day; the admin keeps them all.
FAILURES_SHOWN_FOR = timedelta(hours=24)
FAILURES_SHOWN = 10


def notification_details(site: Site, now: datetime | None = None) -> dict:
    """The escalation step each waiting visit has reached (`escalations`:
    (visit, step) pairs in arrival order), and the deliveries that failed
    (retrying or given up) in the last day (`failures`, newest first). One query."""
    now = now or timezone.now()
    rows = list(
        Notification.objects.filter(site=site)
        .filter(
            Q(kind=Notification.Kind.ESCALATION, visit__status=VisitStatus.ON_SITE, visit__acknowledged_at__isnull=True)
            | Q(status__in=FAILED, created_at__gte=now - FAILURES_SHOWN_FOR)
        )
        .select_related("visit__visitor", "recipient__profile__department", "channel")
        .order_by("-created_at", "-pk")
    )
    escalated: dict[int, tuple] = {}
    for row in rows:
        waiting = row.visit_id and row.visit.status == VisitStatus.ON_SITE and row.visit.acknowledged_at is None
        if row.kind == Notification.Kind.ESCALATION and waiting:
            step = max(row.step, escalated.get(row.visit_id, (None, 0))[1])
            escalated[row.visit_id] = (row.visit, step)
    failures = [row for row in rows if row.status in FAILED][:FAILURES_SHOWN]
    escalations = sorted(escalated.values(), key=lambda pair: (pair[0].checked_in_at, pair[0].pk))
    return {"escalations": escalations, "failures": failures, "now": now}


def visit_notifications(visit: Visit) -> list[Notification]:
    """Every notification about one visit, oldest first, with its recipient
    (for "Department-Name", R3.1) and channel. One query."""
    return list(
        Notification.objects.filter(visit=visit)
        .select_related("recipient__profile__department", "channel")
        .order_by("created_at", "pk")
    )


# --- a host's own visitors (R3.2) ----------------------------------------------------

# The invitations still to come that a host's page lists; the rest wait their turn.
INVITATIONS_SHOWN = 50


def host_visitors(site: Site, host, now: datetime | None = None) -> dict:
    """What a host sees first (issue #16): the walk-ups waiting for their
    approval (issue #19), their visitors on site (arrival first, each with its
    R3.2 deadline), those expected today, and the invitations still to come
    after today. Three queries."""
    now = now or timezone.now()
    theirs = Visit.objects.for_site(site).filter(host=host).select_related("visitor", "category", "room")
    today = site.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    # Issue #19 (A13): walk-ups waiting for this host's approval come with those on site, in the same query.
    present = list(
        theirs.filter(status__in=[VisitStatus.ON_SITE, VisitStatus.AWAITING_HOST])
        .select_related("host_approval")
        .order_by("checked_in_at", "registered_at", "pk")
    )
    return {
        "now": now,
        "awaiting": [visit for visit in present if visit.status == VisitStatus.AWAITING_HOST],
        "on_site": [visit for visit in present if visit.status == VisitStatus.ON_SITE],
        "expected": list(theirs.expected_on(site, now).order_by("expected_at", "pk")),
        "invitations": list(
            theirs.filter(
                status=VisitStatus.EXPECTED, expected_at__gte=today + timedelta(days=1), invitation__isnull=False
            )
            .select_related("invitation")
            .order_by("expected_at", "pk")[:INVITATIONS_SHOWN]
        ),
    }
