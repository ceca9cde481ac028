"""The complaint register (R5.1-R5.5): opening a complaint, its incoming-
document number (R5.4), routing it (R5.3), the reply, closing and reopening,
and the alert and escalation of a major one (R5.2).

Every transition is a service here: keyword-only, in one transaction, the
complaint locked (select_for_update) while it is checked and changed, one
audit entry in the site's hash chain (visitors.audit) holding ids and states,
never what the customer said. A complaint is never deleted.

Major complaints reuse the R3.2 delivery machinery: Notification rows created
once (dedupe_key), sent by visitors.notify.deliver through
visitors.tasks.deliver_notification, with one escalation step to the office
director when nobody acknowledged within the site's limit (CareSettings).
"""

from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import tasks, uploads
from customers.followups import schedule_follow_up
from customers.models import (
    CareSettings,
    Complaint,
    ComplaintChannel,
    ComplaintSource,
    ComplaintStatus,
    Customer,
    CustomerVisitor,
    DocumentCounter,
    FollowUpOrigin,
    Severity,
)
from reception.errors import ReceptionError
from reception.models import Site
from visitors import audit

Status = ComplaintStatus


# --- R5.4: the incoming-document number -------------------------------------------


def next_document_number(*, site: Site, year: int) -> str:
    """The next incoming-document number of `site` in `year`, e.g. HQ-2026-0042.

    Must run inside the transaction that stores the complaint: the year's
    counter row is locked until it commits, so two desks never take the same
    number, and a complaint that fails rolls its number back (no gaps)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_document_number() must run inside the transaction that uses the number")
    DocumentCounter.objects.get_or_create(site=site, year=year)
    counter = DocumentCounter.objects.select_for_update().get(site=site, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{site.slug.upper()}-{year}-{counter.last:04d}"


# --- opening ----------------------------------------------------------------------


def _lock(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update(of=("self",)).select_related("site", "customer").get(pk=complaint.pk)


def _refuse_status(complaint: Complaint, *allowed: str) -> None:
    if complaint.status not in allowed:
        raise ReceptionError(
            "wrong_status",
            _("This complaint is %(status)s; that cannot be done now.")
            % {"status": complaint.get_status_display().lower()},
        )


def _store(complaint: Complaint, field: str, upload: UploadedFile) -> None:
    kind = uploads.check_letter(upload, field=field)
    getattr(complaint, field).save(uploads.stored_name(kind), upload, save=False)


def _record(complaint: Complaint, *, by, action: str, changes: dict, at=None) -> None:
    audit.record(site=complaint.site, actor=by, action=f"complaint.{action}", obj=complaint, changes=changes, at=at)


def _refuse_other_source(*, site: Site, customer: Customer, call, visit) -> None:
    """A complaint opened from a call or a visit (R5.1) is of that call's or
    visit's customer, at the same site."""
    if call is not None and (call.site_id != site.pk or call.customer_id not in (None, customer.pk)):
        raise ReceptionError("other_customer", _("That call is not this customer's."), field="customer")
    if visit is not None:
        linked = CustomerVisitor.objects.filter(visitor_id=visit.visitor_id).values_list("customer_id", flat=True)
        if visit.site_id != site.pk or linked.first() not in (None, customer.pk):
            raise ReceptionError("other_customer", _("That visit is not this customer's."), field="customer")


