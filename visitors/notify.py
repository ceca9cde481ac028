"""Sending what the desk tells people: the messages (arrival, escalation,
invitation), the transports (email, and webhooks: generic, WeCom, DingTalk)
and the one delivery path, `deliver`, with its claim rule and retry schedule.

Which notices exist, and when, is decided elsewhere (visitors.escalation,
visitors.invitations); each is a Notification row, created before anything is
sent, with a unique `dedupe_key`. The row records every attempt, so a failing
mail server or webhook is visible at the desk and retried with backoff, and
never touches the check-in, which committed before any of this ran (see
visitors.tasks).

Webhooks: "generic" channels get a JSON POST signed with HMAC-SHA256 (a notice
of an arrival or escalation, or, issue #21, a visit event the channel subscribes
to: visitors.webhooks, its payload here, `event_payload`); WeCom and
DingTalk group robots get their own markdown payloads, DingTalk's with the
timestamp and sign query parameters its "加签" security setting requires. A
webhook URL is set in the admin but fetched by the server, so unless
LOBBY_ALLOW_PRIVATE_WEBHOOKS is on it goes only over https to public
addresses: the host is resolved, every address checked, and the connection
made to a checked address (not to a second answer of the resolver). Redirects
are never followed.
"""

import base64
import functools
import hashlib
import hmac
import http.client
import io
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from email.mime.image import MIMEImage

import segno
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from reception.models import ChannelKind, WebhookEvent, staff_label
from reception.morning_report import render_report
from reception.validators import forbidden_address, private_webhooks_allowed
from visitors import links
from visitors.api import schemas
from visitors.models import Invitation, Notification, Visit, VisitStatus
from visitors.monthly_report import render_monthly_report

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
# A pending notification's first attempt is made by the task queued with it;
# the sweep picks it up only once that task has had this long and not run.
LOST_TASK_GRACE = timedelta(minutes=1)


class DeliveryError(Exception):
    """The far end refused or failed a delivery; the message says how."""


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
        "room": visit.room.display_name if visit.room_id else "",
        "arrived": _when(visit, visit.checked_in_at),
        "deadline": _when(visit, visit.ack_deadline),
        "minutes": visit.minutes_waiting(),
        "escalation": notification.kind == Notification.Kind.ESCALATION,
        "for_host": notification.recipient_id is not None and notification.recipient_id == visit.host_id,
    }
    if notification.kind == Notification.Kind.SECURITY:
        # Issue #19: who and where, and the page where security decides; the
        # watchlist's reason stays on that page, behind its permission.
        context["security_url"] = links.security_holds_url()
        context["held"] = visit.status == VisitStatus.PENDING_SECURITY
        context["expected"] = _when(visit, visit.expected_at) if visit.checked_in_at is None else ""
        return context
    if notification.kind == Notification.Kind.APPROVAL:
        # Issue #19 (A13): the host's signed approve/decline link; a channel gets none.
        context["approval_url"] = links.approval_url(visit, notification.recipient) if notification.recipient_id else ""
        context["registered"] = _when(visit, visit.registered_at)
        return context
    if notification.recipient_id:
        context["ack_url"] = links.ack_url(visit, notification.recipient)
    return context


def _templates(notification: Notification) -> str:
    if notification.kind == Notification.Kind.APPROVAL:
        return "approval"
    return "security" if notification.kind == Notification.Kind.SECURITY else "arrival"


def render_message(notification: Notification) -> tuple[str, str, str]:
    """(subject, text, html) of an arrival, escalation or security email."""
    name = _templates(notification)
    with translation.override(settings.LANGUAGE_CODE):
        context = _context(notification)
        subject = " ".join(render_to_string(f"visitors/email/{name}_subject.txt", context).split())
        text = render_to_string(f"visitors/email/{name}.txt", context)
        html = render_to_string(f"visitors/email/{name}.html", context)
    return subject, text, html


# "&" too: an entity such as "&#91;" would otherwise show as another character
# than the one typed.
_MARKDOWN = str.maketrans({char: "\\" + char for char in "\\`*_[]()#>!|~<&"})


def markdown_text(value: str) -> str:
    """Text a visitor or staff typed, made inert in a robot's markdown: no
    links, no formatting, no entities, one line."""
    return " ".join((value or "").split()).translate(_MARKDOWN)


def chat_text(notification: Notification) -> tuple[str, str]:
    """(title, markdown) for a work-chat robot. Staff appear as Dept-Name (R3.1);
    no phone numbers and no acknowledge link, which is personal to its recipient.

    Every typed value (names, company, category, room, host) is markdown-escaped,
    and the title, plain text rendered from the email subject, is escaped whole:
    both robots show it as markdown (issue #15 items 4 and 5)."""
    if notification.kind == Notification.Kind.PREPARED:
        lines = [markdown_text(line) for line in notification.body.splitlines() if line.strip()]
        return markdown_text(notification.subject), "\n\n".join(lines)
    with translation.override(settings.LANGUAGE_CODE):
        context = _context(notification)
        visit = notification.visit
        context["md"] = {
            "name": markdown_text(visit.visitor.full_name),
            "company": markdown_text(visit.visitor.company),
            "category": markdown_text(visit.category.display_name),
            "room": markdown_text(context["room"]),
            "host": markdown_text(context["host"]),
        }
        name = _templates(notification)
        title = markdown_text(render_to_string(f"visitors/email/{name}_subject.txt", context))
        chat = f"visitors/email/chat_{name}.md" if name in ("security", "approval") else "visitors/email/chat.md"
        body = render_to_string(chat, context).strip()
    return title, body


