"""Issue #21: a generic webhook channel subscribes to visit events. Each is
written once by the service that did the thing, sent after its transaction
commits through notify.deliver (signed, the address checks, the retry
schedule), logged as a Notification, and tested from the back office with
"Send test event"."""

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from reception.models import ChannelKind, NotificationChannel, WebhookEvent
from tests.visitors.api_tokens import bearer, make_token
from tests.visitors.desk import expect, walk_in
from visitors import amendments, approvals, escalation, services, webhooks
from visitors.models import AuditEvent, Notification, Visit

Status = Notification.Status
ALL_EVENTS = list(WebhookEvent.values)
DELIVER_EVENT = "visitors.webhooks.deliver_event"


@pytest.fixture(autouse=True)
def _day(daytime):
    """Friday 10:00 in Shanghai, outside the R6.8 night window."""


@pytest.fixture
def receiver(settings):
    """An integration's endpoint on 127.0.0.1 (allowed by
    LOBBY_ALLOW_PRIVATE_WEBHOOKS, as an installation's own network would be)
    that records each request and answers `reply_status`."""
    settings.LOBBY_ALLOW_PRIVATE_WEBHOOKS = True

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(server.reply_status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests, server.reply_status = [], 200
    server.url = f"http://127.0.0.1:{server.server_port}/lobby-events"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def subscribe(site, url="https://hooks.example/lobby", events=ALL_EVENTS, **fields):
    return NotificationChannel.objects.create(
        site=site,
        name=fields.pop("name", "Access control"),
        kind=fields.pop("kind", ChannelKind.GENERIC),
        url=url,
        secret=fields.pop("secret", "whsec-1"),
        events=events,
        on_arrival=False,
        on_escalation=False,
        **fields,
    )


def events_of(visit=None, **filters) -> list[str]:
    rows = Notification.objects.filter(kind=Notification.Kind.EVENT, **filters)
    if visit is not None:
        rows = rows.filter(visit=visit)
    return list(rows.order_by("created_at", "pk").values_list("subject", flat=True))


def verify(secret: bytes, headers, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check, as docs/api.md gives it."""
    timestamp = headers["X-Lobby-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Lobby-Signature"], f"sha256={expected}")


# --- each event once, from the service that does it -------------------------------------


def test_each_event_is_written_once_by_the_service_that_does_it(site, clerk, host, business, business_room, daytime):
    subscribe(site)

    guest = expect(category=business, room=business_room, by=clerk, host=host, expected_at="2026-11-27 10:30:00+08:00")
    assert events_of(guest) == ["visit.registered"]
    services.check_in_visit(visit=guest, by=clerk)
    assert events_of(guest) == ["visit.registered", "visit.checked_in"]
    escalation.acknowledge_visit(visit=guest, by=host, via="app")
    escalation.acknowledge_visit(visit=guest, by=host, via="app")  # a repeat changes nothing
    amendments.amend_visit(visit=guest, field="purpose", new_value="Contract talks", reason="Typo", by=clerk)
    services.check_out_visit(visit=guest, by=clerk)

    assert events_of(guest) == [
        "visit.registered",
        "visit.checked_in",
        "visit.acknowledged",
        "visit.amended",
        "visit.checked_out",
    ]


def test_a_walk_in_is_registered_then_checked_in_and_each_escalation_step_is_an_event(
    site, clerk, host, secretary, director, business, business_room, daytime
):
    subscribe(site)
    visit = walk_in(category=business, room=business_room, by=clerk, host=host)
    daytime.shift(timedelta(minutes=31))  # R3.2: past the 30-minute deadline

    escalation.escalate_visit(visit_id=visit.pk)
    escalation.escalate_visit(visit_id=visit.pk)  # a late task takes nothing twice

    assert events_of(visit) == ["visit.registered", "visit.checked_in", "visit.escalated", "visit.escalated"]
    steps = events_of(visit, subject="visit.escalated")
    assert len(steps) == 2
    assert sorted(
        Notification.objects.filter(visit=visit, subject="visit.escalated").values_list("step", flat=True)
    ) == [1, 2]


def test_a_refused_change_writes_no_event(site, clerk, host, business, business_room):
    subscribe(site)
    visit = walk_in(category=business, room=business_room, by=clerk, host=host)

    with pytest.raises(services.ReceptionError):
        services.check_in_visit(visit=visit, by=clerk)  # already on site

    assert events_of(visit) == ["visit.registered", "visit.checked_in"]


def test_only_subscribed_active_generic_channels_of_the_site_hear_an_event(
    site, other_site, clerk, host, business, business_room
):
    subscribe(site, name="Door", events=["visit.checked_out"])
    subscribe(site, name="Off", active=False)
    subscribe(other_site, name="River")
    NotificationChannel.objects.create(
        site=site, name="Robot", kind=ChannelKind.WECOM, url="https://robot.example/x", events=ALL_EVENTS
    )

    visit = walk_in(category=business, room=business_room, by=clerk, host=host)
    services.check_out_visit(visit=visit, by=clerk)

    rows = Notification.objects.filter(kind=Notification.Kind.EVENT)
    assert list(rows.values_list("channel__name", "subject")) == [("Door", "visit.checked_out")]


def test_nothing_is_sent_before_the_change_commits(
    site, clerk, host, business, business_room, django_capture_on_commit_callbacks
):
    subscribe(site)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        walk_in(category=business, room=business_room, by=clerk, host=host)
    assert not DBTaskResult.objects.filter(task_path=DELIVER_EVENT).exists()

    for callback in callbacks:
        callback()
    queued = DBTaskResult.objects.filter(task_path=DELIVER_EVENT)
    assert sorted(row.args_kwargs["args"][0] for row in queued) == sorted(
        Notification.objects.filter(kind=Notification.Kind.EVENT).values_list("pk", flat=True)
    )


# --- signed, in the API's shape -----------------------------------------------------------


def test_an_event_arrives_signed_with_the_visit_as_the_api_gives_it(
    client,
    site,
    manager,
    clerk,
    host,
    business,
    business_room,
    receiver,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    subscribe(site, url=receiver.url, secret="whsec-1")

    with django_capture_on_commit_callbacks(execute=True):
        visit = walk_in(category=business, room=business_room, by=clerk, host=host, name="Zhou Jie")

    registered, checked_in = receiver.requests
    assert [registered["headers"]["X-Lobby-Event"], checked_in["headers"]["X-Lobby-Event"]] == [
        "visit.registered",
        "visit.checked_in",
    ]
    assert verify(b"whsec-1", checked_in["headers"], checked_in["body"])
    assert not verify(b"whsec-1", checked_in["headers"], checked_in["body"].replace(b"Zhou", b"Chen"))
    payload = json.loads(checked_in["body"])
    assert payload["event"] == "visit.checked_in" and payload["site"] == "hq"
    assert payload["occurred_at"] == "2026-11-27T10:00:00+08:00"
    assert payload["id"] == checked_in["headers"]["X-Lobby-Delivery"] != json.loads(registered["body"])["id"]
    from_api = client.get(f"/api/v1/visits/{visit.pk}", **bearer(make_token(site=site, by=manager))).json()
    assert payload["visit"] == from_api  # the one serialiser
    assert "phone" not in payload["visit"]["visitor"]
    rows = Notification.objects.filter(kind=Notification.Kind.EVENT)
    assert {(row.status, row.attempts, row.response_code) for row in rows} == {(Status.SENT, 1, 200)}


# --- retries and the address checks ---------------------------------------------------------


def test_a_receiver_answering_500_is_retried_on_the_backoff_schedule(
    site, clerk, host, business, business_room, receiver, daytime, django_capture_on_commit_callbacks
):
    subscribe(site, url=receiver.url, events=["visit.checked_out"])
    visit = walk_in(category=business, room=business_room, by=clerk, host=host)
    with django_capture_on_commit_callbacks(execute=True):
        services.check_out_visit(visit=visit, by=clerk)
    row = Notification.objects.get(kind=Notification.Kind.EVENT)
    receiver.reply_status = 500

    assert webhooks.deliver_event.call(row.pk) == Status.FAILED

    row.refresh_from_db()
    assert (row.attempts, row.response_code) == (1, 500) and "HTTP Error 500" in row.last_error
    assert Visit.objects.get(pk=visit.pk).checked_out_at is not None  # the check-out stands
    assert DBTaskResult.objects.filter(
        task_path=DELIVER_EVENT, args_kwargs__args=[row.pk], run_after=row.created_at + timedelta(minutes=1)
    ).exists()

    daytime.shift(timedelta(minutes=1))
    receiver.reply_status = 204
    assert webhooks.deliver_event.call(row.pk) == Status.SENT

    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_code, row.last_error) == (Status.SENT, 2, 204, "")
    first, second = receiver.requests
    assert json.loads(first["body"])["id"] == json.loads(second["body"])["id"]  # the same event, again


def test_an_event_for_a_private_address_is_refused_before_anything_is_sent(
    site, clerk, host, business, business_room, monkeypatch
):
    subscribe(site, url="https://hooks.example/lobby", events=["visit.registered"])
    walk_in(category=business, room=business_room, by=clerk, host=host)
    row = Notification.objects.get(kind=Notification.Kind.EVENT)
    connected = []
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))],
    )
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))

    assert webhooks.deliver_event.call(row.pk) == Status.FAILED

    row.refresh_from_db()
    assert "10.0.0.5, a private, loopback, link-local or reserved address" in row.last_error
    assert row.response_code is None and connected == []


def test_a_channel_for_a_private_address_cannot_be_saved(site):
    channel = NotificationChannel(
        site=site, name="Inside", url="https://10.0.0.5/hook", secret="s", events=["visit.registered"]
    )

    with pytest.raises(ValidationError) as refused:
        channel.full_clean()

    assert "url" in refused.value.message_dict


# --- the back office ---------------------------------------------------------------------------


@pytest.fixture
def office(client, manager):
    client.force_login(manager)
    return client


def channel_form(site, **fields):
    return {
        "site": site.pk,
        "name": "Door system",
        "kind": ChannelKind.GENERIC,
        "url": "https://hooks.example/lobby",
        "secret": "whsec-1",
        "active": "on",
        "events": ["visit.checked_in", "visit.checked_out"],
        **fields,
    }


def test_the_manager_subscribes_a_channel_and_the_change_is_audited_without_its_secret(office, site):
    response = office.post(reverse("admin:reception_notificationchannel_add"), channel_form(site))

    assert response.status_code == 302
    channel = NotificationChannel.objects.get()
    assert channel.events == ["visit.checked_in", "visit.checked_out"]
    event = AuditEvent.objects.get(action="notificationchannel.add")
    assert event.changes["events"] == {"before": None, "after": ["visit.checked_in", "visit.checked_out"]}
    assert "whsec-1" not in json.dumps(event.changes) and "/lobby" not in json.dumps(event.changes)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": ChannelKind.WECOM}, "events", "Only a generic webhook receives events"),
        ({"secret": ""}, "secret", "Events are signed: give a signing secret"),
    ],
)
def test_events_need_a_generic_channel_with_a_secret(office, site, fields, field, message):
    response = office.post(reverse("admin:reception_notificationchannel_add"), channel_form(site, **fields))

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert not NotificationChannel.objects.exists()


def test_send_test_event_queues_a_ping_and_audits_it(office, site, django_capture_on_commit_callbacks):
    channel = subscribe(site)
    url = reverse("admin:reception_notificationchannel_test_event", args=[channel.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(url)

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("admin:reception_notificationchannel_change", args=[channel.pk]),
    )
    ping = Notification.objects.get(kind=Notification.Kind.EVENT)
    assert (ping.subject, ping.channel, ping.visit, ping.status) == ("ping", channel, None, Status.PENDING)
    assert DBTaskResult.objects.filter(task_path=DELIVER_EVENT, args_kwargs__args=[ping.pk]).exists()
    assert AuditEvent.objects.get(action="notificationchannel.test").changes == {"event": "ping", "delivery": ping.pk}
    assert office.get(url).status_code == 405


def test_the_add_page_and_the_list_show_the_events(office, site):
    subscribe(site, events=["visit.checked_in", "visit.checked_out"])

    add = office.get(reverse("admin:reception_notificationchannel_add"))
    listing = office.get(reverse("admin:reception_notificationchannel_changelist"))

    assert add.status_code == 200 and "Save the channel first." in add.content.decode()
    assert "visit.checked_in, visit.checked_out" in listing.content.decode()


def test_the_visit_page_names_the_event_delivered(client, clerk, site, business, business_room, host):
    subscribe(site, events=["visit.checked_in"])
    visit = walk_in(category=business, room=business_room, by=clerk, host=host)
    client.force_login(clerk)

    page = client.get(reverse("visitors:visit", args=[visit.pk])).content.decode()

    assert "Webhook event visit.checked_in" in " ".join(page.split())


def test_the_channels_page_has_the_button_and_its_latest_deliveries(office, site):
    channel = subscribe(site)
    webhooks.ping(channel)

    page = office.get(reverse("admin:reception_notificationchannel_change", args=[channel.pk])).content.decode()

    assert reverse("admin:reception_notificationchannel_test_event", args=[channel.pk]) in page
    assert "Send test event" in page and "<td>ping</td>" in page


def test_a_ping_arrives_signed_without_a_visit(site, receiver, immediate_tasks, django_capture_on_commit_callbacks):
    channel = subscribe(site, url=receiver.url, secret="whsec-2")

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.ping(channel)

    [request] = receiver.requests
    payload = json.loads(request["body"])
    assert (payload["event"], payload["visit"], payload["site"]) == ("ping", None, "hq")
    assert verify(b"whsec-2", request["headers"], request["body"])


def test_the_send_test_event_action_sends_to_the_selected_generic_channels(office, site):
    channel = subscribe(site)
    robot = NotificationChannel.objects.create(site=site, name="Robot", kind=ChannelKind.WECOM, url="https://r.example")

    response = office.post(
        reverse("admin:reception_notificationchannel_changelist"),
        {"action": "send_test_event", "_selected_action": [channel.pk, robot.pk]},
        follow=True,
    )

    assert list(Notification.objects.values_list("channel__name", "subject")) == [("Access control", "ping")]
    messages = " ".join(str(m) for m in response.context["messages"])
    assert "Robot is a chat robot; only a generic webhook receives events." in messages


# --- another site's channels and deliveries --------------------------------------------------


@pytest.fixture
def river_channel(other_site):
    return subscribe(other_site, name="River door")


def test_the_manager_cannot_test_another_sites_channel(office, river_channel):
    by_button = office.post(reverse("admin:reception_notificationchannel_test_event", args=[river_channel.pk]))
    office.post(
        reverse("admin:reception_notificationchannel_changelist"),
        {"action": "send_test_event", "_selected_action": [river_channel.pk]},
    )

    assert by_button.status_code == 404
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action="notificationchannel.test").exists()


def test_the_delivery_log_shows_only_the_managers_site(office, site, river_channel):
    ours = webhooks.ping(subscribe(site))
    theirs = webhooks.ping(river_channel)
    Notification.objects.filter(pk=ours.pk).update(response_code=503, status=Status.FAILED, attempts=1)

    listing = office.get(reverse("admin:visitors_notification_changelist"), {"kind__exact": "event"})
    their_page = office.get(reverse("admin:visitors_notification_change", args=[theirs.pk]))

    assert [row.pk for row in listing.context["cl"].queryset] == [ours.pk]
    assert "503" in listing.content.decode() and "River door" not in listing.content.decode()
    assert (their_page.status_code, their_page["Location"]) == (302, reverse("admin:index"))


def test_the_delivery_log_is_read_only(office, site):
    ours = webhooks.ping(subscribe(site))

    response = office.post(reverse("admin:visitors_notification_change", args=[ours.pk]), {"status": "sent"})

    assert response.status_code == 403
    ours.refresh_from_db()
    assert ours.status == Status.PENDING


def test_a_walk_up_approved_by_its_host_is_checked_in_as_an_event(site, clerk, host, business, business_room):
    """Issue #19's walk-ups that wait for the host arrive through their own
    path (services.admit); an integration still hears the arrival."""
    subscribe(site)
    business.walk_ups_need_approval = True
    business.save()
    visit = walk_in(category=business, room=business_room, by=clerk, host=host)
    assert visit.status == "awaiting_host"
    assert events_of(visit) == ["visit.registered"]

    approvals.approve_walk_up(visit=visit, by=host, via="app")

    visit.refresh_from_db()
    assert visit.status == "on_site"
    assert events_of(visit) == ["visit.registered", "visit.checked_in"]


# --- issue #24: "does this site have subscribers?" is cached, and every write unsettles it -----


@pytest.fixture
def real_cache(settings):
    """A cache shared by the requests, as Redis is in production (the tests'
    database cache would roll back with each test anyway)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield cache
    cache.clear()


def test_a_site_without_subscribers_is_told_so_by_the_cache_without_a_query(
    real_cache, site, clerk, host, business, business_room, django_assert_num_queries
):
    walk_in(category=business, room=business_room, by=clerk, host=host)  # asks the database once
    visit = walk_in(category=business, room=business_room, by=clerk, host=host)

    with django_assert_num_queries(0):
        assert webhooks.emit(visit, WebhookEvent.CHECKED_OUT) == []


def test_a_subscription_added_in_the_back_office_makes_the_next_walk_in_emit(
    real_cache, office, site, clerk, host, business, business_room
):
    before = walk_in(category=business, room=business_room, by=clerk, host=host)
    assert events_of(before) == []  # nobody subscribes, and the cache now says so

    response = office.post(reverse("admin:reception_notificationchannel_add"), channel_form(site))
    assert response.status_code == 302

    after = walk_in(category=business, room=business_room, by=clerk, host=host)
    assert events_of(after) == ["visit.checked_in"]


def test_a_channel_switched_on_makes_the_next_walk_in_emit(real_cache, site, clerk, host, business, business_room):
    channel = subscribe(site, active=False)
    assert events_of(walk_in(category=business, room=business_room, by=clerk, host=host)) == []

    channel.active = True
    channel.save()

    visit = walk_in(category=business, room=business_room, by=clerk, host=host)
    assert events_of(visit) == ["visit.registered", "visit.checked_in"]


def test_an_answer_read_before_a_channel_write_is_never_cached_after_it(real_cache, site):
    """A reader that asked the database just before a write committed must not
    store its answer over the write's mark: while the mark stands, readers ask
    the database and store nothing."""
    from reception import models as reception_models

    key = reception_models._subscribers_key(site.pk)
    subscribe(site)  # the write leaves its mark
    assert real_cache.get(key) == reception_models.UNSETTLED
    real_cache.add(key, False)  # what a reader that asked before the write would try to store
    assert reception_models.site_has_event_subscribers(site.pk) is True
    assert real_cache.get(key) == reception_models.UNSETTLED

    real_cache.delete(key)  # the mark expires
    assert reception_models.site_has_event_subscribers(site.pk) is True
    assert real_cache.get(key) is True
