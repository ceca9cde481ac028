"""The front desk (/desk/): dashboard, walk-in registration, visit actions, the
visitor log and the printables. Views read top to bottom: permission → the
user's site → form → service → message → redirect. Rules live in
visitors.services; a refusal comes back as a form error or a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reception.access import get_at_user_site_or_404, user_site
from reception.errors import ReceptionError
from reception.middleware import passive
from reception.models import Site
from reception.security import client_ip
from visitors import approvals, audit, escalation, exports, hospitality, notes, selectors, services, watchlist
from visitors.dashboard import (
    current_marker,
    duty_part,
    grant_poll,
    live_buttons,
    live_marker,
    live_part,
    log_rows,
    room_board,
)
from visitors.forms import ArrivalForm, LogFilterForm, StepForm, VisitorNotesForm, WalkInForm, room_choices, staff_at
from visitors.invitations import privacy_notice
from visitors.models import ConsentWay, Visit, VisitEvent, Visitor, VisitStatus

LOG_PAGE_SIZE = 50


def get_visit(request, pk: int) -> Visit:
    """A visit of the user's site with the people the pages show."""
    return get_at_user_site_or_404(request, Visit.objects.with_people(), pk=pk)


def _back(request, default: str):
    """Return to the page the button was on, if it is one of ours."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


# --- dashboard ------------------------------------------------------------------


@login_required
@permission_required("visitors.view_visit", raise_exception=True)
@require_GET
def dashboard(request):
    site = user_site(request)
    now = timezone.now()
    marker = live_marker(site, now)
    return render(
        request,
        "visitors/dashboard.html",
        {
            "site": site,
            "duty": duty_part(request, site, now, marker=marker),
            "live": live_part(request, site, now, marker=marker),
        },
    )


@passive
@login_required
@permission_required("visitors.view_visit", raise_exception=True)
@require_GET
def dashboard_live(request):
    """The self-refreshing part of the dashboard. Polled by htmx; @passive so
    the polling never keeps an idle desk signed in (R4.1).

    Most polls find nothing new (issue #24), so the part carries an ETag and a
    poll that sends it back is answered 304 without rendering while nothing
    it shows has changed: the site's live_marker, plus what differs per
    reader (the language, and the buttons their permissions show). A repeat
    poll in the same minute is answered by DeskPollMiddleware from the grant
    this leaves (visitors.dashboard.unchanged_poll)."""
    site = user_site(request)
    now = timezone.now()
    marker = current_marker(request, site, now)
    etag = f'"desk-{marker}.{translation.get_language()}.{request.user.pk}.{live_buttons(request.user)}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(live_part(request, site, now, marker=marker))
    response["ETag"] = etag
    grant_poll(request, etag=etag, site=site, marker=marker, now=now)
    # The browser keeps the part but asks every time whether it is still good.
    patch_cache_control(response, private=True, no_cache=True)
    return response


# --- a host's own visitors ----------------------------------------------------------


@login_required
@permission_required("visitors.acknowledge_visit", raise_exception=True)
@require_GET
def my_visitors(request):
    """A host's start (issue #16): their visitors on site, each with its R3.2
    deadline and the button that acknowledges the arrival (posting to
    `acknowledge`, which comes back here), those expected today and the
    invitations they have sent. Only the user's own visits: the host holds no
    visitors.view_visit (R4.1)."""
    site = user_site(request)
    return render(request, "visitors/my_visitors.html", selectors.host_visitors(site, request.user))


# --- register a walk-in -----------------------------------------------------------


def _returning_initial(site: Site, visitor: Visitor) -> dict:
    """Prefill from a returning visitor; their previous host is suggested (R2.4)."""
    last = Visit.objects.for_site(site).filter(visitor=visitor).order_by("-registered_at", "-pk").first()
    initial = {
        "returning_visitor": visitor.pk,
        "full_name": visitor.full_name,
        "company": visitor.company,
        "phone": visitor.phone,
        "email": visitor.email,
    }
    if last is not None:
        initial.update(category=last.category_id, host=last.host_id, party_size=last.party_size)
    return initial


@login_required
@permission_required("visitors.register_visit", raise_exception=True)
@require_http_methods(["GET", "POST"])
def register(request):
    site = user_site(request)
    initial, previous_host = {}, None
    if request.method == "GET" and request.GET.get("visitor"):
        visitor = get_object_or_404(
            Visitor.objects.for_site(site).identified(),
            pk=request.GET["visitor"] if request.GET["visitor"].isdigit() else 0,
        )
        initial = _returning_initial(site, visitor)
    form = WalkInForm(request.POST if request.method == "POST" else None, initial=initial, site=site, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.register_visit(
                visit=form.build_visit(),
                visitor=form.build_visitor(),
                by=request.user,
                arrive_now=True,
                override_reason=form.override_reason,
                night_facts=form.night_facts,
                client_address=client_ip(request),
                consent=ConsentWay.DESK,  # the clerk shows the notice (register.html)
            )
        except ReceptionError as refusal:
            refusal.add_to_form(form)
        else:
            if visit.status == VisitStatus.PENDING_SECURITY:
                messages.warning(request, watchlist.HELD_AT_DESK % {"name": visit.visitor.full_name})
                return redirect("visitors:visit", pk=visit.pk)
            if visit.status == VisitStatus.AWAITING_HOST:
                messages.info(request, approvals.AWAITING_AT_DESK % {"name": visit.visitor.full_name})
                return redirect("visitors:visit", pk=visit.pk)
            messages.success(
                request,
                _("%(name)s is registered and checked in; please take them to %(room)s.")
                % {"name": visit.visitor.full_name, "room": visit.room.display_name if visit.room else _("reception")},
            )
            return redirect("visitors:visit", pk=visit.pk)
    if initial.get("host"):
        previous_host = staff_at(site).filter(pk=initial["host"]).first()
    form.offer_rooms(room_choices(form.chosen("category"), form.chosen("party_size") or 1))
    notice = privacy_notice(site, translation.get_language())
    context = {"form": form, "site": site, "previous_host": previous_host, "notice": notice}
    return render(request, "visitors/register.html", context)


@login_required
@permission_required("visitors.register_visit", raise_exception=True)
@require_GET
def room_options(request):
    """The room <option>s for the chosen category and party size (htmx)."""
    site = user_site(request)
    form = WalkInForm(request.GET, site=site, user=request.user)
    choices = room_choices(form.chosen("category"), form.chosen("party_size") or 1)
    return render(
        request,
        "visitors/_room_options.html",
        {"choices": choices, "current": request.GET.get("room", ""), "has_category": form.chosen("category")},
    )


@login_required
@permission_required("visitors.register_visit", raise_exception=True)
@require_GET
def host_options(request):
    """Host <option>s matching the search, as "Department-Name" (R3.1)."""
    site = user_site(request)
    query = request.GET.get("host_search", "").strip()[:80].replace("\x00", "")
    staff = staff_at(site)
    matches = staff
    if query:
        matches = staff.filter(
            Q(profile__real_name__icontains=query)
            | Q(profile__department__name__icontains=query)
            | Q(profile__department__name_zh__icontains=query)
            | Q(username__icontains=query)
        )
    matches = list(matches[:30])
    current = request.GET.get("host", "")
    if current.isdigit() and all(str(u.pk) != current for u in matches):
        matches = list(staff.filter(pk=current)) + matches
    return render(request, "visitors/_host_options.html", {"hosts": matches, "current": current})


@login_required
@permission_required("visitors.register_visit", raise_exception=True)
@require_GET
def returning_visitors(request):
    """Returning visitors of this site found by phone or name, with the host who
    received them last time (R2.4). Only this site's visitors are searched (R4.1)."""
    site = user_site(request)
    phone = request.GET.get("phone", "").strip()[:40].replace("\x00", "")
    name = request.GET.get("full_name", "").strip()[:120].replace("\x00", "")
    results = []
    if len(phone) >= 3 or len(name) >= 2:
        last = Visit.objects.filter(site=site, visitor=OuterRef("pk")).order_by("-registered_at", "-pk")
        found = Visitor.objects.for_site(site).identified()
        found = found.filter(phone__icontains=phone) if len(phone) >= 3 else found.filter(full_name__icontains=name)
        results = list(
            found.annotate(
                last_at=Subquery(last.values("registered_at")[:1]),
                last_host=Subquery(last.values("host")[:1]),
                last_category=Subquery(last.values("category")[:1]),
            ).order_by("-last_at", "pk")[:8]
        )
        hosts = {u.pk: u for u in staff_at(site).filter(pk__in={v.last_host for v in results if v.last_host})}
        for visitor in results:
            visitor.previous_host = hosts.get(visitor.last_host)
    return render(request, "visitors/_returning_results.html", {"results": results})


# --- one visit ---------------------------------------------------------------------


@login_required
@permission_required("visitors.view_visit", raise_exception=True)
@require_GET
def visit_detail(request, pk: int):
    visit = get_visit(request, pk)
    events = list(visit.events.select_related("by__profile__department"))
    # The escort step is offered to the categories that require one, until done.
    escort_due = visit.category.escort_required and all(e.kind != VisitEvent.Kind.ESCORTED for e in events)
    steps = [kind for kind in services.MANUAL_STEPS if kind != VisitEvent.Kind.ESCORTED or escort_due]
    steps.remove(VisitEvent.Kind.MATERIALS)  # its own form: the note names them
    # Issue #19 (A13): a walk-up waiting for the host, and whether this reader may decide it.
    approval = approvals.approval_of(visit) if visit.status == VisitStatus.AWAITING_HOST else None
    if escalation.awaiting_acknowledgement(visit):
        # Until the arrival is acknowledged, "the host met them" is the button
        # that also stops the escalation (R3.2); a bare step would not.
        steps.remove(VisitEvent.Kind.HOST_MET)
    return render(
        request,
        "visitors/visit_detail.html",
        {
            "visit": visit,
            "events": events,
            "steps": [(kind, VisitEvent.Kind(kind).label) for kind in steps],
            "escort_due": escort_due,
            "materials_given": [event for event in events if event.kind == VisitEvent.Kind.MATERIALS],
            "row": hospitality.visit_row(visit),
            "servable": hospitality.SERVABLE,
            "night": visit.site.in_night_window(),
            "approval": approval,
            "may_decide": approvals.may_decide(visit, approval, request.user),
            "decide_as_desk": visit.host_id != request.user.pk,
            "may_acknowledge": escalation.awaiting_acknowledgement(visit)
            and request.user.has_perm("visitors.acknowledge_visit")
            and escalation.may_acknowledge(visit, request.user),
        },
    )


def _night_reason(request) -> str:
    """The optional R6.8 override reason a director gives on an action button."""
    reason = request.POST.get("night_override_reason", "").strip()
    if len(reason) > 200 or "\x00" in reason:
        raise ReceptionError("bad_reason", _("The reason is too long or contains invalid characters."))
    return reason


# Refusals of a one-click check-in that the check-in page answers: the room the
# registration left open (R1.3), the night facts and the director's reason (R6.8).
ASKED_AT_ARRIVAL = {"room_required", "night_facts_required", "night_override_reason"}


@login_required
@permission_required("visitors.check_in_visit", raise_exception=True)
@require_http_methods(["GET", "POST"])
def check_in(request, pk: int):
    """Check an expected visitor in. The dashboard's and the visit page's
    button posts here and checks in at once; when the service asks for what
    only the desk can answer (ASKED_AT_ARRIVAL), this page asks it, with the
    service's reason on top, and its own form (marked `arrival`) posts back."""
    visit = get_visit(request, pk)
    from_page = request.method == "POST" and "arrival" in request.POST
    form = ArrivalForm(request.POST if from_page else None, site=visit.site, user=request.user)
    form.offer_rooms_for(visit)
    reason = ""
    if request.method == "POST" and (form.is_valid() or not from_page):
        answers = (
            {"room": form.chosen_room, "override_reason": form.override_reason, "night_facts": form.night_facts}
            if from_page
            else {}
        )
        try:
            arrived = services.check_in_visit(
                visit=visit, by=request.user, client_address=client_ip(request), consent=ConsentWay.DESK, **answers
            )
        except ReceptionError as refusal:
            if from_page:
                refusal.add_to_form(form)
            elif refusal.code in ASKED_AT_ARRIVAL:
                reason = refusal.message
            else:
                messages.error(request, refusal.message)
                return _back(request, "visitors:dashboard")
        else:
            if arrived.status == VisitStatus.PENDING_SECURITY:
                messages.warning(request, watchlist.HELD_AT_DESK % {"name": arrived.visitor.full_name})
                return _back(request, "visitors:dashboard")
            messages.success(
                request,
                _("%(name)s is checked in; room: %(room)s.")
                % {"name": arrived.visitor.full_name, "room": arrived.room.display_name},
            )
            return _back(request, "visitors:dashboard")
    context = {
        "visit": visit,
        "form": form,
        "reason": reason,
        "next": request.POST.get("next") or request.GET.get("next"),
    }
    return render(request, "visitors/check_in.html", context)


@login_required
@permission_required("visitors.acknowledge_visit", raise_exception=True)
@require_POST
def acknowledge(request, pk: int):
    """R3.2 in the app, no email needed: the visit's host, or someone the app
    told about the visit (escalation.may_acknowledge), acknowledges the
    arrival. Anyone else holding the permission answers 403."""
    visit = get_visit(request, pk)
    if not escalation.may_acknowledge(visit, request.user):
        raise PermissionDenied("Only the host, or someone told about this visit, acknowledges it.")
    already = visit.acknowledged_at is not None
    try:
        escalation.acknowledge_visit(visit=visit, by=request.user, via="app", client_address=client_ip(request))
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        if already:
            messages.info(request, _("This arrival was already acknowledged."))
        else:
            messages.success(
                request, _("You have acknowledged the arrival of %(name)s.") % {"name": visit.visitor.full_name}
            )
    # A host without the desk's pages (visitors.view_visit) goes back to the
    # page the button was on, else to their invitations.
    can_view = request.user.has_perm("visitors.view_visit")
    return _back(request, reverse("visitors:visit", args=[visit.pk]) if can_view else "public:invite")


@login_required
@permission_required("visitors.check_in_visit", raise_exception=True)
@require_POST
def host_met(request, pk: int):
    """R3.2 at the desk: the host came down and met the visitor; the desk
    acknowledges the arrival on the host's behalf (escalation.record_host_met),
    which stops the escalation. Whoever may check visitors in may record it."""
    visit = get_visit(request, pk)
    already = visit.acknowledged_at is not None
    try:
        escalation.record_host_met(visit=visit, by=request.user, client_address=client_ip(request))
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        if already:
            messages.info(request, _("This arrival was already acknowledged."))
        else:
            messages.success(
                request,
                _("Recorded: the host met %(name)s; the arrival is acknowledged.") % {"name": visit.visitor.full_name},
            )
    return _back(request, reverse("visitors:visit", args=[visit.pk]))


@login_required
@permission_required("visitors.check_out_visit", raise_exception=True)
@require_POST
def check_out(request, pk: int):
    visit = get_visit(request, pk)
    try:
        services.check_out_visit(
            visit=visit,
            by=request.user,
            override_reason=_night_reason(request),
            client_address=client_ip(request),
        )
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(name)s is checked out.") % {"name": visit.visitor.full_name})
    return _back(request, "visitors:dashboard")


def _close(request, pk: int, outcome: str, done: str):
    visit = get_visit(request, pk)
    try:
        services.close_expected_visit(visit=visit, by=request.user, outcome=outcome, client_address=client_ip(request))
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done % {"name": visit.visitor.full_name})
    return _back(request, "visitors:dashboard")


