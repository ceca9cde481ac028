"""Visit workflows: registration, check-in, check-out and the timeline, and
the room rules (R1.3) they share with amendments (visitors.amendments).

Each workflow is one transaction that locks what it changes, checks the
reception rules, saves, and appends the audit event. A refusal raises
ReceptionError with a stable code and a translated message naming the reason
and the alternatives; nothing is saved half-way.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import ReceptionRoom, Site, VisitorCategory, WebhookEvent
from reception.night import check_night_duty
from visitors import audit, privacy, watchlist, webhooks
from visitors.models import (
    ConsentWay,
    HoldOutcome,
    HostApproval,
    IdType,
    SecurityHold,
    Visit,
    VisitEvent,
    Visitor,
    VisitStatus,
    WatchlistEntry,
)
from visitors.selectors import room_occupancy, rooms_with_space
from visitors.tasks import announce_arrival, announce_to_security, ask_host_to_approve


def _names(rooms) -> str:
    return ", ".join(room.display_name for room in rooms) or _("none")


def check_room_allowed(*, room: ReceptionRoom | None, category: VisitorCategory) -> None:
    """R1.3: a visit is received only in a room designated for its category."""
    if room is None:
        return
    if room.site_id != category.site_id or not room.allows(category):
        allowed = ReceptionRoom.objects.allowed_for(category)
        raise ReceptionError(
            "room_not_allowed",
            _("%(category)s visitors may not be received in %(room)s (R1.3). Allowed rooms: %(allowed)s.")
            % {"category": category.display_name, "room": room.display_name, "allowed": _names(allowed)},
            field="room",
        )


def room_space_refusal(*, room: ReceptionRoom, visit: Visit, exclude: Visit | None = None) -> str | None:
    """Why `visit`'s party does not fit in `room` (a room never holds more than
    its capacity, nor two parties if exclusive), or None when it fits. Visits
    `exclude`d are not counted: an amended visit may already sit in the room."""
    people, parties = room_occupancy(room, exclude=exclude)
    if room.exclusive and parties:
        return _("%(room)s is in exclusive use by another party.") % {"room": room.display_name}
    if people + visit.party_size > room.capacity:
        return _("%(room)s has %(free)s of %(capacity)s places free; this party is %(size)s.") % {
            "room": room.display_name,
            "free": max(0, room.capacity - people),
            "capacity": room.capacity,
            "size": visit.party_size,
        }
    return None


def check_room_chosen(*, room: ReceptionRoom | None, visit: Visit) -> None:
    """R1.3: a visitor on site is in a designated room. Refuses an arrival with
    no room, naming the rooms allowed for the category with space for the party."""
    if room is not None:
        return
    raise ReceptionError(
        "room_required",
        _("Choose the room to receive %(category)s visitors in (R1.3). Rooms with space: %(rooms)s.")
        % {
            "category": visit.category.display_name,
            "rooms": _names(rooms_with_space(visit.category, visit.party_size)),
        },
        field="room",
    )


def check_room_space(*, room: ReceptionRoom | None, visit: Visit) -> None:
    """Refuse a party the room cannot take, naming the rooms that can.

    The caller must hold a lock on the room row so two desks cannot both fill
    the last seats.
    """
    if room is None:
        return
    reason = room_space_refusal(room=room, visit=visit)
    if reason is None:
        return
    others = [r for r in rooms_with_space(visit.category, visit.party_size) if r.pk != room.pk]
    raise ReceptionError(
        "room_full",
        _("%(reason)s Rooms with space: %(others)s.") % {"reason": reason, "others": _names(others)},
        field="room",
    )


def lock_room(room: ReceptionRoom | None) -> ReceptionRoom | None:
    """The room re-read under a row lock (None stays None), held until the
    transaction ends: what check_room_space needs so that two desks cannot
    both fill the last seats. Call it inside transaction.atomic."""
    if room is None:
        return None
    return ReceptionRoom.objects.select_for_update().get(pk=room.pk)


def check_not_on_site(*, visitor: Visitor, site: Site, exclude: Visit | None = None) -> None:
    """A visitor has one open visit per site: refuses if another visit of
    theirs (than `exclude`) is on site. A visitor not yet saved has none."""
    if visitor.pk is None:
        return
    open_visits = Visit.objects.filter(site=site, visitor=visitor, status=VisitStatus.ON_SITE)
    if exclude is not None:
        open_visits = open_visits.exclude(pk=exclude.pk)
    if open_visits.exists():
        raise ReceptionError(
            "already_on_site",
            _("%(name)s is already on site; check the earlier visit out first.") % {"name": visitor.full_name},
        )


def check_id_document(*, visitor: Visitor, site: Site) -> None:
    """R4.1: an ID number is recorded only where the site turns it on. A
    returning visitor's stored record is theirs already and is not judged."""
    if visitor.pk is None and (visitor.id_number or visitor.id_type) and not site.collect_id_numbers:
        raise ReceptionError("id_not_collected", _("This site does not record ID numbers."), field="id_number")


