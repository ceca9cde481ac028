"""The desk's view of notifications: escalations and failed deliveries, and
each visit's notifications. The reads are visitors.selectors' (the polled
desk view shares them); these tags only lay them out. (The dashboard's
waiting / overdue / acknowledged counts, R3.2, come with its rows from
visitors.dashboard.)"""

import segno
from django import template
from django.utils.safestring import mark_safe

from reception.models import Site
from visitors import selectors
from visitors.models import Visit

register = template.Library()


@register.simple_tag
def invitation_qr(code: str, scale: int = 6) -> str:
    """The QR code of an invitation's short code, as inline SVG (nothing is
    loaded from elsewhere). A scanner at the desk or kiosk types the code."""
    return mark_safe(segno.make_qr(str(code), error="m").svg_inline(scale=scale))  # noqa: S308 (numbers only)


@register.inclusion_tag("visitors/notifications/details.html")
def notification_details(site: Site, now=None) -> dict:
    """The escalations and failed deliveries panel. One query."""
    return selectors.notification_details(site, now)


@register.inclusion_tag("visitors/notifications/visit.html")
def acknowledgement_panel(visit: Visit) -> dict:
    """Every notification about one visit and how its delivery went. One query."""
    return {"visit": visit, "notifications": selectors.visit_notifications(visit)}
