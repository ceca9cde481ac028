"""The desk's view of notifications: host acknowledgement (R3.2), escalations
and failed deliveries. Each tag makes a fixed number of queries."""

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


@register.inclusion_tag("visitors/notifications/panel.html")
def notification_panel(site: Site, on_site=None, now=None) -> dict:
    """Waiting / acknowledged / overdue on-site visits, the escalation step each
    overdue visit has reached, and recent failed deliveries.

    One query when the page already holds the on-site visits (with their
    category) and passes them in, as the desk dashboard does; two otherwise.
    """
    now = now or timezone.now()
    if on_site is None:
        on_site = Visit.objects.filter(site=site, status=VisitStatus.ON_SITE).select_related("visitor", "category")
    # One query: escalations of visits still waiting, and deliveries that failed
    # (retrying or given up) in the last day.
    rows = list(
        Notification.objects.filter(site=site)
        .filter(
            Q(kind=Notification.Kind.ESCALATION, visit__status=VisitStatus.ON_SITE, visit__acknowledged_at__isnull=True)
            | Q(status__in=FAILED, created_at__gte=now - FAILURES_SHOWN_FOR)
        )
        .select_related("visit__visitor", "recipient__profile__department", "channel")
        .order_by("-created_at", "-pk")
    )
    steps: dict[int, int] = {}
    for row in rows:
        if row.kind == Notification.Kind.ESCALATION and row.visit_id:
            steps[row.visit_id] = max(row.step, steps.get(row.visit_id, 0))
    failures = [row for row in rows if row.status in FAILED][:FAILURES_SHOWN]
    waiting, overdue, acknowledged = [], [], []
    for visit in on_site:
        if visit.checked_in_at is None:
            continue
        visit.escalation_step = steps.get(visit.pk)
        if visit.acknowledged_at:
            acknowledged.append(visit)
        elif visit.is_ack_overdue(now):
            overdue.append(visit)
        else:
            waiting.append(visit)
    return {"waiting": waiting, "overdue": overdue, "acknowledged": acknowledged, "failures": failures, "now": now}


@register.inclusion_tag("visitors/notifications/visit.html")
def acknowledgement_panel(visit: Visit) -> dict:
    """Every notification about one visit and how its delivery went. One query."""
    notifications = list(
        Notification.objects.filter(visit=visit)
        .select_related("recipient__profile__department", "channel")
        .order_by("created_at", "pk")
    )
    return {"visit": visit, "notifications": notifications}
