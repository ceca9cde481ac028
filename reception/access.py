"""The one rule for what a desk page may see: the signed-in user's own site.

Every desk view, in reception and visitors alike, reads its site and its
objects through these two helpers, so "another site's object answers 404, an
account without a site answers 403" is decided in one place.
"""

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from reception.models import Site

M = TypeVar("M", bound=Model)


def user_site(request) -> Site:
    """The site of the signed-in user (set by SiteMiddleware).

    Raises PermissionDenied (403) for an account without a site: it has no desk.
    """
    site = getattr(request, "site", None)
    if site is None:
        raise PermissionDenied("No site is assigned to this account.")
    return site


def get_at_user_site_or_404(request, queryset: type[M] | QuerySet[M], **lookups) -> M:
    """The one object of `queryset` matching `lookups` at the user's site.

    Another site's object answers 404, exactly like one that does not exist,
    so a guessed id tells nothing about other sites.
    """
    return get_object_or_404(queryset, site=user_site(request), **lookups)


# Where a signed-in user starts (issue #16): the first of these pages that
# their duty opens. Each needs the user's site; the desk comes first, then the
# host's own visitors, the sales floor (named, never imported: customers
# builds on reception), then what is left of a duty.
START_PAGES = (
    ("visitors.view_visit", "visitors:dashboard"),
    ("visitors.acknowledge_visit", "visitors:my_visitors"),
    ("customers.view_assignment", "customers:rotation"),
    ("customers.view_customer", "customers:customer_list"),
    ("visitors.invite_visitor", "public:invite"),
    ("reception.view_rosterentry", "reception:roster"),
)


def start_url(request) -> str | None:
    """The first page the signed-in user may open: their duty's page at their
    site, else the back office for staff without a site; None for an account
    with neither (it has nothing to start from). The sign-in page for a
    visitor who is not signed in."""
    user = request.user
    if not user.is_authenticated:
        return reverse("login")
    if getattr(request, "site", None) is not None:
        for permission, name in START_PAGES:
            if user.has_perm(permission):
                return reverse(name)
    if user.is_staff:
        return reverse("admin:index")
    return None


def kept_private(response):
    """A stored file sent to one signed-in reader (a visitor's photo, a
    signed agreement, a complaint's letter): kept by no cache on the way and
    never sniffed into another type by the browser."""
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
