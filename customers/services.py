"""Customers (R10.1): finding a returning one, creating one without a silent
duplicate, linking a visit to one, and their history (R2.4).

Services are keyword-only, run in one transaction, lock what they change,
write the audit entry and refuse with a ReceptionError. Audit entries hold ids
and tiers, never names or phone numbers (visitors.audit).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Assignment, AssignmentKind, Call, Complaint, Customer, CustomerVisitor, FollowUp, Tier
from reception.errors import ReceptionError
from reception.models import Site
from reception.validators import comparable_text, normalise_phone
from visitors import audit
from visitors.models import Visit, Visitor


def match_customer(*, site: Site, phone: str, name: str, company: str) -> Customer | None:
    """R10.1: the customer of `site` these details belong to: the same phone
    number (its digits), else the same name and company (case, spacing and
    Unicode form aside); None when there is none."""
    digits = normalise_phone(phone)
    if digits:
        found = Customer.objects.filter(site=site, phone_digits=digits).order_by("pk").first()
        if found is not None:
            return found
    if not comparable_text(name):
        return None
    wanted = (comparable_text(name), comparable_text(company))
    for customer in Customer.objects.filter(site=site, name__iexact=" ".join(name.split())).order_by("pk")[:20]:
        if (comparable_text(customer.name), comparable_text(customer.company)) == wanted:
            return customer
    return None


def same_phone(*, site: Site, phone: str, exclude: Customer | None = None) -> Customer | None:
    """Another customer of the site with this phone number (its digits)."""
    digits = normalise_phone(phone)
    if not digits:
        return None
    others = Customer.objects.filter(site=site, phone_digits=digits)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.order_by("pk").first()


def _refuse_silent_duplicate(*, site: Site, phone: str, confirm_duplicate: bool, exclude=None) -> None:
    other = same_phone(site=site, phone=phone, exclude=exclude)
    if other is not None and not confirm_duplicate:
        raise ReceptionError(
            "duplicate_phone",
            _(
                "%(name)s already has this phone number. Open that customer instead, or tick the confirmation "
                "to keep two customers with one number."
            )
            % {"name": str(other)},
            field="phone",
        )


@transaction.atomic
def create_customer(
    *,
    site: Site,
    by,
    name: str,
    company: str = "",
    phone: str = "",
    email: str = "",
    notes: str = "",
    tier: str = Tier.GENERAL,
    owner=None,
    confirm_duplicate: bool = False,
    at: datetime | None = None,
) -> Customer:
    """A new customer of `site` (R10.1). Two customers never share a phone
    number (normalised) unless the user confirmed it (`confirm_duplicate`);
    the site row is locked so two desks cannot each miss the other's new one."""
    Site.objects.select_for_update().only("pk").get(pk=site.pk)
    _refuse_silent_duplicate(site=site, phone=phone, confirm_duplicate=confirm_duplicate)
    customer = Customer.objects.create(
        site=site,
        name=name,
        company=company,
        phone=phone,
        phone_digits=normalise_phone(phone),
        email=email,
        notes=notes,
        tier=tier,
        owner=owner,
        created_by=by,
        created_at=at or timezone.now(),
    )
    audit.record(
        site=site,
        actor=by,
        action="customer.add",
        obj=customer,
        changes={"tier": tier, "owner": owner.pk if owner else None, "duplicate_phone_confirmed": confirm_duplicate},
        at=at,
    )
    return customer


