"""The public pages are safe (R4.1): never cached, CSRF on every form, rate
limited per kiosk and per address, and no response carries another visitor's
or a staff member's personal data."""

import os
import re
from datetime import timedelta

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client, RequestFactory
from django_tasks_db.models import DBTaskResult

from reception.models import KioskDevice
from reception.security import client_ip
from visitors import links, services
from visitors.models import Notification, Visit, Visitor
from visitors.ratelimit import Limit, take


def kiosk_browser(device: KioskDevice, **client_kwargs) -> Client:
    """A client holding the kiosk's signed cookie, without going through enrolment."""
    client = Client(**client_kwargs)
    key = links.KIOSK_COOKIE
    client.cookies[key] = signing.get_cookie_signer(salt=key + links.KIOSK_COOKIE_SALT).sign(device.token)
    return client


@pytest.fixture
def others_on_site(daytime, clerk, host, business, business_room, lounge, ordinary):
    """Two visitors already in the house, whose names and phones must never
    show on a public page."""
    visits = []
    for name, phone, category, room in [
        ("Hans Müller", "+49 30 1234567", business, business_room),
        ("周杰", "13800138000", ordinary, lounge),
    ]:
        visit = Visit(category=category, room=room, host=host, purpose="Talks")
        services.register_visit(
            visit=visit, visitor=Visitor(full_name=name, phone=phone, company="Secret Co"), by=clerk, arrive_now=True
        )
        visits.append(visit)
    return visits


@pytest.fixture
def staff_secrets(host, clerk, secretary, director):
    for user, phone in [(host, "+86 10 5555 0101"), (clerk, "+86 10 5555 0102")]:
        user.profile.work_phone = phone
        user.profile.save()
    return ["@lobby.test", "5555 0101", "5555 0102"]


def scan(response, forbidden: list[str]) -> str:
    body = response.content.decode()
    for secret in forbidden:
        assert secret not in body, f"{secret!r} leaked on {response.request['PATH_INFO']}"
    return body


# --- the response scanner ---------------------------------------------------------------------


def test_no_kiosk_or_invitation_page_shows_other_visitors_or_staff_details(
    client, lobby_kiosk, invitation, others_on_site, staff_secrets, clerk, host
):
    forbidden = [*staff_secrets, "Hans Müller", "1234567", "周杰", "13800138000", "Secret Co"]
    forbidden += [visit.badge_code for visit in others_on_site]
    kiosk = kiosk_browser(lobby_kiosk)
    token = links.invitation_token(invitation)
    key = re.compile(r'name="submission_key" value="([^"]*)"')

    # The kiosk, page by page, with good and bad input.
    responses = [kiosk.get(f"/kiosk/enrol/{lobby_kiosk.token}/"), kiosk.get("/kiosk/")]
    for url in ["/kiosk/walk-in/", "/kiosk/code/", "/kiosk/check-out/"]:
        responses.append(kiosk.get(url))
        responses.append(kiosk.post(url, {"full_name": "x", "code": "ZZZZZZZZ", "badge_code": "ZZZZZZZZ"}))
    for query in ["Sun", "Sales", "lobby.test", "Hans", "周杰", "5555"]:
        responses.append(kiosk.get("/kiosk/walk-in/hosts/", {"host_search": query}))
    for visit in others_on_site:  # someone typing another visitor's badge code
        responses.append(kiosk.post("/kiosk/check-out/", {"badge_code": visit.badge_code[:-1] + "2"}))
    page = kiosk.get("/kiosk/walk-in/").content.decode()
    hosts = kiosk.get("/kiosk/walk-in/hosts/", {"host_search": "Sun"}).content.decode()
    walk_in = {
        "full_name": "Maria Rossi",
        "phone": "+39 06 5551234",
        "party_size": "1",
        "host": re.search(r'name="host" value="([^"]+)"', hosts).group(1),
        "accept_privacy": "on",
        "submission_key": key.search(page).group(1),
    }
    responses += [kiosk.post("/kiosk/walk-in/", walk_in), kiosk.get("/kiosk/done/"), kiosk.get("/kiosk/")]
    responses += [kiosk.post("/kiosk/code/", {"code": invitation.code, "accept_privacy": "on"})]
    responses += [kiosk.get("/kiosk/done/")]
    for response in responses:
        scan(response, forbidden)

    # The invited visitor's phone shows their own details only.
    own = [client.get(f"/i/{token}/"), client.post(f"/i/{token}/", {"full_name": "", "phone": "bad"})]
    own += [client.get("/i/not-a-token/")]
    for response in own:
        scan(response, forbidden)

    # The acknowledge page names no visitor at all, and no staff contact.
    for ack in [client.get(f"/i/ack/{links.ack_token(invitation.visit, host)}/"), client.get("/i/ack/x/")]:
        scan(ack, [*forbidden, "Kenji", "Maria Rossi"])

    assert len(responses) + len(own) == 24
    assert Visit.objects.filter(visitor__full_name="Maria Rossi").count() == 1


