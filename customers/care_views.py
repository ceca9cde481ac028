"""Customer care's desk pages (R5, R9.3, R10.2-R10.3): the complaint register
(/desk/complaints/), follow-ups, feedback and each person's due work
(/desk/customers/due/). Views read top to bottom: permission → the user's
site and what they may see (404 otherwise) → form → service → message →
redirect. The rules are in customers.complaints and customers.followups."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers import complaints, due, followups, uploads
from customers.care_forms import (
    CloseForm,
    ComplaintForm,
    FeedbackForm,
    FollowUpDoneForm,
    FollowUpForm,
    ReopenForm,
    ReplyForm,
    ResolveForm,
    RouteForm,
    SupervisorForm,
)
from customers.models import (
    Call,
    Complaint,
    ComplaintChannel,
    ComplaintSource,
    Customer,
    Feedback,
    FollowUp,
    FollowUpOrigin,
)
from reception.access import kept_private, user_site
from reception.errors import ReceptionError
from visitors.models import Visit

PAGE_SIZE = 50


def _staff(site):
    return (
        get_user_model()
        .objects.filter(profile__site=site, is_active=True)
        .select_related("profile__department")
        .order_by("profile__real_name", "pk")
    )


def _complaint(request, pk: int) -> Complaint:
    """A complaint of the user's site that they may see; any other answers 404."""
    found = (
        Complaint.objects.visible_to(request.user, user_site(request))
        .select_related(
            "customer__owner__profile__department",
            "department",
            "handler__profile__department",
            "supervisor__profile__department",
            "opened_by__profile__department",
            "acknowledged_by__profile__department",
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _errors(request, form) -> None:
    messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))


# --- the register (R5.1) ---------------------------------------------------------


