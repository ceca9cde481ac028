"""The desk's registers and what the night leaves behind: shift handover (R6.6),
lost and found (R6.2) and incidents (R6.3, R6.5). The morning report (R6.8),
which summarises them, is reception.morning_report.

Each change is one transaction that locks what it changes, checks the rule,
saves, and appends an audit event (visitors.audit), so every register entry has
the same who/when trail as a visit. A refusal raises ReceptionError.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import Handover, Incident, LostItem, RosterEntry, Site, staff_label
from reception.night import NightWindow
from reception.validators import REGISTER_ENTRY
from visitors import audit
from visitors.models import Visit

# A handover is written at the end of a shift, often a little after it.
SHIFT_GRACE = timedelta(hours=1)
# Without a roster entry, a shift is taken to be at most this long (the default
# day and night are 12 hours each).
SHIFT_FALLBACK = timedelta(hours=12)


def _local(site: Site, at: datetime) -> str:
    return formats.date_format(site.local(at), "Y-m-d H:i")


# --- shift handover (R6.6) ---------------------------------------------------


def shift_started_at(*, site: Site, user, at: datetime) -> datetime:
    """When the shift that `user` is handing over began.

    The start of their roster entry that covers `at` or ended within SHIFT_GRACE;
    without one, the later of the site's previous handover and SHIFT_FALLBACK ago.
    """
    entry = (
        RosterEntry.objects.filter(site=site, user=user, starts_at__lte=at, ends_at__gte=at - SHIFT_GRACE)
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    if entry is not None:
        return entry
    previous = (
        Handover.objects.filter(site=site, written_at__lte=at)
        .order_by("-written_at")
        .values_list("written_at", flat=True)
        .first()
    )
    fallback = at - SHIFT_FALLBACK
    return max(previous, fallback) if previous else fallback


def on_site_snapshot(site: Site) -> list[dict]:
    """Who is on site now, as plain data that stays readable after they leave."""
    visits = Visit.objects.for_site(site).on_site().with_people().order_by("checked_in_at", "pk")
    return [
        {
            "visit": v.pk,
            "visitor": v.visitor.full_name,
            "company": v.visitor.company,
            "party_size": v.party_size,
            # Both names, so the snapshot reads in each reader's language (issue #16).
            "room": v.room.name if v.room else "",
            "room_zh": v.room.name_zh if v.room else "",
            "host": staff_label(v.host),
            "checked_in_at": v.checked_in_at.isoformat(),
        }
        for v in visits
    ]


def visits_between(site: Site, start: datetime, end: datetime):
    """The work of a shift: visits registered (an invitation made counts),
    arriving or leaving in [start, end)."""
    return Visit.objects.for_site(site).filter(
        Q(registered_at__gte=start, registered_at__lt=end)
        | Q(checked_in_at__gte=start, checked_in_at__lt=end)
        | Q(checked_out_at__gte=start, checked_out_at__lt=end)
    )


def night_visits(site: Site, night: NightWindow):
    """The night's visits: people who arrived or left in it (R6.8). An
    invitation made at night for another day is not one of them."""
    start, end = night
    return Visit.objects.for_site(site).filter(
        Q(checked_in_at__gte=start, checked_in_at__lt=end) | Q(checked_out_at__gte=start, checked_out_at__lt=end)
    )


@transaction.atomic
def write_handover(
    *,
    site: Site,
    by,
    open_items: str,
    incidents: str,
    keys_and_items: str,
    client_address: str | None = None,
    at: datetime | None = None,
) -> Handover:
    """R6.6: the outgoing person hands the shift over.

    The on-site list at this moment and the visits of the shift are attached
    automatically. Submitting the same text twice in one shift (a double click,
    a resent form) returns the first handover instead of making a second.
    """
    at = at or timezone.now()
    Site.objects.select_for_update().only("pk").get(pk=site.pk)
    started = shift_started_at(site=site, user=by, at=at)
    same = Handover.objects.filter(
        site=site,
        written_by=by,
        written_at__gte=started,
        acknowledged_at__isnull=True,
        open_items=open_items,
        incidents=incidents,
        keys_and_items=keys_and_items,
    ).first()
    if same is not None:
        return same
    handover = Handover.objects.create(
        site=site,
        written_by=by,
        written_at=at,
        shift_started_at=started,
        open_items=open_items,
        incidents=incidents,
        keys_and_items=keys_and_items,
        on_site_snapshot=on_site_snapshot(site),
    )
    visit_ids = list(visits_between(site, started, at + timedelta(microseconds=1)).values_list("pk", flat=True))
    handover.shift_visits.set(visit_ids)
    audit.record(
        site=site,
        actor=by,
        action="handover.write",
        obj=handover,
        changes={
            "shift_started_at": started,
            "on_site": len(handover.on_site_snapshot),
            "shift_visits": len(visit_ids),
        },
        client_address=client_address,
        at=at,
    )
    return handover


@transaction.atomic
def acknowledge_handover(*, handover: Handover, by, client_address: str | None = None, at: datetime | None = None):
    """R6.6: the incoming person takes the shift over. The writer cannot
    acknowledge their own handover, and a handover is acknowledged once."""
    at = at or timezone.now()
    handover = Handover.objects.select_for_update().select_related("site").get(pk=handover.pk)
    if handover.written_by_id == by.pk:
        raise ReceptionError(
            "handover_own", _("The incoming person acknowledges a handover, not the person who wrote it (R6.6).")
        )
    if handover.acknowledged_at is not None:
        raise ReceptionError(
            "handover_acknowledged",
            _("This handover was already acknowledged by %(name)s at %(at)s.")
            % {"name": staff_label(handover.acknowledged_by), "at": _local(handover.site, handover.acknowledged_at)},
        )
    handover.acknowledged_by = by
    handover.acknowledged_at = at
    handover.save(update_fields=["acknowledged_by", "acknowledged_at"])
    audit.record(
        site=handover.site,
        actor=by,
        action="handover.acknowledge",
        obj=handover,
        client_address=client_address,
        at=at,
    )
    return handover


# --- lost and found (R6.2) ---------------------------------------------------


@transaction.atomic
def record_lost_item(
    *,
    site: Site,
    by,
    description: str,
    found_at: datetime,
    found_where: str,
    found_by: str,
    stored_where: str,
    client_address: str | None = None,
    at: datetime | None = None,
) -> LostItem:
    """R6.2: an item a visitor left behind is entered at once, with where it is kept."""
    at = at or timezone.now()
    # The form checked the range too; a value passed here directly is not trusted (issue #15).
    REGISTER_ENTRY.check(found_at, at=at, field="found_at")
    item = LostItem.objects.create(
        site=site,
        description=description,
        found_at=found_at,
        found_where=found_where,
        found_by=found_by,
        stored_where=stored_where,
        recorded_by=by,
        recorded_at=at,
    )
    audit.record(
        site=site,
        actor=by,
        action="lostitem.record",
        obj=item,
        changes={
            "description": description,
            "found_at": found_at,
            "found_where": found_where,
            "found_by": found_by,
            "stored_where": stored_where,
        },
        client_address=client_address,
        at=at,
    )
    return item


@transaction.atomic
def return_lost_item(
    *, item: LostItem, by, returned_to: str, client_address: str | None = None, at: datetime | None = None
) -> LostItem:
    """R6.2: the item goes back to its owner; who took it, who gave it and when."""
    at = at or timezone.now()
    item = LostItem.objects.select_for_update().select_related("site").get(pk=item.pk)
    if item.returned_at is not None:
        raise ReceptionError(
            "already_returned",
            _("This item was already returned to %(name)s at %(at)s.")
            % {"name": item.returned_to, "at": _local(item.site, item.returned_at)},
        )
    item.returned_to = returned_to
    item.returned_at = at
    item.returned_by = by
    item.save(update_fields=["returned_to", "returned_at", "returned_by"])
    audit.record(
        site=item.site,
        actor=by,
        action="lostitem.return",
        obj=item,
        changes={"returned_to": returned_to},
        client_address=client_address,
        at=at,
    )
    return item


# --- incidents (R6.3, R6.5) --------------------------------------------------


@transaction.atomic
def report_incident(
    *,
    site: Site,
    by,
    kind: str,
    description: str,
    location: str,
    occurred_at: datetime,
    client_address: str | None = None,
    at: datetime | None = None,
) -> Incident:
    """R6.3 damage, R6.5 rest-area problems and other incidents, as they are reported."""
    at = at or timezone.now()
    REGISTER_ENTRY.check(occurred_at, at=at, field="occurred_at")
    incident = Incident.objects.create(
        site=site,
        kind=kind,
        description=description,
        location=location,
        occurred_at=occurred_at,
        reported_by=by,
        reported_at=at,
    )
    audit.record(
        site=site,
        actor=by,
        action="incident.report",
        obj=incident,
        changes={"kind": kind, "description": description, "location": location, "occurred_at": occurred_at},
        client_address=client_address,
        at=at,
    )
    return incident


def _append_note(incident: Incident, *, by, note: str, at: datetime) -> None:
    line = f"[{_local(incident.site, at)} {staff_label(by)}] {note}"
    incident.follow_up = f"{incident.follow_up}\n{line}" if incident.follow_up else line


def _lock_open_incident(incident: Incident) -> Incident:
    incident = Incident.objects.select_for_update().select_related("site").get(pk=incident.pk)
    if incident.closed_at is not None:
        raise ReceptionError(
            "incident_closed",
            _("This incident was closed by %(name)s at %(at)s.")
            % {"name": staff_label(incident.closed_by), "at": _local(incident.site, incident.closed_at)},
        )
    return incident


@transaction.atomic
def follow_up_incident(
    *, incident: Incident, by, note: str, client_address: str | None = None, at: datetime | None = None
) -> Incident:
    """Add a follow-up note. Notes are appended, signed and dated; earlier ones stay."""
    at = at or timezone.now()
    incident = _lock_open_incident(incident)
    _append_note(incident, by=by, note=note, at=at)
    incident.save(update_fields=["follow_up"])
    audit.record(
        site=incident.site,
        actor=by,
        action="incident.follow_up",
        obj=incident,
        changes={"note": note},
        client_address=client_address,
        at=at,
    )
    return incident


@transaction.atomic
def close_incident(
    *, incident: Incident, by, note: str = "", client_address: str | None = None, at: datetime | None = None
) -> Incident:
    """Close an incident, with an optional last note on how it ended."""
    at = at or timezone.now()
    incident = _lock_open_incident(incident)
    if note:
        _append_note(incident, by=by, note=note, at=at)
    incident.closed_at = at
    incident.closed_by = by
    incident.save(update_fields=["follow_up", "closed_at", "closed_by"])
    audit.record(
        site=incident.site,
        actor=by,
        action="incident.close",
        obj=incident,
        changes={"note": note},
        client_address=client_address,
        at=at,
    )
    return incident