def _night_changes(visit: Visit) -> dict:
    """The night facts of a night arrival, for its audit event (R6.8)."""
    if not visit.night_registration:
        return {}
    return {
        "id_sighted": visit.id_sighted,
        "id_sighted_type": visit.id_sighted_type,
        "host_contacted": visit.host_contacted,
    }


@dataclass(frozen=True)
class NightFacts:
    """R6.8: what the night-duty officer records about every visitor arriving
    at night: whether an ID was sighted (and which kind), and whether the host
    or an escort was contacted. Only staff can answer them, never the visitor."""

    id_sighted: bool
    host_contacted: bool
    id_sighted_type: str = ""


def check_night_facts(*, site: Site, at: datetime, facts: NightFacts | None) -> None:
    """Refuse a night arrival whose night facts are missing or incomplete (R6.8).
    By day there is nothing to check: facts given then are not recorded."""
    if not site.in_night_window(at):
        return
    if facts is None:
        raise ReceptionError(
            "night_facts_required",
            _(
                "At night the night-duty officer records whether the visitor's ID was sighted and whether "
                "the host or an escort was contacted (R6.8)."
            ),
            field="id_sighted",
        )
    if facts.id_sighted and (facts.id_sighted_type == IdType.NONE or facts.id_sighted_type not in IdType.values):
        raise ReceptionError("id_type_required", _("Say which ID was sighted."), field="id_sighted_type")


def _note_night_facts(*, visit: Visit, at: datetime, override: str, facts: NightFacts | None) -> None:
    """R6.8: a night arrival carries its night facts and any override."""
    if visit.site.in_night_window(at):
        visit.night_registration = True
        visit.night_override_reason = override
        visit.id_sighted = facts.id_sighted
        visit.id_sighted_type = facts.id_sighted_type if facts.id_sighted else ""
        visit.host_contacted = facts.host_contacted


def registered_night_facts(visit: Visit) -> NightFacts | None:
    """The night facts recorded when `visit` was registered at night (a
    walk-up waiting for its host, issue #19), for its arrival later."""
    if not visit.night_registration:
        return None
    return NightFacts(
        id_sighted=visit.id_sighted, host_contacted=visit.host_contacted, id_sighted_type=visit.id_sighted_type
    )


def _arrive(*, visit: Visit, by, at: datetime, override: str, facts: NightFacts | None) -> None:
    """Check the visit in; `override` is what check_night_duty returned for `by`,
    which the caller has already asked (one roster read per arrival), and
    `facts` what check_night_facts accepted."""
    _note_night_facts(visit=visit, at=at, override=override, facts=facts)
    # R3.2: the deadline in force now is the one this arrival is held to,
    # whatever the category says later (issue #16).
    visit.ack_deadline_minutes = visit.category.ack_deadline_minutes
    visit.check_in(by=by, at=at)


