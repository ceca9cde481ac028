from django.utils import timezone

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
