"""The append-only, hash-chained audit trail (R6.4).

Each site's events form one chain: every event stores the hash of the one
before it, so altering or deleting any row breaks every link after it.

The hash is computed over a canonical form that reads the same on SQLite and
PostgreSQL: keys sorted, the time in UTC with microseconds, the client address
in its compressed form. On PostgreSQL, triggers (migration
0003_audit_triggers) refuse UPDATE, DELETE and TRUNCATE of the events and keep
a visit's registered facts (REGISTERED_FACTS below) from being edited in place.
"""

import hashlib
import ipaddress
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from reception.models import Site
from visitors.models import AuditEvent

# R6.4: the columns of visitors_visit that make up the registration form. The
# PostgreSQL trigger refuses to change them unless the amendment service has
# switched on `lobby.amending` for its own transaction. A new Visit column must
# be listed here or in WORKFLOW_COLUMNS (tests/visitors/test_immutability.py),
# and a registered one needs a migration that re-creates the trigger function.
REGISTERED_FACTS = (
    "site_id",
    "visitor_id",
    "category_id",
    "host_id",
    "department_id",
    "room_id",
    "purpose",
    "party_size",
    "expected_at",
    "expected_until",
    "source",
    "badge_code",
    "registered_at",
    "registered_by_id",
    "meals",
    "lodging",
    "refreshments",
    "hospitality_notes",
    "materials",
    "night_registration",
    "id_sighted",
    "id_sighted_type",
    "host_contacted",
    "night_override_reason",
    "ack_deadline_minutes",
)
# R6.8: an expected visit that arrives at night gets its night facts in the same
# UPDATE that checks it in; after that they are as fixed as the rest. Likewise
# room_id, when the registration left it empty (R1.3, migration 0010).
# R3.2: the acknowledgement deadline in force at arrival is written in that
# UPDATE too, and fixed from then on (migration 0015, issue #16).
ARRIVAL_FACTS = (
    "night_registration",
    "id_sighted",
    "id_sighted_type",
    "host_contacted",
    "night_override_reason",
    "ack_deadline_minutes",
)
# What the desk's workflow changes after registration.
WORKFLOW_COLUMNS = (
    "id",
    "status",
    "checked_in_at",
    "checked_in_by_id",
    "checked_out_at",
    "checked_out_by_id",
    "acknowledged_at",
    "acknowledged_by_id",
    "legal_hold",
    "submission_key",
    # Issue #19: taken or retaken by visitors.photos (audited), blanked on erasure.
    "photo",
)


def _canonical_address(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:  # only a tampered row holds one; its hash will not match
        return value


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "site": event.site_id,
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": event.changes,
        "client_address": _canonical_address(event.client_address),
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _role_of(user) -> str:
    if user is None or not getattr(user, "pk", None):
        return ""
    return ", ".join(sorted(g.name for g in user.groups.all()))


def clean_address(value: str | None) -> str | None:
    """A client address as stored: valid, compressed, IPv4-mapped unwrapped.

    Anything that is not an IP address (a misconfigured proxy header) is
    dropped rather than failing the action it describes.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.compressed


def _clean_changes(value: Any) -> Any:
    # PostgreSQL's jsonb refuses NUL characters; SQLite keeps them. Replace them
    # so a hostile input cannot make an action fail on one database only.
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_clean_changes(str(k)): _clean_changes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_changes(v) for v in value]
    return value


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
    `changes` must never hold personal data (names, phone numbers, ID numbers):
    events cannot be anonymised later.
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
        changes=_clean_changes(json.loads(json.dumps(changes or {}, default=str))),
        client_address=clean_address(client_address),
        prev_hash=last.hash if last else "",
    )
    event.hash = compute_hash(event)
    event.save(force_insert=True)
    return event


def record_export(
    *,
    site: Site,
    actor,
    export: str,
    filters: dict,
    free_text: tuple[str, ...] = ("q",),
    client_address: str | None = None,
) -> AuditEvent:
    """Audit an export of the log (who took which data out), in its own
    transaction, before the first row is sent.

    Filter values are kept (dates, choices, ids of rooms or hosts), except the
    free-text ones named in `free_text`: a search may be a visitor's name or
    phone number, so only the fact that one was given is recorded.
    """
    kept = {}
    for name, value in filters.items():
        if value in (None, "", [], ()):
            continue
        if name in free_text:
            kept[name] = "(given)"
        else:
            kept[name] = getattr(value, "pk", value)
    with transaction.atomic():
        return record(
            site=site,
            actor=actor,
            action="log.export",
            object_type="visitors.visit",
            changes={"export": export, "filters": kept},
            client_address=client_address,
        )


# --- sanctioned writes ---------------------------------------------------------


@contextmanager
def sanctioned(setting: str) -> Iterator[None]:
    """Switch on one of the triggers' transaction-local permissions for the
    block: `lobby.amending` (the amendment service changes registered facts)
    or `lobby.anonymising` (the privacy service scrubs personal data out of
    amendments). Switched off again on the way out, so nothing else later in
    the same transaction inherits it. A no-op outside PostgreSQL.
    """
    if setting not in ("lobby.amending", "lobby.anonymising"):
        raise ValueError(setting)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a sanctioned write must run inside a transaction")
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [setting])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [setting])


# --- verification ----------------------------------------------------------------


@dataclass
class ChainReport:
    site: Site
    count: int = 0
    head_seq: int = 0
    head_hash: str = ""
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def verify_chain(site: Site) -> ChainReport:
    """Walk the site's chain in order and stop at the first broken link.

    A link is broken when a sequence number is missing or repeated (a row was
    deleted or inserted), when prev_hash does not name the event before (rows
    were reordered or replaced), or when the stored hash does not match the
    row's contents (the row was altered). Deleting events from the end of the
    chain leaves no broken link; compare the head with one recorded earlier.
    """
    report = ChainReport(site=site)
    expected_seq, prev_hash = 1, ""
    for event in AuditEvent.objects.filter(site=site).order_by("seq").iterator(chunk_size=2000):
        problem = ""
        if event.seq != expected_seq:
            problem = f"sequence jumps from #{expected_seq - 1} to #{event.seq}: events are missing"
        elif event.prev_hash != prev_hash:
            problem = "its previous-hash does not match the event before it"
        elif event.hash != compute_hash(event):
            problem = "its hash does not match its contents: the row was altered"
        if problem:
            report.broken_seq, report.broken_id, report.problem = event.seq, event.pk, problem
            return report
        report.count += 1
        report.head_seq, report.head_hash = event.seq, event.hash
        expected_seq, prev_hash = event.seq + 1, event.hash
    return report
