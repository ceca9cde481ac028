"""The desk's rotation panel (/desk/rotation/): whose turn it is, the queue
with each salesperson's status, the business customers waiting for one, and
those given to a salesperson but not yet greeted, highlighted past the
site's greeting limit (R2.1, R2.2). A fixed number of queries, however long
the floor's history."""

from datetime import timedelta

from django.utils import timezone

from customers import rotation
from customers.models import Assignment, CustomerVisitor, RotationQueue
from reception.models import Site
from visitors.models import Visit, VisitStatus, minutes_between

# R1.2: category B is the business customers, the ones the sales floor receives.
BUSINESS_CATEGORY = "B"


def rotation_panel(site: Site, user) -> dict:
    now = timezone.now()
    queue = RotationQueue.objects.filter(site=site).select_related("site").first()
    if queue is None:
        return {"queue": None}
    members_now = rotation.members(queue, now)
    ordered = rotation.in_turn_order(queue, members_now, now)
    whose_turn = next((member for member in ordered if member.status == rotation.PRESENT), None)
    limit = timedelta(minutes=queue.greeting_limit_minutes)
    waiting = list(
        Visit.objects.filter(site=site, status=VisitStatus.ON_SITE, category__code=BUSINESS_CATEGORY, assignments=None)
        .select_related("visitor", "room")
        .order_by("checked_in_at", "pk")
    )
    owners = {
        link.visitor_id: link.customer
        for link in CustomerVisitor.objects.filter(
            visitor_id__in=[visit.visitor_id for visit in waiting]
        ).select_related("customer__owner__profile__department")
    }
    waiting_rows = [
        {
            "visit": visit,
            "customer": owners.get(visit.visitor_id),
            "minutes": minutes_between(visit.checked_in_at, now),
            "late": now - visit.checked_in_at > limit,
        }
        for visit in waiting
    ]
    open_assignments = list(
        Assignment.objects.filter(
            site=site, greeted_at__isnull=True, channel="walk_in", visit__status=VisitStatus.ON_SITE
        )
        .select_related("visit__visitor", "salesperson__profile__department", "customer")
        .order_by("arrived_at", "pk")
    )
    ungreeted = [
        {
            "assignment": assignment,
            "minutes": minutes_between(assignment.arrived_at, now),
            "late": now - assignment.arrived_at > limit,
        }
        for assignment in open_assignments
    ]
    return {
        "queue": queue,
        "members": members_now,
        "whose_turn": whose_turn,
        "waiting": waiting_rows,
        "ungreeted": ungreeted,
        "salespeople": [member.user for member in members_now],
        "me_in_queue": any(member.user.pk == user.pk for member in members_now),
    }