@transaction.atomic
def open_complaint(
    *,
    site: Site,
    by,
    customer: Customer,
    channel: str,
    source: str = ComplaintSource.DESK,
    severity: str = Severity.GENERAL,
    heard: str,
    asked: str = "",
    department=None,
    handler=None,
    reply_by: date | None = None,
    letter: UploadedFile | None = None,
    call=None,
    visit=None,
    at: datetime | None = None,
) -> Complaint:
    """R5.1: record a complaint. A written one (R5.4) needs its scanned letter
    and takes the next document number of the site's year; a general one
    routed to a department gets a reply-by date (R5.3, the site's default
    unless given); a major one (R5.2) alerts the department head and the
    office director once the transaction commits."""
    at = at or timezone.now()
    if customer.site_id != site.pk:
        raise ReceptionError("other_site", _("This customer belongs to another site."), field="customer")
    if not " ".join((heard or "").split()):
        raise ReceptionError("heard_required", _("Write down what the customer said."), field="heard")
    if channel == ComplaintChannel.WRITTEN and letter is None:
        raise ReceptionError("letter_required", _("Attach the scanned letter of a written complaint."), field="letter")
    if letter is not None and channel != ComplaintChannel.WRITTEN:
        raise ReceptionError("letter_not_written", _("Only a written complaint has a letter."), field="letter")
    _refuse_other_source(site=site, customer=customer, call=call, visit=visit)
    if department is not None and reply_by is None:
        reply_by = site.local(at).date() + timedelta(days=CareSettings.of(site).reply_by_days)
    complaint = Complaint(
        site=site,
        customer=customer,
        channel=channel,
        source=source,
        severity=severity,
        heard=heard,
        asked=asked,
        department=department,
        handler=handler,
        reply_by=reply_by,
        call=call,
        visit=visit,
        opened_at=at,
        opened_by=by,
        status=Status.IN_PROGRESS if department is not None or handler is not None else Status.OPEN,
    )
    if letter is not None:
        _store(complaint, "letter", letter)
        complaint.document_number = next_document_number(site=site, year=site.local(at).year)
    complaint.save()
    _record(
        complaint,
        by=by,
        action="open",
        changes={
            "customer": customer.pk,
            "channel": channel,
            "source": source,
            "severity": severity,
            "department": department.pk if department else None,
            "handler": handler.pk if handler else None,
            "document_number": complaint.document_number,
        },
        at=at,
    )
    if severity == Severity.MAJOR:
        tasks.announce_major(complaint)
    return complaint


# --- routing (R5.3) ---------------------------------------------------------------


@transaction.atomic
def route(*, complaint: Complaint, by, department, handler=None, reply_by: date | None = None) -> Complaint:
    """R5.3: give the complaint to the responsible department and person, with
    a reply-by date (the site's default unless given). It is in progress."""
    complaint = _lock(complaint)
    _refuse_status(complaint, Status.OPEN, Status.IN_PROGRESS)
    before = {"department": complaint.department_id, "handler": complaint.handler_id}
    complaint.department = department
    complaint.handler = handler
    complaint.reply_by = reply_by or (
        complaint.site.local(timezone.now()).date() + timedelta(days=CareSettings.of(complaint.site).reply_by_days)
    )
    complaint.status = Status.IN_PROGRESS
    complaint.save(update_fields=["department", "handler", "reply_by", "status"])
    _record(
        complaint,
        by=by,
        action="route",
        changes={
            "before": before,
            "department": department.pk,
            "handler": handler.pk if handler else None,
            "reply_by": complaint.reply_by.isoformat(),
        },
    )
    return complaint


@transaction.atomic
def pass_to_supervisor(*, complaint: Complaint, by, supervisor, promised_on: date) -> Complaint:
    """R5.3: beyond the desk's authority: the supervisor takes it over, and the
    date promised to the customer is recorded (and is the reply-by date)."""
    complaint = _lock(complaint)
    _refuse_status(complaint, Status.OPEN, Status.IN_PROGRESS)
    if promised_on < complaint.site.local(timezone.now()).date():
        raise ReceptionError("promise_in_past", _("The promised date has passed already."), field="promised_on")
    complaint.supervisor = supervisor
    complaint.handler = supervisor
    complaint.promised_on = promised_on
    complaint.reply_by = promised_on
    complaint.status = Status.IN_PROGRESS
    complaint.save(update_fields=["supervisor", "handler", "promised_on", "reply_by", "status"])
    _record(
        complaint,
        by=by,
        action="to_supervisor",
        changes={"supervisor": supervisor.pk, "promised_on": promised_on.isoformat()},
    )
    return complaint


# --- reply, close, reopen ---------------------------------------------------------


