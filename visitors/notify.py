"""Telling people about visits: arrival notices, escalations (R3.2) and the
host's acknowledgement.

Every message is a Notification row, created before anything is sent, with a
unique `dedupe_key`: a task that runs twice, two workers, or the sweep command
racing a scheduled task never tell the same person the same thing twice. The
row records every attempt, so a failing mail server or webhook is visible at the
desk and retried with backoff, and never touches the check-in, which committed
before any of this ran (see visitors.tasks).

Webhooks: "generic" channels get a JSON POST signed with HMAC-SHA256; WeCom and
DingTalk group robots get their own markdown payloads, DingTalk's with the
timestamp and sign query parameters its "加签" security setting requires.
"""

import base64
import hashlib
import hmac
import io
import json
import logging
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.image import MIMEImage

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import ChannelKind, Duty, DutyCode, NotificationChannel, on_duty, staff_label
from visitors import audit
from visitors.models import Invitation, Notification, Visit, VisitEvent, VisitStatus

logger = logging.getLogger(__name__)

Status = Notification.Status

# Attempt n (counting from 0) of a delivery is due this long after the
# notification was created; after the last one it gives up. The schedule is a
# function of created_at and attempts alone, so the task queue and the sweep
# command agree on when a retry is due without storing anything else.
RETRY_SCHEDULE = (
    timedelta(0),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE)
WEBHOOK_TIMEOUT_SECONDS = 5
ACK_SALT = "visitors.notify.acknowledge"
ACK_LINK_MAX_AGE = timedelta(days=2)


class DeliveryError(Exception):
    """The far end refused or failed a delivery; the message says how."""


# --- escalation chains (R3.2) -------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a category's escalation chain: who hears, and how long after
    the acknowledgement deadline."""

    position: int
    duty: str
    delay_minutes: int

    @property
    def label(self) -> str:
        return str(DutyCode(self.duty).label)


# Used for a category with no escalation steps of its own: at the deadline the
# host is reminded and the secretary told; a quarter of an hour later the
# office director (R1.5.6: overall responsibility for reception).
DEFAULT_CHAIN = (
    Step(1, DutyCode.HOST, 0),
    Step(2, DutyCode.SECRETARY, 0),
    Step(3, DutyCode.DIRECTOR, 15),
)


def escalation_chain(category) -> list[Step]:
    """The category's steps in order, or DEFAULT_CHAIN when it has none."""
    steps = [
        Step(step.position, step.duty.code, step.delay_minutes)
        for step in category.escalation_steps.select_related("duty").order_by("position")
    ]
    return steps or list(DEFAULT_CHAIN)


def step_due_at(visit: Visit, step: Step) -> datetime | None:
    deadline = visit.ack_deadline
    return None if deadline is None else deadline + timedelta(minutes=step.delay_minutes)


def awaiting_acknowledgement(visit: Visit) -> bool:
    return visit.status == VisitStatus.ON_SITE and visit.acknowledged_at is None and visit.checked_in_at is not None


def next_escalation_at(visit: Visit) -> datetime | None:
    """When the next step of the chain not yet taken is due; None when nothing
    is left to do (acknowledged, gone, or every step taken)."""
    if not awaiting_acknowledgement(visit):
        return None
    taken = set(
        Notification.objects.filter(visit=visit, kind=Notification.Kind.ESCALATION).values_list("step", flat=True)
    )
    due = [step_due_at(visit, step) for step in escalation_chain(visit.category) if step.position not in taken]
    return min(due) if due else None


# --- recipients ---------------------------------------------------------------


def duty_holders(visit: Visit, duty: str, at: datetime) -> list:
    """Who holds `duty` for this visit: the visit's own host for the host duty;
    otherwise whoever the roster has on duty, or, with nobody rostered, every
    active member of the duty's group at the site (someone must hear)."""
    if duty == DutyCode.HOST:
        return [visit.host] if visit.host_id and visit.host.is_active else []
    rostered = list(on_duty(visit.site, duty, at))
    if rostered:
        return rostered
    group = Duty.objects.filter(code=duty).values_list("group_id", flat=True).first()
    if group is None:
        return []
    return list(
        get_user_model()
        .objects.filter(groups=group, is_active=True, profile__site=visit.site)
        .select_related("profile__department")
        .order_by("pk")
    )


