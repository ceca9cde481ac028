"""Desk pages of the audit and privacy side: amending a registration (R6.4),
revealing an ID number to security, erasing a visitor on request (R4.1)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from reception.access import get_at_user_site_or_404, user_site
from reception.errors import ReceptionError
from reception.security import client_ip
from visitors import privacy
from visitors.amend_forms import AmendVisitForm, EraseVisitorForm
from visitors.amendments import amend_visit_fields, amendment_field_label
from visitors.models import Visit, Visitor


def _visit_at_site(request, pk: int) -> Visit:
    """A visit of the user's own site, with what the amend and reveal pages show."""
    return get_at_user_site_or_404(request, Visit.objects.select_related("site", "visitor", "category", "room"), pk=pk)


@login_required
@permission_required("visitors.amend_visit", raise_exception=True)
@require_http_methods(["GET", "POST"])
def amend(request, pk: int):
    visit = _visit_at_site(request, pk)
    form = AmendVisitForm(request.POST if request.method == "POST" else None, visit=visit)
    if request.method == "POST" and form.is_valid():
        try:
            amendments = amend_visit_fields(
                visit=visit,
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
                by=request.user,
                client_address=client_ip(request),
            )
        except ReceptionError as refusal:
            refusal.add_to_form(form, field=form.form_field(refusal.field or ""))
        else:
            messages.success(
                request,
                _("Registration amended: %(fields)s. The original values stay on record.")
                % {"fields": ", ".join(amendment_field_label(a.field) for a in amendments)},
            )
            return redirect("visitors:visit", pk=visit.pk)
    status = 400 if form.errors else 200
    return render(request, "visitors/amend.html", {"visit": visit, "form": form}, status=status)


@login_required
@permission_required("visitors.view_id_number", raise_exception=True)
@require_POST
def reveal_id_number(request, pk: int):
    visit = _visit_at_site(request, pk)
    try:
        number = privacy.reveal_id_number(visit=visit, by=request.user, client_address=client_ip(request))
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
        return redirect("visitors:visit", pk=visit.pk)
    response = render(request, "visitors/id_number.html", {"visit": visit, "id_number": number})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required("visitors.erase_visitor", raise_exception=True)
@require_http_methods(["GET", "POST"])
def erase(request, pk: int):
    site = user_site(request)
    visitor = get_object_or_404(Visitor.objects.for_site(site), pk=pk)
    form = EraseVisitorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.erase_visitor(visitor=visitor, by=request.user, client_address=client_ip(request))
        except ReceptionError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("The visitor's identity has been erased; their visits remain, anonymised."))
        return redirect("visitors:erase", pk=visitor.pk)
    visits = visitor.visits.select_related("site", "category").order_by("-registered_at")
    return render(
        request,
        "visitors/erase.html",
        {"visitor": visitor, "visits": visits, "held": [v for v in visits if v.legal_hold], "form": form},
        status=400 if form.errors else 200,
    )