def _hold(*, visit: Visit, entry: WatchlistEntry, actor, client_address: str | None, at: datetime) -> None:
    """Issue #19: keep a saved visit that matched a DENY watchlist entry
    pending security, and tell security on duty once this commits. The entry
    is named only in the hold and its own audit event, which the desk does not
    read; the timeline says only that the visit was held."""
    SecurityHold.objects.create(visit=visit, site=visit.site, entry=entry, held_at=at)
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.HELD, at=at, by=actor)
    audit.record(
        site=visit.site,
        actor=actor,
        action="visit.hold",
        obj=visit,
        changes={"status": visit.status, "watchlist_entry": entry.pk, "level": entry.level},
        client_address=client_address,
        at=at,
    )
    announce_to_security(visit)


def _await_host(*, visit: Visit, actor, client_address: str | None, at: datetime) -> None:
    """Issue #19 (A13): keep a saved walk-up waiting for its host's approval
    (visitors.approvals decides), and ask the host at once once this commits;
    the desk decides when the host's time (Site.approval_minutes) is up."""
    minutes = visit.site.approval_minutes(visit.category)
    HostApproval.objects.create(visit=visit, site=visit.site, asked_at=at, due_at=at + timedelta(minutes=minutes))
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.AWAITING_HOST, at=at, by=actor)
    audit.record(
        site=visit.site,
        actor=actor,
        action="visit.await_host",
        obj=visit,
        changes={"status": visit.status, "host": visit.host_id, "minutes": minutes},
        client_address=client_address,
        at=at,
    )
    ask_host_to_approve(visit, due_at=at + timedelta(minutes=minutes))


def _alert(*, visit: Visit, entry: WatchlistEntry, actor, client_address: str | None, at: datetime) -> None:
    """Issue #19: an ALERT match lets the arrival proceed; security hears of it at once."""
    audit.record(
        site=visit.site,
        actor=actor,
        action="visit.watchlist_alert",
        obj=visit,
        changes={"watchlist_entry": entry.pk, "level": entry.level},
        client_address=client_address,
        at=at,
    )
    announce_to_security(visit)


