"""Showing amendments (R6.4): each stored value readable in the reader's language."""

from datetime import datetime

from django import template
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from visitors.amendments import AMENDABLE_FIELDS, amendable_field, amendment_field_label
from visitors.models import Visitor

register = template.Library()


@register.filter
def amendment_field(name: str) -> str:
    return amendment_field_label(name)


@register.simple_tag
def amended_value(amendment, raw: str) -> str:
    """An amendment's old or new value as the visit page shows it."""
    if raw == "":
        return "—"
    if amendment.field not in AMENDABLE_FIELDS:
        return raw
    if amendment.field == "visitor":
        visitor = Visitor.objects.filter(pk=raw.lstrip("#")).first() if raw.lstrip("#").isdigit() else None
        return str(visitor) if visitor else raw
    field = amendable_field(amendment.field)
    if isinstance(field, models.BooleanField):
        return _("Yes") if raw == "true" else _("No")
    if field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if isinstance(field, models.DateTimeField):
        try:
            return date_format(timezone.localtime(datetime.fromisoformat(raw)), "Y-m-d H:i")
        except ValueError:
            return raw
    return raw
