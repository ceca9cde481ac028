"""R5.2: who hears of a major complaint, and when: the department head, the
office director and the site's chat channels that hear escalations at once,
and the director (and those channels) again when nobody has acknowledged it
within the site's limit (CareSettings.major_ack_minutes).

The R3.2 machinery's shape (visitors.escalation): each message is a
Notification row created once (its dedupe_key), here of kind PREPARED with
its subject and plain-text body written now, and sent by
visitors.notify.deliver with its claim rule and retries; customers.tasks
schedules the step. The complaint is locked while the step is taken, so it is
taken once however many workers run; an acknowledgement
(customers.complaints.acknowledge) stops it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from customers.models import CareSettings, Complaint, ComplaintHandler, ComplaintStatus, Severity
from reception.models import NotificationChannel, staff_label
from reception.morning_report import report_recipients
from visitors import audit
from visitors.models import Notification

Status = ComplaintStatus


def heads(complaint: Complaint) -> list:
    """The heads of the complaint's department at its site."""
    if complaint.department_id is None:
        return []
    return [
        row.user
        for row in ComplaintHandler.objects.filter(
            site=complaint.site_id, department=complaint.department_id, is_head=True, user__is_active=True
        ).select_related("user__profile__department")
    ]


def complaint_url(complaint: Complaint) -> str:
    return settings.SITE_URL + reverse("customers:complaint_detail", args=[complaint.pk])


def _message(complaint: Complaint, *, step: int, minutes: int) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "complaint": complaint,
            "customer": complaint.customer,
            "escalation": step > 1,
            "minutes": minutes,
            "opened": formats.date_format(complaint.site.local(complaint.opened_at), "DATETIME_FORMAT"),
            "department": str(complaint.department) if complaint.department_id else "",
            "handler": staff_label(complaint.handler) if complaint.handler_id else "",
            "url": complaint_url(complaint),
        }
        if step > 1:
            subject = _("Not acknowledged: major complaint %(ref)s") % {"ref": complaint.reference}
        else:
            subject = _("Major complaint %(ref)s") % {"ref": complaint.reference}
        body = render_to_string("customers/email/major_complaint.txt", context)
    return subject, body


def _notify(complaint: Complaint, *, step: int, people, at: datetime, minutes: int = 0) -> list[Notification]:
    subject, body = _message(complaint, step=step, minutes=minutes)
    rows = []
    for user in {user.pk: user for user in people}.values():
        email = (user.email or "").strip()
        rows.append(
            Notification.objects.get_or_create(
                dedupe_key=f"complaint:{complaint.pk}:{step}:user:{user.pk}",
                defaults={
                    "site": complaint.site,
                    "kind": Notification.Kind.PREPARED,
                    "step": step,
                    "recipient": user,
                    "address": email,
                    "subject": subject,
                    "body": body,
                    "created_at": at,
                    "status": Notification.Status.PENDING if email else Notification.Status.GAVE_UP,
                    "last_error": "" if email else _("%(who)s has no email address.") % {"who": staff_label(user)},
                },
            )[0]
        )
    told_someone = bool(rows)
    # R5.2 "at once", as arrivals and escalations are told (visitors.escalation):
    # the site's work-chat groups that hear escalations hear it too. The
    # message names the customer and the link, never what they said.
    for channel in NotificationChannel.objects.filter(site=complaint.site, active=True, on_escalation=True):
        rows.append(
            Notification.objects.get_or_create(
                dedupe_key=f"complaint:{complaint.pk}:{step}:channel:{channel.pk}",
                defaults={
                    "site": complaint.site,
                    "kind": Notification.Kind.PREPARED,
                    "step": step,
                    "channel": channel,
                    # The webhook URL carries the robot's key; the desk sees the channel's name.
                    "address": channel.name,
                    "subject": subject,
                    "body": body,
                    "created_at": at,
                },
            )[0]
        )
    if not told_someone:
        rows.append(
            Notification.objects.get_or_create(
                dedupe_key=f"complaint:{complaint.pk}:{step}:nobody",
                defaults={
                    "site": complaint.site,
                    "kind": Notification.Kind.PREPARED,
                    "step": step,
                    "address": _("Office director"),
                    "subject": subject,
                    "body": body,
                    "created_at": at,
                    "status": Notification.Status.GAVE_UP,
                    "last_error": _("Nobody could be told of this major complaint."),
                },
            )[0]
        )
    return [row for row in rows if row.status in (Notification.Status.PENDING, Notification.Status.FAILED)]


def escalation_due_at(complaint: Complaint) -> datetime:
    return complaint.opened_at + timedelta(minutes=CareSettings.of(complaint.site).major_ack_minutes)


@transaction.atomic
def major_alerts(*, complaint_id: int, at: datetime | None = None) -> list[Notification]:
    """R5.2: tell the department head and the office director of a major
    complaint at once. Created once (dedupe_key); returns those to send."""
    at = at or timezone.now()
    complaint = Complaint.objects.select_related("site", "customer", "department", "handler").get(pk=complaint_id)
    if complaint.severity != Severity.MAJOR:
        return []
    return _notify(complaint, step=1, people=[*heads(complaint), *report_recipients(complaint.site)], at=at)


@dataclass(frozen=True)
class Escalation:
    notifications: list[Notification]
    next_at: datetime | None


@transaction.atomic
def escalate_major(*, complaint_id: int, at: datetime | None = None) -> Escalation:
    """R5.2: once the site's limit has passed with nobody acknowledging a
    major complaint, tell the office director again, once (the complaint is
    locked; the notification's dedupe_key makes the step happen once).
    Returns what to send, and when to look again if it is not due yet."""
    at = at or timezone.now()
    complaint = (
        Complaint.objects.select_for_update(of=("self",)).select_related("site", "customer").get(pk=complaint_id)
    )
    if complaint.severity != Severity.MAJOR or complaint.acknowledged_at or complaint.status == Status.CLOSED:
        return Escalation([], None)
    due = escalation_due_at(complaint)
    if at < due:
        return Escalation([], due)
    if Notification.objects.filter(dedupe_key__startswith=f"complaint:{complaint.pk}:2:").exists():
        return Escalation([], None)
    minutes = int((at - complaint.opened_at).total_seconds() // 60)
    people = list(report_recipients(complaint.site))
    rows = _notify(complaint, step=2, people=people, at=at, minutes=minutes)
    audit.record(
        site=complaint.site,
        actor=None,
        action="complaint.escalate",
        obj=complaint,
        changes={"step": 2, "recipients": [user.pk for user in people]},
        at=at,
    )
    return Escalation(rows, None)


def overdue_major(at: datetime | None = None) -> list[int]:
    """Major complaints not acknowledged, not closed and never escalated,
    at any site: for a sweep that repeats what a lost task missed."""
    at = at or timezone.now()
    escalated = Notification.objects.filter(kind=Notification.Kind.PREPARED, step=2).values_list(
        "dedupe_key", flat=True
    )
    done = {int(key.split(":")[1]) for key in escalated if key.startswith("complaint:")}
    candidates = Complaint.objects.filter(severity=Severity.MAJOR, acknowledged_at__isnull=True).exclude(
        status=Status.CLOSED
    )
    return [c.pk for c in candidates.select_related("site") if c.pk not in done and escalation_due_at(c) <= at]