def _channels(visit: Visit, kind: str):
    channels = NotificationChannel.objects.filter(site=visit.site, active=True)
    if kind == Notification.Kind.ARRIVAL:
        return channels.filter(on_arrival=True)
    return channels.filter(on_escalation=True)


def _for_user(*, visit, kind, step, user, at) -> tuple[Notification, bool]:
    """The notification for one person, created once (dedupe_key)."""
    email = (user.email or "").strip()
    return Notification.objects.get_or_create(
        dedupe_key=f"{kind}:{visit.pk}:{step}:user:{user.pk}",
        defaults={
            "visit": visit,
            "site": visit.site,
            "kind": kind,
            "step": step,
            "recipient": user,
            "address": email,
            "created_at": at,
            # Nobody can be emailed without an address; say so at the desk.
            "status": Status.PENDING if email else Status.GAVE_UP,
            "last_error": "" if email else _("%(who)s has no email address.") % {"who": staff_label(user)},
        },
    )


def _for_channel(*, visit, kind, step, channel, at) -> tuple[Notification, bool]:
    return Notification.objects.get_or_create(
        dedupe_key=f"{kind}:{visit.pk}:{step}:channel:{channel.pk}",
        defaults={
            "visit": visit,
            "site": visit.site,
            "kind": kind,
            "step": step,
            "channel": channel,
            # The webhook URL carries the robot's key; the desk sees the channel's name.
            "address": channel.name,
            "created_at": at,
        },
    )


# --- what happens on arrival and at the deadline ------------------------------


@transaction.atomic
def arrival_notifications(*, visit: Visit, at: datetime | None = None) -> list[Notification]:
    """Create the arrival notices of a visit (read with its site, category and
    host): its host, the channels that hear arrivals, and for a category that
    asks for it (VIP) the office director at once. Returns the ones still to be
    sent. Safe to run twice."""
    at = at or timezone.now()
    if visit.checked_in_at is None:
        return []
    kind = Notification.Kind.ARRIVAL
    people = [visit.host] if visit.host_id and visit.host.is_active else []
    if visit.category.notify_director_on_arrival:
        people += [user for user in duty_holders(visit, DutyCode.DIRECTOR, at) if user.pk != visit.host_id]
    rows = [_for_user(visit=visit, kind=kind, step=0, user=user, at=at)[0] for user in people]
    rows += [_for_channel(visit=visit, kind=kind, step=0, channel=ch, at=at)[0] for ch in _channels(visit, kind)]
    return [row for row in rows if row.status in (Status.PENDING, Status.FAILED)]


@transaction.atomic
def escalate_visit(*, visit_id: int, at: datetime | None = None) -> list[Notification]:
    """R3.2: take every step of the chain that is due and not yet taken.

    Locks the visit, so a step is taken once however many workers and sweeps
    run; a step counts as taken once it has any escalation notification. Each
    step is recorded on the timeline (ESCALATED) and in the audit trail. A step
    whose duty nobody holds is recorded as a failed notification, visible at
    the desk. Returns the notifications still to be sent.
    """
    at = at or timezone.now()
    visit = Visit.objects.select_for_update(of=("self",)).select_related("site", "category", "host").get(pk=visit_id)
    if not awaiting_acknowledgement(visit):
        return []
    taken = set(
        Notification.objects.filter(visit=visit, kind=Notification.Kind.ESCALATION).values_list("step", flat=True)
    )
    kind = Notification.Kind.ESCALATION
    outgoing = []
    for step in escalation_chain(visit.category):
        if step.position in taken or at < step_due_at(visit, step):
            continue
        people = duty_holders(visit, step.duty, at)
        rows = [_for_user(visit=visit, kind=kind, step=step.position, user=user, at=at)[0] for user in people]
        if not people:
            rows.append(
                Notification.objects.create(
                    visit=visit,
                    site=visit.site,
                    kind=kind,
                    step=step.position,
                    address=step.label,
                    dedupe_key=f"{kind}:{visit.pk}:{step.position}:nobody",
                    status=Status.GAVE_UP,
                    created_at=at,
                    last_error=_("Nobody holds the duty “%(duty)s”.") % {"duty": step.label},
                )
            )
        if not taken:
            # Channels hear of an escalation once, at its first step.
            channels = _channels(visit, kind)
            rows += [_for_channel(visit=visit, kind=kind, step=step.position, channel=ch, at=at)[0] for ch in channels]
        taken.add(step.position)
        VisitEvent.objects.create(
            visit=visit,
            kind=VisitEvent.Kind.ESCALATED,
            at=at,
            note=_("Step %(position)s: %(duty)s") % {"position": step.position, "duty": step.label},
        )
        audit.record(
            site=visit.site,
            actor=None,
            action="visit.escalate",
            obj=visit,
            changes={"step": step.position, "duty": step.duty, "recipients": [user.pk for user in people]},
            at=at,
        )
        outgoing += [row for row in rows if row.status in (Status.PENDING, Status.FAILED)]
    return outgoing


