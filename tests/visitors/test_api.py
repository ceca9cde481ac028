"""The integrations' API at /api/v1/ (issue #21): tokens, scopes, the site
restriction, the reception rules through the desk's services, audited writes
and errors as JSON {code, field, message}."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from reception.models import ApiScope, ApiToken
from tests.visitors.api_tokens import bearer, make_token
from tests.visitors.desk import expect, walk_in
from visitors import audit, privacy, services
from visitors.models import AuditEvent, Invitation, Visit, Visitor, VisitStatus
from visitors.ratelimit import Limit


@pytest.fixture(autouse=True)
def _day(daytime):
    """Friday 10:00, outside the R6.8 night window, unless a test moves the clock."""


@pytest.fixture
def secret(site, manager):
    """Every scope, at the headquarters."""
    return make_token(site=site, by=manager)


@pytest.fixture
def zhou(clerk, business, business_room, host):
    """Zhou Jie, on site in the Business Room."""
    return walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)


@pytest.fixture
def guest(clerk, business, business_room, host):
    """An expected guest at 10:30 today."""
    return expect(category=business, room=business_room, by=clerk, host=host, expected_at="2026-11-27 10:30:00+08:00")


@pytest.fixture
def river_visit(other_site, other_clerk):
    """A visitor on site at the river branch."""
    from reception.models import ReceptionRoom, VisitorCategory

    category = VisitorCategory.objects.create(site=other_site, code="B", name="Business")
    room = ReceptionRoom.objects.create(site=other_site, name="River Room", capacity=6)
    room.categories.set([category])
    return walk_in(category=category, room=room, by=other_clerk, name="Lin Tao")


def get(client, path, secret, **params):
    return client.get(f"/api/v1{path}", params, **bearer(secret))


def post(client, path, secret, payload=None, **headers):
    return client.post(
        f"/api/v1{path}", json.dumps(payload or {}), content_type="application/json", **bearer(secret), **headers
    )


# --- tokens --------------------------------------------------------------------


def test_a_request_without_a_token_is_refused_as_json(client, zhou):
    response = client.get("/api/v1/visits")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthorized"


def test_a_signed_in_desk_session_does_not_open_the_api(client, clerk, zhou):
    client.force_login(clerk)

    assert client.get("/api/v1/visits").status_code == 401


def test_a_revoked_token_is_refused(client, site, zhou, secret):
    ApiToken.objects.update(revoked_at=timezone.now())

    assert get(client, "/visits", secret).status_code == 401


def test_an_expired_token_is_refused(client, site, zhou):
    secret = make_token(site=site, expires_at=timezone.now() - timedelta(seconds=1))

    assert get(client, "/visits", secret).status_code == 401


def test_a_token_not_yet_expired_is_accepted_and_its_use_noted(client, site, zhou):
    secret = make_token(site=site, expires_at=timezone.now() + timedelta(days=1))

    assert get(client, "/visits", secret).status_code == 200
    assert ApiToken.objects.get().last_used_at == timezone.now()


def test_a_forged_token_is_refused(client, site, secret):
    assert get(client, "/visits", secret[:-2] + "xx").status_code == 401
    assert get(client, "/visits", "not-even-ours").status_code == 401


def test_only_the_digest_of_the_secret_is_stored(site, secret):
    token = ApiToken.objects.get()

    assert secret not in json.dumps([token.prefix, token.digest, token.name])
    assert secret.startswith(token.prefix)


def test_each_token_is_rate_limited_on_its_own(client, settings, site, secret):
    settings.PUBLIC_RATE_LIMITS = {"api": Limit(per_device=2, per_address=None)}
    other = make_token(site=site, name="Calendar")

    answers = [get(client, "/rooms", secret).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    refusal = get(client, "/rooms", secret)
    assert refusal.json()["code"] == "rate_limited" and refusal["Retry-After"]
    assert get(client, "/rooms", other).status_code == 200


# --- scopes × endpoints -------------------------------------------------------------

# Every operation and the one scope that opens it.
OPERATIONS = [
    ("get", "/visits", ApiScope.READ_VISITS),
    ("get", "/visits/{visit}", ApiScope.READ_VISITS),
    ("get", "/rooms", ApiScope.READ_VISITS),
    ("get", "/hosts", ApiScope.READ_VISITS),
    ("get", "/visitors?name=Zh", ApiScope.READ_VISITS),
    ("post", "/visits", ApiScope.WRITE_VISITS),
    ("post", "/visits/{visit}/check-in", ApiScope.WRITE_VISITS),
    ("post", "/visits/{visit}/check-out", ApiScope.WRITE_VISITS),
    ("post", "/badges/{badge}/check-in", ApiScope.WRITE_VISITS),
    ("post", "/badges/{badge}/check-out", ApiScope.WRITE_VISITS),
    ("get", "/on-site", ApiScope.ON_SITE_LIST),
    ("get", "/audit-events", ApiScope.READ_AUDIT),
    ("post", "/visitors/{visitor}/erasure-request", ApiScope.ERASE_VISITORS),
]


@pytest.mark.parametrize("scope", list(ApiScope))
@pytest.mark.parametrize(("method", "path", "needs"), OPERATIONS)
def test_each_operation_opens_only_to_its_scope(client, site, zhou, method, path, needs, scope):
    secret = make_token(site=site, scopes=[scope])
    url = "/api/v1" + path.format(visit=zhou.pk, badge=zhou.badge_code, visitor=zhou.visitor_id)
    before = AuditEvent.objects.count()

    if method == "get":
        response = client.get(url, **bearer(secret))
    else:
        response = client.post(url, "{}", content_type="application/json", **bearer(secret))

    if scope == needs:
        assert response.status_code != 403, response.content
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "scope_missing"
        assert AuditEvent.objects.count() == before


# --- one site's token never reaches another site -------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/visits/{visit}"),
        ("post", "/visits/{visit}/check-out"),
        ("post", "/badges/{badge}/check-out"),
        ("post", "/visits/{visit}/check-in"),
        ("post", "/badges/{badge}/check-in"),
    ],
)
def test_another_sites_visit_is_not_found(client, secret, river_visit, method, path):
    url = "/api/v1" + path.format(visit=river_visit.pk, badge=river_visit.badge_code)

    response = getattr(client, method)(url, **bearer(secret))

    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    river_visit.refresh_from_db()
    assert river_visit.status == VisitStatus.ON_SITE


def test_another_sites_visits_are_not_listed_on_site_or_in_the_log(client, secret, zhou, river_visit):
    listed = [item["id"] for item in get(client, "/visits", secret).json()["items"]]
    on_site = [item["id"] for item in get(client, "/on-site", secret).json()]

    assert listed == [zhou.pk] and on_site == [zhou.pk]


def test_another_sites_audit_trail_rooms_hosts_and_visitors_are_not_shown(client, secret, zhou, river_visit):
    events = get(client, "/audit-events", secret).json()["items"]
    rooms = get(client, "/rooms", secret).json()
    hosts = get(client, "/hosts", secret).json()

    assert {event["site"] for event in events} == {zhou.site_id}
    assert "River Room" not in [room["name"] for room in rooms]
    assert all("River" not in host["label"] for host in hosts)
    assert get(client, "/visitors", secret, name="Lin").json() == []


def test_an_expected_visit_is_not_made_with_another_sites_category(client, secret, host, river_visit):
    response = post(client, "/visits", secret, _invitation(category=river_visit.category_id, host=host.pk))

    assert response.status_code == 400
    assert response.json()["field"] == "category"
    assert not Invitation.objects.exists()


# --- visits -------------------------------------------------------------------------


def test_the_visit_list_pages_by_cursor_newest_first(client, secret, clerk, business, business_room, host):
    made = [
        expect(category=business, room=business_room, by=clerk, host=host, expected_at=f"2026-11-27 1{n}:00:00+08:00")
        for n in range(1, 6)
    ]

    first = get(client, "/visits", secret, limit=2).json()
    second = get(client, "/visits", secret, limit=2, cursor=first["next_cursor"]).json()
    third = get(client, "/visits", secret, limit=2, cursor=second["next_cursor"]).json()

    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert ids == [visit.pk for visit in reversed(made)]
    assert third["next_cursor"] is None


def test_the_visit_list_takes_the_logs_filters(client, secret, zhou, guest):
    on_site = get(client, "/visits", secret, status="on_site").json()["items"]
    searched = get(client, "/visits", secret, q="Zhou").json()["items"]

    assert [item["id"] for item in on_site] == [zhou.pk]
    assert [item["id"] for item in searched] == [zhou.pk]


def test_a_bad_filter_or_cursor_is_a_json_error_naming_it(client, secret, zhou):
    status = get(client, "/visits", secret, status="gone")
    cursor = get(client, "/visits", secret, cursor="!!")
    limit = get(client, "/visits", secret, limit=1000)

    assert (status.status_code, status.json()["code"], status.json()["field"]) == (422, "invalid", "status")
    assert (cursor.status_code, cursor.json()["field"]) == (422, "cursor")
    assert (limit.status_code, limit.json()["field"]) == (422, "limit")


def test_the_visit_lists_queries_do_not_grow_with_the_page(
    client, secret, clerk, business, business_room, host, django_assert_max_num_queries
):
    for _ in range(30):
        expect(category=business, room=business_room, by=clerk, host=host, expected_at="2026-11-28 10:00:00+08:00")
    get(client, "/visits", secret)  # notes the token's use: once a minute

    # the token and its site; 3 of the rate limit's slot (hint, claim, next hint,
    # each a few statements in the database cache); the page's ids; its visits
    # with their people, by id
    for limit in (1, 30):
        with django_assert_max_num_queries(14):
            response = get(client, "/visits", secret, limit=limit)
        assert len(response.json()["items"]) == limit


# Every list answers in a fixed number of queries, whatever the page size or the
# rows: 1 the token with its site; 11 statements of the rate limit's slot in
# the tests' database cache (the hint, claiming the slot, the next hint; one
# Redis round trip each in production); then each operation's own, below.
RATE_LIMITED_TOKEN = 12
LIST_QUERIES = {
    "/visits?limit=100": 2,  # the page's ids; its visits by id, joined to visitor, category, room and host's department
    "/on-site": 1,  # everyone on site, joined the same way
    "/rooms": 2,  # the rooms with their occupancy annotated; their categories, prefetched
    "/hosts?q=Sun": 1,  # the staff joined to their departments
    "/visitors?name=Guest": 2,  # the visitors with their last visit and host annotated; those hosts' labels
    "/audit-events?limit=100": 1,  # the page of events
}


def _busy_site(*, first, last, site, clerk, make_staff, business, business_room):
    """Visitors `first` to `last` (those from 6 on gone, the Business Room
    holds 8), each with a host called Sun, and their audit events."""
    for n in range(first, last):
        host = make_staff(f"host-{n}", None, site=site, department=f"Dept {n}", real_name=f"Sun {n}")
        visit = walk_in(category=business, room=business_room, by=clerk, name=f"Guest {n}", host=host)
        if n >= 6:
            services.check_out_visit(visit=visit, by=clerk)


@pytest.mark.parametrize("path", list(LIST_QUERIES))
def test_each_list_costs_the_same_queries_for_one_row_or_many(
    client, secret, site, clerk, make_staff, business, business_room, rooms, path, django_assert_max_num_queries
):
    pinned = RATE_LIMITED_TOKEN + LIST_QUERIES[path]
    people = {"site": site, "clerk": clerk, "make_staff": make_staff, "business": business}
    _busy_site(first=0, last=1, business_room=business_room, **people)
    get(client, "/rooms", secret)  # notes the token's use: once a minute
    with django_assert_max_num_queries(pinned) as one:
        few = get(client, path, secret)

    _busy_site(first=1, last=12, business_room=business_room, **people)
    with django_assert_max_num_queries(pinned) as twelve:
        many = get(client, path, secret)

    assert few.status_code == many.status_code == 200
    rows = many.json() if isinstance(many.json(), list) else many.json()["items"]
    assert len(rows) > 1
    assert len(twelve.captured_queries) == len(one.captured_queries)


def test_a_visit_reads_with_its_people_as_department_name(client, secret, zhou):
    visit = get(client, f"/visits/{zhou.pk}", secret).json()

    assert visit["visitor"]["full_name"] == "Zhou Jie"
    assert visit["host"]["label"] == "Sales-Sun Li"
    assert visit["room"]["name"] == "Business Room"
    assert "phone" not in visit["visitor"]


def _invitation(**fields):
    return {
        "email": "ana@lima.example",
        "full_name": "Ana Lima",
        "company": "Lima Ltd",
        "purpose": "Contract",
        "party_size": 2,
        "expected_at": "2026-11-27T15:00:00+08:00",
        **fields,
    }


def test_an_expected_visit_is_an_invitation_audited_as_the_token(
    client, site, secret, host, business, business_room, mailoutbox
):
    response = post(client, "/visits", secret, _invitation(category=business.pk, host=host.pk, room=business_room.pk))

    assert response.status_code == 201, response.content
    invitation = Invitation.objects.get()
    assert response.json()["code"] == invitation.code
    assert invitation.visit.status == VisitStatus.EXPECTED and invitation.created_by == host
    token = ApiToken.objects.get()
    events = AuditEvent.objects.filter(action__in=["visit.register", "invitation.create"])
    assert [(e.actor_id, e.changes["api_token"]) for e in events] == [(None, token.pk), (None, token.pk)]
    assert audit.verify_chain(site).intact


def test_an_expected_visit_in_a_room_not_for_its_category_is_refused_r1_3(
    client, secret, host, business, culture_pavilion
):
    response = post(
        client, "/visits", secret, _invitation(category=business.pk, host=host.pk, room=culture_pavilion.pk)
    )

    assert response.status_code == 400
    assert response.json()["code"] == "room_not_allowed" and response.json()["field"] == "room"
    assert not Visit.objects.exists()


def test_an_invalid_email_or_text_is_refused_before_anything_is_saved(client, secret, host, business):
    email = post(client, "/visits", secret, _invitation(category=business.pk, host=host.pk, email="nope"))
    control = post(client, "/visits", secret, _invitation(category=business.pk, host=host.pk, full_name="A\x07b"))
    naive = post(
        client, "/visits", secret, _invitation(category=business.pk, host=host.pk, expected_at="2026-11-27T15:00")
    )

    assert [(r.status_code, r.json()["field"]) for r in (email, control, naive)] == [
        (422, "email"),
        (422, "full_name"),
        (422, "expected_at"),
    ]
    assert not Visit.objects.exists()


def test_an_expected_visit_is_checked_in_by_badge_and_audited_as_the_token(client, site, secret, guest):
    response = post(client, f"/badges/{guest.badge_code.lower()}/check-in", secret)

    assert response.status_code == 200, response.content
    guest.refresh_from_db()
    assert guest.status == VisitStatus.ON_SITE and guest.checked_in_by is None
    event = AuditEvent.objects.get(action="visit.check_in")
    assert event.actor is None and event.changes["api_token"] == ApiToken.objects.get().pk


def test_a_visitor_is_checked_out_by_id_and_audited_as_the_token(client, secret, zhou):
    response = post(client, f"/visits/{zhou.pk}/check-out", secret)

    assert response.json()["status"] == "left"
    zhou.refresh_from_db()
    assert zhou.status == VisitStatus.LEFT
    assert AuditEvent.objects.get(action="visit.check_out").changes["api_token"] == ApiToken.objects.get().pk


def test_no_check_in_through_the_api_at_night_r6_8(client, secret, guest, time_machine):
    time_machine.move_to("2026-11-27 21:00:00+08:00", tick=False)

    response = post(client, f"/visits/{guest.pk}/check-in", secret)

    assert response.status_code == 400 and response.json()["code"] == "night_duty"
    guest.refresh_from_db()
    assert guest.status == VisitStatus.EXPECTED


def test_a_refusal_is_in_the_requests_language(client, secret, zhou):
    response = post(client, f"/visits/{zhou.pk}/check-in", secret, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.json()["code"] == "not_expected"
    assert "只有" in response.json()["message"] or "预约" in response.json()["message"]


# --- the on-site list, rooms, hosts, visitors, audit ------------------------------------------


def test_rooms_show_their_occupancy(client, secret, zhou, rooms):
    found = {room["name"]: room for room in get(client, "/rooms", secret).json()}

    assert (found["Business Room"]["people"], found["Business Room"]["parties"]) == (1, 1)
    assert found["Lounge"]["people"] == 0
    assert found["Business Room"]["categories"] == ["B"]


def test_hosts_are_found_as_department_name_r3_1(client, secret, host):
    assert get(client, "/hosts", secret, q="Sun").json() == [{"id": host.pk, "label": "Sales-Sun Li"}]


def test_visitors_are_found_by_name_with_their_last_host(client, secret, zhou, host):
    found = get(client, "/visitors", secret, name="Zhou").json()

    assert [(v["id"], v["last_host"]["label"]) for v in found] == [(zhou.visitor_id, "Sales-Sun Li")]
    assert get(client, "/visitors", secret, name="Z").status_code == 422


def test_the_audit_trail_pages_with_hashes_that_verify(client, site, secret, zhou, guest):
    from visitors.audit import compute_hash
    from visitors.models import AuditEvent as Event

    page = get(client, "/audit-events", secret, limit=1).json()
    rest = get(client, "/audit-events", secret, after=page["next_after"]).json()

    items = page["items"] + rest["items"]
    assert [item["seq"] for item in items] == list(range(1, len(items) + 1))
    for before, after in zip(items, items[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    stored = Event.objects.get(site=site, seq=items[0]["seq"])
    assert items[0]["hash"] == compute_hash(stored)
    # An outside system recomputes each hash from the API's answer alone (docs/api.md).
    for item in items:
        at = datetime.fromisoformat(item["at"].replace("Z", "+00:00")).astimezone(UTC)
        body = {**{k: v for k, v in item.items() if k != "hash"}, "at": at.isoformat(timespec="microseconds")}
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
        assert hashlib.sha256(canonical).hexdigest() == item["hash"]


# --- the document and its docs page -------------------------------------------------


def test_the_openapi_document_lists_every_operation_with_its_errors(db, client):
    document = client.get("/api/v1/openapi.json").json()

    assert document["openapi"].startswith("3.")
    operations = {(method, path) for path, item in document["paths"].items() for method in item}
    assert len(operations) == len(OPERATIONS)
    for item in document["paths"].values():
        for operation in item.values():
            assert {"401", "403", "429"} <= set(operation["responses"])


def test_the_docs_page_loads_nothing_from_a_cdn(db, client):
    page = client.get("/api/v1/docs").content.decode()

    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page


def test_an_integration_writes_without_a_csrf_token(site, secret, zhou):
    integration = Client(enforce_csrf_checks=True)  # a token, not a browser's cookie, proves who asks

    response = integration.post(f"/api/v1/visits/{zhou.pk}/check-out", **bearer(secret))

    assert response.status_code == 200


# --- erasure on request (R4.1) ---------------------------------------------------------


@pytest.fixture
def eraser(site, manager):
    """A token that may only erase, as an HR system's would."""
    return make_token(site=site, by=manager, scopes=[ApiScope.ERASE_VISITORS], name="HR requests")


