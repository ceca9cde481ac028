"""R2.5, R9.2: the call log. A call goes to the salesperson the caller asked
for by name; otherwise to the returning customer's own salesperson if present
(R2.4), else to the salesperson whose turn it is, and the rotation moves on."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import rotation, services
from customers.models import Call, Channel, Customer
from reception.models import Site
from reception.validators import normalise_phone
from visitors import audit


@transaction.atomic
def log_call(
    *,
    site: Site,
    by,
    caller: str,
    phone: str,
    topic: str,
    notes: str = "",
    customer: Customer | None = None,
    new_customer: bool = False,
    asked_for=None,
    at: datetime | None = None,
) -> Call:
    """Record a call and who takes it. Guarantees: the receiver is the person
    asked for, else the rotation's choice (rotation.next_salesperson); a new
    customer is made from the caller only when asked and no customer matches;
    the call, its assignment and the customer are saved together or not at all."""
    at = at or timezone.now()
    if customer is None:
        customer = services.match_customer(site=site, phone=phone, name=caller, company="")
    if asked_for is not None:
        assignment = rotation.asked_for(site=site, by=by, salesperson=asked_for, customer=customer, at=at)
    else:
        assignment = rotation.next_salesperson(
            site=site,
            by=by,
            channel=Channel.CALL,
            customer=customer,
            # A caller is not kept waiting for an absent salesperson; the reason is recorded.
            owner_fallback_reason=_("The caller's salesperson was not available."),
            at=at,
        )
    if customer is None and new_customer:
        # After the rotation's lock: the queue, then the site row (customers.rotation).
        customer = services.create_customer(site=site, by=by, name=caller, phone=phone, at=at)
        if customer.owner_id is None:
            customer.owner = assignment.salesperson
            customer.save(update_fields=["owner"])
        assignment.customer = customer
        assignment.save(update_fields=["customer"])
    call = Call.objects.create(
        site=site,
        received_at=at,
        caller=caller,
        phone=phone,
        phone_digits=normalise_phone(phone),
        customer=customer,
        topic=topic,
        notes=notes,
        asked_for=asked_for,
        receiver=assignment.salesperson,
        assignment=assignment,
        logged_by=by,
    )
    audit.record(
        site=site,
        actor=by,
        action="call.add",
        obj=call,
        changes={"receiver": call.receiver_id, "topic": topic, "customer": customer.pk if customer else None},
        at=at,
    )
    return call
