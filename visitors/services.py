"""Visit workflows: registration, check-in, check-out and the timeline.

Each function is one transaction that locks what it changes, checks the
reception rules, saves, and appends the audit event. A refusal raises
ReceptionError with a stable code and a translated message naming the reason
and the alternatives; nothing is saved half-way.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import Department, ReceptionRoom, Site, VisitorCategory, staff_label
from reception.night import check_night_duty
from visitors import audit
from visitors.models import Amendment, Visit, VisitEvent, Visitor, VisitStatus
from visitors.tasks import announce_arrival


def _names(rooms) -> str:
    return ", ".join(room.name for room in rooms) or _("none")


# A room's occupancy, as the R1.3 capacity rule counts it: the people and the
# parties on site in it. party_size is never null, so counting it counts the
# parties, read from visit_room_on_site_idx alone.
OCCUPANCY = {"people": Sum("party_size"), "parties": Count("party_size")}


def room_occupancy(room: ReceptionRoom) -> tuple[int, int]:
    """(people, parties) currently on site in the room."""
    agg = Visit.objects.filter(room=room, status=VisitStatus.ON_SITE).aggregate(**OCCUPANCY)
    return agg["people"] or 0, agg["parties"] or 0


def with_occupancy(rooms):
    """The rooms annotated with their `people` and `parties` on site now, the
    same counts as room_occupancy, in the same query (no query per room)."""
    on_site = Visit.objects.filter(room=OuterRef("pk"), status=VisitStatus.ON_SITE).order_by().values("room")
    return rooms.annotate(
        **{name: Coalesce(Subquery(on_site.annotate(n=count).values("n")), 0) for name, count in OCCUPANCY.items()}
    )


def rooms_with_space(category: VisitorCategory, party_size: int) -> list[ReceptionRoom]:
    """Rooms allowed for the category (R1.3) with space for the party right
    now, each carrying its `people` and `parties` (one query)."""
    return [
        room
        for room in with_occupancy(ReceptionRoom.objects.allowed_for(category))
        if not (room.exclusive and room.parties) and room.people + party_size <= room.capacity
    ]


def check_room_allowed(*, room: ReceptionRoom | None, category: VisitorCategory) -> None:
    """R1.3: a visit is received only in a room designated for its category."""
    if room is None:
        return
    if room.site_id != category.site_id or not room.allows(category):
        allowed = ReceptionRoom.objects.allowed_for(category)
        raise ReceptionError(
            "room_not_allowed",
            _("%(category)s visitors may not be received in %(room)s (R1.3). Allowed rooms: %(allowed)s.")
            % {"category": category.name, "room": room.name, "allowed": _names(allowed)},
            field="room",
        )


def check_room_space(*, room: ReceptionRoom | None, visit: Visit) -> None:
    """A room never holds more than its capacity, nor two parties if exclusive.

    The caller must hold a lock on the room row so two desks cannot both fill
    the last seats.
    """
    if room is None:
        return
    people, parties = room_occupancy(room)
    if room.exclusive and parties:
        reason = _("%(room)s is in exclusive use by another party.") % {"room": room.name}
    elif people + visit.party_size > room.capacity:
        reason = _("%(room)s has %(free)s of %(capacity)s places free; this party is %(size)s.") % {
            "room": room.name,
            "free": max(0, room.capacity - people),
            "capacity": room.capacity,
            "size": visit.party_size,
        }
    else:
        return
    others = [r for r in rooms_with_space(visit.category, visit.party_size) if r.pk != room.pk]
    raise ReceptionError(
        "room_full",
        _("%(reason)s Rooms with space: %(others)s.") % {"reason": reason, "others": _names(others)},
        field="room",
    )


def _lock_room(room: ReceptionRoom | None) -> ReceptionRoom | None:
    if room is None:
        return None
    return ReceptionRoom.objects.select_for_update().get(pk=room.pk)


def _check_not_on_site(*, visitor: Visitor, site: Site, exclude: Visit | None = None) -> None:
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


def _arrive(*, visit: Visit, by, at: datetime, override: str) -> None:
    """Check the visit in; `override` is what check_night_duty returned for `by`,
    which the caller has already asked (one roster read per arrival)."""
    if visit.site.in_night_window(at):
        visit.night_registration = True
        visit.night_override_reason = override
    visit.check_in(by=by, at=at)


@transaction.atomic
def register_visit(
    *,
    visit: Visit,
    visitor: Visitor,
    by,
    arrive_now: bool,
    override_reason: str = "",
    client_address: str | None = None,
    at: datetime | None = None,
    audit_details: dict | None = None,
) -> Visit:
    """Register a visit (R6.7) and, for a walk-in, check it in at once.

    Guarantees: the room is allowed for the category (R1.3) and has space;
    the visitor is not already on site; inside the night window only the
    night-duty officer registers (R6.8). The visitor, visit, first timeline
    steps and its one audit event (with `audit_details` added, e.g. which
    kiosk) are saved together or not at all.
    """
    at = at or timezone.now()
    visit.site = visit.category.site
    check_room_allowed(room=visit.room, category=visit.category)
    if arrive_now:
        # Before anything is locked or saved; its answer is recorded by _arrive below.
        override = check_night_duty(site=visit.site, user=by, at=at, override_reason=override_reason)
        visit.room = _lock_room(visit.room)
        _check_not_on_site(visitor=visitor, site=visit.site)
        check_room_space(room=visit.room, visit=visit)
    visitor.save()
    visit.visitor = visitor
    visit.registered_by = by if getattr(by, "pk", None) else None
    visit.registered_at = at
    if arrive_now:
        _arrive(visit=visit, by=visit.registered_by, at=at, override=override)
    visit.save()
    kinds = [VisitEvent.Kind.REGISTERED, VisitEvent.Kind.ARRIVED] if arrive_now else [VisitEvent.Kind.REGISTERED]
    VisitEvent.objects.bulk_create(VisitEvent(visit=visit, kind=kind, at=at, by=visit.registered_by) for kind in kinds)
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
            **(audit_details or {}),
        },
        client_address=client_address,
        at=at,
    )
    if arrive_now:
        announce_arrival(visit)  # R3.2: the host is told once this commits
    return visit


@transaction.atomic
def check_in_visit(
    *,
    visit: Visit,
    by,
    override_reason: str = "",
    client_address: str | None = None,
    at: datetime | None = None,
) -> Visit:
    """Check an expected visit in. Locks the visit row, so two desks (or the
    desk and a kiosk) checking the same visitor in at once produce one arrival."""
    at = at or timezone.now()
    visit = Visit.objects.select_for_update().select_related("site", "category", "visitor").get(pk=visit.pk)
    if visit.status != VisitStatus.EXPECTED:
        raise ReceptionError(
            "not_expected",
            _("This visit is %(status)s; only expected visits can be checked in.")
            % {"status": visit.get_status_display().lower()},
        )
    check_room_allowed(room=visit.room, category=visit.category)
    room = _lock_room(visit.room)
    _check_not_on_site(visitor=visit.visitor, site=visit.site, exclude=visit)
    check_room_space(room=room, visit=visit)
    actor = by if getattr(by, "pk", None) else None
    override = check_night_duty(site=visit.site, user=actor, at=at, override_reason=override_reason)
    _arrive(visit=visit, by=actor, at=at, override=override)
    visit.save()
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.ARRIVED, at=at, by=actor)
    audit.record(
        site=visit.site,
        actor=actor,
        action="visit.check_in",
        obj=visit,
        changes={"status": visit.status},
        client_address=client_address,
        at=at,
    )
    announce_arrival(visit)  # R3.2: the host is told once this commits
    return visit


@transaction.atomic
def check_out_visit(
    *,
    visit: Visit,
    by,
    override_reason: str = "",
    client_address: str | None = None,
    at: datetime | None = None,
) -> Visit:
    """Record the visitor leaving. At night only the night-duty officer signs it (R6.8)."""
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
    changes = {"status": visit.status, **({"night_override_reason": override} if override else {})}
    audit.record(
        site=visit.site,
        actor=actor,
        action="visit.check_out",
        obj=visit,
        changes=changes,
        client_address=client_address,
        at=at,
    )
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
    VisitEvent.Kind.SEATED,
    VisitEvent.Kind.HOST_MET,
    VisitEvent.Kind.TALKS,
    VisitEvent.Kind.TOUR,
    VisitEvent.Kind.HOSPITALITY,
)


@transaction.atomic
def record_step(
    *, visit: Visit, kind: str, by, note: str = "", client_address: str | None = None, at: datetime | None = None
) -> VisitEvent:
    """Add a reception step (R1.4) to an on-site visit's timeline."""
    at = at or timezone.now()
    visit = Visit.objects.select_for_update().select_related("site").get(pk=visit.pk)
    if kind not in MANUAL_STEPS:
        raise ReceptionError("bad_step", _("That is not a reception step."))
    if visit.status != VisitStatus.ON_SITE:
        raise ReceptionError("not_on_site", _("Reception steps are recorded while the visitor is on site."))
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


