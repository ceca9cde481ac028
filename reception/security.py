"""Sign-in lockout (R4.1): who is knocking, and what a locked-out person sees.

django-axes counts failed sign-ins per username *and* client address; these two
helpers are plugged into it from settings (AXES_CLIENT_IP_CALLABLE,
AXES_LOCKOUT_CALLABLE).
"""

import ipaddress
import math
from functools import cache

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ObjectDoesNotExist
from django.db import router
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from reception import prebuilt


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from, for lockouts, rate limits and the audit
    trail alike; None when there is no usable address.

    Behind our TLS proxy (BEHIND_PROXY=1) REMOTE_ADDR is the proxy itself, so every
    desk would share one lockout. The proxy appends the address it saw to
    X-Forwarded-For; only that right-most entry is trusted, because anything to
    its left was sent by the client and can be forged. If that entry is not an
    address, REMOTE_ADDR is used. IPv4-mapped IPv6 addresses are unwrapped.
    """
    candidates = [request.META.get("REMOTE_ADDR", "")]
    if settings.BEHIND_PROXY:
        candidates.insert(0, request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1])
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate.strip())
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return address.compressed
    return None


class LobbyAxesBackend(AxesStandaloneBackend):
    """Axes' lockout check for every sign-in made over HTTP.

    Axes refuses ``authenticate()`` calls without a request. Outside a request
    (management commands, the demo seeder's self-check) there is no client
    address to lock, so those calls go straight to the next backend. Every HTTP
    sign-in form (our login page, the admin's) passes the request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class StaffBackend(ModelBackend):
    """Django's ModelBackend, reading a signed-in user's staff profile with
    its site and department in the same query. Every desk page needs all three
    (SiteMiddleware's site and time zone, the navbar's "Dept-Name", R3.1),
    which were three more queries per page (issue #7).

    Its two permission reads (the user's own, their groups') are ModelBackend's
    queries, built by the ORM once per worker rather than on every page: the
    building was most of their cost, about a millisecond a page (issue #24)."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("profile__site", "profile__department")
        try:
            user = users.get(pk=user_id)
        except ObjectDoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def _get_permissions(self, user_obj, obj, from_name):
        if user_obj.is_superuser or not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return super()._get_permissions(user_obj, obj, from_name)
        cache_name = f"_{from_name}_perm_cache"
        if not hasattr(user_obj, cache_name):
            alias = router.db_for_read(Permission)
            rows = prebuilt.fetch(alias, _permission_query(from_name, alias), user_obj.pk)
            setattr(user_obj, cache_name, {f"{app}.{codename}" for app, codename in rows})
        return getattr(user_obj, cache_name)


@cache
def _permission_query(from_name: str, alias: str) -> str:
    """The SQL of the permissions a user holds directly ("user") or through
    their groups ("group"), as ModelBackend asks for them."""
    held = "user" if from_name == "user" else "group__user"
    return prebuilt.sql_of(
        lambda user_id: (
            Permission.objects.using(alias)
            .filter(**{held: user_id})
            .values_list("content_type__app_label", "codename")
            .order_by()
        )
    )


def lockout_ends_at(*, username: str, ip_address: str | None):
    """When the lockout of this username at this address lifts.

    Axes counts failures newer than AXES_COOLOFF_TIME, so the lock lifts one
    cool-off after the last counted failure; failures made while locked out are
    not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False), so
    hammering the form cannot extend it.
    """
    last_failure = AccessAttempt.objects.filter(username=username, ip_address=ip_address).aggregate(
        last=Max("attempt_time")
    )["last"]
    return (last_failure or timezone.now()) + settings.AXES_COOLOFF_TIME


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The friendly "try again at …" page, with status 429 and Retry-After."""
    username = get_client_username(request, credentials) or ""
    ends_at = lockout_ends_at(username=username, ip_address=getattr(request, "axes_ip_address", client_ip(request)))
    seconds = max(0, math.ceil((ends_at - timezone.now()).total_seconds()))
    response = render(
        request,
        "registration/lockout.html",
        {"username": username, "ends_at": ends_at, "minutes": max(1, math.ceil(seconds / 60))},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
