"""The API's operations (issue #21). Each reads top to bottom like a desk view:
the token's scope → the token's site → input → selector or service → answer.
Another site's object answers 404, as if it did not exist."""

import base64
import binascii
from datetime import date, datetime
from typing import Literal

from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Router, Status

from reception.models import ApiScope, ReceptionRoom, VisitorCategory, staff_label
from reception.security import client_ip
from visitors import invitations, privacy, selectors, services
from visitors.api import schemas
from visitors.api.auth import TokenAuth, audit_details
from visitors.api.errors import REFUSALS, ApiRefusal, install
from visitors.api.schemas import visit_out
from visitors.forms import LogFilterForm, in_log_order, staff_at
from visitors.models import AuditEvent, Visit, Visitor, VisitStatus

api = NinjaAPI(
    title="Lobby API",
    version="1",
    description="Visits, rooms, hosts, visitors and the audit trail of one site, for integrations (issue #21).",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install(api)
router = Router()

# Each operation opens to one scope of the token (reception.models.ApiScope).
READ = TokenAuth(ApiScope.READ_VISITS)
WRITE = TokenAuth(ApiScope.WRITE_VISITS)
ON_SITE = TokenAuth(ApiScope.ON_SITE_LIST)
ERASE = TokenAuth(ApiScope.ERASE_VISITORS)
AUDIT = TokenAuth(ApiScope.READ_AUDIT)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
SEARCH_RESULTS = 20


def _refuses(ok):
    return {200: ok, REFUSALS: schemas.Error}


def _visit(site, **lookups) -> Visit:
    return get_object_or_404(Visit.objects.with_people(), site=site, **lookups)


def _invalid(field: str, message) -> ApiRefusal:
    return ApiRefusal(422, "invalid", str(message), field=field)


# --- visits -------------------------------------------------------------------------


def _encode_cursor(visit: Visit) -> str:
    return base64.urlsafe_b64encode(f"{visit.day_at.isoformat()}|{visit.pk}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        day, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment = datetime.fromisoformat(day)
        if moment.tzinfo is None:
            raise ValueError(day)
        return moment, int(pk)
    except (ValueError, UnicodeError, binascii.Error):
        raise _invalid("cursor", _("This cursor is not one the API gave.")) from None


@router.get("/visits", response=_refuses(schemas.VisitPage), url_name="visits", auth=READ)
def list_visits(
    request,
    q: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    category: schemas.Id | None = None,
    room: schemas.Id | None = None,
    host: schemas.Id | None = None,
    status: Literal[tuple(VisitStatus.values)] | None = None,
    cursor: str | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
):
    """The visitor log with its filters (as the desk's log), newest first, a page
    at a time: follow `next_cursor`. The page's cost does not grow with `limit`."""
    site = request.auth.site
    given = {"q": q, "date_from": date_from, "date_to": date_to, "category": category, "room": room, "host": host}
    data = {name: str(value) for name, value in {**given, "status": status}.items() if value not in (None, "")}
    form = LogFilterForm(data or None, site=site)
    if data and not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        raise _invalid(name, errors[0])
    visits = form.apply(Visit.objects.for_site(site), site=site)
    if cursor:
        day, pk = _decode_cursor(cursor)
        visits = visits.filter(Q(day_at__lt=day) | Q(day_at=day, pk__lt=pk))
    # The page's ids first, then its rows with their people by id, as the
    # desk's log does (LogPaginator): PostgreSQL took longer to plan the
    # search joined to five tables than to run it (issue #24).
    ids = list(visits.values_list("pk", flat=True)[: limit + 1])
    more = len(ids) > limit
    rows = in_log_order(Visit.objects.filter(pk__in=ids[:limit])).select_related(
        "visitor", "category", "room", "host__profile__department"
    )
    page = list(rows)
    return {"items": [visit_out(v) for v in page], "next_cursor": _encode_cursor(page[-1]) if more else None}


@router.get("/visits/{visit_id}", response=_refuses(schemas.Visit), url_name="visit", auth=READ)
def read_visit(request, visit_id: schemas.Id):
    site = request.auth.site
    return visit_out(_visit(site, pk=visit_id))


def _of_site(model, site, pk: int | None, field: str):
    if pk is None:
        return None
    found = model.objects.filter(site=site, pk=pk).first()
    if found is None:
        raise ApiRefusal(400, "wrong_site", _("Choose one of this site's."), field=field)
    return found


@router.post(
    "/visits", response={201: schemas.Invitation, REFUSALS: schemas.Error}, url_name="create_visit", auth=WRITE
)
def create_visit(request, payload: schemas.ExpectedVisitIn):
    """Register an expected visit: an invitation, emailed to the visitor, with
    the same rules as the desk's (R1.3 the room is allowed for the category)."""
    site = request.auth.site
    category = _of_site(VisitorCategory, site, payload.category, "category")
    room = _of_site(ReceptionRoom, site, payload.room, "room")
    host = staff_at(site).filter(pk=payload.host).first()
    invitation = invitations.create_invitation(
        site=site,
        by=None,
        email=payload.email,
        full_name=payload.full_name,
        company=payload.company,
        category=category,
        host=host,
        purpose=payload.purpose,
        party_size=payload.party_size,
        expected_at=payload.expected_at,
        expected_until=payload.expected_until,
        room=room,
        client_address=client_ip(request),
        audit_details=audit_details(request),
    )
    visit = _visit(site, pk=invitation.visit_id)
    return Status(201, {"code": invitation.code, "expires_at": invitation.expires_at, "visit": visit_out(visit)})


def _check_in(request, site, lookups: dict, room_id: int | None) -> dict:
    visit = _visit(site, **lookups)
    room = _of_site(ReceptionRoom, site, room_id, "room")
    # Nobody signed in: at night services refuse it (R6.8, the night-duty officer registers).
    services.check_in_visit(
        visit=visit, by=None, room=room, client_address=client_ip(request), audit_details=audit_details(request)
    )
    return visit_out(_visit(site, pk=visit.pk))


def _check_out(request, site, lookups: dict) -> dict:
    visit = _visit(site, **lookups)
    services.check_out_visit(
        visit=visit, by=None, client_address=client_ip(request), audit_details=audit_details(request)
    )
    return visit_out(_visit(site, pk=visit.pk))


@router.post("/visits/{visit_id}/check-in", response=_refuses(schemas.Visit), url_name="check_in", auth=WRITE)
def check_in(request, visit_id: schemas.Id, room: schemas.Id | None = None):
    site = request.auth.site
    return _check_in(request, site, {"pk": visit_id}, room)


@router.post("/badges/{code}/check-in", response=_refuses(schemas.Visit), url_name="check_in_by_badge", auth=WRITE)
def check_in_by_badge(request, code: str, room: schemas.Id | None = None):
    site = request.auth.site
    return _check_in(request, site, {"badge_code": code.strip().upper()[:12]}, room)


@router.post("/visits/{visit_id}/check-out", response=_refuses(schemas.Visit), url_name="check_out", auth=WRITE)
def check_out(request, visit_id: schemas.Id):
    site = request.auth.site
    return _check_out(request, site, {"pk": visit_id})


@router.post("/badges/{code}/check-out", response=_refuses(schemas.Visit), url_name="check_out_by_badge", auth=WRITE)
def check_out_by_badge(request, code: str):
    site = request.auth.site
    return _check_out(request, site, {"badge_code": code.strip().upper()[:12]})


@router.get("/on-site", response=_refuses(list[schemas.Visit]), url_name="on_site", auth=ON_SITE)
def on_site(request):
    """Everyone on site now, in order of arrival: the evacuation list."""
    site = request.auth.site
    visits = Visit.objects.for_site(site).on_site().with_people().order_by("checked_in_at", "pk")
    return [visit_out(v) for v in visits]


# --- rooms, hosts, visitors -------------------------------------------------------------


@router.get("/rooms", response=_refuses(list[schemas.Room]), url_name="rooms", auth=READ)
def rooms(request):
    """The site's rooms with the people and parties in each now (R1.3)."""
    site = request.auth.site
    found = selectors.with_occupancy(ReceptionRoom.objects.filter(site=site)).prefetch_related("categories")
    return [
        {
            "id": room.pk,
            "name": room.display_name,
            "capacity": room.capacity,
            "exclusive": room.exclusive,
            "any_category": room.any_category,
            "active": room.active,
            "categories": sorted(category.code for category in room.categories.all()),
            "people": room.people,
            "parties": room.parties,
        }
        for room in found
    ]


def _term(value: str | None, longest: int) -> str:
    return (value or "").strip()[:longest].replace("\x00", "")


@router.get("/hosts", response=_refuses(list[schemas.Person]), url_name="hosts", auth=READ)
def hosts(request, q: str | None = None):
    """The site's active staff, as "Department-Name" (R3.1), found by real
    name, department or account name."""
    site = request.auth.site
    term = _term(q, 80)
    staff = staff_at(site)
    if term:
        staff = staff.filter(
            Q(profile__real_name__icontains=term)
            | Q(profile__department__name__icontains=term)
            | Q(profile__department__name_zh__icontains=term)
            | Q(username__icontains=term)
        )
    return [{"id": user.pk, "label": staff_label(user)} for user in staff[:SEARCH_RESULTS]]


@router.get("/visitors", response=_refuses(list[schemas.VisitorFound]), url_name="visitors", auth=READ)
def visitors(request, phone: str | None = None, name: str | None = None):
    """This site's visitors (R4.1) found by phone (3 characters or more) or
    name (2 or more), most recent visit first, with their last host (R2.4)."""
    site = request.auth.site
    phone, name = _term(phone, 40), _term(name, 120)
    if len(phone) < 3 and len(name) < 2:
        raise _invalid("phone", _("Search by at least 3 digits of a phone number or 2 letters of a name."))
    last = Visit.objects.filter(site=site, visitor=OuterRef("pk")).order_by("-registered_at", "-pk")
    found = Visitor.objects.for_site(site).identified()
    found = found.filter(phone__icontains=phone) if len(phone) >= 3 else found.filter(full_name__icontains=name)
    rows = list(
        found.annotate(last_at=Subquery(last.values("registered_at")[:1]), last_host=Subquery(last.values("host")[:1]))
        .order_by("-last_at", "pk")
        .values("pk", "full_name", "company", "last_at", "last_host")[:SEARCH_RESULTS]
    )
    labels = {user.pk: staff_label(user) for user in staff_at(site).filter(pk__in={r["last_host"] for r in rows})}
    return [
        {
            "id": row["pk"],
            "full_name": row["full_name"],
            "company": row["company"],
            "last_visit_at": row["last_at"],
            "last_host": {"id": row["last_host"], "label": labels[row["last_host"]]}
            if row["last_host"] in labels
            else None,
        }
        for row in rows
    ]


@router.post(
    "/visitors/{visitor_id}/erasure-request",
    response=_refuses(schemas.Erasure),
    url_name="erase_visitor",
    auth=ERASE,
)
def erasure_request(request, visitor_id: schemas.Id):
    """Erase a visitor's identity on their request (R4.1), as the office
    manager's erasure page does: name, company, phone, email, ID document and
    notes are overwritten at once, the visits stay, anonymised. Refused while
    they are on site (`on_site`) or a visit is under legal hold (`legal_hold`).
    Audited with the token as the actor; asking again changes nothing."""
    site = request.auth.site
    visitor = get_object_or_404(Visitor.objects.for_site(site), pk=visitor_id)
    erased = privacy.erase_visitor(
        visitor=visitor, by=None, client_address=client_ip(request), audit_details=audit_details(request)
    )
    visitor.refresh_from_db(fields=["anonymised_at"])
    return {"id": visitor.pk, "erased": erased, "anonymised_at": visitor.anonymised_at}


# --- the audit trail --------------------------------------------------------------------


@router.get("/audit-events", response=_refuses(schemas.AuditPage), url_name="audit_events", auth=AUDIT)
def audit_events(
    request,
    after: int = Query(0, ge=0, le=schemas.LARGEST_ID),
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
):
    """The site's hash-chained audit trail (R6.4) in order, after sequence number
    `after`: each event with every field its hash covers, to verify the chain."""
    site = request.auth.site
    events = list(AuditEvent.objects.filter(site=site, seq__gt=after).order_by("seq")[: limit + 1])
    more = len(events) > limit
    events = events[:limit]
    items = [
        {
            "site": event.site_id,
            "seq": event.seq,
            "at": event.at,
            "actor": event.actor_id,
            "actor_label": event.actor_label,
            "role": event.role,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "changes": event.changes,
            "client_address": event.client_address,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }
        for event in events
    ]
    return {"items": items, "next_after": events[-1].seq if more else None}


api.add_router("", router)
