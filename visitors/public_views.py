"""Public pages: the lobby kiosk (/kiosk/), invitation links (/i/), the host's
acknowledge link (/i/ack/), and the two staff pages that go with them
(/desk/invitations/...).

Every public page is never cached (Cache-Control: no-store), every form has a
CSRF token, submissions are rate limited per kiosk and per client address, and
no page shows another visitor's or a staff member's personal data: hosts appear
as "Dept-Name" (R3.1), and nothing else about staff (R4.1).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from reception import rulebook
from reception.access import user_site
from reception.errors import ReceptionError
from reception.middleware import passive
from reception.models import KioskMode, PhotoPolicy, staff_label
from reception.security import client_ip
from visitors import agreements, escalation, invitations, kiosk, links, photos, watchlist
from visitors.models import Visit, VisitStatus
from visitors.public_forms import CheckOutForm, CodeForm, ConfirmDetailsForm, DeskCodeForm, InvitationForm, WalkInForm
from visitors.ratelimit import rate_limited
from visitors.selectors import notification_details

# How long the kiosk shows "welcome" or "goodbye" before it resets, and how long
# an untouched screen keeps what was typed (static/js/kiosk.js reads both).
KIOSK_DONE_SECONDS = 12
KIOSK_IDLE_SECONDS = 60


# --- the kiosk ----------------------------------------------------------------


def kiosk_required(view):
    """The browser must be an enrolled kiosk (signed cookie); a revoked kiosk is
    locked. Sets request.kiosk and shows times in the kiosk site's time zone."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        device = kiosk.kiosk_for_token(links.kiosk_cookie_token(request))
        if device is None:
            return render(request, "visitors/kiosk/not_enrolled.html", status=403)
        if not device.active:
            return render(request, "visitors/kiosk/locked.html", {"kiosk": device}, status=403)
        request.kiosk = device
        kiosk.seen(device)
        with timezone.override(device.site.tzinfo):
            return view(request, *args, **kwargs)

    return wrapper


def _kiosk_context(request, **extra) -> dict:
    return {
        "kiosk": request.kiosk,
        "site": request.kiosk.site,
        "mode": request.kiosk.site.current_kiosk_mode(),
        "idle_seconds": KIOSK_IDLE_SECONDS,
        **extra,
    }


def _unavailable(request, *, walk_in: bool = False):
    """The answer when the kiosk's mode (by day or night) does not allow this
    page: closed, or invitations only. None when it is allowed."""
    site = request.kiosk.site
    refusal = kiosk.kiosk_refusal(site, walk_in=walk_in)
    status = 200 if request.method == "GET" else 403
    if refusal == "kiosk_closed":
        context = _kiosk_context(request, night=site.in_night_window())
        return render(request, "visitors/kiosk/closed.html", context, status=status)
    if refusal == "walk_in_unavailable":
        return render(request, "visitors/kiosk/walk_in_unavailable.html", _kiosk_context(request), status=status)
    return None


def _house_rules(site):
    """The visitor-facing house rules of the written rules in force (issue #22), rendered safely."""
    return rulebook.house_rules(site, translation.get_language())


def _submission_key(request) -> str:
    """The one-time key of the current visitor's forms. It lives until the
    screen resets, so a double tap, a retry or the back button resubmits it."""
    key = request.session.get("kiosk_key")
    if not key:
        key = request.session["kiosk_key"] = kiosk.new_submission_key()
    return key


def _show_done(request, visit: Visit, kind: str):
    """Every answer to the current visitor's submission leads to the same
    welcome or goodbye: a double tap's two answers both do (the second
    submission answers with the first one's visit), so the page does not
    consume it; the reset to the start page does (issue #16 item 11)."""
    request.session["kiosk_done"] = {"visit": visit.pk, "kind": kind, "at": timezone.now().timestamp()}
    return redirect("public:kiosk_done")


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("invitation")
def kiosk_enrol(request, token):
    """The office manager opens a kiosk's enrolment link (admin) on the tablet."""
    device = kiosk.kiosk_for_token(token)
    if device is None or not device.active:
        return render(request, "visitors/kiosk/bad_enrolment.html", status=404)
    if request.method == "POST":
        kiosk.enrol_kiosk(device=device, client_address=client_ip(request))
        response = redirect("public:kiosk_start")
        links.set_kiosk_cookie(response, device)
        return response
    return render(request, "visitors/kiosk/enrol.html", {"device": device})


