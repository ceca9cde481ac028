"""Template helpers of the front desk."""

import segno
from django import template
from django.utils.safestring import mark_safe

from reception.models import staff_label

register = template.Library()


@register.filter
def staff(user) -> str:
    """R3.1: a staff member as "Department-Name"."""
    return staff_label(user)


@register.simple_tag
def qr_svg(data: str, scale: int = 4, title: str = "") -> str:
    """The QR code of `data` as inline SVG: printed pages load nothing from
    outside. segno escapes the title; the drawing itself is numbers only."""
    return mark_safe(segno.make_qr(str(data), error="m").svg_inline(scale=scale, title=title or None))  # noqa: S308
