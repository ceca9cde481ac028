"""The sales floor's desk pages (/desk/customers/, /desk/rotation/,
/desk/calls/). Views read top to bottom: permission → the user's site → form →
service → message → redirect; a refusal comes back as a form error or a
message. Rules live in customers.services, rotation and calls."""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers import calls, exports, fairness, rotation, services
from customers.forms import AwayForm, CallFilterForm, CallForm, CustomerForm, LinkVisitForm, NextForm, OverrideForm
from customers.models import Assignment, AwayMark, Call, Customer
from customers.panel import rotation_panel
from reception.access import get_at_user_site_or_404, user_site
from reception.errors import ReceptionError
from reception.security import client_ip
from visitors import audit
from visitors.models import Visit

PAGE_SIZE = 50


def _customer(request, pk: int) -> Customer:
    """A customer of the user's site that they may see; any other answers 404."""
    site = user_site(request)
    customer = (
        Customer.objects.visible_to(request.user, site).select_related("owner__profile__department").filter(pk=pk)
    )
    found = customer.first()
    if found is None:
        raise Http404
    return found


# --- customers (R10.1) -------------------------------------------------------------


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_GET
def customer_list(request):
    site = user_site(request)
    customers = Customer.objects.visible_to(request.user, site).select_related("owner__profile__department")
    term = " ".join(request.GET.get("q", "")[:120].split())
    if term:
        customers = customers.filter(Q(name__icontains=term) | Q(company__icontains=term) | Q(phone__icontains=term))
    page = Paginator(customers.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/customer_list.html", {"page": page, "q": term})


@login_required
@permission_required("customers.add_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_new(request):
    site = user_site(request)
    form = CustomerForm(
        request.POST or None,
        salespeople=rotation.rotation_users(site),
        may_set_tier=request.user.has_perm("customers.change_customer"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            customer = services.create_customer(
                site=site,
                by=request.user,
                name=data["name"],
                company=data["company"],
                phone=data["phone"],
                email=data["email"],
                notes=data["notes"],
                tier=data.get("tier") or "general",
                owner=data.get("owner"),
                confirm_duplicate=data["confirm_duplicate"],
            )
        except ReceptionError as refusal:
            refusal.add_to_form(form)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer})
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_edit(request, pk: int):
    customer = _customer(request, pk)
    initial = {
        name: getattr(customer, name) for name in ("name", "company", "phone", "email", "notes", "tier", "owner")
    }
    form = CustomerForm(
        request.POST or None, initial=initial, salespeople=rotation.rotation_users(customer.site), may_set_tier=True
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        confirm = data.pop("confirm_duplicate")
        try:
            services.update_customer(customer=customer, by=request.user, confirm_duplicate=confirm, **data)
        except ReceptionError as refusal:
            refusal.add_to_form(form)
        else:
            messages.success(request, _("Customer %(name)s saved.") % {"name": data["name"]})
            return redirect("customers:customer_detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@require_GET
def customer_detail(request, pk: int):
    customer = _customer(request, pk)
    return render(
        request, "customers/customer_detail.html", {"customer": customer, "history": services.history(customer)}
    )


@login_required
@permission_required("customers.link_visitor", raise_exception=True)
@require_http_methods(["GET", "POST"])
def link_visit(request, visit_id: int):
    """R10.1: a visit registered at the desk or kiosk joins a customer: the one
    its details match, another one chosen, or a new one."""
    site = user_site(request)
    visit = get_at_user_site_or_404(request, Visit.objects.select_related("visitor", "category"), pk=visit_id)
    linked = services.customer_of_visitor(visit.visitor)
    match = linked or services.match_customer(
        site=site, phone=visit.visitor.phone, name=visit.visitor.full_name, company=visit.visitor.company
    )
    customers = Customer.objects.visible_to(request.user, site)
    form = LinkVisitForm(request.POST or None, customers=customers, initial={"customer": match.pk if match else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["new_customer"]:
                customer = services.link_visit_to_new_customer(
                    visit=visit, by=request.user, confirm_duplicate=data["confirm_duplicate"]
                )
            else:
                customer = services.link_visit(visit=visit, customer=data["customer"], by=request.user)
        except ReceptionError as refusal:
            refusal.add_to_form(form, field="confirm_duplicate" if refusal.code == "duplicate_phone" else None)
        else:
            messages.success(request, _("The visit is linked to %(name)s.") % {"name": customer})
            return redirect("customers:customer_detail", pk=customer.pk)
    context = {"form": form, "visit": visit, "match": match, "linked": linked}
    return render(request, "customers/link_visit.html", context)


# --- the rotation (R2.1-R2.4) ------------------------------------------------------


@login_required
@permission_required("customers.view_assignment", raise_exception=True)
@require_GET
def rotation_view(request):
    site = user_site(request)
    return render(request, "customers/rotation.html", rotation_panel(site, request.user))


def _visit_for_turn(request, form) -> Visit:
    return get_at_user_site_or_404(request, Visit.objects.select_related("visitor"), pk=form.cleaned_data["visit"])


@login_required
@permission_required("customers.assign_turn", raise_exception=True)
@require_POST
def next_turn(request):
    """The desk's "Next salesperson" for a customer on site."""
    site = user_site(request)
    form = NextForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("customers:rotation")
    visit = _visit_for_turn(request, form)
    customer = services.customer_of_visitor(visit.visitor)
    try:
        assignment = rotation.next_salesperson(
            site=site,
            by=request.user,
            visit=visit,
            customer=customer,
            owner_fallback_reason=form.cleaned_data["reason"],
        )
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("%(visitor)s: %(salesperson)s (%(how)s).")
            % {
                "visitor": visit.visitor.full_name,
                "salesperson": rotation.staff_label(assignment.salesperson),
                "how": assignment.get_kind_display(),
            },
        )
    return redirect("customers:rotation")


@login_required
@permission_required("customers.override_turn", raise_exception=True)
@require_POST
def override_turn(request):
    """R2.3: the floor manager gives a customer out of turn, with a reason."""
    site = user_site(request)
    form = OverrideForm(request.POST, salespeople=rotation.rotation_users(site))
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("customers:rotation")
    visit = _visit_for_turn(request, form)
    try:
        assignment = rotation.override(
            site=site,
            by=request.user,
            salesperson=form.cleaned_data["salesperson"],
            reason=form.cleaned_data["reason"],
            visit=visit,
            customer=services.customer_of_visitor(visit.visitor),
        )
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Out of turn: %(visitor)s to %(salesperson)s.")
            % {"visitor": visit.visitor.full_name, "salesperson": rotation.staff_label(assignment.salesperson)},
        )
    return redirect("customers:rotation")


@login_required
@permission_required("customers.greet_customer", raise_exception=True)
@require_POST
def greet(request, pk: int):
    """R2.2: one click records the customer greeted."""
    assignment = get_at_user_site_or_404(request, Assignment.objects.all(), pk=pk)
    try:
        rotation.greet(assignment=assignment, by=request.user)
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Greeting recorded."))
    return redirect("customers:rotation")


@login_required
@permission_required("customers.add_awaymark", raise_exception=True)
@require_http_methods(["GET", "POST"])
def away(request):
    """R2.1: mark a salesperson away (oneself; anyone, for the floor manager)."""
    site = user_site(request)
    salespeople = rotation.rotation_users(site)
    if not request.user.has_perm("customers.mark_others_away"):
        salespeople = salespeople.filter(pk=request.user.pk)
    form = AwayForm(request.POST or None, salespeople=salespeople, initial={"user": request.user.pk})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rotation.mark_away(
                site=site, user=data["user"], by=request.user, reason=data["reason"], until=data["until"]
            )
        except ReceptionError as refusal:
            refusal.add_to_form(form)
        else:
            messages.success(request, _("%(name)s is marked away.") % {"name": rotation.staff_label(data["user"])})
            return redirect("customers:rotation")
    return render(request, "customers/away_form.html", {"form": form})


@login_required
@permission_required("customers.add_awaymark", raise_exception=True)
@require_POST
def back(request, pk: int):
    mark = get_at_user_site_or_404(request, AwayMark.objects.all(), pk=pk)
    try:
        rotation.end_away(mark=mark, by=request.user)
    except ReceptionError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Back on the floor."))
    return redirect("customers:rotation")


@login_required
@permission_required("customers.view_fairness", raise_exception=True)
@require_GET
def fairness_view(request):
    """R2.2: the floor manager's view of how fairly the turns went."""
    site = user_site(request)
    return render(request, "customers/fairness.html", fairness.report(site, request.GET))


# --- the call log (R2.5, R9.2) ------------------------------------------------------


@login_required
@permission_required("customers.add_call", raise_exception=True)
@require_http_methods(["GET", "POST"])
def call_new(request):
    site = user_site(request)
    form = CallForm(request.POST or None, salespeople=rotation.rotation_users(site))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            call = calls.log_call(
                site=site,
                by=request.user,
                caller=data["caller"],
                phone=data["phone"],
                topic=data["topic"],
                notes=data["notes"],
                new_customer=data["new_customer"],
                asked_for=data["asked_for"],
            )
        except ReceptionError as refusal:
            refusal.add_to_form(form)
        else:
            messages.success(
                request,
                _("Call logged; put it through to %(name)s.") % {"name": rotation.staff_label(call.receiver)},
            )
            return redirect("customers:call_new")
    return render(request, "customers/call_form.html", {"form": form})


def _midnight(site, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=site.tzinfo)


def _filtered_calls(request, form):
    site = user_site(request)
    found = Call.objects.visible_to(request.user, site)
    if not form.is_valid():
        return found, False
    data = form.cleaned_data
    if data.get("q"):
        term = data["q"]
        found = found.filter(Q(caller__icontains=term) | Q(phone__icontains=term) | Q(notes__icontains=term))
    if data.get("date_from"):
        found = found.filter(received_at__gte=_midnight(site, data["date_from"]))
    if data.get("date_to"):
        found = found.filter(received_at__lt=_midnight(site, data["date_to"]) + timedelta(days=1))
    if data.get("topic"):
        found = found.filter(topic=data["topic"])
    if data.get("receiver"):
        found = found.filter(receiver=data["receiver"])
    return found, True


@login_required
@permission_required("customers.view_call", raise_exception=True)
@require_GET
def call_list(request):
    site = user_site(request)
    form = CallFilterForm(request.GET or None, salespeople=rotation.rotation_users(site))
    found, _valid = _filtered_calls(request, form)
    found = found.select_related("customer", "receiver__profile__department", "asked_for__profile__department")
    page = Paginator(found.order_by("-received_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "customers/call_list.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
@permission_required("customers.export_calls", raise_exception=True)
@require_GET
def call_export(request):
    """The filtered call log as CSV; taking it out of the building is audited."""
    site = user_site(request)
    form = CallFilterForm(request.GET, salespeople=rotation.rotation_users(site))
    found, valid = _filtered_calls(request, form)
    if not valid:
        reasons = "; ".join(f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items())
        return HttpResponseBadRequest(
            _("The filters are not valid: %(reasons)s") % {"reasons": reasons}, content_type="text/plain"
        )
    audit.record_export(
        site=site,
        actor=request.user,
        export="call_log.csv",
        filters=form.cleaned_data,
        client_address=client_ip(request),
    )
    response = StreamingHttpResponse(exports.call_log_csv(found, site=site), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="call-log-{site.slug}-{site.local(timezone.now()):%Y-%m-%d}.csv"'
    )
    return response