@login_required
@permission_required("visitors.register_visit", raise_exception=True)
@require_POST
def cancel(request, pk: int):
    return _close(request, pk, VisitStatus.CANCELLED, _("The visit of %(name)s is cancelled."))


@login_required
@permission_required("visitors.register_visit", raise_exception=True)
@require_POST
def no_show(request, pk: int):
    return _close(request, pk, VisitStatus.NO_SHOW, _("%(name)s is marked as a no-show."))


@login_required
@permission_required("visitors.check_in_visit", raise_exception=True)
@require_POST
def record_step(request, pk: int):
    """R1.4: escorted, seated, host met, talks, tour, hospitality served."""
    visit = get_visit(request, pk)
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("visitors:visit", pk=visit.pk)
    try:
        event = services.record_step(
            visit=visit,
            kind=form.cleaned_data["kind"],
            by=request.user,
            note=form.cleaned_data["note"],
            client_address=client_ip(request),
        )
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Recorded: %(step)s.") % {"step": event.get_kind_display()})
    return redirect("visitors:visit", pk=visit.pk)


@login_required
@permission_required("visitors.register_visit", raise_exception=True)
@require_POST
def visitor_notes(request, pk: int):
    """The desk's notes about the visit's visitor (edited in place, audited)."""
    visit = get_visit(request, pk)
    form = VisitorNotesForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("visitors:visit", pk=visit.pk)
    try:
        notes.edit_visitor_notes(
            visit=visit, notes=form.cleaned_data["notes"], by=request.user, client_address=client_ip(request)
        )
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("The notes about %(name)s are saved.") % {"name": visit.visitor.full_name})
    return redirect("visitors:visit", pk=visit.pk)