@transaction.atomic
def update_customer(*, customer: Customer, by, confirm_duplicate: bool = False, **values) -> Customer:
    """Change a customer's details, tier or salesperson (R10.1, R2.4: giving a
    customer to another salesperson is the floor manager's, audited)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if "phone" in values:
        _refuse_silent_duplicate(
            site=customer.site, phone=values["phone"], confirm_duplicate=confirm_duplicate, exclude=customer
        )
        values["phone_digits"] = normalise_phone(values["phone"])
    before = {"tier": customer.tier, "owner": customer.owner_id}
    for name, value in values.items():
        setattr(customer, name, value)
    customer.save()
    after = {"tier": customer.tier, "owner": customer.owner_id}
    changed = {name: {"before": before[name], "after": after[name]} for name in before if before[name] != after[name]}
    changed["details"] = sorted(name for name in values if name not in {"tier", "owner", "phone_digits"})
    audit.record(site=customer.site, actor=by, action="customer.change", obj=customer, changes=changed)
    return customer


def customer_of_visitor(visitor: Visitor) -> Customer | None:
    link = CustomerVisitor.objects.filter(visitor=visitor).select_related("customer__owner").first()
    return link.customer if link else None


@transaction.atomic
def link_visit(*, visit: Visit, customer: Customer, by) -> Customer:
    """R10.1: the visit's visitor is this customer's from now on, so their
    visits are on the customer page and their next visit finds the customer
    (and with it their salesperson, R2.4). The visit's assignment joins the
    customer, and a customer without a salesperson gets the one who served
    them on this visit. A visitor belongs to one customer only."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.site_id != visit.site_id:
        raise ReceptionError("other_site", _("This customer belongs to another site."))
    link = CustomerVisitor.objects.select_for_update().filter(visitor_id=visit.visitor_id).first()
    if link is not None and link.customer_id != customer.pk:
        raise ReceptionError(
            "already_linked", _("This visitor is already linked to %(name)s.") % {"name": str(link.customer)}
        )
    if link is None:
        CustomerVisitor.objects.create(customer=customer, visitor_id=visit.visitor_id, linked_by=by)
    assignment = Assignment.objects.select_for_update().filter(visit=visit).first()
    if assignment is not None:
        if assignment.customer_id is None:
            assignment.customer = customer
            assignment.save(update_fields=["customer"])
        if customer.owner_id is None and assignment.kind in (AssignmentKind.TURN, AssignmentKind.OVERRIDE):
            customer.owner_id = assignment.salesperson_id
            customer.save(update_fields=["owner"])
    audit.record(
        site=customer.site,
        actor=by,
        action="customer.link_visit",
        obj=customer,
        changes={"visit": visit.pk, "visitor": visit.visitor_id, "owner": customer.owner_id},
    )
    return customer


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str  # "visit", "call", "assignment", "complaint", "follow_up"
    item: object


def history(customer: Customer) -> list[HistoryEntry]:
    """R10.1: everything of the customer's, oldest first: their visits (through
    their visitor records), calls, who was given them and how, their
    complaints (R5) and follow-ups (R10.2, at their due date, or when done).
    Five queries, whatever the length of the history."""
    visits = (
        Visit.objects.filter(visitor__customer_link__customer=customer)
        .select_related("visitor", "category", "room", "host__profile__department")
        .order_by("registered_at")
    )
    calls = Call.objects.filter(customer=customer).select_related("receiver__profile__department", "asked_for")
    assignments = Assignment.objects.filter(customer=customer, channel="walk_in").select_related(
        "salesperson__profile__department", "visit"
    )
    entries = [
        HistoryEntry(visit.checked_in_at or visit.expected_at or visit.registered_at, "visit", visit)
        for visit in visits
    ]
    entries += [HistoryEntry(call.received_at, "call", call) for call in calls]
    entries += [HistoryEntry(assignment.assigned_at, "assignment", assignment) for assignment in assignments]
    complaints = Complaint.objects.filter(customer=customer).select_related("department")
    entries += [HistoryEntry(complaint.opened_at, "complaint", complaint) for complaint in complaints]
    follow_ups = FollowUp.objects.filter(customer=customer).select_related("assigned_to__profile__department")
    for follow_up in follow_ups:
        due = datetime.combine(follow_up.due_on, datetime.min.time(), tzinfo=customer.site.tzinfo)
        entries.append(HistoryEntry(follow_up.done_at or due, "follow_up", follow_up))
    return sorted(entries, key=lambda entry: (entry.at, entry.kind))


@transaction.atomic
def link_visit_to_new_customer(*, visit: Visit, by, confirm_duplicate: bool = False) -> Customer:
    """R10.1: a new customer made from the visit's visitor, and the visit linked
    to it; both or neither."""
    visitor = visit.visitor
    customer = create_customer(
        site=visit.site,
        by=by,
        name=visitor.full_name,
        company=visitor.company,
        phone=visitor.phone,
        email=visitor.email,
        confirm_duplicate=confirm_duplicate,
    )
    return link_visit(visit=visit, customer=customer, by=by)