@transaction.atomic
def register_visit(
    *,
    visit: Visit,
    visitor: Visitor,
    by,
    arrive_now: bool,
    override_reason: str = "",
    night_facts: NightFacts | None = None,
    client_address: str | None = None,
    at: datetime | None = None,
    audit_details: dict | None = None,
    consent: ConsentWay | None = None,
) -> Visit:
    """Register a visit (R6.7) and, for a walk-in, check it in at once.

    Guarantees: the room is allowed for the category (R1.3); a walk-in is
    placed in a room (R1.3) that has space; the visitor is not already on
    site; inside the night window only the night-duty officer registers a
    walk-in, and records its `night_facts` (R6.8). The visitor, visit, first
    timeline steps and its one audit event (with `audit_details` added, e.g.
    which kiosk) are saved together or not at all, with the visitor's
    acceptance of the privacy notice when `consent` says how it was given (R4.1).
    A walk-in who matches a DENY watchlist entry is registered pending
    security instead of checked in (issue #19; see visitors.watchlist); one
    whose category or site needs the host's approval is registered waiting
    for the host, who is asked at once (issue #19 A13; visitors.approvals).
    """
    at = at or timezone.now()
    visit.site = visit.category.site
    check_room_allowed(room=visit.room, category=visit.category)
    check_id_document(visitor=visitor, site=visit.site)
    if arrive_now:
        # Before anything is locked or saved; its answer is recorded by _arrive below.
        override = check_night_duty(site=visit.site, user=by, at=at, override_reason=override_reason)
        check_night_facts(site=visit.site, at=at, facts=night_facts)
        check_room_chosen(room=visit.room, visit=visit)
        visit.room = lock_room(visit.room)
        check_not_on_site(visitor=visitor, site=visit.site)
        check_room_space(room=visit.room, visit=visit)
    # Issue #19: the one watchlist query, once every other rule has passed.
    listed = watchlist.match(visit.site, visitor, at=at) if arrive_now else None
    held = watchlist.holds(listed)
    # Issue #19 (A13): a walk-up the host must approve waits for them; a
    # watchlist hold comes first (security's clearance lets them in).
    awaits = arrive_now and not held and visit.site.needs_host_approval(visit.category)
    arrives = arrive_now and not held and not awaits
    visitor.save()
    visit.visitor = visitor
    visit.registered_by = by if getattr(by, "pk", None) else None
    visit.registered_at = at
    if arrives:
        _arrive(visit=visit, by=visit.registered_by, at=at, override=override, facts=night_facts)
    elif held:
        visit.status = VisitStatus.PENDING_SECURITY
    elif awaits:
        # The night facts are the night officer's at registration; the arrival reads them back.
        _note_night_facts(visit=visit, at=at, override=override, facts=night_facts)
        visit.status = VisitStatus.AWAITING_HOST
    visit.save()
    kinds = [VisitEvent.Kind.REGISTERED, VisitEvent.Kind.ARRIVED] if arrives else [VisitEvent.Kind.REGISTERED]
    VisitEvent.objects.bulk_create(VisitEvent(visit=visit, kind=kind, at=at, by=visit.registered_by) for kind in kinds)
    if consent:
        accepted = privacy.new_consent(visit=visit, way=consent, by=visit.registered_by, at=at)
        accepted.save()  # a new visit has none yet
        audit_details = {**(audit_details or {}), "privacy_notice": accepted.notice_version}
    audit.record(
        site=visit.site,
        actor=visit.registered_by,
        action="visit.register",
        obj=visit,
        changes={
            "visitor": visitor.pk,
            "category": visit.category.code,
            "room": visit.room.name if visit.room else None,
            "host": visit.host_id,
            "status": visit.status,
            "source": visit.source,
            **_night_changes(visit),
            **(audit_details or {}),
        },
        client_address=client_address,
        at=at,
    )
    # Issue #21: the integrations hear of it once this commits.
    webhooks.emit(visit, WebhookEvent.REGISTERED, *([WebhookEvent.CHECKED_IN] if arrives else []), at=at)
    if held:
        _hold(visit=visit, entry=listed, actor=visit.registered_by, client_address=client_address, at=at)
        return visit
    if listed is not None:
        _alert(visit=visit, entry=listed, actor=visit.registered_by, client_address=client_address, at=at)
    if awaits:
        _await_host(visit=visit, actor=visit.registered_by, client_address=client_address, at=at)
    elif arrives:
        announce_arrival(visit)  # R3.2: the host is told once this commits
    return visit


def _placed_for_arrival(*, visit: Visit, actor, room, override_reason: str, night_facts, at: datetime):
    """The rules every arrival of a registered visit passes, with the visit
    locked: who may at night and the night facts (R6.8), the room allowed with
    space (R1.3), not already on site. Sets visit.room (locked); returns
    (whether `room` placed it, the night override to record)."""
    # Who may, and the night facts, before anything is locked: their answers are recorded by _arrive.
    override = check_night_duty(site=visit.site, user=actor, at=at, override_reason=override_reason)
    check_night_facts(site=visit.site, at=at, facts=night_facts)
    placed = visit.room is None and room is not None
    if visit.room is not None and room is not None and room.pk != visit.room_id:
        raise ReceptionError(
            "room_registered",
            _("This visit is registered for %(room)s; amend the visit to receive it elsewhere.")
            % {"room": visit.room.display_name},
            field="room",
        )
    check_room_chosen(room=visit.room or room, visit=visit)
    check_room_allowed(room=visit.room or room, category=visit.category)
    visit.room = lock_room(visit.room or room)
    check_not_on_site(visitor=visit.visitor, site=visit.site, exclude=visit)
    check_room_space(room=visit.room, visit=visit)
    return placed, override


