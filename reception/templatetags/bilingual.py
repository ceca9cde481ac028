"""Showing a name kept in two languages (reception.i18n) from plain data."""

from django import template

from reception.i18n import localized

register = template.Library()


@register.filter
def in_language(english: str, chinese: str) -> str:
    """{{ row.room|in_language:row.room_zh }}: the one for the reader's language."""
    return localized(english, chinese)
