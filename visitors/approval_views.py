"""The host's answer to a walk-up waiting for them (issue #19, A13): from
the emailed link (a public page under /i/approve/, signed, no sign-in) and
signed in (the buttons on "My visitors", the visit page and the desk's
dashboard). The decision itself is visitors.approvals'."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from reception.access import get_at_user_site_or_404
from reception.errors import ReceptionError
from reception.models import staff_label
from reception.security import client_ip
from reception.validators import validate_line_of_text
from visitors import approvals, links
from visitors.models import Visit, VisitStatus
from visitors.ratelimit import rate_limited


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300, required=False, validators=[validate_line_of_text]
    )


def _decide(decision: str, **kwargs) -> Visit:
    if decision == "approve":
        return approvals.approve_walk_up(**kwargs)
    if decision == "decline":
        return approvals.decline_walk_up(**kwargs)
    raise ReceptionError("bad_decision", _("Choose approve or decline."))


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("invitation")
def approve_link(request, token):
    """The link in the host's email: GET shows who waits (their name and
    company, the category and when they came, nothing else) and asks; POST
    decides (a link preview or mail scanner only ever GETs)."""
    try:
        visit, person = links.read_approval_token(token)
    except ReceptionError as error:
        return render(request, "visitors/invitations/invalid.html", {"message": error.message}, status=404)
    form = ReasonForm(request.POST or None)
    error_message = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                _decide(
                    request.POST.get("decision", ""),
                    visit=visit,
                    by=person,
                    via=approvals.VIA_LINK,
                    reason=form.cleaned_data["reason"],
                    client_address=client_ip(request),
                )
            except ReceptionError as error:
                error_message = error.message
            else:
                return redirect(request.path)
        else:
            error_message = " ".join(error for errors in form.errors.values() for error in errors)
        visit.refresh_from_db()
    approval = approvals.approval_of(visit)
    with timezone.override(visit.site.tzinfo):
        context = {
            "visit": visit,
            "approval": approval,
            "site": visit.site,
            "person": staff_label(person),
            "form": form,
            "error": error_message,
            "waiting": visit.status == VisitStatus.AWAITING_HOST,
        }
        return render(request, "visitors/invitations/approve.html", context, status=409 if error_message else 200)


def _back(request, default: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _host_or_desk(view):
    """Only those who may answer for a visit: hosts (visitors.acknowledge_visit)
    and the desk (visitors.check_in_visit); the rest answer 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.has_perm("visitors.acknowledge_visit") or user.has_perm("visitors.check_in_visit")):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _decide_in_app(request, pk: int, decision: str):
    visit = get_at_user_site_or_404(request, Visit.objects.select_related("visitor", "site"), pk=pk)
    # The host, or the desk (whose turn comes when the host's time is up: the service says so).
    if visit.host_id != request.user.pk and not request.user.has_perm("visitors.check_in_visit"):
        raise PermissionDenied
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return _back(request, "visitors:my_visitors")
    via = approvals.VIA_APP if visit.host_id == request.user.pk else approvals.VIA_DESK
    try:
        _decide(
            decision,
            visit=visit,
            by=request.user,
            via=via,
            reason=form.cleaned_data["reason"],
            client_address=client_ip(request),
        )
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        done = (
            _("%(name)s is approved and checked in.")
            if decision == "approve"
            else _("%(name)s is declined; the front desk will tell them.")
        )
        messages.success(request, done % {"name": visit.visitor.full_name})
    return _back(request, "visitors:my_visitors")


@login_required
@_host_or_desk
@require_POST
def approve(request, pk: int):
    return _decide_in_app(request, pk, "approve")


@login_required
@_host_or_desk
@require_POST
def decline(request, pk: int):
    return _decide_in_app(request, pk, "decline")
