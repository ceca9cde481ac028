"""R6.4: a registration is corrected by amendment, never in place.

Each changed fact becomes an Amendment holding its old and new value; the
amended visit must still keep the reception rules that visitors.services
enforces at registration (R1.3 rooms and their space, one open visit per
visitor), so those checks are shared from there, not restated here.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import Department, ReceptionRoom, Site, VisitorCategory, WebhookEvent, staff_label
from reception.validators import EXPECTED_VISIT
from visitors import audit, webhooks
from visitors.models import Amendment, Visit, VisitEvent, Visitor, VisitStatus
from visitors.services import check_not_on_site, check_room_allowed, lock_room, room_space_refusal

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
    return Visitor.objects.identified()


def _clean_amended_value(visit: Visit, name: str, value: Any, *, at: datetime) -> Any:
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
    if name in ("expected_at", "expected_until") and value is not None:
        # The form's range again: a moment out of it could not be read back (issue #15).
        EXPECTED_VISIT.check(value, at=at, field=name)
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
    # Rooms, categories and departments by their primary (English) name, as
    # the audit trail names them: a record does not change with the reader's
    # language, nor with the clerk's (issue #16 item 14).
    with translation.override("en"):
        if isinstance(value, get_user_model()):
            return staff_label(value)
        return str(value)


def _check_space_after_amendment(*, visit: Visit, room: ReceptionRoom) -> None:
    """Like check_room_space, but the visit may already sit in the room."""
    reason = room_space_refusal(room=room, visit=visit, exclude=visit)
    if reason is not None:
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
        _check_space_after_amendment(visit=visit, room=lock_room(visit.room))
    if visit.status == VisitStatus.ON_SITE and "visitor" in changed:
        check_not_on_site(visitor=visit.visitor, site=visit.site, exclude=visit)
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
        value = _clean_amended_value(visit, name, value, at=at)
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
    webhooks.emit(visit, WebhookEvent.AMENDED, at=at)  # issue #21
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
