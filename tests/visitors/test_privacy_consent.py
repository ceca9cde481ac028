"""The visitor's acceptance of the privacy notice is kept for every visit
(issue #15 item 14, R4.1): which version of the site's notice, when, and how:
at the kiosk, with the invitation, or shown by the desk clerk."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.visitors.desk import walk_in as desk_walk_in
from visitors import invitations, privacy
from visitors.models import AuditEvent, ConsentWay, PrivacyConsent, Visit


def test_a_kiosk_walk_in_records_the_consent_and_the_notice_version(walk_in, site):
    response = walk_in()

    visit = Visit.objects.get()
    consent = visit.privacy_consent
    assert response.status_code == 302
    assert (consent.way, consent.shown_by, consent.accepted_at) == (ConsentWay.KIOSK, None, timezone.now())
    assert consent.notice_version == privacy.notice_version(site)
    assert AuditEvent.objects.get(action="visit.register").changes["privacy_notice"] == consent.notice_version


def test_the_notice_version_changes_when_the_office_manager_edits_the_notice(site):
    before = privacy.notice_version(site)
    site.privacy_notice_en = "We keep your name for 90 days."

    assert privacy.notice_version(site) != before and len(before) == 12


def test_confirming_an_invitation_records_the_consent(client, invitation):
    from visitors import links

    client.post(
        f"/i/{links.invitation_token(invitation)}/",
        {"full_name": "Kenji Tanaka", "phone": "+81 3 5550123", "accept_privacy": "on"},
    )

    consent = PrivacyConsent.objects.get(visit=invitation.visit)
    assert (consent.way, consent.accepted_at) == (ConsentWay.INVITATION, timezone.now())


def test_the_kiosk_keeps_the_invitations_consent_when_the_visitor_checks_in_by_code(invitation, lobby_kiosk):
    invitations.confirm_invitation(
        invitation=invitation, full_name="Kenji Tanaka", company="", phone="", accept_privacy=True
    )

    invitations.check_in_by_code(site=lobby_kiosk.site, code=invitation.code, kiosk=lobby_kiosk, accept_privacy=True)

    assert PrivacyConsent.objects.get(visit=invitation.visit).way == ConsentWay.INVITATION


def test_an_unconfirmed_invitation_accepts_the_notice_at_the_kiosk(invitation, lobby_kiosk):
    invitations.check_in_by_code(site=lobby_kiosk.site, code=invitation.code, kiosk=lobby_kiosk, accept_privacy=True)

    assert PrivacyConsent.objects.get(visit=invitation.visit).way == ConsentWay.KIOSK


def test_the_desk_records_that_its_clerk_showed_the_notice_at_a_walk_in(client, clerk, daytime, business, rooms):
    client.force_login(clerk)
    form = client.get("/desk/register/").content.decode()

    client.post(
        "/desk/register/",
        {
            "full_name": "Hans Müller",
            "category": business.pk,
            "party_size": 1,
            "room": rooms[1].pk,
            "purpose": "Talks",
        },
    )

    consent = Visit.objects.get().privacy_consent
    assert (consent.way, consent.shown_by) == (ConsentWay.DESK, clerk)
    assert 'data-testid="privacy-notice"' in form  # the clerk has the notice to show


def test_the_desk_records_the_consent_when_it_checks_an_invitation_in(client, clerk, invitation):
    client.force_login(clerk)

    response = client.post(reverse("visitors:check_in", args=[invitation.visit_id]))

    assert response.status_code == 302
    consent = PrivacyConsent.objects.get(visit=invitation.visit)
    assert (consent.way, consent.shown_by) == (ConsentWay.DESK, clerk)


def test_the_visit_page_shows_how_the_notice_was_accepted(client, clerk, daytime, business, business_room):
    visit = desk_walk_in(category=business, room=business_room, by=clerk)
    privacy.record_consent(visit=visit, way=ConsentWay.DESK, by=clerk)
    client.force_login(clerk)

    page = client.get(reverse("visitors:visit", args=[visit.pk])).content.decode()

    assert "Shown by the desk" in page and f"version {privacy.notice_version(visit.site)}" in page


@pytest.mark.parametrize("way", [ConsentWay.KIOSK, ConsentWay.DESK])
def test_the_first_consent_of_a_visit_stands(clerk, daytime, business, business_room, way):
    visit = desk_walk_in(category=business, room=business_room, by=clerk)
    first = privacy.record_consent(visit=visit, way=ConsentWay.INVITATION)

    again = privacy.record_consent(visit=visit, way=way, by=clerk)

    assert again == first and PrivacyConsent.objects.get().way == ConsentWay.INVITATION
