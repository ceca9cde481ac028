"""Host notification on arrival (R3.2): email with a one-click acknowledge link,
webhooks (generic HMAC-signed JSON, WeCom and DingTalk robots), delivery
failures that never touch the check-in, retries, and what the desk sees."""

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from reception.models import ChannelKind, NotificationChannel
from visitors import escalation, links, notify, services
from visitors.dashboard import desk_context
from visitors.models import AuditEvent, Notification, Visit, VisitEvent, Visitor, VisitStatus
from visitors.tasks import deliver_notification, notify_arrival

Status = Notification.Status


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def allow_private_webhooks(settings):
    """The installation's receivers are on its own network, over plain http
    (issue #15 item 8), as the local test receivers are."""
    settings.LOBBY_ALLOW_PRIVATE_WEBHOOKS = True


@pytest.fixture
def receiver(allow_private_webhooks):
    """A webhook endpoint on 127.0.0.1 that records what it is sent (any
    method) and answers with `reply_status` / `reply_headers` / `reply_body`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            server.requests.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
            )
            self.send_response(server.reply_status)
            self.send_header("Content-Type", "application/json")
            for name, value in server.reply_headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(server.reply_body)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests, server.reply_status, server.reply_body = [], 200, b'{"errcode": 0, "errmsg": "ok"}'
    server.reply_headers = {}
    server.url = f"http://127.0.0.1:{server.server_port}/hook?key=robot-key"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port():
    """A local port nothing listens on: a mail server or webhook that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broken_smtp(settings, closed_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2


def arrive(clerk, category, room, name="Hans Müller", company="Bergmann GmbH", host=None):
    visit = Visit(category=category, room=room, host=host, purpose="Talks", party_size=1)
    return services.register_visit(
        visit=visit, visitor=Visitor(full_name=name, company=company, phone="+49 30 1234567"), by=clerk, arrive_now=True
    )


@pytest.fixture
def arrival(daytime, clerk, host, business, business_room, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return arrive(clerk, business, business_room, host=host)


# --- queued after the check-in commits ---------------------------------------------------


def test_a_check_in_queues_the_host_notice_which_starts_the_escalation_watch(
    daytime, clerk, host, business, business_room, django_capture_on_commit_callbacks, time_machine
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = arrive(clerk, business, business_room, host=host)

    [queued] = DBTaskResult.objects.all()  # one task insert per check-in
    assert queued.task_path == "visitors.tasks.notify_arrival"
    assert queued.args_kwargs == {"args": [visit.pk], "kwargs": {}}
    assert not Notification.objects.exists()  # nothing is sent inside the check-in

    # The worker gets to it late: the watch is still due 30 minutes after the
    # arrival (R3.2), not after the notice.
    time_machine.shift(timedelta(minutes=7))
    notify_arrival.call(visit.pk)

    escalation = DBTaskResult.objects.get(task_path="visitors.tasks.escalate")
    assert escalation.args_kwargs == {"args": [visit.pk], "kwargs": {}}
    assert escalation.run_after == visit.checked_in_at + timedelta(minutes=30)  # R3.2 deadline


def test_a_check_in_that_fails_queues_nothing(
    daytime, clerk, host, business, lounge, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="R1.3"):
        arrive(clerk, business, lounge, host=host)  # a business visitor in the Lounge is refused

    assert not DBTaskResult.objects.exists()


def test_an_expected_visit_checked_in_at_the_desk_queues_its_notice_too(
    invitation, clerk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.check_in_visit(visit=invitation.visit, by=clerk)

    assert DBTaskResult.objects.filter(task_path="visitors.tasks.notify_arrival").count() == 1


# --- email to the host --------------------------------------------------------------------


def test_the_host_gets_an_email_with_a_one_click_acknowledge_link(arrival, host, mailoutbox):
    notify_arrival.call(arrival.pk)
    [notification] = Notification.objects.filter(kind="arrival")
    deliver_notification.call(notification.pk)

    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.recipient == host
    assert notification.attempts == 1 and notification.sent_at == timezone.now()
    [email] = mailoutbox
    assert email.to == ["host@lobby.test"]
    assert "Hans Müller" in email.subject
    assert "Business Room" in email.body and "10:30 (R3.2)" in email.body
    token = links.ack_token(arrival, host)
    assert f"http://127.0.0.1:8000/i/ack/{token}/" in email.body


def test_running_the_arrival_task_twice_tells_nobody_twice(arrival, mailoutbox, immediate_tasks):
    notify_arrival.call(arrival.pk)
    notify_arrival.call(arrival.pk)

    assert Notification.objects.filter(kind="arrival").count() == 1
    assert len(mailoutbox) == 1


def test_a_vip_arrival_also_tells_the_office_director_at_once(
    daytime, clerk, host, director, vip, culture_pavilion, immediate_tasks, mailoutbox
):
    vip.notify_director_on_arrival = True
    vip.save()
    visit = arrive(clerk, vip, culture_pavilion, host=host)

    notify_arrival.call(visit.pk)

    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"host", "director"}
    assert sorted(email.to[0] for email in mailoutbox) == ["director@lobby.test", "host@lobby.test"]


def test_a_host_without_an_email_address_shows_as_failed_at_the_desk(arrival, host):
    host.email = ""
    host.save()

    notify_arrival.call(arrival.pk)

    notification = Notification.objects.get(kind="arrival")
    assert notification.status == Status.GAVE_UP
    assert notification.last_error == "Sales-Sun Li has no email address."


# --- webhooks ---------------------------------------------------------------------------------


def test_a_generic_webhook_gets_signed_json(arrival, site, receiver, immediate_tasks):
    NotificationChannel.objects.create(site=site, name="Ops", kind=ChannelKind.GENERIC, url=receiver.url, secret="s3")

    notify_arrival.call(arrival.pk)

    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    expected = hmac.new(b"s3", headers["X-Lobby-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Lobby-Signature"] == f"sha256={expected}"
    assert headers["X-Lobby-Event"] == "visit.arrival"
    payload = json.loads(body)
    assert payload["visit"]["visitor"] == "Hans Müller" and payload["visit"]["host"] == "Sales-Sun Li"
    assert payload["visit"]["category"] == "B" and payload["visit"]["room"] == "Business Room"
    assert "host@lobby.test" not in body.decode() and "1234567" not in body.decode()  # no staff email, no phone
    assert Notification.objects.get(channel__name="Ops").status == Status.SENT


def test_a_tampered_body_fails_the_signature_check(arrival, site, receiver, immediate_tasks):
    NotificationChannel.objects.create(site=site, name="Ops", kind=ChannelKind.GENERIC, url=receiver.url, secret="s3")
    notify_arrival.call(arrival.pk)
    request = receiver.requests[0]
    tampered = request["body"].replace(b"Business Room", b"Lounge")

    digest = hmac.new(b"s3", request["headers"]["X-Lobby-Timestamp"].encode() + b"." + tampered, hashlib.sha256)

    assert request["headers"]["X-Lobby-Signature"] != f"sha256={digest.hexdigest()}"


def test_a_wecom_robot_gets_markdown(arrival, site, receiver, immediate_tasks):
    NotificationChannel.objects.create(site=site, name="Reception group", kind=ChannelKind.WECOM, url=receiver.url)

    notify_arrival.call(arrival.pk)

    payload = json.loads(receiver.requests[0]["body"])
    assert payload["msgtype"] == "markdown"
    assert "Hans Müller" in payload["markdown"]["content"] and "Sales-Sun Li" in payload["markdown"]["content"]
    assert receiver.requests[0]["path"] == "/hook?key=robot-key"


def test_a_dingtalk_robot_gets_the_timestamp_and_sign_of_its_docs(arrival, site, receiver, immediate_tasks):
    secret = "SECdeadbeef"
    NotificationChannel.objects.create(
        site=site, name="钉钉群", kind=ChannelKind.DINGTALK, url=receiver.url, secret=secret
    )

    notify_arrival.call(arrival.pk)

    query = urllib.parse.parse_qs(urllib.parse.urlsplit(receiver.requests[0]["path"]).query)
    timestamp = query["timestamp"][0]
    assert abs(int(timestamp) - timezone.now().timestamp() * 1000) < 1000  # milliseconds
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert query["sign"][0] == base64.b64encode(digest).decode()
    assert query["key"] == ["robot-key"]  # the robot's own token is kept
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["msgtype"] == "markdown" and payload["markdown"]["title"]


def test_a_robot_that_answers_an_error_code_is_a_failed_delivery(arrival, site, receiver, immediate_tasks):
    receiver.reply_body = b'{"errcode": 93000, "errmsg": "invalid webhook url"}'
    NotificationChannel.objects.create(site=site, name="Old group", kind=ChannelKind.WECOM, url=receiver.url)

    notify_arrival.call(arrival.pk)

    notification = Notification.objects.get(channel__name="Old group")
    assert notification.status == Status.FAILED
    assert "errcode 93000: invalid webhook url" in notification.last_error


def test_a_webhook_that_answers_with_a_redirect_is_not_followed(arrival, site, receiver, immediate_tasks):
    internal = f"http://127.0.0.1:{receiver.server_port}/internal/admin"
    receiver.reply_status, receiver.reply_headers = 302, {"Location": internal}
    NotificationChannel.objects.create(site=site, name="Moved", kind=ChannelKind.GENERIC, url=receiver.url)

    notify_arrival.call(arrival.pk)

    assert [request["path"] for request in receiver.requests] == ["/hook?key=robot-key"]  # nothing went on
    notification = Notification.objects.get(channel__name="Moved")
    assert notification.status == Status.FAILED
    assert f"a redirect (HTTP 302 to {internal}), which Lobby does not follow" in notification.last_error


def test_a_visitors_name_cannot_inject_markdown_into_a_chat(daytime, clerk, host, business, business_room):
    visit = arrive(clerk, business, business_room, host=host, name="[click](http://evil.example) **boss**")
    channel = NotificationChannel.objects.create(
        site=visit.site, name="Group", kind=ChannelKind.WECOM, url="http://127.0.0.1:9/"
    )
    notification = Notification.objects.create(
        visit=visit, site=visit.site, kind="arrival", channel=channel, dedupe_key="x"
    )

    _, text = notify.chat_text(notification)

    assert r"\[click\]\(http://evil.example\) \*\*boss\*\*" in text


# --- failures never touch the check-in; retries ---------------------------------------------


def test_a_broken_mail_server_leaves_the_check_in_saved_and_a_retry_queued(
    daytime, clerk, host, business, business_room, broken_smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = arrive(clerk, business, business_room, host=host)
    notify_arrival.call(visit.pk)
    notification = Notification.objects.get(kind="arrival")

    deliver_notification.call(notification.pk)

    assert Visit.objects.get(pk=visit.pk).status == VisitStatus.ON_SITE
    notification.refresh_from_db()
    assert notification.status == Status.FAILED and notification.attempts == 1
    assert "ConnectionRefusedError" in notification.last_error
    [retry] = DBTaskResult.objects.filter(
        task_path="visitors.tasks.deliver_notification", run_after__lt=timezone.now() + timedelta(days=1)
    )
    assert retry.args_kwargs["args"] == [notification.pk]
    assert retry.run_after == notification.created_at + timedelta(minutes=1)  # backoff


def test_a_failing_webhook_leaves_the_check_in_saved_and_a_retry_queued(arrival, site, receiver):
    receiver.reply_status, receiver.reply_body = 500, b"Internal Server Error"
    channel = NotificationChannel.objects.create(site=site, name="Ops", url=receiver.url, secret="s3")
    notify_arrival.call(arrival.pk)
    notification = Notification.objects.get(channel=channel)

    assert deliver_notification.call(notification.pk) == Status.FAILED

    assert Visit.objects.get(pk=arrival.pk).status == VisitStatus.ON_SITE
    notification.refresh_from_db()
    assert "HTTP Error 500" in notification.last_error and notification.attempts == 1
    assert len(receiver.requests) == 1
    assert DBTaskResult.objects.filter(
        task_path="visitors.tasks.deliver_notification",
        args_kwargs__args=[notification.pk],
        run_after=notification.created_at + timedelta(minutes=1),
    ).exists()


def test_a_kiosk_check_in_succeeds_even_when_every_endpoint_is_down_and_tasks_run_inline(
    walk_in,
    site,
    closed_port,
    broken_smtp,
    immediate_tasks,
    allow_private_webhooks,
    django_capture_on_commit_callbacks,
):
    NotificationChannel.objects.create(site=site, name="Down", url=f"http://127.0.0.1:{closed_port}/")

    with django_capture_on_commit_callbacks(execute=True):
        response = walk_in()

    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.status == VisitStatus.ON_SITE
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.FAILED}
    assert Notification.objects.count() == 2  # the host's email and the channel


def test_a_delivery_gives_up_after_the_last_attempt_and_says_so(arrival, broken_smtp):
    notify_arrival.call(arrival.pk)
    notification = Notification.objects.get(kind="arrival")

    for _ in range(notify.MAX_ATTEMPTS + 2):
        notify.deliver(notification.pk)

    notification.refresh_from_db()
    assert notification.attempts == notify.MAX_ATTEMPTS
    assert notification.status == Status.GAVE_UP
    assert notify.next_attempt_at(notification) is None


def test_a_delivery_attempt_is_made_once_even_if_two_workers_claim_it(arrival, mailoutbox):
    notify_arrival.call(arrival.pk)
    notification = Notification.objects.get(kind="arrival")
    Notification.objects.filter(pk=notification.pk).update(attempts=1)  # another worker claimed attempt 1

    stale = notify.deliver(notification.pk)  # reads attempts=1 afresh: it may make attempt 2
    assert stale.attempts == 2 and len(mailoutbox) == 1
    Notification.objects.filter(pk=notification.pk).update(status=Status.SENT)

    assert notify.deliver(notification.pk).attempts == 2  # settled: nothing more is sent
    assert len(mailoutbox) == 1


# --- the acknowledge link --------------------------------------------------------------------


def test_the_acknowledge_link_asks_before_it_acts(client, arrival, host):
    token = links.ack_token(arrival, host)

    page = client.get(f"/i/ack/{token}/")

    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert 'data-testid="ack-button"' in page.content.decode()
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None  # a mail scanner's GET does nothing
    assert "Hans Müller" not in page.content.decode()  # the page names no visitor


def test_the_host_acknowledges_with_one_click(client, arrival, host, daytime):
    daytime.shift(timedelta(minutes=7))
    token = links.ack_token(arrival, host)

    response = client.post(f"/i/ack/{token}/")

    assert response.status_code == 302 and response["Location"] == f"/i/ack/{token}/"
    visit = Visit.objects.get(pk=arrival.pk)
    assert visit.acknowledged_at == timezone.now() and visit.acknowledged_by == host
    assert visit.events.filter(kind=VisitEvent.Kind.ACKNOWLEDGED, by=host).count() == 1
    event = AuditEvent.objects.get(action="visit.acknowledge")
    assert event.changes == {"via": "link", "minutes_waiting": 7, "overdue": False} and event.actor == host
    assert "Acknowledged at 10:07 by Sales-Sun Li" in client.get(f"/i/ack/{token}/").content.decode()


def test_acknowledging_twice_keeps_the_first(client, arrival, host, secretary, daytime):
    client.post(f"/i/ack/{links.ack_token(arrival, host)}/")
    daytime.shift(timedelta(minutes=1))

    client.post(f"/i/ack/{links.ack_token(arrival, secretary)}/")

    visit = Visit.objects.get(pk=arrival.pk)
    assert visit.acknowledged_by == host
    assert visit.events.filter(kind=VisitEvent.Kind.ACKNOWLEDGED).count() == 1


def test_a_forged_or_old_acknowledge_link_answers_404(client, arrival, host, daytime):
    token = links.ack_token(arrival, host)
    daytime.shift(timedelta(days=3))

    for bad in [token, token[:-3] + "abc", "nonsense"]:
        response = client.post(f"/i/ack/{bad}/")
        assert response.status_code == 404
        assert "This link is not valid or has expired." in response.content.decode()
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None


def test_a_visitor_who_left_cannot_be_acknowledged(client, arrival, host, clerk):
    services.check_out_visit(visit=arrival, by=clerk)

    response = client.post(f"/i/ack/{links.ack_token(arrival, host)}/")

    assert response.status_code == 409
    assert "no longer waiting" in response.content.decode()
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None


# --- what the desk sees ----------------------------------------------------------------------


def test_the_dashboard_panel_counts_waiting_overdue_and_acknowledged_without_a_query(
    arrival, clerk, host, business, business_room, site, daytime, django_assert_num_queries
):
    second = arrive(clerk, business, business_room, name="Zhou Jie", host=host)
    third = arrive(clerk, business, business_room, name="Kenji Tanaka", host=host)
    escalation.acknowledge_visit(visit=second, by=host)
    daytime.shift(timedelta(minutes=31))
    Visit.objects.filter(pk=third.pk).update(checked_in_at=timezone.now() - timedelta(minutes=5))
    context = desk_context(site)

    with django_assert_num_queries(0):  # the dashboard counted its own on-site rows
        html = render_to_string("visitors/notifications/dashboard.html", context)

    assert "1 waiting" in html and "1 overdue" in html and "1 acknowledged" in html
    assert 'hx-get="/desk/notifications/"' in html and 'hx-preserve="true"' in html


def test_the_notification_details_show_escalations_and_failures_in_one_query(
    arrival, site, broken_smtp, daytime, django_assert_num_queries
):
    notify_arrival.call(arrival.pk)
    notify.deliver(Notification.objects.get().pk)
    daytime.shift(timedelta(minutes=31))
    escalation.escalate_visit(visit_id=arrival.pk)

    with django_assert_num_queries(1):  # escalations of waiting visits and failed deliveries, joined
        html = Template("{% load notify_tags %}{% notification_details site %}").render(Context({"site": site}))

    assert "Hans Müller" in html and "escalated, step 2" in html
    assert "Notifications not delivered" in html and "Failed, will retry" in html
    assert "ConnectionRefusedError" in html and "Sales-Sun Li" in html


def test_the_desk_sees_notifications_on_the_dashboard_and_the_visit_page(client, clerk, arrival, broken_smtp):
    notify_arrival.call(arrival.pk)
    notify.deliver(Notification.objects.get().pk)
    client.force_login(clerk)

    dashboard = client.get("/desk/").content.decode()
    details = client.get("/desk/notifications/", headers={"HX-Request": "true"})
    visit_page = client.get(f"/desk/visits/{arrival.pk}/").content.decode()

    assert 'data-testid="notifications-panel"' in dashboard and "1 waiting" in dashboard
    assert details.status_code == 200 and "Notifications not delivered" in details.content.decode()
    assert 'data-testid="visit-notifications"' in visit_page and "ConnectionRefusedError" in visit_page


def test_the_notification_details_are_for_the_desk_only(client, host, arrival):
    assert client.get("/desk/notifications/").status_code == 302  # sign in first
    client.force_login(host)

    assert client.get("/desk/notifications/").status_code == 403  # hosts have no desk


def test_polling_the_details_keeps_no_idle_desk_signed_in(client, clerk, arrival, settings, daytime):
    client.force_login(clerk)
    client.get("/desk/")
    daytime.shift(timedelta(minutes=settings.IDLE_TIMEOUT_MINUTES - 1))
    client.get("/desk/notifications/", headers={"HX-Request": "true"})
    daytime.shift(timedelta(minutes=2))

    response = client.get("/desk/notifications/", headers={"HX-Request": "true"})

    assert response["HX-Redirect"].startswith("/accounts/login/")  # the polling did not count as activity


def test_the_visit_panel_takes_one_query(arrival, django_assert_num_queries):
    notify_arrival.call(arrival.pk)

    with django_assert_num_queries(1):  # the visit's notifications with recipients and channels
        html = Template("{% load notify_tags %}{% acknowledgement_panel visit %}").render(Context({"visit": arrival}))

    assert "Sales-Sun Li" in html and "Pending" in html


def test_the_office_manager_reads_every_notification_in_the_admin(client, manager, arrival, broken_smtp):
    notify_arrival.call(arrival.pk)
    notify.deliver(Notification.objects.get().pk)
    client.force_login(manager)

    page = client.get("/admin/visitors/notification/")

    assert page.status_code == 200
    assert "host@lobby.test" in page.content.decode() and "ConnectionRefusedError" in page.content.decode()
    assert client.get(f"/admin/visitors/notification/{Notification.objects.get().pk}/change/").status_code == 200
