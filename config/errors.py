"""Error pages in the app's own look. The 500 page renders without context
processors or database access, since those may be what failed."""

from django.http import HttpResponseServerError
from django.template import loader
from django.views import defaults


def permission_denied(request, exception):
    return defaults.permission_denied(request, exception, template_name="403.html")


def page_not_found(request, exception):
    return defaults.page_not_found(request, exception, template_name="404.html")


def server_error(request):
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render())
