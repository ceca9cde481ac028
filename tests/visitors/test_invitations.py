"""Invitations: a host, clerk or secretary pre-registers a visit; the visitor
gets a signed link and a QR code, confirms on the phone, and checks in by code."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.utils import timezone

from reception.errors import ReceptionError
from visitors import invitations, links, services
from visitors.models import AuditEvent, Invitation, Notification, PrivacyConsent, Visit, VisitSource, VisitStatus


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def invite_form(category, **extra):
    return {
        "full_name": "Kenji Tanaka",
        "email": "kenji@tanaka.example",
        "company": "Tanaka Industries",
        "category": category.pk,
        "expected_at": "2026-11-27T14:00",
        "expected_until": "2026-11-27T16:00",
        "purpose": "Product demonstration",
        "party_size": "2",
        **extra,
    }


def link_in(message) -> str:
    match = re.search(r"http://[^\s]+/i/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(1)


# --- creating an invitation ------------------------------------------------------------


def test_a_host_invites_a_visitor_who_gets_a_link_and_a_qr_code(
    client, host, business, daytime, immediate_tasks, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(host)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/desk/invitations/new/", invite_form(business))

    assert response.status_code == 302 and response["Location"] == "/desk/invitations/new/"
    invitation = Invitation.objects.select_related("visit__visitor").get()
    visit = invitation.visit
    assert visit.status == VisitStatus.EXPECTED and visit.source == VisitSource.INVITATION
    assert visit.host == host and visit.registered_by == host
    assert timezone.localtime(visit.expected_at, visit.site.tzinfo).hour == 14
    assert invitation.expires_at == timezone.datetime.fromisoformat("2026-11-28T00:00:00+08:00")
    assert invitation.sent_at is not None
    assert Notification.objects.get(kind="invitation").status == Notification.Status.SENT
    [email] = mailoutbox
    assert email.to == ["kenji@tanaka.example"]
    assert invitation.code in email.body
    token = link_in(email)
    assert signing.loads(token, salt=links.INVITATION_SALT) == invitation.pk
    assert "kenji" not in token.lower() and "tanaka" not in token.lower()  # no personal data in the URL
    html, _ = email.alternatives[0]
    assert 'src="cid:invitation-qr"' in html and "http" not in html.split("cid:invitation-qr")[0].split("<img")[-1]
    [qr] = [part for part in email.attachments if part.get_content_type() == "image/png"]
    assert qr["Content-ID"] == "<invitation-qr>"
    assert AuditEvent.objects.filter(action="invitation.create", object_id=str(invitation.pk)).exists()


def test_the_message_tells_the_desk_the_code(client, host, business, daytime):
    client.force_login(host)

    response = client.post("/desk/invitations/new/", invite_form(business), follow=True)

    assert f"Their code is {Invitation.objects.get().code}" in response.content.decode()


def test_a_host_invites_only_for_themself(client, host, clerk, business, daytime):
    client.force_login(host)

    page = client.get("/desk/invitations/new/").content.decode()
    client.post("/desk/invitations/new/", invite_form(business, host=clerk.pk))

    assert 'name="host"' not in page
    assert not Invitation.objects.filter(visit__host=clerk).exists()


def test_a_clerk_invites_on_behalf_of_a_host(client, clerk, host, business, daytime):
    client.force_login(clerk)

    response = client.post("/desk/invitations/new/", invite_form(business, host=host.pk))

    assert response.status_code == 302
    assert Invitation.objects.get().visit.host == host


def test_a_secretary_may_invite_and_security_may_not(client, secretary, security_guard, host, business, daytime):
    client.force_login(secretary)
    assert client.get("/desk/invitations/new/").status_code == 200

    client.force_login(security_guard)
    response = client.post("/desk/invitations/new/", invite_form(business, host=host.pk))

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/desk/invitations/new/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_invitation_into_a_room_not_allowed_is_refused_with_the_rule(client, host, business, lounge, daytime):
    client.force_login(host)

    response = client.post("/desk/invitations/new/", invite_form(business, room=lounge.pk))

    assert response.status_code == 200
    assert "may not be received in Lounge (R1.3)" in response.content.decode()
    assert not Invitation.objects.exists() and not Visit.objects.exists()


def test_expected_at_starts_at_the_next_half_hour_on_the_sites_clock(client, host, business, time_machine):
    time_machine.move_to("2026-11-27 10:07:00+08:00", tick=False)  # Shanghai; 02:07 UTC
    client.force_login(host)

    page = client.get("/desk/invitations/new/").content.decode()

    assert re.search(r'name="expected_at" value="2026-11-27T10:30"', page), page


def test_expected_at_on_the_half_hour_moves_to_the_next_one(site, time_machine):
    from visitors.public_forms import next_half_hour

    time_machine.move_to("2026-11-27 23:30:00+08:00", tick=False)

    assert next_half_hour(site).isoformat() == "2026-11-28T00:00:00+08:00"


def test_the_form_offers_only_the_rooms_allowed_for_the_category_and_deciding_on_arrival(
    client, host, vip, business, rooms, daytime
):
    client.force_login(host)

    blank = client.get("/desk/invitations/new/").content.decode()
    chosen = client.post("/desk/invitations/new/", invite_form(vip, purpose="")).content.decode()

    room_list = re.search(r'<select name="room".*?</select>', blank, re.S).group(0)
    assert "Decide on arrival" in room_list and "Lounge" not in room_list and "Business Room" not in room_list
    room_list = re.search(r'<select name="room".*?</select>', chosen, re.S).group(0)
    assert "Culture Pavilion" in room_list and "General Manager" in room_list and "Decide on arrival" in room_list
    assert "Lounge" not in room_list and "Business Room" not in room_list
    assert 'hx-get="/desk/invitations/new/rooms/"' in chosen


def test_the_rooms_follow_the_category_and_the_party_size_and_keep_the_choice(
    client, host, vip, business, rooms, business_room, gm_office, daytime
):
    client.force_login(host)

    business_rooms = client.get(
        "/desk/invitations/new/rooms/", {"category": business.pk, "party_size": 2, "room": business_room.pk}
    ).content.decode()
    big_party = client.get(
        "/desk/invitations/new/rooms/", {"category": vip.pk, "party_size": 6, "room": gm_office.pk}
    ).content.decode()

    assert business_rooms.startswith('<option value="">Decide on arrival</option>')
    assert f'<option value="{business_room.pk}" selected>Business Room</option>' in business_rooms
    assert "General Manager" in business_rooms and "Lounge" not in business_rooms
    assert "Culture Pavilion" in big_party and "General Manager" not in big_party  # four places only
    assert " selected" not in big_party


def test_the_room_list_without_a_category_offers_only_deciding_on_arrival(client, host, rooms, daytime):
    client.force_login(host)

    options = client.get("/desk/invitations/new/rooms/", {"category": "x", "party_size": "-3"}).content.decode()

    assert options.strip() == '<option value="">Decide on arrival</option>'


def test_a_visit_that_ends_before_it_starts_is_refused(client, host, business, daytime):
    client.force_login(host)

    response = client.post("/desk/invitations/new/", invite_form(business, expected_until="2026-11-27T13:00"))

    assert "The visit must end after it starts." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_visit_in_the_past_is_refused(client, host, business, daytime):
    client.force_login(host)

    response = client.post(
        "/desk/invitations/new/", invite_form(business, expected_at="2026-11-26T09:00", expected_until="")
    )

    assert "The visit cannot start in the past." in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expected_at", "9999-12-31T23:59"),  # issue #15: a 500 before, past what a site's clock can show
        ("expected_at", "2028-01-01T10:00"),  # more than a year after 2026-11-27
        ("expected_until", "9999-12-31T23:59"),
    ],
)
def test_a_visit_more_than_a_year_ahead_is_a_form_error(client, host, business, daytime, field, value):
    client.force_login(host)

    response = client.post("/desk/invitations/new/", invite_form(business, **{field: value}))

    assert response.status_code in (200, 400)
    assert "A visit is expected at most a year ahead; check the year." in response.content.decode()
    assert not Invitation.objects.exists()


# --- the visitor's phone ----------------------------------------------------------------


def test_the_link_shows_the_visit_and_a_form_to_confirm(client, invitation):
    token = links.invitation_token(invitation)

    page = client.get(f"/i/{token}/")

    body = page.content.decode()
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert "Headquarters Base" in body and "Sales-Sun Li" in body and "10:30" in body
    assert 'value="Kenji Tanaka"' in body
    assert "host@lobby.test" not in body
    assert invitation.code not in body  # the pass appears once the details are confirmed


def test_the_visitor_confirms_details_and_accepts_the_privacy_notice(client, invitation, daytime):
    token = links.invitation_token(invitation)

    response = client.post(
        f"/i/{token}/",
        {
            "full_name": "Kenji Tanaka",
            "company": "Tanaka Industries Ltd",
            "phone": "+81 3 5550123",
            "accept_privacy": "on",
        },
    )

    assert response.status_code == 302 and response["Location"] == f"/i/{token}/"
    invitation.refresh_from_db()
    visitor = invitation.visit.visitor
    assert (visitor.company, visitor.phone) == ("Tanaka Industries Ltd", "+81 3 5550123")
    assert invitation.confirmed_at == invitation.privacy_accepted_at == timezone.now()
    event = AuditEvent.objects.get(action="invitation.confirm")
    assert event.changes == {"fields": ["company", "phone"], "privacy_accepted": True}  # names, not values
    page = client.get(f"/i/{token}/").content.decode()
    assert invitation.code in page and "<svg" in page  # the pass: code and QR code
    assert "Thank you, your details are confirmed." in page


def test_after_confirming_the_page_says_when_the_privacy_notice_was_accepted(client, invitation, daytime):
    token = links.invitation_token(invitation)
    details = {"full_name": "Kenji Tanaka", "company": "Tanaka Industries", "phone": "+81 3 5550123"}
    client.post(f"/i/{token}/", {**details, "accept_privacy": "on"})
    daytime.shift(3600)

    page = client.get(f"/i/{token}/").content.decode()
    # A correction later asks nothing again: the consent stands (R4.1).
    corrected = client.post(f"/i/{token}/", {**details, "phone": "+81 3 5550999"})

    # Issue #16 item 10: no unticked box; what was accepted, and when, on the site's clock.
    assert "You accepted the privacy notice on 2026-11-27 10:00." in page
    assert 'name="accept_privacy"' not in page and 'data-testid="privacy-notice"' in page
    assert corrected.status_code == 302
    invitation.refresh_from_db()
    assert invitation.visit.visitor.phone == "+81 3 5550999"
    assert invitation.privacy_accepted_at == timezone.now() - timedelta(hours=1)
    assert PrivacyConsent.objects.get(visit=invitation.visit).accepted_at == invitation.privacy_accepted_at


def test_confirming_without_the_privacy_notice_changes_nothing(client, invitation):
    token = links.invitation_token(invitation)

    response = client.post(f"/i/{token}/", {"full_name": "Someone Else", "phone": "+81 3 5550123"})

    assert response.status_code == 200
    assert "Please read and accept the privacy notice." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.visit.visitor.full_name == "Kenji Tanaka"
    assert invitation.confirmed_at is None


def test_a_tampered_link_answers_404(client, invitation):
    token = links.invitation_token(invitation)
    forged = signing.dumps(invitation.pk, salt="something-else")

    for bad in [token[:-2] + "xx", forged, "garbage", "%00"]:
        response = client.get(f"/i/{bad}/")
        assert response.status_code == 404, bad
        assert "This invitation link is not valid." in response.content.decode()


def test_an_expired_invitation_answers_410(client, invitation, daytime):
    token = links.invitation_token(invitation)
    daytime.shift(timedelta(days=1))

    response = client.post(f"/i/{token}/", {"full_name": "Kenji Tanaka", "accept_privacy": "on"})

    assert response.status_code == 410
    assert "This invitation has expired." in response.content.decode()
    assert Invitation.objects.get().confirmed_at is None


def test_after_check_in_the_link_only_welcomes(client, invitation, clerk):
    invitations.check_in_by_code(site=invitation.visit.site, code=invitation.code, by=clerk)
    token = links.invitation_token(invitation)

    page = client.get(f"/i/{token}/").content.decode()
    refused = client.post(f"/i/{token}/", {"full_name": "Changed", "accept_privacy": "on"})

    assert "You are checked in. Welcome!" in page and 'name="full_name"' not in page
    assert "already been used to check in" in refused.content.decode()
    assert Visit.objects.get().visitor.full_name == "Kenji Tanaka"


def test_the_phone_page_speaks_chinese(client, invitation, site):
    site.privacy_notice_zh = "隐私声明：我们保存您的资料180天。"
    site.save()
    client.cookies["django_language"] = "zh-hans"

    page = client.get(f"/i/{links.invitation_token(invitation)}/").content.decode()

    assert 'lang="zh-hans"' in page and "隐私声明" in page


# --- on the day: the desk ----------------------------------------------------------------


def test_the_desk_checks_an_invited_visitor_in_by_code(client, clerk, invitation):
    client.force_login(clerk)

    response = client.post("/desk/invitations/check-in/", {"code": f" {invitation.code[:4]}-{invitation.code[4:]} "})

    visit = Visit.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/visits/{visit.pk}/"
    assert visit.status == VisitStatus.ON_SITE and visit.checked_in_by == clerk


def test_the_desk_is_told_when_a_code_is_unknown(client, clerk, invitation):
    client.force_login(clerk)

    response = client.post("/desk/invitations/check-in/", {"code": "ZZZZZZZZ"})

    assert "We could not find an invitation with that code." in response.content.decode()
    assert Visit.objects.get().status == VisitStatus.EXPECTED


def test_a_host_cannot_use_the_desk_check_in(client, host, invitation):
    client.force_login(host)

    assert client.post("/desk/invitations/check-in/", {"code": invitation.code}).status_code == 403
    assert Visit.objects.get().status == VisitStatus.EXPECTED


def test_an_invitation_for_tomorrow_cannot_be_used_today(client, clerk, host, site, business, daytime):
    tomorrow = invitations.create_invitation(
        site=site,
        by=host,
        email="early@example.com",
        full_name="Early Bird",
        category=business,
        host=host,
        purpose="Talks",
        expected_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(clerk)

    response = client.post("/desk/invitations/check-in/", {"code": tomorrow.code})

    assert "Your invitation is for" in response.content.decode()
    assert Visit.objects.get().status == VisitStatus.EXPECTED


def test_a_cancelled_visit_cannot_be_checked_in_by_its_code(client, clerk, invitation):
    services.close_expected_visit(visit=invitation.visit, by=clerk, outcome=VisitStatus.CANCELLED)
    client.force_login(clerk)

    response = client.post("/desk/invitations/check-in/", {"code": invitation.code})

    assert "This visit is no longer expected." in response.content.decode()
    assert Visit.objects.get().status == VisitStatus.CANCELLED


@pytest.mark.parametrize(
    "expected_at, expected_until",
    [
        (datetime(9999, 12, 31, tzinfo=UTC), None),
        (timezone.now() + timedelta(days=400), None),
        (timezone.now() + timedelta(hours=2), datetime(9999, 12, 31, tzinfo=UTC)),
    ],
)
def test_the_service_refuses_a_visit_the_pages_could_not_show(
    host, site, business, daytime, expected_at, expected_until
):
    with pytest.raises(ReceptionError) as refusal:
        invitations.create_invitation(
            site=site,
            by=host,
            email="far@example.com",
            full_name="Far Future",
            category=business,
            host=host,
            purpose="Talks",
            expected_at=expected_at,
            expected_until=expected_until,
        )

    assert refusal.value.code == "date_out_of_range"
    assert not Invitation.objects.exists() and not Visit.objects.exists()


def test_the_desk_is_asked_for_the_room_of_an_invitation_that_left_it_open(
    client, clerk, host, site, business, business_room, daytime
):
    open_invitation = invitations.create_invitation(
        site=site,
        by=host,
        email="kenji@tanaka.example",
        full_name="Kenji Tanaka",
        category=business,
        host=host,
        purpose="Talks",
        expected_at=timezone.now() + timedelta(minutes=30),
    )
    client.force_login(clerk)

    asked = client.post("/desk/invitations/check-in/", {"code": open_invitation.code})

    page = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="room-choice"' in page
    assert "Rooms with space: Business Room." in page  # R1.3
    assert f'<option value="{business_room.pk}" selected>' in page  # the only one, pre-selected
    assert Visit.objects.get().status == VisitStatus.EXPECTED

    response = client.post("/desk/invitations/check-in/", {"code": open_invitation.code, "room": business_room.pk})

    visit = Visit.objects.get()
    assert response.status_code == 302
    assert (visit.status, visit.room, visit.checked_in_by) == (VisitStatus.ON_SITE, business_room, clerk)