def admit(
    *,
    visit: Visit,
    by,
    at: datetime,
    room: ReceptionRoom | None = None,
    override_reason: str = "",
    night_facts: NightFacts | None = None,
) -> dict:
    """The arrival of a registered visit that was waiting at the door (a
    walk-up approved by its host, issue #19 A13), by the rules of every
    check-in (R1.3 room with space, R6.8 night duty and facts). The caller
    holds `visit` locked, inside its transaction, and records the decision.
    Returns the arrival's changes for the caller's audit event."""
    placed, override = _placed_for_arrival(
        visit=visit, actor=by, room=room, override_reason=override_reason, night_facts=night_facts, at=at
    )
    _arrive(visit=visit, by=by, at=at, override=override, facts=night_facts)
    visit.save()
    webhooks.emit(visit, WebhookEvent.CHECKED_IN, at=at)  # issue #21: as every other arrival
    return {"status": visit.status, **({"room": visit.room.name} if placed else {}), **_night_changes(visit)}


@transaction.atomic
def check_in_visit(
    *,
    visit: Visit,
    by,
    room: ReceptionRoom | None = None,
    override_reason: str = "",
    night_facts: NightFacts | None = None,
    client_address: str | None = None,
    at: datetime | None = None,
    consent: ConsentWay | None = None,
    audit_details: dict | None = None,
) -> Visit:
    """Check an expected visit in.

    Guarantees: the visitor is placed in a room allowed for the category with
    space (R1.3): the registered room, or `room` when the registration left it
    open (an invitation's "decide on arrival"); inside the night window only
    the night-duty officer checks in, and records the `night_facts` (R6.8).
    Locks the visit row, so two desks (or the desk and a kiosk) checking the
    same visitor in at once produce one arrival. `consent` records how the
    visitor accepted the privacy notice, unless they already had for this
    visit (R4.1). A visitor who matches a DENY watchlist entry is held
    pending security instead, the room left as registered (issue #19).
    `audit_details` are added to the audit event (e.g. which API token)."""
    at = at or timezone.now()
    visit = Visit.objects.select_for_update().select_related("site", "category", "visitor").get(pk=visit.pk)
    if visit.status != VisitStatus.EXPECTED:
        raise ReceptionError(
            "not_expected",
            _("This visit is %(status)s; only expected visits can be checked in.")
            % {"status": visit.get_status_display().lower()},
        )
    actor = by if getattr(by, "pk", None) else None
    registered_room = visit.room
    placed, override = _placed_for_arrival(
        visit=visit, actor=actor, room=room, override_reason=override_reason, night_facts=night_facts, at=at
    )
    listed = watchlist.match(visit.site, visit.visitor, at=at)
    if consent:
        privacy.record_consent(visit=visit, way=consent, by=actor, at=at)
    if watchlist.holds(listed):
        # Security clears it into the room then (clear_hold); until then it is in no room.
        visit.room = registered_room
        visit.status = VisitStatus.PENDING_SECURITY
        visit.save(update_fields=["status"])
        _hold(visit=visit, entry=listed, actor=actor, client_address=client_address, at=at)
        return visit
    _arrive(visit=visit, by=actor, at=at, override=override, facts=night_facts)
    visit.save()
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.ARRIVED, at=at, by=actor)
    audit.record(
        site=visit.site,
        actor=actor,
        action="visit.check_in",
        obj=visit,
        changes={
            "status": visit.status,
            **({"room": visit.room.name} if placed else {}),
            **_night_changes(visit),
            **(audit_details or {}),
        },
        client_address=client_address,
        at=at,
    )
    if listed is not None:
        _alert(visit=visit, entry=listed, actor=actor, client_address=client_address, at=at)
    webhooks.emit(visit, WebhookEvent.CHECKED_IN, at=at)  # issue #21
    announce_arrival(visit)  # R3.2: the host is told once this commits
    return visit


def _lock_hold(visit: Visit) -> tuple[Visit, SecurityHold]:
    visit = Visit.objects.select_for_update().select_related("site", "category", "visitor").get(pk=visit.pk)
    hold = SecurityHold.objects.select_for_update().filter(visit=visit).first()
    if visit.status != VisitStatus.PENDING_SECURITY or hold is None:
        raise ReceptionError(
            "not_held",
            _("This visit is %(status)s; only visits pending security can be cleared or refused.")
            % {"status": visit.get_status_display().lower()},
        )
    return visit, hold


