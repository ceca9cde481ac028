"""What the API takes and gives (issue #21). Personal data out is the least an
integration needs (R4.1): a visitor's name and company, never their phone or
ID number."""

from datetime import datetime
from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field

from reception.models import staff_label
from reception.validators import validate_line_of_text
from visitors import models


def _line(value: str) -> str:
    # The desk's one free-text rule (reception.validators), and NUL, which
    # PostgreSQL refuses where SQLite stores it.
    if "\x00" in value:
        raise ValueError("null characters are not allowed")
    try:
        validate_line_of_text(value)
    except DjangoValidationError as error:
        raise ValueError(str(error.messages[0])) from None
    return value.strip()


def _email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError as error:
        raise ValueError(str(error.messages[0])) from None
    return value


# Ids as the database holds them (BigAutoField): a larger number is no id, and
# would overflow the query rather than miss.
LARGEST_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=LARGEST_ID)]


def Line(max_length: int, min_length: int = 0):  # noqa: N802 - a type, read like one
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_line)]


class Error(Schema):
    code: str = Field(description="Stable: the reception rule's code, or unauthorized, scope_missing, invalid, …")
    field: str | None = Field(description="The input at fault, if one is")
    message: str = Field(description="Why, in the request's language (Accept-Language)")


class Named(Schema):
    id: int
    name: str


class Category(Schema):
    id: int
    code: str
    name: str


class Person(Schema):
    id: int
    label: str = Field(description='"Department-Name" (R3.1)')


class VisitorBrief(Schema):
    id: int
    full_name: str
    company: str


class Visit(Schema):
    id: int
    status: str
    source: str
    badge_code: str
    visitor: VisitorBrief
    category: Category
    host: Person | None
    room: Named | None
    purpose: str
    party_size: int
    expected_at: datetime | None
    expected_until: datetime | None
    registered_at: datetime
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    acknowledged_at: datetime | None
    night_registration: bool


def visit_out(visit: models.Visit) -> dict:
    """A visit as schemas.Visit gives it, read with Visit.objects.with_people()
    (no further query). The API's answers and the webhooks' events (issue #21)
    both use this one shape."""
    return {
        "id": visit.pk,
        "status": visit.status,
        "source": visit.source,
        "badge_code": visit.badge_code,
        "visitor": {"id": visit.visitor_id, "full_name": visit.visitor.full_name, "company": visit.visitor.company},
        "category": {"id": visit.category_id, "code": visit.category.code, "name": visit.category.display_name},
        "host": {"id": visit.host_id, "label": staff_label(visit.host)} if visit.host_id else None,
        "room": {"id": visit.room_id, "name": visit.room.display_name} if visit.room_id else None,
        "purpose": visit.purpose,
        "party_size": visit.party_size,
        "expected_at": visit.expected_at,
        "expected_until": visit.expected_until,
        "registered_at": visit.registered_at,
        "checked_in_at": visit.checked_in_at,
        "checked_out_at": visit.checked_out_at,
        "acknowledged_at": visit.acknowledged_at,
        "night_registration": visit.night_registration,
    }


class VisitPage(Schema):
    items: list[Visit]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class ExpectedVisitIn(Schema):
    """An expected visit, made as an invitation: the visitor gets its email."""

    email: Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_email)]
    full_name: Line(120, 1)
    company: Line(120) = ""
    category: Id = Field(description="A visitor category id of the token's site")
    host: Id = Field(description="The host's user id (see /hosts)")
    purpose: Line(200, 1)
    party_size: int = Field(1, ge=1, le=200)
    expected_at: AwareDatetime
    expected_until: AwareDatetime | None = None
    room: Id | None = Field(None, description="A room id; null to decide on arrival")


class Invitation(Schema):
    code: str
    expires_at: datetime
    visit: Visit


class Room(Schema):
    id: int
    name: str
    capacity: int
    exclusive: bool
    any_category: bool
    active: bool
    categories: list[str] = Field(description="Codes of the categories received (R1.3)")
    people: int = Field(description="People on site in the room now")
    parties: int = Field(description="Parties on site in the room now")


class VisitorFound(Schema):
    id: int
    full_name: str
    company: str
    last_visit_at: datetime | None
    last_host: Person | None


class Erasure(Schema):
    id: int = Field(description="The visitor's id")
    erased: bool = Field(description="False if their identity had been erased already (nothing was written)")
    anonymised_at: datetime


class AuditEvent(Schema):
    """Every field the chain's hash covers (visitors.audit), so a client can
    recompute each hash and check each link."""

    site: int
    seq: int
    at: datetime
    actor: int | None
    actor_label: str
    role: str
    action: str
    object_type: str
    object_id: str
    changes: dict
    client_address: str | None
    prev_hash: str
    hash: str


class AuditPage(Schema):
    items: list[AuditEvent]
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last")
