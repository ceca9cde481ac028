"""Template helpers for personal data on staff pages (R4.1)."""

from django import template

register = template.Library()

MASK = "•"


@register.filter
def mask_id(value) -> str:
    """An ID number as every role but security sees it: the last four
    characters, the rest masked. A number too short to mask safely is masked
    entirely. Security reveals the full number through an audited POST."""
    value = str(value or "").strip()
    if not value:
        return ""
    if len(value) <= 6:
        return MASK * len(value)
    return MASK * (len(value) - 4) + value[-4:]