def event_id(notification: Notification) -> str:
    """An event's id, the same in every retry and in each channel that hears
    of it (visitors.webhooks writes it into the dedupe key)."""
    return notification.dedupe_key.split(":")[1]


def event_payload(notification: Notification) -> dict:
    """The JSON body of a visit event or a test "ping" (issue #21): the event,
    its id, when it happened (ISO 8601 in the site's time zone), the site, and
    the visit as the API gives it (schemas.Visit, the one serialiser) as it
    stands when the delivery is made, so no copy of a visitor's name waits in
    the delivery log (R4.1)."""
    site = notification.site
    payload = {
        "event": notification.subject,
        "id": event_id(notification),
        "occurred_at": site.local(notification.created_at).isoformat(),
        "site": site.slug,
        "visit": None,
    }
    if notification.subject == WebhookEvent.ESCALATED:
        payload["step"] = notification.step
    if notification.visit_id:
        with translation.override(settings.LANGUAGE_CODE):
            payload["visit"] = schemas.Visit.model_validate(schemas.visit_out(notification.visit)).model_dump()
    return payload


def webhook_payload(notification: Notification) -> dict:
    """The JSON body of a generic webhook."""
    if notification.kind == Notification.Kind.EVENT:
        return event_payload(notification)
    visit = notification.visit
    title, text = chat_text(notification)
    if visit is None:
        event = {"event": f"customers.{notification.dedupe_key.split(':')[0]}", "site": notification.site.slug}
        return {**event, "notification": notification.pk, "step": notification.step, "title": title, "text": text}
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
    if notification.kind == Notification.Kind.EVENT:
        # Events are JSON, whatever the channel (only generic ones subscribe).
        payload = event_payload(notification)
        headers["X-Lobby-Delivery"] = payload["id"]
    elif channel.kind == ChannelKind.WECOM:
        title, text = chat_text(notification)
        payload = {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    elif channel.kind == ChannelKind.DINGTALK:
        title, text = chat_text(notification)
        payload = {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n\n{text}"}}
        if channel.secret:
            url = dingtalk_signed_url(url, channel.secret, int(now * 1000))
    else:
        payload = webhook_payload(notification)
    # Datetimes as the API writes them (Django's encoder, as Ninja's renderer).
    body = json.dumps(payload, ensure_ascii=False, cls=DjangoJSONEncoder).encode()
    if channel.kind == ChannelKind.GENERIC or notification.kind == Notification.Kind.EVENT:
        timestamp = str(int(now))
        headers["X-Lobby-Event"] = payload["event"]
        headers["X-Lobby-Timestamp"] = timestamp
        if channel.secret:
            headers["X-Lobby-Signature"] = sign_generic(channel.secret, timestamp, body)
    return urllib.request.Request(url, data=body, headers=headers, method="POST")


def checked_addresses(url: str) -> list[str]:
    """The addresses a webhook's host resolves to, if it may be sent to at all:
    https, and every address public (reception.validators.forbidden_address).
    Otherwise DeliveryError, before anything is sent."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        raise DeliveryError(_("Lobby sends webhooks only to https:// addresses; change the channel's URL."))
    host = parts.hostname or ""
    try:
        found = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise DeliveryError(
            _("The webhook's host %(host)s could not be looked up: %(error)s") % {"host": host, "error": error}
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    for address in addresses:
        if forbidden_address(address):
            raise DeliveryError(
                _(
                    "The webhook's host %(host)s is at %(address)s, a private, loopback, link-local or reserved "
                    "address; Lobby does not send there."
                )
                % {"host": host, "address": address}
            )
    return addresses


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the addresses checked before the request, not to whatever
    the name resolves to a moment later (DNS rebinding); the certificate is
    still verified for the name."""

    def __init__(self, *args, addresses: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self._checked = addresses
        self._create_connection = self._connect_checked

    def _connect_checked(self, address, timeout, source_address=None):
        if self._tunnel_host:  # through the environment's HTTPS proxy, which resolves the name itself
            return socket.create_connection(address, timeout, source_address)
        error = OSError("no address")
        for checked in self._checked:
            try:
                return socket.create_connection((checked, address[1]), timeout, source_address)
            except OSError as exc:
                error = exc
        raise error


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, addresses: list[str]):
        super().__init__()
        self._addresses = addresses

    def https_open(self, request):
        return self.do_open(functools.partial(_CheckedHTTPSConnection, addresses=self._addresses), request)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery: following it would carry the POST,
    and its signature, wherever the far end says, an internal address included."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        fp.close()
        raise DeliveryError(
            _("The webhook answered with a redirect (HTTP %(code)s to %(url)s), which Lobby does not follow.")
            % {"code": code, "url": newurl}
        )


def _open(request: urllib.request.Request):
    handlers = [_NoRedirects()]
    if not private_webhooks_allowed():
        handlers.append(_CheckedHTTPSHandler(checked_addresses(request.full_url)))
    return urllib.request.build_opener(*handlers).open(request, timeout=WEBHOOK_TIMEOUT_SECONDS)


def _post(notification: Notification) -> None:
    """Send a channel's request; its HTTP status goes to `response_code` (the
    delivery log), also when it is an error status."""
    request = webhook_request(notification)
    try:
        with _open(request) as response:
            notification.response_code = response.status
            raw = response.read(65536)
    except urllib.error.HTTPError as error:
        notification.response_code = error.code
        raise
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
    invitation = Invitation.objects.select_related("visit__site", "visit__host__profile__department").get(
        visit=notification.visit
    )
    visit = invitation.visit
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "site": visit.site,
            "visit": visit,
            "invitation": invitation,
            "url": links.invitation_url(invitation),
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


def _report_email(notification: Notification) -> None:
    subject, text, html = render_report(notification)
    message = EmailMultiAlternatives(subject, text, to=[notification.address])
    message.attach_alternative(html, "text/html")
    message.send()


def _monthly_report_email(notification: Notification) -> None:
    subject, text, html, pdf = render_monthly_report(notification)
    message = EmailMultiAlternatives(subject, text, to=[notification.address])
    message.attach_alternative(html, "text/html")
    if pdf is not None:
        filename = f"lobby-{notification.site.slug}-{notification.report_day:%Y-%m}.pdf"
        message.attach(filename, pdf, "application/pdf")
    message.send()


# Issue #18: a prepared message may need more than the text its app wrote when
# it created the row: the monthly complaint summary is drawn as HTML, with a
# PDF, when it is sent. The app registers, by the first part of its rows'
# dedupe_key, a function turning the row into (subject, text, html,
# attachments), so this module never imports it.
Attachment = tuple[str, bytes, str]  # filename, content, MIME type
PreparedRenderer = Callable[[Notification], tuple[str, str, str, list[Attachment]]]
_PREPARED_RENDERERS: dict[str, PreparedRenderer] = {}


def register_prepared_renderer(prefix: str, render: PreparedRenderer) -> None:
    """Render the PREPARED notifications whose dedupe_key starts with
    "<prefix>:" with `render` when they are emailed (an AppConfig.ready() calls it)."""
    _PREPARED_RENDERERS[prefix] = render


def _prepared_email(notification: Notification) -> None:
    render = _PREPARED_RENDERERS.get(notification.dedupe_key.split(":", 1)[0])
    if render is None:
        # Written (plain text, autoescape off) by the app that created the row.
        EmailMultiAlternatives(notification.subject, notification.body, to=[notification.address]).send()
        return
    subject, text, html, attachments = render(notification)
    message = EmailMultiAlternatives(subject, text, to=[notification.address])
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()


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
        "site",
        "visit__site",
        "visit__category",
        "visit__visitor",
        "visit__room",
        "visit__host__profile__department",
        "channel",
    ).get(pk=notification_id)
    if notification.status not in (Status.PENDING, Status.FAILED) or notification.attempts >= MAX_ATTEMPTS:
        return notification
    claimed = Notification.objects.filter(
        pk=notification.pk, attempts=notification.attempts, status__in=[Status.PENDING, Status.FAILED]
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return notification
    notification.attempts += 1
    notification.response_code = None  # this attempt's, if it gets an answer
    try:
        if notification.channel_id:
            _post(notification)
        elif notification.kind == Notification.Kind.INVITATION:
            _invitation_email(notification)
        elif notification.kind == Notification.Kind.REPORT:
            _report_email(notification)
        elif notification.kind == Notification.Kind.MONTHLY_REPORT:
            _monthly_report_email(notification)
        elif notification.kind == Notification.Kind.PREPARED:
            _prepared_email(notification)
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
    notification.save(update_fields=["status", "last_error", "sent_at", "response_code"])
    return notification


def due_for_retry(at: datetime | None = None) -> list[Notification]:
    """Notifications whose next attempt is due, oldest first: failed ones past
    their backoff (RETRY_SCHEDULE), and pending ones a lost task never sent
    (older than LOST_TASK_GRACE). Filtered by the database: the schedule is a
    function of created_at and attempts, so there is one condition per
    attempts value."""
    at = at or timezone.now()
    lost = Q(status=Status.PENDING, attempts=0, created_at__lte=at - LOST_TASK_GRACE)
    backed_off = Q()
    for attempts, wait in enumerate(RETRY_SCHEDULE):
        backed_off |= Q(attempts=attempts, created_at__lte=at - wait)
    unsettled = Q(status__in=[Status.PENDING, Status.FAILED], attempts__lt=MAX_ATTEMPTS)
    never_tried = Q(status=Status.PENDING, attempts=0)
    return list(Notification.objects.filter(unsettled & (lost | (backed_off & ~never_tried))).order_by("created_at"))