def erase(client, secret, visitor_id):
    return post(client, f"/visitors/{visitor_id}/erasure-request", secret)


def test_a_visitor_who_left_is_erased_on_request_and_audited_as_the_token(client, site, eraser, zhou, clerk):
    services.check_out_visit(visit=zhou, by=clerk)
    token = ApiToken.objects.get(name="HR requests")

    response = erase(client, eraser, zhou.visitor_id)

    assert response.status_code == 200, response.content
    assert response.json()["erased"] is True and response.json()["id"] == zhou.visitor_id
    visitor = Visitor.objects.get(pk=zhou.visitor_id)
    assert (visitor.full_name, visitor.company, visitor.phone) == (privacy.ANONYMISED_NAME, "", "")
    assert visitor.anonymised_at == timezone.now()
    assert Visit.objects.filter(pk=zhou.pk).exists()  # the visit stays, anonymised
    event = AuditEvent.objects.get(action="visitor.anonymise")
    assert event.actor_id is None and event.changes["api_token"] == token.pk and event.changes["reason"] == "erasure"
    assert "Zhou" not in json.dumps(event.changes)
    assert audit.verify_chain(site).intact

    again = erase(client, eraser, zhou.visitor_id)
    assert (again.status_code, again.json()["erased"]) == (200, False)
    assert AuditEvent.objects.filter(action="visitor.anonymise").count() == 1


def test_a_visitor_on_site_is_not_erased(client, eraser, zhou):
    response = erase(client, eraser, zhou.visitor_id)

    assert (response.status_code, response.json()["code"]) == (400, "on_site")
    assert Visitor.objects.get(pk=zhou.visitor_id).full_name == "Zhou Jie"
    assert not AuditEvent.objects.filter(action="visitor.anonymise").exists()


def test_a_visitor_under_legal_hold_is_not_erased(client, eraser, guest):
    Visit.objects.filter(pk=guest.pk).update(legal_hold=True)

    response = erase(client, eraser, guest.visitor_id)

    assert (response.status_code, response.json()["code"]) == (400, "legal_hold")
    assert Visitor.objects.get(pk=guest.visitor_id).anonymised_at is None


def test_another_sites_visitor_is_not_found_for_erasure(client, eraser, river_visit, other_clerk):
    services.check_out_visit(visit=river_visit, by=other_clerk)

    response = erase(client, eraser, river_visit.visitor_id)

    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert Visitor.objects.get(pk=river_visit.visitor_id).full_name == "Lin Tao"
