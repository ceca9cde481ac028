"""The navbar's menu (templates/includes/navbar_menu.html), drawn once per
worker for each reader's language, label and permissions (issue #24).

Drawing it cost about a millisecond on every page, for twenty permission
tests and as many links and translations, while its inputs barely change:
they are all in the key, so a change to any of them (a permission granted
in the back office, a new department in the label, R3.1) is a new drawing,
never a stale one. The reader's CSRF token for the sign-out form is put in
per response (reception.drawing)."""

from functools import lru_cache

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

from reception.drawing import CSRF_SLOT, with_reader_token

register = template.Library()

# Readers with distinct permissions, labels or languages a worker keeps.
MENUS_KEPT = 512


@register.simple_tag(takes_context=True)
def navbar_menu(context):
    user = context["user"]
    try:
        label = str(user.profile)  # "Department-Name" (R3.1)
    except ObjectDoesNotExist:
        label = user.get_username()
    html = _drawn(
        get_language(),
        get_script_prefix(),
        get_urlconf(),
        label,
        user.is_staff,
        frozenset(user.get_all_permissions()),
    )
    return with_reader_token(context["request"], html)


@lru_cache(maxsize=MENUS_KEPT)
def _drawn(language, script_prefix, urlconf, label: str, is_staff: bool, permissions: frozenset) -> str:
    """The menu for these inputs; the language, script prefix and URLconf are
    the ones active now, which the drawing's translations and links use."""
    granted: dict[str, dict[str, bool]] = {}
    for name in permissions:
        app, _, codename = name.partition(".")
        granted.setdefault(app, {})[codename] = True
    return render_to_string(
        "includes/navbar_menu.html",
        {"perms": granted, "user_label": label, "is_staff": is_staff, "csrf_token": CSRF_SLOT},
    )
