"""The visitor's files (issue #19, A12): the photo and the signed agreements.

Served only here, to staff who may see the visit (visitors.view_visit) at its
site (another site's visit answers 404), never cached (`private, no-store`),
never sniffed as another type. The files live under MEDIA_ROOT, outside the
static tree, under random names (visitors.photos, visitors.agreements).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reception.access import kept_private
from reception.errors import ReceptionError
from reception.security import client_ip
from visitors import photos
from visitors.models import SignedAgreement
from visitors.views import get_visit


@login_required
@permission_required("visitors.view_visit", raise_exception=True)
@require_GET
def photo(request, pk: int):
    """The visit's photo, shown on the visit page and the badge."""
    visit = get_visit(request, pk)
    if not visit.photo:
        raise Http404
    return kept_private(FileResponse(visit.photo.open("rb"), content_type="image/jpeg"))


@login_required
@permission_required("visitors.check_in_visit", raise_exception=True)
@require_POST
def take_photo(request, pk: int):
    """The desk takes (or retakes) the visitor's photo from the visit page."""
    visit = get_visit(request, pk)
    try:
        picture = photos.photo_from_request(request.FILES, request.POST)
        if picture is None:
            raise ReceptionError("photo_required", _("Please take a photo or choose a picture file."))
        photos.take_photo(visit=visit, photo=picture, by=request.user, via="desk", client_address=client_ip(request))
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The photo is saved."))
    return redirect("visitors:visit", pk=visit.pk)


@login_required
@permission_required("visitors.view_visit", raise_exception=True)
@require_GET
def signed_agreement(request, pk: int, signed: int):
    """The signed copy of an agreement (PDF, or HTML where no PDF could be made)."""
    visit = get_visit(request, pk)
    copy = get_object_or_404(SignedAgreement.objects.select_related("version"), pk=signed, visit=visit)
    if not copy.document:
        raise Http404
    is_pdf = copy.document.name.endswith(".pdf")
    filename = f"{visit.badge_code}-{copy.version.agreement_id}-v{copy.version.number}.{'pdf' if is_pdf else 'html'}"
    response = FileResponse(
        copy.document.open("rb"),
        content_type="application/pdf" if is_pdf else "text/html; charset=utf-8",
        as_attachment=True,
        filename=filename,
    )
    return kept_private(response)
