"""The desk's view of notifications: escalations and failed deliveries, and
each visit's notifications. Each tag makes a fixed number of queries. (The
dashboard's waiting / overdue / acknowledged counts, R3.2, come with its rows
from visitors.dashboard.)"""

from datetime import timedelta

import segno
from django import template
from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import mark_safe

from reception.models import Site
from visitors.models import Notification, Visit, VisitStatus

register = template.Library()

FAILED = (Notification.Status.FAILED, Notification.Status.GAVE_UP)
# Failed deliveries stay on the dashboard for a day; the admin keeps them all.
FAILURES_SHOWN_FOR = timedelta(hours=24)
FAILURES_SHOWN = 10


@register.simple_tag
def invitation_qr(code: str, scale: int = 6) -> str:
    """The QR code of an invitation's short code, as inline SVG (nothing is
    loaded from elsewhere). A scanner at the desk or kiosk types the code."""
    return mark_safe(segno.make_qr(str(code), error="m").svg_inline(scale=scale))  # noqa: S308 (numbers only)


@register.inclusion_tag("visitors/notifications/details.html")
def notification_details(site: Site, now=None) -> dict:
    """The escalation step each waiting visit has reached, and the deliveries
    that failed (retrying or given up) in the last day. One query."""
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


@register.inclusion_tag("visitors/notifications/visit.html")
def acknowledgement_panel(visit: Visit) -> dict:
    """Every notification about one visit and how its delivery went. One query."""
    notifications = list(
        Notification.objects.filter(visit=visit)
        .select_related("recipient__profile__department", "channel")
        .order_by("created_at", "pk")
    )
    return {"visit": visit, "notifications": notifications}
