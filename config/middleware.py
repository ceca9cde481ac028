"""Project-wide middleware: headers Django does not set, and database outages."""

import logging

from django.conf import settings
from django.db import connection

from config.errors import DATABASE_UNAVAILABLE_ERRORS, database_unavailable

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
    handler500 (config.errors.server_error). Static files are served before
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