# --- hospitality (R1.5.3) --------------------------------------------------------


@login_required
@permission_required("visitors.serve_hospitality", raise_exception=True)
@require_GET
def hospitality_list(request):
    """Today's meals, lodging and refreshments to serve at the user's site."""
    site = user_site(request)
    rows = hospitality.to_serve(site)
    return render(request, "visitors/hospitality.html", {"site": site, "rows": rows, "servable": hospitality.SERVABLE})


@login_required
@permission_required("visitors.serve_hospitality", raise_exception=True)
@require_POST
def serve_hospitality(request, pk: int):
    visit = get_visit(request, pk)
    try:
        served = hospitality.serve_hospitality(
            visit=visit, item=request.POST.get("item", "")[:20], by=request.user, client_address=client_ip(request)
        )
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Recorded: %(item)s served to %(name)s.")
            % {"item": served.get_item_display(), "name": visit.visitor.full_name},
        )
    return _back(request, "visitors:hospitality")


# --- closing time ----------------------------------------------------------------


@login_required
@permission_required("visitors.check_out_visit", raise_exception=True)
@require_GET
def closing(request):
    """Confirmation page: who is still on site and will be checked out."""
    site = user_site(request)
    on_site = Visit.objects.for_site(site).on_site().with_people().order_by("room__sort_order", "checked_in_at")
    return render(request, "visitors/closing.html", {"on_site": on_site})