@transaction.atomic
def record_reply(
    *, complaint: Complaint, by, reply: str, reply_letter: UploadedFile | None = None, at: datetime | None = None
) -> Complaint:
    """R5.1 "replied": the reply given to the customer, and when. A written
    complaint's written reply (R5.4) may be attached here; it must be before
    the complaint can close. The first reply's time is kept (the monthly
    summary's time to first reply)."""
    at = at or timezone.now()
    complaint = _lock(complaint)
    _refuse_status(complaint, Status.OPEN, Status.IN_PROGRESS, Status.REPLIED)
    if not " ".join((reply or "").split()):
        raise ReceptionError("reply_required", _("Write down the reply given to the customer."), field="reply")
    if reply_letter is not None:
        if complaint.channel != ComplaintChannel.WRITTEN:
            raise ReceptionError(
                "letter_not_written", _("Only a written complaint has a written reply."), field="reply_letter"
            )
        _store(complaint, "reply_letter", reply_letter)
    complaint.reply = reply
    complaint.replied_at = at
    complaint.first_replied_at = complaint.first_replied_at or at
    complaint.status = Status.REPLIED
    complaint.save(update_fields=["reply", "replied_at", "first_replied_at", "status", "reply_letter"])
    _record(complaint, by=by, action="reply", changes={"reply_letter": bool(complaint.reply_letter)}, at=at)
    return complaint


@transaction.atomic
def close(*, complaint: Complaint, by, outcome: str, at: datetime | None = None) -> Complaint:
    """R5.1 "recorded": close a replied complaint with its outcome. A written
    one needs its written reply attached (R5.4). Every closed complaint gets a
    follow-up (R5.5), once, however often it is reopened and closed again."""
    at = at or timezone.now()
    complaint = _lock(complaint)
    _refuse_status(complaint, Status.REPLIED)
    if not " ".join((outcome or "").split()):
        raise ReceptionError("outcome_required", _("Record the outcome before closing."), field="outcome")
    if complaint.channel == ComplaintChannel.WRITTEN and not complaint.reply_letter:
        raise ReceptionError(
            "reply_letter_required",
            _("Attach the written reply before closing a written complaint."),
            field="outcome",
        )
    complaint.outcome = outcome
    complaint.closed_at = at
    complaint.status = Status.CLOSED
    complaint.save(update_fields=["outcome", "closed_at", "status"])
    _record(complaint, by=by, action="close", changes={"status": Status.CLOSED}, at=at)
    if not complaint.follow_ups.filter(origin=FollowUpOrigin.COMPLAINT).exists():
        customer = complaint.customer
        schedule_follow_up(
            customer=customer,
            by=by,
            origin=FollowUpOrigin.COMPLAINT,
            complaint=complaint,
            assigned_to=customer.owner or complaint.handler or by,
            at=at,
        )
    return complaint


@transaction.atomic
def reopen(*, complaint: Complaint, by, reason: str) -> Complaint:
    """A closed complaint opened again, with the reason; it is in progress and
    must be replied to and closed anew. The outcome stays until then."""
    complaint = _lock(complaint)
    _refuse_status(complaint, Status.CLOSED)
    if not " ".join((reason or "").split()):
        raise ReceptionError("reason_required", _("Say why the complaint is reopened."), field="reason")
    complaint.status = Status.IN_PROGRESS
    complaint.closed_at = None
    complaint.save(update_fields=["status", "closed_at"])
    _record(complaint, by=by, action="reopen", changes={"status": Status.IN_PROGRESS})
    return complaint


# --- R5.2: major complaints (the alerts themselves: customers.alerts) -------------


@transaction.atomic
def acknowledge(*, complaint: Complaint, by, at: datetime | None = None) -> Complaint:
    """R5.2: someone told of a major complaint has taken it in hand; the
    escalation stops. The first acknowledgement wins; a repeat changes nothing."""
    at = at or timezone.now()
    complaint = _lock(complaint)
    if complaint.severity != Severity.MAJOR:
        raise ReceptionError("not_major", _("Only a major complaint is acknowledged."))
    if complaint.acknowledged_at is not None:
        return complaint
    complaint.acknowledged_at = at
    complaint.acknowledged_by = by
    complaint.save(update_fields=["acknowledged_at", "acknowledged_by"])
    _record(
        complaint,
        by=by,
        action="acknowledge",
        changes={"minutes": int((at - complaint.opened_at).total_seconds() // 60)},
        at=at,
    )
    return complaint