# --- R6.4: corrections are amendments ----------------------------------------------

# The registered facts a correction may change. The rest of the registration
# (site, when and by whom it was registered, its source and badge, the night
# signature of R6.8) is fixed for good. "visitor.<field>" corrects the visitor's
# identity on their own record; "visitor" moves the visit to another visitor.
AMENDABLE_FIELDS = (
    "category",
    "room",
    "host",
    "department",
    "purpose",
    "party_size",
    "expected_at",
    "expected_until",
    "meals",
    "lodging",
    "refreshments",
    "hospitality_notes",
    "materials",
    "id_sighted",
    "id_sighted_type",
    "host_contacted",
    "visitor",
    "visitor.full_name",
    "visitor.company",
    "visitor.phone",
    "visitor.email",
)


def amendable_field(name: str):
    """The model field behind an amendable name ("room", "visitor.phone")."""
    if name.startswith("visitor."):
        return Visitor._meta.get_field(name.removeprefix("visitor."))
    return Visit._meta.get_field(name)


def amendment_field_label(name: str) -> str:
    if name not in AMENDABLE_FIELDS:
        return name
    label = str(amendable_field(name).verbose_name)
    if name.startswith("visitor."):
        return _("visitor's %(field)s") % {"field": label}
    return label


def _amendment_targets(visit: Visit, name: str):
    """What a foreign-key amendment may point at: things of the visit's own site."""
    if name == "category":
        return VisitorCategory.objects.filter(site_id=visit.site_id)
    if name == "room":
        return ReceptionRoom.objects.filter(site_id=visit.site_id)
    if name == "department":
        return Department.objects.all()
    if name == "host":
        return get_user_model().objects.filter(is_active=True, profile__site_id=visit.site_id)
    return Visitor.objects.filter(anonymised_at__isnull=True)