@login_required
@permission_required("visitors.check_out_visit", raise_exception=True)
@require_POST
def check_out_everyone(request):
    site = user_site(request)
    try:
        count = services.check_out_everyone(site=site, by=request.user, client_address=client_ip(request))
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
        return redirect("visitors:closing")
    messages.success(request, _("Checked out everyone still on site: %(count)s visits.") % {"count": count})
    return redirect("visitors:dashboard")


# --- visitor log -----------------------------------------------------------------


@login_required
@permission_required("visitors.view_visitor_log", raise_exception=True)
@require_GET
def visitor_log(request):
    site = user_site(request)
    form = LogFilterForm(request.GET or None, site=site)
    paginator = form.paginator(Visit.objects.for_site(site), site=site, per_page=LOG_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = log_rows(page.object_list, site, form.names())
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "visitors/log.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
@permission_required("visitors.export_visitor_log", raise_exception=True)
@require_GET
def visitor_log_export(request):
    """The filtered log as CSV, streamed in chunks in constant memory."""
    site = user_site(request)
    form = LogFilterForm(request.GET, site=site)
    if not form.is_valid():
        reasons = "; ".join(f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items())
        return HttpResponseBadRequest(
            _("The filters are not valid: %(reasons)s") % {"reasons": reasons}, content_type="text/plain"
        )
    # The export reads its own columns (exports.COLUMNS): no model instances.
    visits = form.apply(Visit.objects.for_site(site), site=site)
    # Taking the log out of the building is itself an audited action (R6.4, R4.1).
    audit.record_export(
        site=site,
        actor=request.user,
        export="visitor_log.csv",
        filters=form.cleaned_data,
        client_address=client_ip(request),
    )
    response = StreamingHttpResponse(exports.visit_log_csv(visits, site=site), content_type="text/csv; charset=utf-8")
    filename = f"visitor-log-{site.slug}-{site.local(timezone.now()):%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # nginx passes this stream straight on instead of spooling it to its own
    # temporary files: the log holds visitors' names and phone numbers (R4.1),
    # and a year of it is large (deploy/nginx/lobby.conf).
    response["X-Accel-Buffering"] = "no"
    return response


# --- printables ------------------------------------------------------------------


@login_required
@permission_required("visitors.register_visit", raise_exception=True)
@require_GET
def badge(request, pk: int):
    visit = get_visit(request, pk)
    if visit.status not in (VisitStatus.EXPECTED, VisitStatus.ON_SITE):
        messages.error(request, _("A badge is printed only for a visitor who is expected or on site."))
        return redirect("visitors:visit", pk=visit.pk)
    return render(request, "visitors/badge.html", {"visit": visit})


@login_required
@permission_required("visitors.view_visit", raise_exception=True)
@require_GET
def on_site_list(request):
    """R1.5.2: who is on site, room by room with a headcount, for security and
    for an evacuation."""
    site = user_site(request)
    on_site = list(Visit.objects.for_site(site).on_site().with_people().order_by("checked_in_at", "pk"))
    board = [row for row in room_board(site, on_site) if row["visits"]]
    return render(
        request,
        "visitors/on_site_list.html",
        {
            "site": site,
            "now": timezone.now(),
            "board": board,
            "people": sum(row["people"] for row in board),
            "parties": len(on_site),
        },
    )
