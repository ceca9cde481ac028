"""What the API takes and gives (issue #21). Personal data out is the least an
integration needs (R4.1): a visitor's name and company, never their phone or
ID number."""

from datetime import datetime
from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field

from reception.validators import validate_line_of_text


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
