"""The append-only, hash-chained audit trail (R6.4).

Each site's events form one chain: every event stores the hash of the one
before it, so altering or deleting any row breaks every link after it.
"""

import hashlib
import json
from datetime import datetime
from typing import Any

from django.db import transaction

from reception.models import Site
from visitors.models import AuditEvent


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "site": event.site_id,
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": event.changes,
        "client_address": event.client_address,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _role_of(user) -> str:
    if user is None or not getattr(user, "pk", None):
        return ""
    return ", ".join(sorted(g.name for g in user.groups.all()))


def record(
    *,
    site: Site,
    actor,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    changes: dict | None = None,
    client_address: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the site's chain, inside the caller's transaction.

    Locks the site row so two writers never take the same sequence number.
    """
    from django.utils import timezone

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that makes the change")
    Site.objects.select_for_update().only("pk").get(pk=site.pk)
    last = AuditEvent.objects.filter(site=site).order_by("-seq").only("seq", "hash").first()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    actor_ok = actor is not None and getattr(actor, "pk", None)
    event = AuditEvent(
        site=site,
        seq=(last.seq + 1) if last else 1,
        at=at or timezone.now(),
        actor=actor if actor_ok else None,
        actor_label=actor.get_username() if actor_ok else "",
        role=_role_of(actor) if actor_ok else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=json.loads(json.dumps(changes or {}, default=str)),
        client_address=client_address or None,
        prev_hash=last.hash if last else "",
    )
    event.hash = compute_hash(event)
    event.save(force_insert=True)
    return event
