from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reception import registers, rulebook
from reception.access import get_at_user_site_or_404, start_url, user_site
from reception.errors import ReceptionError
from reception.forms import (
    CloseIncidentForm,
    FollowUpForm,
    HandoverForm,
    IncidentForm,
    LostItemForm,
    ReportDayForm,
    ReturnLostItemForm,
    WeekForm,
)
from reception.middleware import passive
from reception.models import Handover, Incident, LostItem, RulesAcknowledgement, RulesVersion, Site, staff_label
from reception.morning_report import build_morning_report, last_finished_night_day
from reception.roster import duty_panel_context, roster_week
from reception.security import client_ip
from visitors.models import AuditEvent

PAGE_SIZE = 50


def home(request):
    """Everyone to the first page they may open (after signing in, too:
    LOGIN_REDIRECT_URL): the desk for desk staff, their own visitors for a
    host (issue #16), the sign-in page for someone not signed in. An account
    whose duty opens no page is told so."""
    target = start_url(request)
    if target is None:
        raise PermissionDenied("This account has no duty that opens a page.")
    return redirect(target)


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


# --- the desk's night side: roster, handover, registers, morning report -------
# Views read top to bottom: permission → the user's site → form → service →
# message → redirect. Another site's entry answers 404, a missing duty 403.


# What each audit action of the registers reads as on an entry's page.
TRAIL_LABELS = {
    "handover.write": gettext_lazy("Written"),
    "handover.acknowledge": gettext_lazy("Acknowledged"),
    "lostitem.record": gettext_lazy("Recorded"),
    "lostitem.return": gettext_lazy("Returned to its owner"),
    "incident.report": gettext_lazy("Reported"),
    "incident.follow_up": gettext_lazy("Follow-up added"),
    "incident.close": gettext_lazy("Closed"),
}


