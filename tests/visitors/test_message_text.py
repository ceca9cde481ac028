"""What visitors and staff type reaches each message in that message's own
format (issue #15 items 4 and 5): verbatim in plain-text email, HTML-escaped
once in HTML email, markdown-escaped in a work-chat robot's title and body, so
a name can neither show as `&amp;` nor put a live link into a chat (R3.1, R3.2,
R6.8)."""

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.html import escape

from reception.models import ChannelKind, NotificationChannel
from tests.corpus import families
from tests.reception.night_shift import local, roster_night
from tests.reception.night_shift import walk_in as night_walk_in
from tests.visitors.desk import walk_in
from visitors import notify
from visitors.invitations import create_invitation
from visitors.models import Notification

NAME = 'O\'Brien & Söhne <GmbH> "Ltd"'
LINK = "[Verify your badge](http://evil.example/login)"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# A markdown link or image starts with an unescaped "[" and goes on with "](".
LIVE_LINK = re.compile(r"(?<!\\)(?:\\\\)*(?:\[|\]\()")


def assert_plain_and_html(subject: str, text: str, html: str, value: str) -> None:
    assert value in subject and value in text
    assert escape(value) in html and value not in html
    assert "&amp;amp;" not in html and "&amp;" not in subject + text and "&#x27;" not in subject + text


def channel_notification(visit, kind: str) -> Notification:
    channel = NotificationChannel.objects.create(site=visit.site, name=kind, kind=kind, url="https://robot.example/")
    return Notification.objects.create(
        visit=visit, site=visit.site, kind=Notification.Kind.ARRIVAL, channel=channel, dedupe_key=f"chat:{kind}"
    )


def robot_fields(notification: Notification) -> dict[str, str]:
    """Every text field of the robot's JSON payload, by where it sits."""
    payload = json.loads(notify.webhook_request(notification, now=0).data)
    if notification.channel.kind == ChannelKind.WECOM:
        return {"content": payload["markdown"]["content"]}
    return {"title": payload["markdown"]["title"], "text": payload["markdown"]["text"]}


# --- plain-text and HTML email ---------------------------------------------------------


@pytest.mark.parametrize("kind", [Notification.Kind.ARRIVAL, Notification.Kind.ESCALATION])
def test_an_arrival_or_escalation_email_carries_the_name_as_typed(
    daytime, clerk, host, business, business_room, mailoutbox, kind
):
    visit = walk_in(category=business, room=business_room, by=clerk, host=host, name=NAME, company=NAME)
    notification = Notification.objects.create(
        visit=visit, site=visit.site, kind=kind, recipient=host, address=host.email, dedupe_key="mail"
    )

    assert notify.deliver(notification.pk).status == Notification.Status.SENT

    [email] = mailoutbox
    assert_plain_and_html(email.subject, email.body, email.alternatives[0][0], NAME)


def test_an_invitation_email_carries_the_names_as_typed(daytime, site, host, business, business_room, mailoutbox):
    site.name = NAME
    site.save()
    invitation = create_invitation(
        site=site,
        by=host,
        email="obrien@example.com",
        full_name=NAME,
        company="",
        category=business,
        host=host,
        room=business_room,
        purpose="Talks",
        party_size=1,
        expected_at=timezone.now() + timedelta(minutes=30),
    )
    notification = notify.invitation_notification(invitation)

    assert notify.deliver(notification.pk).status == Notification.Status.SENT

    [email] = mailoutbox
    assert_plain_and_html(email.subject, email.body, email.alternatives[0][0], NAME)


def test_the_morning_report_email_carries_the_names_as_typed(
    site, director, night_officer, ordinary, lounge, time_machine, mailoutbox
):
    site.name = NAME
    site.save()
    evening, morning = date(2026, 11, 26), date(2026, 11, 27)
    roster_night(site, night_officer, evening)
    night_walk_in(
        category=ordinary, room=lounge, by=night_officer, at=local(site, evening, 23), name=NAME, company=NAME
    )
    time_machine.move_to(local(site, morning, 8, 5), tick=False)
    notification = Notification.objects.create(
        site=site,
        kind=Notification.Kind.REPORT,
        report_day=morning,
        recipient=director,
        address=director.email,
        dedupe_key="report",
    )

    assert notify.deliver(notification.pk).status == Notification.Status.SENT

    [email] = mailoutbox
    assert_plain_and_html(email.subject, email.body, email.alternatives[0][0], NAME)


def test_every_plain_text_template_renders_without_html_escaping():
    plain = sorted(TEMPLATES.rglob("*.txt")) + sorted(TEMPLATES.rglob("*.md"))

    unescaped = [path.relative_to(TEMPLATES).as_posix() for path in plain if "{% autoescape off %}" in path.read_text()]

    assert unescaped == [path.relative_to(TEMPLATES).as_posix() for path in plain]


# --- work-chat robots ------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ChannelKind.WECOM, ChannelKind.DINGTALK])
def test_a_walk_in_named_like_a_link_puts_no_live_link_into_a_chat(daytime, clerk, host, business, business_room, kind):
    visit = walk_in(category=business, room=business_room, by=clerk, host=host, name=LINK, company=LINK)

    fields = robot_fields(channel_notification(visit, kind))

    for where, value in fields.items():
        assert not LIVE_LINK.search(value), (where, value)
        assert notify.markdown_text(LINK) in value, where


@pytest.mark.parametrize("kind", [ChannelKind.WECOM, ChannelKind.DINGTALK])
def test_what_staff_type_is_escaped_in_a_chat_too(daytime, clerk, host, business, business_room, kind):
    business.name = "[VIP](http://evil.example/c)"
    business.save()
    business_room.name = "[Room](http://evil.example/r)"
    business_room.save()
    host.last_name = "[Sun](http://evil.example/h)"
    host.save()
    visit = walk_in(category=business, room=business_room, by=clerk, host=host, name="Hans Müller")

    fields = robot_fields(channel_notification(visit, kind))

    for where, value in fields.items():
        assert not LIVE_LINK.search(value), (where, value)


def test_a_chat_title_is_markdown_escaped_and_holds_no_html_entities(daytime, clerk, host, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk, host=host, name=NAME)
    notification = channel_notification(visit, ChannelKind.GENERIC)

    title, text = notify.chat_text(notification)
    payload = notify.webhook_payload(notification)

    assert notify.markdown_text(NAME) in title and notify.markdown_text(NAME) in text
    assert "&amp;" not in title + text and "&#x27;" not in title + text and "&quot;" not in title + text
    assert (payload["title"], payload["text"]) == (title, text)  # the generic webhook carries the same safe text
    assert payload["visit"]["visitor"] == NAME  # and the data as typed


def test_no_markdown_or_entity_in_the_corpus_makes_a_live_link_in_a_chat(daytime, clerk, host, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk, host=host)
    notification = channel_notification(visit, ChannelKind.DINGTALK)

    for value in families()["markdown"]:
        visit.visitor.full_name = visit.visitor.company = value
        fields = robot_fields(notification)
        for where, shown in fields.items():
            assert not LIVE_LINK.search(shown), (value, where, shown)
            assert notify.markdown_text(value) in shown, (value, where, shown)  # escaped once, for markdown only
