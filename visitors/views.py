from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from visitors.models import Visit


def require_site(request):
    """Desk pages work on the signed-in user's site; a user without one has no desk."""
    if request.site is None:
        raise PermissionDenied("No site is assigned to this account.")
    return request.site


@login_required
@permission_required("visitors.view_visit", raise_exception=True)
def dashboard(request):
    site = require_site(request)
    now = timezone.now()
    expected = Visit.objects.expected_on(site, now).with_people().order_by("expected_at")
    on_site = Visit.objects.for_site(site).on_site().with_people().order_by("checked_in_at")
    return render(
        request,
        "visitors/dashboard.html",
        {"site": site, "now": now, "expected": expected, "on_site": on_site},
    )