def overdue_visits(at: datetime | None = None):
    """On-site visits not acknowledged whose deadline has passed (any site)."""
    at = at or timezone.now()
    candidates = Visit.objects.filter(
        status=VisitStatus.ON_SITE, acknowledged_at__isnull=True, checked_in_at__isnull=False
    ).select_related("category")
    return [visit for visit in candidates if visit.ack_deadline <= at]


# --- acknowledgement (R3.2) ---------------------------------------------------


def ack_token(visit: Visit, user) -> str:
    """The signed token of a one-click acknowledge link for `user`. It carries
    two ids and no personal data."""
    return signing.dumps({"v": visit.pk, "u": user.pk}, salt=ACK_SALT)


def ack_url(visit: Visit, user) -> str:
    return settings.SITE_URL + reverse("public:acknowledge", args=[ack_token(visit, user)])


def read_ack_token(token: str) -> tuple[Visit, object]:
    """The visit and the person a link was sent to; ReceptionError("bad_link")
    when the token is forged, malformed or older than ACK_LINK_MAX_AGE."""
    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=ACK_LINK_MAX_AGE)
        visit = Visit.objects.select_related("site", "category", "room").get(pk=int(data["v"]))
        user = get_user_model().objects.get(pk=int(data["u"]), is_active=True)
    except (signing.BadSignature, KeyError, TypeError, ValueError, Visit.DoesNotExist, get_user_model().DoesNotExist):
        raise ReceptionError("bad_link", _("This link is not valid or has expired.")) from None
    return visit, user


@transaction.atomic
def acknowledge_visit(*, visit: Visit, by, client_address: str | None = None, at: datetime | None = None) -> Visit:
    """R3.2: the host (or whoever the escalation reached) has seen the arrival.

    Locks the visit; the first acknowledgement wins and a repeat changes
    nothing. Records the time and person, an ACKNOWLEDGED timeline step and an
    audit event. Escalation stops from here on.
    """
    at = at or timezone.now()
    visit = Visit.objects.select_for_update(of=("self",)).select_related("site", "category").get(pk=visit.pk)
    if visit.acknowledged_at is not None:
        return visit
    if visit.status != VisitStatus.ON_SITE:
        raise ReceptionError(
            "not_on_site",
            _("This visitor is no longer waiting: the visit is %(status)s.")
            % {"status": visit.get_status_display().lower()},
        )
    overdue = visit.is_ack_overdue(at)
    visit.acknowledged_at = at
    visit.acknowledged_by = by
    visit.save(update_fields=["acknowledged_at", "acknowledged_by"])
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.ACKNOWLEDGED, at=at, by=by)
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.acknowledge",
        obj=visit,
        changes={"minutes_waiting": visit.minutes_waiting(at), "overdue": overdue},
        client_address=client_address,
        at=at,
    )
    return visit


# --- messages -----------------------------------------------------------------


def _when(visit: Visit, at: datetime | None) -> str:
    return formats.time_format(visit.site.local(at), "H:i") if at else ""


def _context(notification: Notification) -> dict:
    visit = notification.visit
    context = {
        "notification": notification,
        "visit": visit,
        "site": visit.site,
        "visitor": visit.visitor,
        "host": staff_label(visit.host) if visit.host_id else "",
        "room": visit.room.name if visit.room_id else "",
        "arrived": _when(visit, visit.checked_in_at),
        "deadline": _when(visit, visit.ack_deadline),
        "minutes": visit.minutes_waiting(),
        "escalation": notification.kind == Notification.Kind.ESCALATION,
        "for_host": notification.recipient_id is not None and notification.recipient_id == visit.host_id,
    }
    if notification.recipient_id:
        context["ack_url"] = ack_url(visit, notification.recipient)
    return context


