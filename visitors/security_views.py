"""The security desk (issue #19): the visits the watchlist holds, with the
entry each matched, and security's decision, clear or refuse. Only those who
hold visitors.clear_security_hold (security on duty) open it; the entry's
reason is shown nowhere else at the desk."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from reception.access import get_at_user_site_or_404, user_site
from reception.errors import ReceptionError
from reception.security import client_ip
from reception.validators import validate_line_of_text
from visitors import services
from visitors.models import HoldOutcome, SecurityHold, Visit, VisitStatus


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300, required=False, validators=[validate_line_of_text]
    )


def waiting_holds(site) -> list[SecurityHold]:
    """The site's visits pending security, oldest first, with their entry. One query."""
    return list(
        SecurityHold.objects.filter(site=site, outcome=HoldOutcome.WAITING, visit__status=VisitStatus.PENDING_SECURITY)
        .select_related("visit__visitor", "visit__category", "visit__room", "visit__host__profile__department", "entry")
        .order_by("held_at", "pk")
    )


@login_required
@permission_required("visitors.clear_security_hold", raise_exception=True)
@require_GET
def security_holds(request):
    site = user_site(request)
    return render(request, "visitors/security_holds.html", {"holds": waiting_holds(site), "form": DecisionForm()})


def _decide(request, pk: int, decide, done: str):
    visit = get_at_user_site_or_404(request, Visit.objects.select_related("visitor"), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("visitors:security_holds")
    try:
        decide(visit=visit, by=request.user, reason=form.cleaned_data["reason"], client_address=client_ip(request))
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done % {"name": visit.visitor.full_name})
    return redirect("visitors:security_holds")


@login_required
@permission_required("visitors.clear_security_hold", raise_exception=True)
@require_POST
def clear_hold(request, pk: int):
    return _decide(request, pk, services.clear_hold, _("%(name)s is cleared and checked in."))


@login_required
@permission_required("visitors.clear_security_hold", raise_exception=True)
@require_POST
def refuse_hold(request, pk: int):
    return _decide(request, pk, services.refuse_hold, _("%(name)s is refused."))
