"""The desk's repeat poll answered early (issue #24)."""

from django.urls import reverse

from visitors.dashboard import unchanged_poll


class DeskPollMiddleware:
    """Answers the dashboard's self-refresh 304 when the session's last full
    answer still holds (visitors.dashboard.unchanged_poll), before the
    signed-in user and their permissions are read: most of a desk's polls
    find nothing new, and reading the account was most of their cost.

    It sits after the session and language middleware, whose work the check
    needs, and before SiteMiddleware, the first to read the user. Anything it
    does not answer goes the whole way."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = None

    def __call__(self, request):
        if request.method == "GET" and "HTTP_IF_NONE_MATCH" in request.META:
            if self.path is None:
                self.path = reverse("visitors:dashboard_live")
            if request.path_info == self.path and (response := unchanged_poll(request)) is not None:
                return response
        return self.get_response(request)
