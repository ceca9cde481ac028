"""Middleware of the desk: the signed-in user's site and time zone, the idle
sign-out (R4.1), headers Django does not set, and database outages."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from reception.error_pages import DATABASE_UNAVAILABLE_ERRORS, database_unavailable
from reception.models import StaffProfile


class SiteMiddleware:
    """Sets request.site to the signed-in staff member's site and shows every
    time in that site's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.site = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                request.site = user.profile.site
            except StaffProfile.DoesNotExist:
                request.site = None
        if request.site is not None:
            timezone.activate(request.site.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


IDLE_SESSION_KEY = "lobby_last_activity"
# The last activity is kept to the minute: a desk clicking about writes its
# session once a minute, not on every page (each write is a database commit
# with the cached_db sessions). It may sign out up to this much early.
IDLE_RESOLUTION_SECONDS = 60


def passive(view_func):
    """Mark a view that the browser calls on its own (htmx polling): it neither
    counts as activity nor keeps an idle session alive (R4.1)."""
    view_func.idle_passive = True
    return view_func


class IdleTimeoutMiddleware:
    """R4.1: a desk left alone signs itself out after IDLE_TIMEOUT_MINUTES.

    The last *real* request is remembered in the session, to the minute
    (IDLE_RESOLUTION_SECONDS). Requests to views marked @passive (the
    dashboard's self-refresh) do not count, so a screen that polls all day
    still locks when nobody touches it. An expired htmx
    request answers with a client redirect so the whole page goes to login.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        now = timezone.now().timestamp()
        last = request.session.get(IDLE_SESSION_KEY)
        if last is not None and now - last > settings.IDLE_TIMEOUT_MINUTES * 60:
            logout(request)
            messages.info(
                request,
                _("The desk signed itself out after %(minutes)s idle minutes (R4.1). Please sign in again.")
                % {"minutes": settings.IDLE_TIMEOUT_MINUTES},
            )
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(redirect_to_login(request.htmx.current_url_abs_path or "/").url)
            return redirect_to_login(request.get_full_path())
        if last is None or (not getattr(view_func, "idle_passive", False) and now - last >= IDLE_RESOLUTION_SECONDS):
            request.session[IDLE_SESSION_KEY] = now
        return None


logger = logging.getLogger(__name__)


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header (settings.PERMISSIONS_POLICY) to every
    response; Django 5.2 has no setting for it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allow)})" for feature, allow in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class DatabaseOutageMiddleware:
    """With the database down, every page answers 503 at once instead of a 500.

    The connection is checked before anything else touches it (sessions, the
    signed-in user, the page itself), so a page that would fail halfway answers
    503 before it starts, and the first request after the database returns
    reconnects. A database that drops out later in a request is caught by
    handler500 (reception.error_pages.server_error). Static files are served before
    this runs, so the 503 page keeps its stylesheet.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            # With persistent connections (CONN_MAX_AGE) this pings the kept
            # connection first and reconnects if the database restarted.
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DATABASE_UNAVAILABLE_ERRORS as exc:
            logger.error("Database unavailable, answering 503 for %s: %s", request.path_info, exc)
            return database_unavailable(request)
        return self.get_response(request)