def _clean_amended_value(visit: Visit, name: str, value: Any) -> Any:
    field = amendable_field(name)
    try:
        if field.is_relation:
            if value in (None, ""):
                if not field.null:
                    raise ValidationError(field.error_messages["null"])
                return None
            found = _amendment_targets(visit, name).filter(pk=getattr(value, "pk", value)).first()
            if found is None:
                raise ValidationError(_("That choice is not available at this site."))
            return found
        value = field.to_python(value)
        if isinstance(value, str):
            value = value.strip()
            if "\x00" in value:
                raise ValidationError(_("Null characters are not allowed."))
        if isinstance(value, datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value, visit.site.tzinfo)
        field.clean(value, None)
        if name == "party_size" and value < 1:
            raise ValidationError(_("A party has at least one person."))
    except (ValidationError, ValueError, TypeError) as error:
        detail = " ".join(error.messages) if isinstance(error, ValidationError) else _("Enter a valid value.")
        raise ReceptionError(
            "invalid_value",
            _("%(field)s: %(error)s") % {"field": amendment_field_label(name), "error": detail},
            field=name,
        ) from None
    return value


def _amendment_text(value: Any, site: Site) -> str:
    """How an amendment stores a value: readable on its own, years later."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return site.local(value).isoformat(timespec="minutes")
    if isinstance(value, Visitor):
        return f"#{value.pk}"  # never the name: amendments outlive anonymisation
    if isinstance(value, get_user_model()):
        return staff_label(value)
    return str(value)


def _check_space_after_amendment(*, visit: Visit, room: ReceptionRoom) -> None:
    """Like check_room_space, but the visit may already sit in the room."""
    others = (
        Visit.objects.filter(room=room, status=VisitStatus.ON_SITE)
        .exclude(pk=visit.pk)
        .aggregate(people=Sum("party_size"), parties=Count("pk"))
    )
    people, parties = others["people"] or 0, others["parties"] or 0
    if room.exclusive and parties:
        reason = _("%(room)s is in exclusive use by another party.") % {"room": room.name}
    elif people + visit.party_size > room.capacity:
        reason = _("%(room)s has %(free)s of %(capacity)s places free; this party is %(size)s.") % {
            "room": room.name,
            "free": max(0, room.capacity - people),
            "capacity": room.capacity,
            "size": visit.party_size,
        }
    else:
        return
    raise ReceptionError("room_full", reason, field="room")


def _check_amended_visit(visit: Visit, changed: set[str]) -> None:
    if changed & {"category", "room"}:
        try:
            check_room_allowed(room=visit.room, category=visit.category)
        except ReceptionError as refusal:
            if "room" not in changed:
                refusal.message = _("%(refusal)s Amend the room at the same time.") % {"refusal": refusal.message}
                refusal.field = "category"
            raise
    if visit.status == VisitStatus.ON_SITE and changed & {"room", "party_size"} and visit.room is not None:
        _check_space_after_amendment(visit=visit, room=_lock_room(visit.room))
    if visit.status == VisitStatus.ON_SITE and "visitor" in changed:
        _check_not_on_site(visitor=visit.visitor, site=visit.site, exclude=visit)
    if changed & {"expected_at", "expected_until"} and visit.expected_until is not None:
        if visit.expected_at is None or visit.expected_until <= visit.expected_at:
            raise ReceptionError(
                "window_backwards",
                _("The expected visit must end after it starts."),
                field="expected_until" if "expected_until" in changed else "expected_at",
            )


@transaction.atomic
def amend_visit_fields(
    *,
    visit: Visit,
    changes: dict[str, Any],
    reason: str,
    by,
    client_address: str | None = None,
    at: datetime | None = None,
) -> list[Amendment]:
    """R6.4: correct a registration by amendment; the original stays readable.

    Guarantees: only AMENDABLE_FIELDS change, each to a value valid for its
    field, and the amended visit still keeps the reception rules (a room allowed
    for its category, R1.3; space in the room for a visitor on site; one open
    visit per visitor; a window that ends after it starts). Each changed field
    becomes an Amendment holding the old and new value; the timeline gets one
    AMENDED step and the site's chain one audit event, which names the fields
    but holds no visitor's personal data. All of it or nothing. Several fields
    change together, so a kiosk walk-in is recategorised with its new room.
    """
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason or "\x00" in reason:
        raise ReceptionError("reason_required", _("Give the reason for the amendment."), field="reason")
    if len(reason) > Amendment._meta.get_field("reason").max_length:
        raise ReceptionError("reason_too_long", _("Keep the reason under 300 characters."), field="reason")
    refused = [name for name in changes if name not in AMENDABLE_FIELDS]
    if refused:
        raise ReceptionError(
            "not_amendable",
            _("%(fields)s cannot be amended.") % {"fields": ", ".join(sorted(map(str, refused)))},
        )
    visit = Visit.objects.select_for_update(of=("self",)).select_related("site", "category", "room").get(pk=visit.pk)
    visitor = Visitor.objects.select_for_update().get(pk=visit.visitor_id)
    if visitor.anonymised_at and any(name.startswith("visitor.") for name in changes):
        raise ReceptionError("anonymised", _("This visitor has been anonymised; their identity cannot be amended."))

    old_values: dict[str, Any] = {}
    new_values: dict[str, Any] = {}
    for name, value in changes.items():
        value = _clean_amended_value(visit, name, value)
        target, attr = (visitor, name.removeprefix("visitor.")) if name.startswith("visitor.") else (visit, name)
        old = getattr(target, attr)
        if old != value:
            old_values[name], new_values[name] = old, value
            setattr(target, attr, value)
    if not old_values:
        raise ReceptionError("no_change", _("The new values are the same as the registered ones; nothing to amend."))
    _check_amended_visit(visit, set(old_values))

    visit_fields = [name for name in old_values if not name.startswith("visitor.")]
    if visit_fields:
        with audit.sanctioned("lobby.amending"):
            visit.save(update_fields=visit_fields)
    visitor_fields = [name.removeprefix("visitor.") for name in old_values if name.startswith("visitor.")]
    if visitor_fields:
        visitor.save(update_fields=visitor_fields)

    amendments = [
        Amendment.objects.create(
            visit=visit,
            field=name,
            old_value=_amendment_text(old_values[name], visit.site),
            new_value=_amendment_text(new_values[name], visit.site),
            reason=reason,
            by=by,
            at=at,
        )
        for name in old_values
    ]
    labels = ", ".join(amendment_field_label(name) for name in old_values)
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.AMENDED, at=at, by=by, note=labels[:200])
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.amend",
        obj=visit,
        changes={
            "amendments": [amendment.pk for amendment in amendments],
            "fields": {
                amendment.field: (
                    None  # personal data stays in the amendment, which anonymisation can clear
                    if amendment.field.startswith("visitor.")
                    else {"old": amendment.old_value, "new": amendment.new_value}
                )
                for amendment in amendments
            },
        },
        client_address=client_address,
        at=at,
    )
    return amendments


def amend_visit(
    *,
    visit: Visit,
    field: str,
    new_value: Any,
    reason: str,
    by,
    client_address: str | None = None,
    at: datetime | None = None,
) -> Amendment:
    """R6.4: correct one registered fact; see amend_visit_fields."""
    return amend_visit_fields(
        visit=visit, changes={field: new_value}, reason=reason, by=by, client_address=client_address, at=at
    )[0]
