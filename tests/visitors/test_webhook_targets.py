"""Webhook and chat-robot URLs are set in the admin but fetched by the server,
so they go only to public https:// addresses (issue #15 item 8): refused when
the office manager saves the channel, and again when a message is sent, where
the host is resolved, every address checked, and the connection made to an
address that was checked. LOBBY_ALLOW_PRIVATE_WEBHOOKS lifts both checks."""

import socket
import urllib.request

import pytest
from django.core.exceptions import ValidationError

from reception.models import ChannelKind, NotificationChannel
from tests.visitors.desk import walk_in
from visitors import notify
from visitors.models import Notification

Status = Notification.Status

REFUSED = {
    "http://robot.example/hook": "Use an https:// address",
    "https://127.0.0.1/hook": "127.0.0.1 is a private, loopback, link-local or reserved address",
    "https://10.0.0.5/hook": "10.0.0.5 is a private, loopback, link-local or reserved address",
    "https://169.254.169.254/latest/meta-data/": "169.254.169.254 is a private, loopback",
    "https://[::1]/hook": "::1 is a private, loopback, link-local or reserved address",
    "https://[::ffff:127.0.0.1]/hook": "::ffff:127.0.0.1 is a private, loopback",
    "https://224.0.0.1/hook": "224.0.0.1 is a private, loopback",
    "https://localhost/hook": "localhost names this machine or a local network",
    "https://printer.local/hook": "printer.local names this machine or a local network",
}
ROBOT = "https://robot.example/cgi-bin/webhook/send?key=robot-key"
PUBLIC = "93.184.215.14"


@pytest.fixture
def resolver(monkeypatch):
    """robot.example resolves to the addresses in `resolver.answers`, one list
    per lookup (the last one repeats); other names resolve as usual."""
    real = socket.getaddrinfo

    class Resolver:
        answers: list[list[str]] = [[PUBLIC]]
        lookups = 0

        def __call__(self, host, port, *args, **kwargs):
            if host != "robot.example":
                return real(host, port, *args, **kwargs)
            answer = self.answers[min(self.lookups, len(self.answers) - 1)]
            self.lookups += 1
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answer
            ]

    resolver = Resolver()
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


@pytest.fixture
def connections(monkeypatch):
    """Where the sender tried to connect or open a request; every connection is refused."""
    tried = []

    def connect(address, *args, **kwargs):
        tried.append(address)
        raise ConnectionRefusedError("refused by the test")

    def open_url(self, request, *args, **kwargs):
        tried.append(request.full_url)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(socket, "create_connection", connect)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", open_url)
    return tried


@pytest.fixture
def chat_notification(daytime, clerk, host, business, business_room):
    def make(url: str, kind: str = ChannelKind.WECOM) -> Notification:
        visit = walk_in(category=business, room=business_room, by=clerk, host=host)
        channel = NotificationChannel.objects.create(site=visit.site, name="Group", kind=kind, url=url)
        return Notification.objects.create(
            visit=visit, site=visit.site, kind=Notification.Kind.ARRIVAL, channel=channel, dedupe_key="chat"
        )

    return make


# --- when the office manager saves the channel -------------------------------------------


@pytest.mark.parametrize(("url", "message"), REFUSED.items())
def test_a_channel_to_plain_http_or_a_private_address_is_refused_with_a_reason(site, url, message):
    channel = NotificationChannel(site=site, name="Ops", kind=ChannelKind.GENERIC, url=url)

    with pytest.raises(ValidationError) as refused:
        channel.full_clean()

    assert list(refused.value.message_dict) == ["url"]
    assert message in refused.value.message_dict["url"][0]


def test_a_public_https_robot_is_saved_without_asking_a_resolver(site, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: pytest.fail("resolved at save"))
    channel = NotificationChannel(site=site, name="Group", kind=ChannelKind.WECOM, url=ROBOT)

    channel.full_clean()


@pytest.mark.parametrize("url", REFUSED)
def test_an_installation_that_allows_private_webhooks_may_save_them(site, settings, url):
    settings.LOBBY_ALLOW_PRIVATE_WEBHOOKS = True

    NotificationChannel(site=site, name="Ops", kind=ChannelKind.GENERIC, url=url).full_clean()


def test_the_admin_shows_the_office_manager_why_a_channel_is_refused(client, manager, site):
    client.force_login(manager)
    form = {"site": site.pk, "name": "Ops", "kind": ChannelKind.GENERIC, "secret": "", "active": "on"}

    response = client.post("/admin/reception/notificationchannel/add/", {**form, "url": "https://169.254.169.254/"})

    assert response.status_code == 200
    assert "169.254.169.254 is a private, loopback, link-local or reserved address" in response.content.decode()
    assert not NotificationChannel.objects.exists()


# --- when a message is sent ---------------------------------------------------------------


def test_a_robot_whose_name_resolves_to_a_local_address_is_not_sent_to(chat_notification, resolver, connections):
    resolver.answers = [[PUBLIC, "127.0.0.1"]]
    notification = chat_notification(ROBOT)

    notification = notify.deliver(notification.pk)

    assert notification.status == Status.FAILED and notification.attempts == 1
    assert notification.last_error == (
        "DeliveryError: The webhook's host robot.example is at 127.0.0.1, a private, loopback, link-local or "
        "reserved address; Lobby does not send there."
    )
    assert connections == []  # no request was made


def test_it_gives_up_on_such_a_robot_after_the_last_attempt(chat_notification, resolver, connections):
    resolver.answers = [["::1"]]
    notification = chat_notification(ROBOT, ChannelKind.DINGTALK)

    for _ in range(notify.MAX_ATTEMPTS):
        notification = notify.deliver(notification.pk)

    assert notification.status == Status.GAVE_UP and "is at ::1" in notification.last_error
    assert connections == []


def test_a_channel_stored_with_plain_http_is_not_sent_to(chat_notification, resolver, connections):
    notification = chat_notification("http://robot.example/hook", ChannelKind.GENERIC)

    notification = notify.deliver(notification.pk)

    assert notification.status == Status.FAILED and "only to https:// addresses" in notification.last_error
    assert connections == []


def test_the_connection_goes_to_the_address_that_was_checked_not_a_later_answer(
    chat_notification, resolver, monkeypatch
):
    resolver.answers = [[PUBLIC], ["127.0.0.1"]]  # a rebinding resolver: public first, local after
    tried = []

    def connect(address, *args, **kwargs):
        tried.append(address)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(socket, "create_connection", connect)
    notification = chat_notification(ROBOT)

    notification = notify.deliver(notification.pk)

    assert tried == [(PUBLIC, 443)] and resolver.lookups == 1
    assert notification.status == Status.FAILED and "refused by the test" in notification.last_error


def test_a_url_pasted_without_its_scheme_is_taken_as_https(client, manager, site):
    client.force_login(manager)
    form = {"site": site.pk, "name": "Group", "kind": ChannelKind.WECOM, "secret": "", "active": "on"}

    response = client.post("/admin/reception/notificationchannel/add/", {**form, "url": "robot.example/hook?key=k"})

    assert response.status_code == 302
    assert NotificationChannel.objects.get().url == "https://robot.example/hook?key=k"