@login_required
@permission_required("customers.view_complaint", raise_exception=True)
@require_GET
def complaint_list(request):
    site = user_site(request)
    found = Complaint.objects.visible_to(request.user, site).select_related(
        "customer", "department", "handler__profile__department"
    )
    status = request.GET.get("status", "")
    if status in {"open", "in_progress", "replied", "closed"}:
        found = found.filter(status=status)
    page = Paginator(found.order_by("-opened_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    today = site.local(timezone.now()).date()
    return render(request, "customers/complaint_list.html", {"page": page, "status": status, "today": today})


def _number(value) -> int | None:
    # Beyond 18 digits no row has it, and SQLite would refuse the lookup.
    return int(value) if value and str(value).isdigit() and len(str(value)) <= 18 else None


def _visits(request, site):
    """The visits a complaint or follow-up may start from: those of the
    user's site, for those who may see visits at all (not the sales floor)."""
    return Visit.objects.filter(site=site) if request.user.has_perm("visitors.view_visit") else Visit.objects.none()


def _from_visit_or_call(request, site) -> tuple[dict, str]:
    """What a complaint or follow-up opened from a visit or a call starts
    with (?visit= or ?call= on the visit page and the call log): its customer
    and where it came from, and a line saying so. A visit or call the user may
    not see starts nothing."""
    visit_id, call_id = _number(request.GET.get("visit")), _number(request.GET.get("call"))
    if visit_id is not None:
        visit = _visits(request, site).filter(pk=visit_id).select_related("visitor__customer_link").first()
        if visit is not None:
            link = getattr(visit.visitor, "customer_link", None)
            day = visit.checked_in_at or visit.expected_at or visit.registered_at
            return {
                "visit": visit.pk,
                "customer": link.customer_id if link else None,
                "channel": ComplaintChannel.IN_PERSON,
                "source": ComplaintSource.VISIT,
                "origin": FollowUpOrigin.VISIT,
            }, _("From the visit of %(name)s on %(day)s.") % {
                "name": visit.visitor.full_name,
                "day": formats.date_format(site.local(day), "Y-m-d"),
            }
    if call_id is not None:
        call = Call.objects.visible_to(request.user, site).filter(pk=call_id).first()
        if call is not None:
            return {
                "call": call.pk,
                "customer": call.customer_id,
                "channel": ComplaintChannel.PHONE,
                "source": ComplaintSource.CALL,
                "origin": FollowUpOrigin.CALL,
            }, _("From the call of %(caller)s at %(time)s.") % {
                "caller": call.caller,
                "time": formats.date_format(site.local(call.received_at), "Y-m-d H:i"),
            }
    return {}, ""


@login_required
@permission_required("customers.add_complaint", raise_exception=True)
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    site = user_site(request)
    customers = Customer.objects.visible_to(request.user, site)
    initial = {"customer": request.GET.get("customer"), "source": _default_source(request.user)}
    prefilled, came_from = _from_visit_or_call(request, site)
    initial.update(prefilled)
    form = ComplaintForm(
        request.POST or None,
        request.FILES or None,
        customers=customers,
        staff=_staff(site),
        visits=_visits(request, site),
        calls=Call.objects.visible_to(request.user, site),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = complaints.open_complaint(
                site=site,
                by=request.user,
                customer=data["customer"],
                channel=data["channel"],
                source=data["source"],
                severity=data["severity"],
                heard=data["heard"],
                asked=data["asked"],
                department=data["department"],
                handler=data["handler"],
                reply_by=data["reply_by"],
                letter=data["letter"],
                call=data["call"],
                visit=data["visit"],
            )
        except ReceptionError as refusal:
            refusal.add_to_form(form)
        else:
            messages.success(request, _("Complaint %(ref)s recorded.") % {"ref": complaint.reference})
            return redirect("customers:complaint_detail", pk=complaint.pk)
    return render(request, "customers/complaint_form.html", {"form": form, "came_from": came_from})


def _default_source(user) -> str:
    return ComplaintSource.DESK if user.has_perm("customers.view_all_complaints") else ComplaintSource.SALESPERSON


@login_required
@permission_required("customers.view_complaint", raise_exception=True)
@require_GET
def complaint_detail(request, pk: int):
    complaint = _complaint(request, pk)
    staff = _staff(complaint.site)
    context = {
        "complaint": complaint,
        "today": complaint.site.local(timezone.now()).date(),
        "follow_ups": complaint.follow_ups.select_related("assigned_to__profile__department"),
        "route_form": RouteForm(
            staff=staff,
            initial={"department": complaint.department_id, "handler": complaint.handler_id},
        ),
        "supervisor_form": SupervisorForm(staff=staff),
        "reply_form": ReplyForm(initial={"reply": complaint.reply}),
        "close_form": CloseForm(),
        "reopen_form": ReopenForm(),
    }
    return render(request, "customers/complaint_detail.html", context)


def _act(request, pk: int, form_class, action, done: str, **form_kwargs):
    """Check the form, run the service, say how it went, back to the complaint."""
    complaint = _complaint(request, pk)
    form = form_class(request.POST, request.FILES or None, **form_kwargs)
    if not form.is_valid():
        _errors(request, form)
    else:
        try:
            action(complaint, form.cleaned_data)
        except ReceptionError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, done)
    return redirect("customers:complaint_detail", pk=complaint.pk)


@login_required
@permission_required("customers.handle_complaint", raise_exception=True)
@require_POST
def complaint_route(request, pk: int):
    """R5.3: to the responsible department and person, with a reply-by date."""
    return _act(
        request,
        pk,
        RouteForm,
        lambda complaint, data: complaints.route(complaint=complaint, by=request.user, **data),
        _("Complaint routed."),
        staff=_staff(user_site(request)),
    )


@login_required
@permission_required("customers.handle_complaint", raise_exception=True)
@require_POST
def complaint_supervisor(request, pk: int):
    """R5.3: beyond the desk's authority."""
    return _act(
        request,
        pk,
        SupervisorForm,
        lambda complaint, data: complaints.pass_to_supervisor(complaint=complaint, by=request.user, **data),
        _("Passed to the supervisor; the promised date is recorded."),
        staff=_staff(user_site(request)),
    )


@login_required
@permission_required("customers.handle_complaint", raise_exception=True)
@require_POST
def complaint_reply(request, pk: int):
    return _act(
        request,
        pk,
        ReplyForm,
        lambda complaint, data: complaints.record_reply(complaint=complaint, by=request.user, **data),
        _("Reply recorded."),
    )


@login_required
@permission_required("customers.handle_complaint", raise_exception=True)
@require_POST
def complaint_close(request, pk: int):
    return _act(
        request,
        pk,
        CloseForm,
        lambda complaint, data: complaints.close(complaint=complaint, by=request.user, **data),
        _("Complaint closed; its follow-up is scheduled."),
    )


@login_required
@permission_required("customers.handle_complaint", raise_exception=True)
@require_POST
def complaint_reopen(request, pk: int):
    return _act(
        request,
        pk,
        ReopenForm,
        lambda complaint, data: complaints.reopen(complaint=complaint, by=request.user, **data),
        _("Complaint reopened."),
    )


@login_required
@permission_required("customers.handle_complaint", raise_exception=True)
@require_POST
def complaint_acknowledge(request, pk: int):
    """R5.2: a major complaint taken in hand; its escalation stops."""
    complaint = _complaint(request, pk)
    try:
        complaints.acknowledge(complaint=complaint, by=request.user)
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Acknowledged."))
    return redirect("customers:complaint_detail", pk=complaint.pk)


@login_required
@permission_required("customers.view_complaint", raise_exception=True)
@require_GET
def complaint_file(request, pk: int, which: str):
    """R5.4: a written complaint's letter or reply, to staff who may see the
    complaint only, never cached, never guessed from the file's content."""
    complaint = _complaint(request, pk)
    if which not in {"letter", "reply"}:
        raise Http404
    stored = complaint.letter if which == "letter" else complaint.reply_letter
    if not stored:
        raise Http404
    kind = uploads.kind_of_stored(stored.name)
    filename = f"{complaint.reference}-{which}.{kind.extension}"
    return kept_private(
        FileResponse(stored.open("rb"), content_type=kind.content_type, as_attachment=True, filename=filename)
    )


# --- follow-ups (R10.2-R10.3) ----------------------------------------------------


@login_required
@permission_required("customers.add_followup", raise_exception=True)
@require_http_methods(["GET", "POST"])
def follow_up_new(request):
    site = user_site(request)
    customers = Customer.objects.visible_to(request.user, site)
    initial = {"customer": request.GET.get("customer")}
    prefilled, came_from = _from_visit_or_call(request, site)
    initial.update({key: value for key, value in prefilled.items() if key in {"customer", "origin"}})
    form = FollowUpForm(request.POST or None, customers=customers, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            followups.schedule_follow_up(
                customer=data["customer"],
                by=request.user,
                origin=data["origin"],
                method=data["method"],
                due_on=data["due_on"],
            )
        except ReceptionError as refusal:
            refusal.add_to_form(form)
        else:
            messages.success(request, _("Follow-up scheduled."))
            return redirect("customers:customer_detail", pk=data["customer"].pk)
    return render(request, "customers/follow_up_form.html", {"form": form, "came_from": came_from})


@login_required
@permission_required("customers.change_followup", raise_exception=True)
@require_http_methods(["GET", "POST"])
def follow_up_done(request, pk: int):
    """R10.3: the completion form."""
    site = user_site(request)
    follow_up = (
        FollowUp.objects.visible_to(request.user, site).select_related("customer", "complaint").filter(pk=pk).first()
    )
    if follow_up is None:
        raise Http404
    form = FollowUpDoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            followups.complete_follow_up(
                follow_up=follow_up,
                by=request.user,
                satisfaction=data["satisfaction"],
                shortcomings=data["shortcomings"],
                relationship_note=data["relationship_note"],
                schedule_next=data["schedule_next"],
                next_due_on=data["next_due_on"],
            )
        except ReceptionError as refusal:
            refusal.add_to_form(form)
        else:
            messages.success(request, _("Follow-up recorded."))
            return redirect("customers:due")
    return render(request, "customers/follow_up_done.html", {"form": form, "follow_up": follow_up})


# --- feedback and after-sales requests (R9.3) --------------------------------------


@login_required
@permission_required("customers.add_feedback", raise_exception=True)
@require_http_methods(["GET", "POST"])
def feedback_new(request):
    site = user_site(request)
    customers = Customer.objects.visible_to(request.user, site)
    form = FeedbackForm(
        request.POST or None, customers=customers, staff=_staff(site), initial={"customer": request.GET.get("customer")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            followups.log_feedback(by=request.user, **form.cleaned_data)
        except ReceptionError as refusal:
            refusal.add_to_form(form)
        else:
            messages.success(request, _("Routed to %(department)s.") % {"department": form.cleaned_data["department"]})
            return redirect("customers:customer_detail", pk=form.cleaned_data["customer"].pk)
    return render(request, "customers/feedback_form.html", {"form": form})


@login_required
@permission_required("customers.change_feedback", raise_exception=True)
@require_POST
def feedback_resolve(request, pk: int):
    item = Feedback.objects.visible_to(request.user, user_site(request)).filter(pk=pk).first()
    if item is None:
        raise Http404
    form = ResolveForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
    else:
        try:
            followups.resolve_feedback(feedback=item, by=request.user, resolution=form.cleaned_data["resolution"])
        except ReceptionError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("Marked as dealt with."))
    return redirect("customers:due")


# --- due work ------------------------------------------------------------------------


@login_required
@permission_required("customers.view_complaint", raise_exception=True)
@require_GET
def due_view(request):
    """Everything of the user's overdue or due within the week."""
    site = user_site(request)
    work = due.due_work(request.user, site, site.local(timezone.now()).date())
    return render(request, "customers/due.html", {"work": work, "resolve_form": ResolveForm()})