def test_kiosk_pages_load_nothing_from_elsewhere(kiosk_client, daytime, lounge):
    for url in ["/kiosk/", "/kiosk/walk-in/", "/kiosk/code/", "/kiosk/check-out/"]:
        body = kiosk_client.get(url).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', body), url
        assert "<script>" not in body and "style=" not in body  # nothing inline for the CSP to refuse


# --- no-store and CSRF -------------------------------------------------------------------------


def test_every_public_page_is_never_cached(client, lobby_kiosk, invitation, host):
    kiosk = kiosk_browser(lobby_kiosk)
    responses = [
        client.get("/kiosk/"),  # not enrolled
        client.get(f"/kiosk/enrol/{lobby_kiosk.token}/"),
        client.get("/kiosk/enrol/unknown/"),
        kiosk.get("/kiosk/"),
        kiosk.get("/kiosk/walk-in/"),
        kiosk.get("/kiosk/walk-in/hosts/", {"host_search": "Sun"}),
        kiosk.get("/kiosk/code/"),
        kiosk.get("/kiosk/check-out/"),
        kiosk.get("/kiosk/done/"),
        kiosk.post("/kiosk/code/", {"code": "nope"}),
        client.get(f"/i/{links.invitation_token(invitation)}/"),
        client.get("/i/forged/"),
        client.get(f"/i/ack/{links.ack_token(invitation.visit, host)}/"),
    ]

    for response in responses:
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]
        assert "private" in response["Cache-Control"]


def test_every_public_form_needs_its_csrf_token(lobby_kiosk, invitation, host, daytime, lounge):
    kiosk = kiosk_browser(lobby_kiosk, enforce_csrf_checks=True)
    phone = Client(enforce_csrf_checks=True)
    for url in ["/kiosk/walk-in/", "/kiosk/code/", "/kiosk/check-out/"]:
        assert 'name="csrfmiddlewaretoken"' in kiosk.get(url).content.decode()
    attempts = [
        kiosk.post("/kiosk/walk-in/", {"full_name": "Maria Rossi", "accept_privacy": "on"}),
        kiosk.post("/kiosk/code/", {"code": invitation.code, "accept_privacy": "on"}),
        kiosk.post("/kiosk/check-out/", {"badge_code": "ABCDEFGH"}),
        phone.post(f"/kiosk/enrol/{lobby_kiosk.token}/"),
        phone.post(f"/i/{links.invitation_token(invitation)}/", {"full_name": "X", "accept_privacy": "on"}),
        phone.post(f"/i/ack/{links.ack_token(invitation.visit, host)}/"),
    ]

    assert [response.status_code for response in attempts] == [403] * len(attempts)
    invitation.refresh_from_db()
    assert invitation.confirmed_at is None and invitation.visit.status == "expected"
    assert invitation.visit.acknowledged_at is None
    assert Visit.objects.count() == 1


# --- rate limits -----------------------------------------------------------------------------------


@pytest.fixture
def tight_limits(settings):
    settings.PUBLIC_RATE_LIMITS = {
        "kiosk": Limit(per_device=2, per_address=100),
        "lookup": Limit(per_device=3, per_address=100),
        "invitation": Limit(per_device=None, per_address=2),
    }