@transaction.atomic
def clear_hold(
    *,
    visit: Visit,
    by,
    reason: str = "",
    room: ReceptionRoom | None = None,
    override_reason: str = "",
    night_facts: NightFacts | None = None,
    client_address: str | None = None,
    at: datetime | None = None,
) -> Visit:
    """Issue #19: security clears a visit held at arrival, and the arrival
    proceeds by the rules of every check-in (R1.3 room with space, R6.8 at
    night: the clearer must be the night-duty officer then). Locks the visit
    and its hold; a visit no longer pending is refused ("not_held"). The
    decision and the arrival are audited; the host is told as for any arrival."""
    at = at or timezone.now()
    visit, hold = _lock_hold(visit)
    placed, override = _placed_for_arrival(
        visit=visit, actor=by, room=room, override_reason=override_reason, night_facts=night_facts, at=at
    )
    _arrive(visit=visit, by=by, at=at, override=override, facts=night_facts)
    visit.save()
    hold.outcome, hold.decided_at, hold.decided_by, hold.reason = HoldOutcome.CLEARED, at, by, reason.strip()
    hold.save(update_fields=["outcome", "decided_at", "decided_by", "reason"])
    VisitEvent.objects.bulk_create(
        VisitEvent(visit=visit, kind=kind, at=at, by=by) for kind in (VisitEvent.Kind.CLEARED, VisitEvent.Kind.ARRIVED)
    )
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.clear",
        obj=visit,
        changes={
            "status": visit.status,
            "reason": hold.reason,
            **({"room": visit.room.name} if placed else {}),
            **_night_changes(visit),
        },
        client_address=client_address,
        at=at,
    )
    webhooks.emit(visit, WebhookEvent.CHECKED_IN, at=at)  # issue #21
    announce_arrival(visit)  # R3.2: the host is told once this commits
    return visit


@transaction.atomic
def refuse_hold(
    *, visit: Visit, by, reason: str, client_address: str | None = None, at: datetime | None = None
) -> Visit:
    """Issue #19: security refuses a visit held at arrival, with a reason
    (kept in the hold and the audit trail, not on the timeline the desk reads).
    Locks the visit and its hold; a visit no longer pending is refused."""
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ReceptionError("reason_required", _("Say why the visitor is refused."), field="reason")
    visit, hold = _lock_hold(visit)
    visit.status = VisitStatus.REFUSED
    visit.save(update_fields=["status"])
    hold.outcome, hold.decided_at, hold.decided_by, hold.reason = HoldOutcome.REFUSED, at, by, reason
    hold.save(update_fields=["outcome", "decided_at", "decided_by", "reason"])
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.REFUSED, at=at, by=by)
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.refuse",
        obj=visit,
        changes={"status": visit.status, "reason": reason},
        client_address=client_address,
        at=at,
    )
    return visit


@transaction.atomic
def check_out_visit(
    *,
    visit: Visit,
    by,
    override_reason: str = "",
    client_address: str | None = None,
    at: datetime | None = None,
    audit_details: dict | None = None,
) -> Visit:
    """Record the visitor leaving. At night only the night-duty officer signs it (R6.8);
    nobody signed in (the kiosk, an integration) may record a departure at any hour.
    `audit_details` are added to the audit event (e.g. which API token)."""
    at = at or timezone.now()
    visit = Visit.objects.select_for_update().select_related("site").get(pk=visit.pk)
    if visit.status != VisitStatus.ON_SITE:
        raise ReceptionError(
            "not_on_site",
            _("This visit is %(status)s; only visitors on site can be checked out.")
            % {"status": visit.get_status_display().lower()},
        )
    actor = by if getattr(by, "pk", None) else None
    override = ""
    if actor is not None:
        override = check_night_duty(site=visit.site, user=actor, at=at, override_reason=override_reason)
    visit.check_out(by=actor, at=at)
    visit.save()
    # R6.8: the director's reason for signing in the night officer's place is kept.
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.LEFT, at=at, by=actor, note=override)
    changes = {
        "status": visit.status,
        **({"night_override_reason": override} if override else {}),
        **(audit_details or {}),
    }
    audit.record(
        site=visit.site,
        actor=actor,
        action="visit.check_out",
        obj=visit,
        changes=changes,
        client_address=client_address,
        at=at,
    )
    webhooks.emit(visit, WebhookEvent.CHECKED_OUT, at=at)  # issue #21
    return visit