def render_message(notification: Notification) -> tuple[str, str, str]:
    """(subject, text, html) of an arrival or escalation email."""
    with translation.override(settings.LANGUAGE_CODE):
        context = _context(notification)
        subject = " ".join(render_to_string("visitors/email/arrival_subject.txt", context).split())
        text = render_to_string("visitors/email/arrival.txt", context)
        html = render_to_string("visitors/email/arrival.html", context)
    return subject, text, html


_MARKDOWN = str.maketrans({char: "\\" + char for char in "\\`*_[]()#>!|~<"})


def markdown_text(value: str) -> str:
    """Text a visitor typed, made inert in a robot's markdown: no links, no
    formatting, one line."""
    return " ".join((value or "").split()).translate(_MARKDOWN)


def chat_text(notification: Notification) -> tuple[str, str]:
    """(title, markdown) for a work-chat robot. Staff appear as Dept-Name (R3.1);
    no phone numbers and no acknowledge link, which is personal to its recipient."""
    with translation.override(settings.LANGUAGE_CODE):
        context = _context(notification)
        context["md_name"] = markdown_text(notification.visit.visitor.full_name)
        context["md_company"] = markdown_text(notification.visit.visitor.company)
        title = " ".join(render_to_string("visitors/email/arrival_subject.txt", context).split())
        body = render_to_string("visitors/email/chat.md", context).strip()
    return title, body


def webhook_payload(notification: Notification) -> dict:
    """The JSON body of a generic webhook."""
    visit = notification.visit
    title, text = chat_text(notification)
    return {
        "event": f"visit.{notification.kind}",
        "notification": notification.pk,
        "step": notification.step,
        "site": visit.site.slug,
        "visit": {
            "id": visit.pk,
            "visitor": visit.visitor.full_name,
            "company": visit.visitor.company,
            "category": visit.category.code,
            "room": visit.room.name if visit.room_id else None,
            "host": staff_label(visit.host) if visit.host_id else None,
            "checked_in_at": visit.checked_in_at.isoformat() if visit.checked_in_at else None,
            "ack_deadline": visit.ack_deadline.isoformat() if visit.ack_deadline else None,
            "acknowledged": visit.acknowledged_at is not None,
        },
        "title": title,
        "text": text,
    }


