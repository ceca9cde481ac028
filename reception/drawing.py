"""Drawings shared between readers: a part of a page drawn once and kept,
with the one thing that is each reader's own, their CSRF token, put in per
response (issue #24: the dashboard's live part and duty panel, the navbar's
menu).

A drawing is rendered with `csrf_token` set to CSRF_SLOT, so each
`{% csrf_token %}` in it writes the slot's input; with_reader_token swaps
that input for the reader's. Text a visitor or a user typed cannot forge the
slot: templates escape its quotes."""

from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

CSRF_SLOT = "csrf-slot"
_CSRF_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
_SLOT_INPUT = _CSRF_INPUT.format(CSRF_SLOT)


def with_reader_token(request, html: str) -> SafeString:
    """`html`, drawn with CSRF_SLOT for its token, with this reader's token."""
    token = format_html(_CSRF_INPUT, get_token(request))
    return mark_safe(html.replace(_SLOT_INPUT, token))  # noqa: S308 (drawn by a template, which escapes)