@never_cache
@require_GET
@kiosk_required
def kiosk_start(request):
    """The welcome screen. Every reset lands here: the visitor's one-time key
    and anything shown to them are dropped."""
    request.session.pop("kiosk_done", None)
    request.session["kiosk_key"] = kiosk.new_submission_key()
    unavailable = _unavailable(request)
    if unavailable is not None:
        return unavailable
    return render(request, "visitors/kiosk/start.html", _kiosk_context(request, start=True))


@never_cache
@require_http_methods(["GET", "POST"])
@kiosk_required
@rate_limited("kiosk")
def kiosk_walk_in(request):
    unavailable = _unavailable(request, walk_in=True)
    if unavailable is not None:
        return unavailable
    device = request.kiosk
    data = request.POST if request.method == "POST" else None
    form = WalkInForm(data, site=device.site, initial={"submission_key": _submission_key(request), "party_size": 1})
    # Issue #19: the photo (kept through a form error) and the signature.
    extras = {"photo_errors": [], "photo_data": "", "signature_errors": []}
    if data is not None and form.is_valid():
        key = kiosk.scoped_submission_key(device, form.cleaned_data["submission_key"], "walk_in")
        if key is None:
            form.add_error(None, _("This form has expired. Please start again."))
        else:
            try:
                photo = photos.photo_from_request(request.FILES, data)
                extras["photo_data"] = data.get("photo_data", "") if photo is not None else ""
                signing = agreements.signing_from_request(data, translation.get_language())
                visit = kiosk.kiosk_walk_in(
                    kiosk=device,
                    full_name=form.cleaned_data["full_name"],
                    company=form.cleaned_data["company"],
                    phone=form.cleaned_data["phone"],
                    host=form.cleaned_data["host"],
                    party_size=form.cleaned_data["party_size"],
                    accept_privacy=form.cleaned_data["accept_privacy"],
                    submission_key=key,
                    client_address=client_ip(request),
                    photo=photo,
                    signing=signing,
                )
            except ReceptionError as error:
                if error.field in ("photo", "signature"):
                    extras[f"{error.field}_errors"].append(error.message)
                else:
                    error.add_to_form(form)
            else:
                return _show_done(request, visit, "arrived")
    notice = invitations.privacy_notice(device.site, translation.get_language())
    context = _kiosk_context(
        request, form=form, notice=notice, house_rules=_house_rules(device.site), host_choice=form.host_choice()
    )
    category = kiosk.walk_in_category(device.site)
    context |= extras | {
        "photo_policy": category.photo if category else PhotoPolicy.OFF,
        "agreements": agreements.current_versions(category) if category and category.asks_agreements else [],
    }
    return render(request, "visitors/kiosk/walk_in.html", context)


