"""Property tests over every public form (and the staff's invitation form):
whatever is typed, no 5xx; NUL bytes and overlong text are refused with a
message and nothing is stored; what is stored is exactly what was typed, and
shown back escaped. Run on SQLite and PostgreSQL (which raises DataError where
SQLite silently stores)."""

import re
import secrets
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visitors import links
from visitors.models import Invitation, Visit
from visitors.ratelimit import Limit

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NASTY = [
    "",
    "   ",
    "\x00",
    "Maria\x00Rossi",
    "x" * 121,
    "长" * 121,
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "Robert'); DROP TABLE visitors_visit;--",
    "张伟",
    "Zoë O'Brien-Łukasz",
    "\u202eevil",
    "tab\there",
]
texts = st.one_of(st.sampled_from(NASTY), st.text(st.characters(exclude_categories=["Cs"]), max_size=130))
NULL_MESSAGE = "Null characters are not allowed."


def too_long(value: str, limit: int) -> bool:
    return len(value.strip()) > limit


@pytest.fixture(autouse=True)
def generous_limits(settings):
    settings.PUBLIC_RATE_LIMITS = {name: Limit(per_device=None, per_address=None) for name in ["kiosk", "lookup"]}
    settings.PUBLIC_RATE_LIMITS["invitation"] = Limit(per_device=None, per_address=None)


@pytest.fixture
def host_token(kiosk_client, host, daytime, lounge):
    lounge.capacity = 10_000
    lounge.save()
    hosts = kiosk_client.get("/kiosk/walk-in/hosts/", {"host_search": "Sun"}).content.decode()
    return re.search(r'name="host" value="([^"]+)"', hosts).group(1)


def refused_without_trace(response, before: int, count: int, *values_and_limits):
    body = response.content.decode()
    assert response.status_code == 200
    assert count == before
    for value, limit in values_and_limits:
        if "\x00" in value:
            assert NULL_MESSAGE in body
        elif too_long(value, limit):
            assert f"at most {limit} characters" in body


@SETTINGS
@given(full_name=texts, company=texts, phone=texts, party=st.one_of(st.integers(-3, 30).map(str), texts))
def test_the_walk_in_form_never_fails_and_stores_only_what_was_typed(
    kiosk_client, host_token, full_name, company, phone, party
):
    before = Visit.objects.count()
    form = {
        "full_name": full_name,
        "company": company,
        "phone": phone,
        "party_size": party,
        "host": host_token,
        "accept_privacy": "on",
        "submission_key": secrets.token_urlsafe(16),
    }

    response = kiosk_client.post("/kiosk/walk-in/", form)

    assert response.status_code in (200, 302)
    bad = [(full_name, 120), (company, 120), (phone, 40)]
    if any("\x00" in value or too_long(value, limit) for value, limit in bad):
        refused_without_trace(response, before, Visit.objects.count(), *bad)
    if response.status_code == 302:
        visitor = Visit.objects.select_related("visitor").latest("pk").visitor
        assert (visitor.full_name, visitor.company, visitor.phone) == (
            full_name.strip(),
            company.strip(),
            phone.strip(),
        )
    else:
        assert Visit.objects.count() == before
        assert "<script>" not in response.content.decode() and "<img src=x" not in response.content.decode()


@SETTINGS
@given(full_name=texts, company=texts, phone=texts)
def test_the_confirm_details_form_never_fails_and_stores_only_what_was_typed(
    client, invitation, full_name, company, phone
):
    token = links.invitation_token(invitation)
    before = Invitation.objects.values_list("visit__visitor__full_name", "visit__visitor__phone").get()

    response = client.post(
        f"/i/{token}/", {"full_name": full_name, "company": company, "phone": phone, "accept_privacy": "on"}
    )

    assert response.status_code in (200, 302)
    visitor = Invitation.objects.select_related("visit__visitor").get().visit.visitor
    if response.status_code == 302:
        assert (visitor.full_name, visitor.company, visitor.phone) == (
            full_name.strip(),
            company.strip(),
            phone.strip(),
        )
        page = client.get(f"/i/{token}/").content.decode()
        assert "<script>" not in page and "<img src=x" not in page
    else:
        assert (visitor.full_name, visitor.phone) == before
        bad = [(full_name, 120), (company, 120), (phone, 40)]
        refused_without_trace(response, 0, 0, *bad)
        assert "<script>" not in response.content.decode()


@SETTINGS
@given(code=texts, accept=st.booleans())
def test_the_code_form_never_fails(kiosk_client, invitation, code, accept):
    response = kiosk_client.post("/kiosk/code/", {"code": code, "accept_privacy": "on" if accept else ""})

    assert response.status_code in (200, 302)
    if "\x00" in code:
        assert NULL_MESSAGE in response.content.decode()
    if response.status_code == 200:
        assert Visit.objects.get(pk=invitation.visit_id).status == "expected"
        assert "<script>" not in response.content.decode()


@SETTINGS
@given(badge_code=texts)
def test_the_check_out_form_never_fails(kiosk_client, daytime, badge_code):
    response = kiosk_client.post("/kiosk/check-out/", {"badge_code": badge_code})

    assert response.status_code == 200  # nobody is on site, so nothing can be checked out
    if "\x00" in badge_code:
        assert NULL_MESSAGE in response.content.decode()
    assert "<script>" not in response.content.decode()


@SETTINGS
@given(query=texts)
def test_the_host_picker_never_fails_and_never_lists_contacts(kiosk_client, host, clerk, daytime, query):
    response = kiosk_client.get("/kiosk/walk-in/hosts/", {"host_search": query})

    assert response.status_code == 200
    assert "@lobby.test" not in response.content.decode()
    assert "<script>" not in response.content.decode()


@SETTINGS
@given(token=texts)
def test_any_link_token_answers_404_not_500(client, db, token):
    quoted = urllib.parse.quote(token, safe="") or "x"

    for url in [f"/i/{quoted}/", f"/i/ack/{quoted}/", f"/kiosk/enrol/{quoted}/"]:
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404


@SETTINGS
@given(full_name=texts, company=texts, purpose=texts, email=texts)
def test_the_invitation_form_never_fails(client, host, business, daytime, full_name, company, purpose, email):
    client.force_login(host)
    before = Invitation.objects.count()
    form = {
        "full_name": full_name,
        "email": email,
        "company": company,
        "category": business.pk,
        "expected_at": "2026-11-27T14:00",
        "purpose": purpose,
        "party_size": "1",
    }

    response = client.post("/desk/invitations/new/", form)

    assert response.status_code in (200, 302)
    if response.status_code == 302:
        visit = Invitation.objects.select_related("visit__visitor").latest("pk").visit
        assert (visit.visitor.full_name, visit.purpose) == (full_name.strip(), purpose.strip())
    else:
        bad = [(full_name, 120), (company, 120), (purpose, 200)]
        refused_without_trace(response, before, Invitation.objects.count(), *bad)