def test_a_kiosk_over_its_limit_gets_a_friendly_429_and_nothing_happens(
    walk_in, kiosk_client, tight_limits, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = walk_in()
        kiosk_client.get("/kiosk/")
        second = walk_in(full_name="Second Visitor")
        kiosk_client.get("/kiosk/")
    queued = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        third = walk_in(full_name="Third Visitor")

    assert first.status_code == second.status_code == 302
    assert third.status_code == 429 and third["Retry-After"] == "60"
    assert "Please wait a moment" in third.content.decode() and "Nothing was saved" in third.content.decode()
    assert "no-store" in third["Cache-Control"]
    assert not Visit.objects.filter(visitor__full_name="Third Visitor").exists()
    assert queued > 0 and DBTaskResult.objects.count() == queued and callbacks == []  # nobody is notified
    assert not Notification.objects.exists()


def test_the_limit_lifts_in_the_next_window(walk_in, kiosk_client, tight_limits, daytime):
    walk_in()
    kiosk_client.get("/kiosk/")
    walk_in(full_name="Second Visitor")
    kiosk_client.get("/kiosk/")
    assert walk_in(full_name="Third Visitor").status_code == 429

    daytime.shift(timedelta(seconds=61))

    assert walk_in(full_name="Third Visitor").status_code == 302
    assert Visit.objects.count() == 3


def test_kiosks_sharing_one_address_are_limited_together(lobby_kiosk, site, settings, daytime):
    settings.PUBLIC_RATE_LIMITS = {"kiosk": Limit(per_device=100, per_address=3)}
    second = KioskDevice.objects.create(site=site, name="Second tablet", token="second-tablet-token-0123456789")
    elsewhere = KioskDevice.objects.create(site=site, name="Annexe", token="annexe-tablet-token-0123456789")
    a, b = kiosk_browser(lobby_kiosk), kiosk_browser(second)
    annexe = kiosk_browser(elsewhere, REMOTE_ADDR="10.0.0.9")

    statuses = [a.post("/kiosk/check-out/", {"badge_code": "ZZZZZZZZ"}).status_code for _ in range(2)]
    statuses += [b.post("/kiosk/check-out/", {"badge_code": "ZZZZZZZZ"}).status_code for _ in range(2)]
    annexe_status = annexe.post("/kiosk/check-out/", {"badge_code": "ZZZZZZZZ"}).status_code

    assert statuses == [200, 200, 200, 429]
    assert annexe_status == 200  # another address, its own count


def test_the_host_picker_is_limited_too(kiosk_client, tight_limits, host, daytime):
    statuses = [kiosk_client.get("/kiosk/walk-in/hosts/", {"host_search": "Sun"}).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_an_invitation_link_is_limited_per_address(client, invitation, tight_limits):
    token = links.invitation_token(invitation)
    form = {"full_name": "Kenji Tanaka", "accept_privacy": "on"}

    statuses = [client.post(f"/i/{token}/", form).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]
    assert client.get(f"/i/{token}/").status_code == 200  # reading is not limited


def test_a_slot_is_claimed_once_whatever_the_cache_holds(db):
    cache.clear()
    granted = [take("test:bucket", 3, 60, now=1000.0) for _ in range(5)]
    cache.set("test:bucket:960:next", 0, 60)  # a stale hint only costs extra tries

    assert granted == [True, True, True, False, False]
    assert take("test:bucket", 3, 60, now=1001.0) is False
    assert take("test:bucket", 3, 60, now=1020.0) is True  # the next window


def test_the_limiter_works_on_redis(settings):
    redis = pytest.importorskip("redis")
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("REQUIRE_REDIS", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"REQUIRE_REDIS is set but there is no Redis at {url}")
        pytest.skip(f"no Redis at {url}")
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": url}}
    from django.core.cache import caches

    caches["default"].delete_many([f"test:redis:1020:{slot}" for slot in range(3)] + ["test:redis:1020:next"])

    granted = [take("test:redis", 2, 60, now=1030.0) for _ in range(3)]

    assert granted == [True, True, False]
    # One client per connection pool, not a new one per call (config/cache.py).
    client = caches["default"]._cache
    assert client.get_client("a", write=True) is client.get_client("b", write=True)
    assert client.get_client("a").connection_pool is client.get_client("a", write=True).connection_pool


def test_the_client_address_is_the_proxys_last_hop_only_behind_a_proxy(settings):
    factory = RequestFactory()
    forged = factory.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")

    settings.BEHIND_PROXY = False
    assert client_ip(forged) == "10.0.0.1"
    settings.BEHIND_PROXY = True
    assert client_ip(forged) == "203.0.113.7"
    assert client_ip(factory.get("/", REMOTE_ADDR="not-an-ip")) is None
