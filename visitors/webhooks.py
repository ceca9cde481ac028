"""Visit events for integrations (issue #21): a generic webhook channel
subscribes to some of reception.models.WebhookEvent (registered, checked in,
checked out, acknowledged, escalated, amended) and hears of each once.

The service that does the thing calls `emit` inside its transaction. That
writes one Notification per subscribed channel (kind EVENT, the event's name
in `subject`): the delivery log the office manager reads in the back office,
committed with the change itself or not at all. Once the transaction commits,
each row is queued for `deliver_event`, which is one attempt of
visitors.notify.deliver (the one delivery path: signed JSON, the address
checks, the claim rule) and, on failure, the next attempt at notify's retry
schedule; the escalate_overdue sweep retries any whose task was lost.

The payload (notify.event_payload) carries the visit in the API's own shape,
read when it is sent; the row keeps only the event's name, id and time.
"""

import uuid
from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from reception.models import ChannelKind, NotificationChannel, Site, site_has_event_subscribers
from reception.scheduling import enqueue
from visitors import notify
from visitors.models import Notification, Visit

# The test event the back office's "Send test event" queues: no visit.
PING = "ping"


def _row(*, site: Site, visit: Visit | None, channel: NotificationChannel, event: str, key: str, step: int, at):
    return Notification(
        site=site,
        visit=visit,
        channel=channel,
        kind=Notification.Kind.EVENT,
        subject=event,
        step=step,
        # The desk and the log show the channel's name; its URL carries secrets.
        address=channel.name,
        dedupe_key=f"event:{key}:{channel.pk}",
        created_at=at,
    )


def _send_after_commit(rows: list[Notification]) -> None:
    if rows:
        # robust: a queue that cannot be reached is logged; the sweep sends them.
        transaction.on_commit(partial(_queue, [row.pk for row in rows]), robust=True)


def _queue(pks: list[int]) -> None:
    for pk in pks:
        enqueue(deliver_event, pk)


def emit(visit: Visit, *events: str, at: datetime | None = None, step: int = 0) -> list[Notification]:
    """Record `events` (WebhookEvent values, in order) of `visit` for every
    active channel of its site that subscribes to them, and send them once the
    caller's transaction commits (nothing is sent for a change rolled back).
    No query when no channel subscribes (a cached answer that every channel
    write unsettles, reception.models.site_has_event_subscribers); `step` is
    an escalation's."""
    if not site_has_event_subscribers(visit.site_id):
        return []
    at = at or timezone.now()
    channels = [
        channel
        for channel in NotificationChannel.objects.filter(site_id=visit.site_id, active=True, kind=ChannelKind.GENERIC)
        .only("pk", "name", "events", "kind")
        .order_by()  # the model's ordering would join the site
        if channel.events
    ]
    rows = []
    for event in events:
        key = uuid.uuid4().hex  # the event's id, shared by the channels
        rows += [
            _row(site=visit.site, visit=visit, channel=channel, event=event, key=key, step=step, at=at)
            for channel in channels
            if channel.receives(event)
        ]
    rows = Notification.objects.bulk_create(rows) if rows else []
    _send_after_commit(rows)
    return rows


@transaction.atomic
def ping(channel: NotificationChannel, at: datetime | None = None) -> Notification:
    """Queue a test event for `channel`, whatever it subscribes to, so the
    office manager sees in the delivery log whether the receiver answers."""
    row = _row(
        site=channel.site,
        visit=None,
        channel=channel,
        event=PING,
        key=uuid.uuid4().hex,
        step=0,
        at=at or timezone.now(),
    )
    row.save()
    _send_after_commit([row])
    return row


@task()
def deliver_event(notification_id: int) -> str:
    """One attempt at one event delivery (notify.deliver); a failure queues the
    next attempt at notify's retry schedule."""
    notification = notify.deliver(notification_id)
    retry_at = notify.next_attempt_at(notification)
    if notification.status == Notification.Status.FAILED and retry_at is not None:
        enqueue(deliver_event, notification.pk, run_after=retry_at)
    return notification.status
