"""Error pages in the app's own look.

The 500 and 503 pages render from the template alone: no context processors, no
session, no database, since those may be what failed. A database that cannot be
reached is an outage, not a bug: it answers 503 with Retry-After, so the desk
and any load balancer know to try again shortly.
"""

import sys

from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseServerError, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import defaults

from reception.access import start_url

# Errors that mean "the database is not answering" (stopped, unreachable, the
# connection dropped), as opposed to a query that is wrong.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def permission_denied(request, exception):
    """403 in the app's look, with a way back to a page the user may open:
    never a link to the page that refused, nor to one that would refuse too."""
    start = start_url(request)
    template = loader.get_template("403.html")
    context = {"start_url": start if start != request.path else None}
    return HttpResponseForbidden(template.render(context, request))


def page_not_found(request, exception):
    return defaults.page_not_found(request, exception, template_name="404.html")


def server_error(request):
    # Django calls handler500 from inside its exception handler, so the error
    # that got here is the one being handled: a database that went away in the
    # middle of a request (or in a middleware) is still an outage.
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable(request)
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"stylesheet": _error_stylesheet()}))


def database_unavailable(request=None) -> HttpResponse:
    """503 "the desk is briefly unavailable", in English and Chinese; for the
    health check the same JSON that /healthz itself gives in an outage."""
    if request is not None and request.path_info == reverse("reception:healthz"):
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    else:
        template = loader.get_template("503.html")
        response = HttpResponse(template.render({"stylesheet": _error_stylesheet()}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _error_stylesheet() -> str:
    # The error pages may not use inline styles (the content security policy
    # forbids them). A missing manifest entry must not turn an error page into
    # a second error, so fall back to the unhashed file, which collectstatic
    # also keeps.
    try:
        return staticfiles_storage.url("css/error.css")
    except ValueError:
        return staticfiles_storage.base_url + "css/error.css"