@never_cache
@require_GET
@kiosk_required
@rate_limited("lookup", methods=("GET",))
def kiosk_hosts(request):
    """The host picker's matches (htmx): "Dept-Name" labels only, and only
    while the kiosk takes walk-ins."""
    if request.kiosk.site.current_kiosk_mode() != KioskMode.OPEN:
        return HttpResponseForbidden()
    query = request.GET.get("host_search", "")
    hosts, more = kiosk.find_hosts(request.kiosk.site, query if len(query) <= 40 else "")
    context = {"hosts": hosts, "more": more, "short": not kiosk.host_query_ok(query), "query": query}
    return render(request, "visitors/kiosk/_hosts.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@kiosk_required
@rate_limited("kiosk")
def kiosk_code(request):
    unavailable = _unavailable(request)
    if unavailable is not None:
        return unavailable
    device = request.kiosk
    data = request.POST if request.method == "POST" else None
    form = CodeForm(data, initial={"submission_key": _submission_key(request)})
    if data is not None and form.is_valid():
        key = kiosk.scoped_submission_key(device, form.cleaned_data["submission_key"], "code")
        try:
            visit = kiosk.kiosk_check_in_by_code(
                kiosk=device,
                code=form.cleaned_data["code"],
                accept_privacy=form.cleaned_data["accept_privacy"],
                submission_key=key,
                client_address=client_ip(request),
            )
        except ReceptionError as error:
            error.add_to_form(form)
        else:
            return _show_done(request, visit, "arrived")
    notice = invitations.privacy_notice(device.site, translation.get_language())
    context = _kiosk_context(request, form=form, notice=notice, house_rules=_house_rules(device.site))
    return render(request, "visitors/kiosk/code.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@kiosk_required
@rate_limited("kiosk")
def kiosk_check_out(request):
    unavailable = _unavailable(request)
    if unavailable is not None:
        return unavailable
    data = request.POST if request.method == "POST" else None
    form = CheckOutForm(data)
    if data is not None and form.is_valid():
        try:
            visit = kiosk.kiosk_check_out(
                kiosk=request.kiosk, badge_code=form.cleaned_data["badge_code"], client_address=client_ip(request)
            )
        except ReceptionError as error:
            error.add_to_form(form)
        else:
            return _show_done(request, visit, "left")
    return render(request, "visitors/kiosk/check_out.html", _kiosk_context(request, form=form))


@never_cache
@require_GET
@kiosk_required
def kiosk_done(request):
    """Welcome or goodbye, until the screen resets for the next visitor (the
    start page drops it) or it is older than an idle screen: after that a
    reload or the back button finds nothing."""
    done = request.session.get("kiosk_done")
    if not done or timezone.now().timestamp() - done.get("at", 0) > KIOSK_IDLE_SECONDS:
        return redirect("public:kiosk_start")
    visit = (
        Visit.objects.select_related("room", "host__profile__department")
        .filter(pk=done["visit"], site=request.kiosk.site)
        .first()
    )
    if visit is None:
        return redirect("public:kiosk_start")
    context = _kiosk_context(
        request,
        visit=visit,
        left=done["kind"] == "left",
        host=staff_label(visit.host) if visit.host_id else "",
        done_seconds=KIOSK_DONE_SECONDS,
    )
    return render(request, "visitors/kiosk/done.html", context)


# --- invitations (the visitor's phone) ----------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("invitation")
def invitation(request, token):
    """The link in the invitation email: confirm details, accept the privacy
    notice, and keep the code and QR code for the day."""
    try:
        invite = invitations.invitation_for_token(token)
    except ReceptionError as error:
        status = 410 if error.code == "expired" else 404
        return render(request, "visitors/invitations/invalid.html", {"message": error.message}, status=status)
    visit = invite.visit
    site = visit.site
    initial = {"full_name": visit.visitor.full_name, "company": visit.visitor.company, "phone": visit.visitor.phone}
    data = request.POST if request.method == "POST" else None
    form = ConfirmDetailsForm(data, initial=initial, privacy_accepted=invite.privacy_accepted_at is not None)
    signature_errors = []  # issue #19: the agreements of the visit's category
    if data is not None and form.is_valid():
        try:
            signing = agreements.signing_from_request(data, translation.get_language())
            invitations.confirm_invitation(
                invitation=invite,
                full_name=form.cleaned_data["full_name"],
                company=form.cleaned_data["company"],
                phone=form.cleaned_data["phone"],
                accept_privacy=form.accepts_privacy,
                client_address=client_ip(request),
                signing=signing,
            )
        except ReceptionError as error:
            if error.field == "signature":
                signature_errors.append(error.message)
            else:
                error.add_to_form(form)
        else:
            messages.success(request, _("Thank you, your details are confirmed. See you soon."))
            return redirect(request.path)
    with timezone.override(site.tzinfo):
        context = {
            "invitation": invite,
            "visit": visit,
            "site": site,
            "form": form,
            "host": staff_label(visit.host) if visit.host_id else "",
            "notice": invitations.privacy_notice(site, translation.get_language()),
            "house_rules": _house_rules(site),
            "open": visit.status == VisitStatus.EXPECTED,
            "signature_errors": signature_errors,
        }
        if context["open"]:
            versions = agreements.current_versions(visit.category)
            context["agreements"] = agreements.to_sign(versions, visit.visitor, timezone.now(), visit=visit)
        return render(request, "visitors/invitations/invitation.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited("invitation")
def acknowledge(request, token):
    """R3.2: the one-click link in an arrival or escalation email. GET asks,
    POST acknowledges (a link preview or mail scanner only ever GETs)."""
    try:
        visit, person = links.read_ack_token(token)
    except ReceptionError as error:
        return render(request, "visitors/invitations/invalid.html", {"message": error.message}, status=404)
    error_message = ""
    if request.method == "POST":
        try:
            escalation.acknowledge_visit(visit=visit, by=person, client_address=client_ip(request))
        except ReceptionError as error:
            error_message = error.message
        else:
            return redirect(request.path)
        visit.refresh_from_db()
    with timezone.override(visit.site.tzinfo):
        context = {
            "visit": visit,
            "site": visit.site,
            "person": staff_label(person),
            "by": staff_label(visit.acknowledged_by) if visit.acknowledged_by_id else "",
            "error": error_message,
            "waiting": visit.status == VisitStatus.ON_SITE and visit.acknowledged_at is None,
        }
        return render(request, "visitors/invitations/acknowledge.html", context, status=409 if error_message else 200)


# --- staff pages --------------------------------------------------------------


@login_required
@permission_required("visitors.invite_visitor", raise_exception=True)
@require_http_methods(["GET", "POST"])
def invite(request):
    """A host, clerk or secretary invites a visitor. A host invites for
    themself; the desk (register_visit) chooses the host."""
    site = user_site(request)
    choose_host = request.user.has_perm("visitors.register_visit")
    data = request.POST if request.method == "POST" else None
    form = InvitationForm(data, site=site, user=request.user, choose_host=choose_host)
    if data is not None and form.is_valid():
        fields = {"host": request.user, **form.cleaned_data}
        try:
            created = invitations.create_invitation(
                site=site, by=request.user, client_address=client_ip(request), **fields
            )
        except ReceptionError as error:
            error.add_to_form(form)
        else:
            messages.success(
                request,
                _("Invitation for %(name)s sent to %(email)s. Their code is %(code)s.")
                % {"name": created.visit.visitor.full_name, "email": created.email, "code": created.code},
            )
            return redirect("public:invite")
    return render(request, "visitors/invitations/new.html", {"form": form, "site": site, "choose_host": choose_host})


@login_required
@permission_required("visitors.invite_visitor", raise_exception=True)
@require_GET
def invite_rooms(request):
    """The invitation form's room <option>s for the chosen category and party
    size (htmx): the rooms allowed for the category (R1.3) that can hold the
    party, and "decide on arrival"."""
    site = user_site(request)
    form = InvitationForm(request.GET, site=site, user=request.user, choose_host=False)
    context = {
        "choices": form.rooms_offered,
        "current": request.GET.get("room", ""),
        "empty_label": _("Decide on arrival"),
    }
    return render(request, "visitors/_room_options.html", context)


@login_required
@permission_required("visitors.check_in_visit", raise_exception=True)
@require_http_methods(["GET", "POST"])
def desk_check_in(request):
    """The desk checks an invited visitor in by their code or QR code."""
    site = user_site(request)
    data = request.POST if request.method == "POST" else None
    form = DeskCodeForm(data, site=site, user=request.user)
    valid = data is not None and form.is_valid()
    if data is not None and "code" in form.cleaned_data:
        # An invitation that left the room open: ask for it (R1.3).
        form.offer_rooms_for(invitations.invited_visit(site, form.cleaned_data["code"]))
    if valid:
        try:
            visit = invitations.check_in_by_code(
                site=site,
                code=form.cleaned_data["code"],
                by=request.user,
                room=form.chosen_room,
                override_reason=form.override_reason,
                night_facts=form.night_facts,
                client_address=client_ip(request),
            )
        except ReceptionError as error:
            error.add_to_form(form)
        else:
            if visit.status == VisitStatus.PENDING_SECURITY:
                messages.warning(request, watchlist.HELD_AT_DESK % {"name": visit.visitor.full_name})
                return redirect("visitors:visit", visit.pk)
            messages.success(
                request,
                _("%(name)s is checked in; room: %(room)s.")
                % {"name": visit.visitor.full_name, "room": visit.room.display_name},
            )
            return redirect("visitors:visit", visit.pk)
    return render(request, "visitors/invitations/desk_check_in.html", {"form": form, "site": site})


@passive
@login_required
@permission_required("visitors.view_visit", raise_exception=True)
@require_GET
def desk_notifications(request):
    """The dashboard's escalations and failed deliveries (R3.2), polled by htmx
    on their own; @passive, so polling keeps no idle desk signed in (R4.1)."""
    site = user_site(request)
    return render(request, "visitors/notifications/details.html", notification_details(site))