def sign_generic(secret: str, timestamp: str, body: bytes) -> str:
    """X-Lobby-Signature: HMAC-SHA256 over "<timestamp>.<body>", hex, so a
    receiver can check the sender and refuse replays of old timestamps."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: HMAC-SHA256 of "<timestamp>\\n<secret>" keyed by the
    secret, base64, URL-encoded, appended with the timestamp in milliseconds."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    sign = base64.b64encode(hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()).decode()
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={urllib.parse.quote_plus(sign)}"


def webhook_request(notification: Notification, *, now: float | None = None) -> urllib.request.Request:
    """The HTTP request for a channel notification, by the channel's kind."""
    channel = notification.channel
    now = time.time() if now is None else now
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Lobby"}
    url = channel.url
    if channel.kind == ChannelKind.WECOM:
        title, text = chat_text(notification)
        payload = {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    elif channel.kind == ChannelKind.DINGTALK:
        title, text = chat_text(notification)
        payload = {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n\n{text}"}}
        if channel.secret:
            url = dingtalk_signed_url(url, channel.secret, int(now * 1000))
    else:
        payload = webhook_payload(notification)
    body = json.dumps(payload, ensure_ascii=False).encode()
    if channel.kind == ChannelKind.GENERIC:
        timestamp = str(int(now))
        headers["X-Lobby-Event"] = payload["event"]
        headers["X-Lobby-Timestamp"] = timestamp
        if channel.secret:
            headers["X-Lobby-Signature"] = sign_generic(channel.secret, timestamp, body)
    return urllib.request.Request(url, data=body, headers=headers, method="POST")


def _post(notification: Notification) -> None:
    request = webhook_request(notification)
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310 (admin-set URL)
        raw = response.read(65536)
    if notification.channel.kind in (ChannelKind.WECOM, ChannelKind.DINGTALK):
        # Both robots answer HTTP 200 with {"errcode": 0} on success only.
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            raise DeliveryError(_("The robot answered something that is not JSON.")) from None
        if answer.get("errcode", 0) != 0:
            raise DeliveryError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


def _email(notification: Notification) -> None:
    subject, text, html = render_message(notification)
    message = EmailMultiAlternatives(subject, text, to=[notification.address])
    message.attach_alternative(html, "text/html")
    message.send()


def qr_png(data: str) -> bytes:
    """A QR code as PNG bytes, for attaching to an email (no image is fetched
    from anywhere)."""
    buffer = io.BytesIO()
    segno.make_qr(data, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


def _invitation_email(notification: Notification) -> None:
    from visitors.invitations import invitation_url

    invitation = Invitation.objects.select_related("visit__site", "visit__host__profile__department").get(
        visit=notification.visit
    )
    visit = invitation.visit
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "site": visit.site,
            "visit": visit,
            "invitation": invitation,
            "url": invitation_url(invitation),
            "host": staff_label(visit.host) if visit.host_id else "",
            "day": formats.date_format(visit.site.local(visit.expected_at), "DATE_FORMAT"),
            "time": formats.time_format(visit.site.local(visit.expected_at), "H:i"),
            "until": _when(visit, visit.expected_until),
        }
        subject = " ".join(render_to_string("visitors/email/invitation_subject.txt", context).split())
        text = render_to_string("visitors/email/invitation.txt", context)
        html = render_to_string("visitors/email/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, to=[notification.address])
    message.mixed_subtype = "related"
    message.attach_alternative(html, "text/html")
    image = MIMEImage(qr_png(invitation.code), "png")
    image.add_header("Content-ID", "<invitation-qr>")
    image.add_header("Content-Disposition", "inline", filename="invitation-qr.png")
    message.attach(image)
    message.send()
    Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=timezone.now())


def invitation_notification(invitation: Invitation) -> Notification:
    """The one email that carries an invitation (dedupe_key per invitation)."""
    visit = invitation.visit
    return Notification.objects.get_or_create(
        dedupe_key=f"invitation:{invitation.pk}",
        defaults={
            "visit": visit,
            "site": visit.site,
            "kind": Notification.Kind.INVITATION,
            "address": invitation.email,
        },
    )[0]


# --- delivery -----------------------------------------------------------------


def next_attempt_at(notification: Notification) -> datetime | None:
    """When the next attempt is due by RETRY_SCHEDULE; None once it is settled."""
    if notification.status not in (Status.PENDING, Status.FAILED) or notification.attempts >= MAX_ATTEMPTS:
        return None
    return notification.created_at + RETRY_SCHEDULE[notification.attempts]


def deliver(notification_id: int) -> Notification:
    """Make one attempt at sending a notification, and record how it went.

    Only one caller gets to make each attempt: it is claimed by a conditional
    UPDATE of `attempts`, so two workers never send the same message twice. A
    failure of the far end (SMTP, HTTP, a robot's errcode) is caught and stored
    in last_error with status FAILED, or GAVE_UP after MAX_ATTEMPTS; nothing is
    raised to the caller.
    """
    notification = Notification.objects.select_related(
        "visit__site", "visit__category", "visit__visitor", "visit__room", "visit__host__profile__department", "channel"
    ).get(pk=notification_id)
    if notification.status not in (Status.PENDING, Status.FAILED) or notification.attempts >= MAX_ATTEMPTS:
        return notification
    claimed = Notification.objects.filter(
        pk=notification.pk, attempts=notification.attempts, status__in=[Status.PENDING, Status.FAILED]
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return notification
    notification.attempts += 1
    try:
        if notification.channel_id:
            _post(notification)
        elif notification.kind == Notification.Kind.INVITATION:
            _invitation_email(notification)
        else:
            _email(notification)
    except Exception as exc:  # whatever the mail server or webhook did, record it and retry later
        logger.warning("Notification %s failed (attempt %s): %s", notification.pk, notification.attempts, exc)
        notification.status = Status.GAVE_UP if notification.attempts >= MAX_ATTEMPTS else Status.FAILED
        notification.last_error = (f"{type(exc).__name__}: {exc}")[:500]
    else:
        notification.status = Status.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
    notification.save(update_fields=["status", "last_error", "sent_at"])
    return notification


def due_for_retry(at: datetime | None = None) -> list[Notification]:
    """Notifications whose next attempt is due: failed ones past their backoff,
    and pending ones a lost task never sent (older than a minute)."""
    at = at or timezone.now()
    rows = Notification.objects.filter(status__in=[Status.PENDING, Status.FAILED], attempts__lt=MAX_ATTEMPTS)
    due = []
    for row in rows.order_by("created_at"):
        when = next_attempt_at(row)
        if row.status == Status.PENDING and row.attempts == 0:
            when = row.created_at + timedelta(minutes=1)
        if when is not None and when <= at:
            due.append(row)
    return due
