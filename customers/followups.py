"""Follow-ups (R10.2-R10.3) and feedback or after-sales requests (R9.3).

A follow-up is scheduled from a visit, a call, a closed complaint (R5.5,
customers.complaints.close) or by hand, due after the customer's tier's
interval (CareSettings: gold 14 days, important 21, general 30 by default);
done with the customer's satisfaction, the shortcomings raised and a note on
the relationship, and it may schedule the next. Services as everywhere: one
transaction, locked, audited, refusing with a ReceptionError.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import CareSettings, Customer, Feedback, FollowUp, FollowUpMethod, FollowUpOrigin
from reception.errors import ReceptionError
from visitors import audit


def default_due(customer: Customer, at: datetime | None = None) -> date:
    """R10.2: the tier's interval after `at`, on the site's calendar."""
    at = at or timezone.now()
    return customer.site.local(at).date() + timedelta(days=CareSettings.of(customer.site).follow_up_days(customer.tier))


@transaction.atomic
def schedule_follow_up(
    *,
    customer: Customer,
    by,
    origin: str = FollowUpOrigin.MANUAL,
    assigned_to=None,
    method: str = FollowUpMethod.PHONE,
    due_on: date | None = None,
    complaint=None,
    previous: FollowUp | None = None,
    at: datetime | None = None,
) -> FollowUp:
    """R10.2: a follow-up of `customer`, due on `due_on` or after the tier's
    interval, for `assigned_to` (the customer's salesperson unless given)."""
    at = at or timezone.now()
    assigned_to = assigned_to or customer.owner or by
    if due_on is not None and due_on < customer.site.local(at).date():
        raise ReceptionError("due_in_past", _("A follow-up cannot be due in the past."), field="due_on")
    follow_up = FollowUp.objects.create(
        site=customer.site,
        customer=customer,
        origin=origin,
        complaint=complaint,
        previous=previous,
        method=method,
        due_on=due_on or default_due(customer, at),
        assigned_to=assigned_to,
        scheduled_at=at,
        scheduled_by=by,
    )
    audit.record(
        site=customer.site,
        actor=by,
        action="follow_up.schedule",
        obj=follow_up,
        changes={
            "customer": customer.pk,
            "origin": origin,
            "complaint": complaint.pk if complaint else None,
            "due_on": follow_up.due_on.isoformat(),
            "assigned_to": assigned_to.pk,
        },
        at=at,
    )
    return follow_up


@transaction.atomic
def complete_follow_up(
    *,
    follow_up: FollowUp,
    by,
    satisfaction: int,
    shortcomings: str = "",
    relationship_note: str = "",
    schedule_next: bool = False,
    next_method: str | None = None,
    next_due_on: date | None = None,
    at: datetime | None = None,
) -> FollowUp:
    """R10.3: the follow-up done, with satisfaction 1-5, the shortcomings and
    the relationship note; with `schedule_next`, the next one is scheduled
    (by default the tier's interval from now, the same method and person)."""
    at = at or timezone.now()
    follow_up = FollowUp.objects.select_for_update(of=("self",)).select_related("customer__site").get(pk=follow_up.pk)
    if follow_up.done_at is not None:
        raise ReceptionError("already_done", _("This follow-up was recorded already."))
    if not 1 <= int(satisfaction) <= 5:
        raise ReceptionError("bad_satisfaction", _("Satisfaction is from 1 to 5."), field="satisfaction")
    follow_up.done_at = at
    follow_up.done_by = by
    follow_up.satisfaction = int(satisfaction)
    follow_up.shortcomings = shortcomings
    follow_up.relationship_note = relationship_note
    follow_up.save(update_fields=["done_at", "done_by", "satisfaction", "shortcomings", "relationship_note"])
    audit.record(
        site=follow_up.site,
        actor=by,
        action="follow_up.done",
        obj=follow_up,
        changes={"satisfaction": follow_up.satisfaction},
        at=at,
    )
    if schedule_next:
        schedule_follow_up(
            customer=follow_up.customer,
            by=by,
            origin=FollowUpOrigin.PREVIOUS,
            assigned_to=follow_up.assigned_to,
            method=next_method or follow_up.method,
            due_on=next_due_on,
            previous=follow_up,
            at=at,
        )
    return follow_up


@transaction.atomic
def log_feedback(
    *, customer: Customer, by, kind: str, summary: str, department, owner, due_on: date, at: datetime | None = None
) -> Feedback:
    """R9.3: feedback or an after-sales request, routed to a department with
    an owner and a due date."""
    at = at or timezone.now()
    if not " ".join((summary or "").split()):
        raise ReceptionError("summary_required", _("Write down what the customer said."), field="summary")
    if due_on < customer.site.local(at).date():
        raise ReceptionError("due_in_past", _("The due date has passed already."), field="due_on")
    item = Feedback.objects.create(
        site=customer.site,
        customer=customer,
        kind=kind,
        summary=summary,
        department=department,
        owner=owner,
        due_on=due_on,
        created_at=at,
        created_by=by,
    )
    audit.record(
        site=customer.site,
        actor=by,
        action="feedback.add",
        obj=item,
        changes={"customer": customer.pk, "kind": kind, "department": department.pk, "owner": owner.pk},
        at=at,
    )
    return item


@transaction.atomic
def resolve_feedback(*, feedback: Feedback, by, resolution: str, at: datetime | None = None) -> Feedback:
    """R9.3: the request dealt with, and how."""
    at = at or timezone.now()
    item = Feedback.objects.select_for_update(of=("self",)).select_related("site").get(pk=feedback.pk)
    if item.done_at is not None:
        raise ReceptionError("already_done", _("This request was dealt with already."))
    if not " ".join((resolution or "").split()):
        raise ReceptionError("resolution_required", _("Say how it was dealt with."), field="resolution")
    item.done_at = at
    item.resolution = resolution
    item.save(update_fields=["done_at", "resolution"])
    audit.record(site=item.site, actor=by, action="feedback.done", obj=item, changes={}, at=at)
    return item