def _trail(site: Site, obj) -> list[tuple[AuditEvent, str]]:
    """The audit events of one register entry, oldest first: its who/when trail."""
    events = (
        AuditEvent.objects.filter(site=site, object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor__profile__department")
        .order_by("seq")
    )
    return [(event, TRAIL_LABELS.get(event.action, event.action)) for event in events]


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- roster (R1.5, R4.2, R6.8) ---------------------------------------------------


@login_required
@permission_required("reception.view_rosterentry", raise_exception=True)
@require_GET
def roster(request):
    """Read-only week of the roster in the site's time zone; the office manager plans it in the admin."""
    site = user_site(request)
    now = timezone.now()
    form = WeekForm(request.GET)
    day = form.cleaned_data.get("week") if form.is_valid() else None
    if form.errors:
        messages.warning(request, _("That is not a week we can show; here is the current week."))
    week = roster_week(site, day or site.local(now).date(), now=now)
    return render(request, "reception/roster_week.html", {"site": site, "week": week, "form": form})


@passive
@login_required
@permission_required("visitors.view_visit", raise_exception=True)
@require_GET
def duty_panel(request):
    """The dashboard's duty panel, polled by htmx; @passive so the polling
    never keeps an idle desk signed in (R4.1)."""
    site = user_site(request)
    return render(request, "reception/_duty_panel.html", duty_panel_context(site))


# --- shift handover (R6.6) -------------------------------------------------------


@login_required
@permission_required("reception.view_handover", raise_exception=True)
@require_GET
def handover_list(request):
    site = user_site(request)
    handovers = _page(
        request,
        Handover.objects.filter(site=site)
        .select_related("written_by__profile__department", "acknowledged_by__profile__department")
        .order_by("-written_at", "-pk"),
    )
    return render(request, "reception/handover_list.html", {"site": site, "handovers": handovers})


@login_required
@permission_required("reception.add_handover", raise_exception=True)
@require_http_methods(["GET", "POST"])
def handover_new(request):
    site = user_site(request)
    now = timezone.now()
    started = registers.shift_started_at(site=site, user=request.user, at=now)
    form = HandoverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        handover = registers.write_handover(
            site=site, by=request.user, client_address=client_ip(request), **form.cleaned_data
        )
        messages.success(request, _("Handover written. The incoming person acknowledges it on the desk."))
        return redirect("reception:handover_detail", pk=handover.pk)
    context = {
        "site": site,
        "form": form,
        "shift_started_at": started,
        "on_site": registers.on_site_snapshot(site),
        "shift_visit_count": registers.visits_between(site, started, now).count(),
    }
    return render(request, "reception/handover_form.html", context)


@login_required
@permission_required("reception.view_handover", raise_exception=True)
@require_GET
def handover_detail(request, pk: int):
    site = user_site(request)
    handover = get_at_user_site_or_404(
        request,
        Handover.objects.select_related("written_by__profile__department", "acknowledged_by__profile__department"),
        pk=pk,
    )
    visits = handover.shift_visits.with_people().order_by("registered_at", "pk")
    return render(
        request,
        "reception/handover_detail.html",
        {
            "site": site,
            "handover": handover,
            "shift_visits": visits,
            "can_acknowledge": request.user.has_perm("reception.add_handover")
            and handover.acknowledged_at is None
            and handover.written_by_id != request.user.pk,
            "trail": _trail(site, handover),
        },
    )


@login_required
@permission_required("reception.add_handover", raise_exception=True)
@require_POST
def handover_acknowledge(request, pk: int):
    handover = get_at_user_site_or_404(request, Handover, pk=pk)
    try:
        registers.acknowledge_handover(handover=handover, by=request.user, client_address=client_ip(request))
    except ReceptionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Handover acknowledged: the shift is yours."))
    return redirect("reception:handover_detail", pk=handover.pk)


# --- lost and found (R6.2) -------------------------------------------------------


@login_required
@permission_required("reception.view_lostitem", raise_exception=True)
@require_GET
def lost_item_list(request):
    site = user_site(request)
    show = request.GET.get("show", "open")
    items = LostItem.objects.filter(site=site).select_related(
        "recorded_by__profile__department", "returned_by__profile__department"
    )
    if show == "open":
        items = items.filter(returned_at__isnull=True)
    elif show == "returned":
        items = items.filter(returned_at__isnull=False)
    else:
        show = "all"
    page = _page(request, items.order_by("-found_at", "-pk"))
    return render(request, "reception/lostitem_list.html", {"site": site, "items": page, "show": show})


@login_required
@permission_required("reception.add_lostitem", raise_exception=True)
@require_http_methods(["GET", "POST"])
def lost_item_new(request):
    site = user_site(request)
    form = LostItemForm(
        request.POST or None,
        initial={
            "found_at": timezone.localtime().replace(second=0, microsecond=0),
            "found_by": staff_label(request.user),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = registers.record_lost_item(
                site=site, by=request.user, client_address=client_ip(request), **form.cleaned_data
            )
        except ReceptionError as error:
            error.add_to_form(form)
        else:
            messages.success(request, _("Lost item recorded: %(item)s.") % {"item": item.description})
            return redirect("reception:lost_item_detail", pk=item.pk)
    return render(request, "reception/lostitem_form.html", {"site": site, "form": form})


@login_required
@permission_required("reception.view_lostitem", raise_exception=True)
@require_GET
def lost_item_detail(request, pk: int):
    site = user_site(request)
    item = get_at_user_site_or_404(
        request,
        LostItem.objects.select_related("recorded_by__profile__department", "returned_by__profile__department"),
        pk=pk,
    )
    return render(
        request,
        "reception/lostitem_detail.html",
        {"site": site, "item": item, "return_form": ReturnLostItemForm(), "trail": _trail(site, item)},
    )


@login_required
@permission_required("reception.change_lostitem", raise_exception=True)
@require_POST
def lost_item_return(request, pk: int):
    site = user_site(request)
    item = get_at_user_site_or_404(request, LostItem, pk=pk)
    form = ReturnLostItemForm(request.POST)
    if form.is_valid():
        try:
            registers.return_lost_item(
                item=item,
                by=request.user,
                returned_to=form.cleaned_data["returned_to"],
                client_address=client_ip(request),
            )
        except ReceptionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Marked as returned."))
        return redirect("reception:lost_item_detail", pk=item.pk)
    return render(
        request,
        "reception/lostitem_detail.html",
        {"site": site, "item": item, "return_form": form, "trail": _trail(site, item)},
        status=400,
    )


# --- incidents (R6.3, R6.5) ------------------------------------------------------


@login_required
@permission_required("reception.view_incident", raise_exception=True)
@require_GET
def incident_list(request):
    site = user_site(request)
    show = request.GET.get("show", "open")
    incidents = Incident.objects.filter(site=site).select_related(
        "reported_by__profile__department", "closed_by__profile__department"
    )
    if show == "open":
        incidents = incidents.filter(closed_at__isnull=True)
    elif show == "closed":
        incidents = incidents.filter(closed_at__isnull=False)
    else:
        show = "all"
    page = _page(request, incidents.order_by("-occurred_at", "-pk"))
    return render(request, "reception/incident_list.html", {"site": site, "incidents": page, "show": show})


@login_required
@permission_required("reception.add_incident", raise_exception=True)
@require_http_methods(["GET", "POST"])
def incident_new(request):
    site = user_site(request)
    form = IncidentForm(
        request.POST or None, initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident = registers.report_incident(
                site=site, by=request.user, client_address=client_ip(request), **form.cleaned_data
            )
        except ReceptionError as error:
            error.add_to_form(form)
        else:
            messages.success(request, _("Incident recorded."))
            return redirect("reception:incident_detail", pk=incident.pk)
    return render(request, "reception/incident_form.html", {"site": site, "form": form})


def _incident_page(request, site: Site, incident: Incident, *, follow_up_form=None, close_form=None, status=200):
    return render(
        request,
        "reception/incident_detail.html",
        {
            "site": site,
            "incident": incident,
            "follow_up_form": follow_up_form or FollowUpForm(),
            "close_form": close_form or CloseIncidentForm(),
            "trail": _trail(site, incident),
        },
        status=status,
    )


@login_required
@permission_required("reception.view_incident", raise_exception=True)
@require_GET
def incident_detail(request, pk: int):
    site = user_site(request)
    incident = get_at_user_site_or_404(
        request,
        Incident.objects.select_related("reported_by__profile__department", "closed_by__profile__department"),
        pk=pk,
    )
    return _incident_page(request, site, incident)


@login_required
@permission_required("reception.change_incident", raise_exception=True)
@require_POST
def incident_follow_up(request, pk: int):
    site = user_site(request)
    incident = get_at_user_site_or_404(request, Incident, pk=pk)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _incident_page(request, site, incident, follow_up_form=form, status=400)
    try:
        registers.follow_up_incident(
            incident=incident, by=request.user, note=form.cleaned_data["note"], client_address=client_ip(request)
        )
    except ReceptionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Follow-up added."))
    return redirect("reception:incident_detail", pk=incident.pk)


@login_required
@permission_required("reception.change_incident", raise_exception=True)
@require_POST
def incident_close(request, pk: int):
    site = user_site(request)
    incident = get_at_user_site_or_404(request, Incident, pk=pk)
    form = CloseIncidentForm(request.POST)
    if not form.is_valid():
        return _incident_page(request, site, incident, close_form=form, status=400)
    try:
        registers.close_incident(
            incident=incident, by=request.user, note=form.cleaned_data["note"], client_address=client_ip(request)
        )
    except ReceptionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Incident closed."))
    return redirect("reception:incident_detail", pk=incident.pk)


# --- morning report (R6.8) -------------------------------------------------------


@login_required
@permission_required(("visitors.view_visit", "reception.view_handover"), raise_exception=True)
@require_GET
def morning_report(request):
    """The night that ended on the morning of ?date= (default: the last night that ended)."""
    site = user_site(request)
    now = timezone.now()
    form = ReportDayForm(request.GET)
    day = form.cleaned_data.get("date") if form.is_valid() else None
    if form.errors:
        messages.warning(request, _("That is not a date we can report on; here is the last night."))
    day = day or last_finished_night_day(site, now)
    report = build_morning_report(site=site, day=day)
    return render(
        request,
        "reception/morning_report.html",
        {
            "site": site,
            "report": report,
            "final": report.is_final(now),
            "started": report.night.start <= now,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1) if report.is_final(now) else None,
        },
    )


# --- the written rules (issue #22) ---------------------------------------------------


@login_required
@require_GET
def rules(request, number: int | None = None):
    """The site's written rules: the version in force (or an older one by
    its number, still readable), with the button to acknowledge it."""
    site = user_site(request)
    current = rulebook.current_version(site)
    version = current if number is None else get_at_user_site_or_404(request, RulesVersion, number=number)
    acknowledged = (
        version is not None and RulesAcknowledgement.objects.filter(version=version, user=request.user).exists()
    )
    context = {
        "version": version,
        "current": current,
        "body": rulebook.staff_body(version) if version else "",
        "house_rules": rulebook.render_markdown(version.display_house_rules) if version else "",
        "acknowledged": acknowledged,
        "versions": RulesVersion.objects.filter(site=site).order_by("-number"),
    }
    return render(request, "reception/rules.html", context)


@login_required
@require_POST
def rules_acknowledge(request, number: int):
    version = get_at_user_site_or_404(request, RulesVersion, number=number)
    rulebook.acknowledge_rules(version=version, by=request.user, client_address=client_ip(request))
    messages.success(
        request, _("Thank you: you have acknowledged version %(number)s of the rules.") % {"number": number}
    )
    return redirect("reception:rules")


@passive
@login_required
@require_GET
def rules_banner(request):
    """The desk's "new rules to read" banner, fetched by the page after it
    loads (so the desk's own pages pay no query for it); empty when there is
    nothing to read."""
    site = getattr(request, "site", None)
    version = rulebook.rules_to_read(request.user, site) if site is not None else None
    return render(request, "reception/_rules_banner.html", {"version": version})