def check_out_everyone(*, site: Site, by, client_address: str | None = None, at: datetime | None = None) -> int:
    """Closing time: check out every visitor still on site. Returns how many."""
    at = at or timezone.now()
    count = 0
    with transaction.atomic():
        for visit in Visit.objects.filter(site=site, status=VisitStatus.ON_SITE).order_by("pk"):
            check_out_visit(visit=visit, by=by, client_address=client_address, at=at)
            count += 1
    return count


@transaction.atomic
def close_expected_visit(
    *, visit: Visit, by, outcome: str, client_address: str | None = None, at: datetime | None = None
) -> Visit:
    """Cancel an expected visit or mark it a no-show."""
    at = at or timezone.now()
    if outcome not in (VisitStatus.CANCELLED, VisitStatus.NO_SHOW):
        raise ValueError(outcome)
    visit = Visit.objects.select_for_update().select_related("site").get(pk=visit.pk)
    if visit.status != VisitStatus.EXPECTED:
        raise ReceptionError(
            "not_expected",
            _("This visit is %(status)s; only expected visits can be cancelled or marked as no-show.")
            % {"status": visit.get_status_display().lower()},
        )
    visit.status = outcome
    visit.save(update_fields=["status"])
    kind = VisitEvent.Kind.CANCELLED if outcome == VisitStatus.CANCELLED else VisitEvent.Kind.NO_SHOW
    VisitEvent.objects.create(visit=visit, kind=kind, at=at, by=by)
    audit.record(
        site=visit.site,
        actor=by,
        action=f"visit.{outcome}",
        obj=visit,
        changes={"status": outcome},
        client_address=client_address,
        at=at,
    )
    return visit


# Reception steps of R1.4 that staff record by hand on the visit page.
MANUAL_STEPS = (
    VisitEvent.Kind.ESCORTED,
    VisitEvent.Kind.SEATED,
    VisitEvent.Kind.HOST_MET,
    VisitEvent.Kind.TALKS,
    VisitEvent.Kind.TOUR,
    VisitEvent.Kind.HOSPITALITY,
    VisitEvent.Kind.MATERIALS,  # R9.1: what was handed out, in the note
)


@transaction.atomic
def record_step(
    *, visit: Visit, kind: str, by, note: str = "", client_address: str | None = None, at: datetime | None = None
) -> VisitEvent:
    """Add a reception step (R1.4) to an on-site visit's timeline. A visitor
    of a category that requires an escort is seated only once the escort is
    recorded. Materials handed out (R9.1) are a step whose note names them:
    added to the record, never written into the registration (R6.4)."""
    at = at or timezone.now()
    visit = Visit.objects.select_for_update().select_related("site", "category").get(pk=visit.pk)
    if kind not in MANUAL_STEPS:
        raise ReceptionError("bad_step", _("That is not a reception step."))
    if visit.status != VisitStatus.ON_SITE:
        raise ReceptionError("not_on_site", _("Reception steps are recorded while the visitor is on site."))
    if kind == VisitEvent.Kind.MATERIALS and not note.strip():
        raise ReceptionError("materials_missing", _("Say which materials were handed out."), field="note")
    if (
        kind == VisitEvent.Kind.SEATED
        and visit.category.escort_required
        and not visit.events.filter(kind=VisitEvent.Kind.ESCORTED).exists()
    ):
        raise ReceptionError(
            "escort_first",
            _("%(category)s visitors are escorted to the room before they are seated: record the escort first.")
            % {"category": visit.category.display_name},
        )
    event = VisitEvent.objects.create(visit=visit, kind=kind, at=at, by=by, note=note)
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.step",
        obj=visit,
        changes={"step": kind, "note": note},
        client_address=client_address,
        at=at,
    )
    return event
