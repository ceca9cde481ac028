"""The app's URLs plus one trivial page: the benchmark's ceiling.

Used only when BENCH_CEILING=1 (set by `make bench` for its own gunicorn), never
by default. The ceiling view goes through the whole middleware stack and does
nothing else, so its requests per second are the most any Lobby page can reach
on the same machine, workers and settings.
"""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from config.urls import handler403, handler404, handler500
from config.urls import urlpatterns as app_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


@require_GET
def ceiling(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/ceiling", ceiling, name="bench_ceiling"), *app_urlpatterns]
