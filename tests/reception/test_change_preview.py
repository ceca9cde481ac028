"""Issue #22 item 3: before a change to a room, a category, its escalation
chain or the site's night window is saved, the back office says what it would
do to the visits expected today and tomorrow (R1.3, R3.2, R6.8), and saves it
only once the office manager confirms. A change that affects no expected
visit is saved at once."""

from datetime import datetime, time

import pytest
from django.urls import reverse

from reception.models import DutyCode, EscalationStep, ReceptionRoom, Site, VisitorCategory
from tests.reception.test_admin_audit import category_form, escalation_inline, site_form
from tests.visitors.desk import expect
from visitors import services
from visitors.models import Visit, Visitor

TODAY = "2026-11-27"  # the daytime fixture: Friday 10:00 in Shanghai


@pytest.fixture
def office(client, manager, daytime):
    client.force_login(manager)
    return client


def at(site, day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(datetime.fromisoformat(day).date(), time(hour, minute), tzinfo=site.tzinfo)


def errors(response) -> str:
    return response.content.decode()


def room_form(room, **fields) -> dict:
    return {
        "site": str(room.site_id),
        "name": room.name,
        "capacity": str(room.capacity),
        "categories": [c.pk for c in room.categories.all()],
        "active": "on",
        "sort_order": "0",
        **({"exclusive": "on"} if room.exclusive else {}),
        **fields,
    }


def test_taking_a_category_from_its_room_shows_the_booked_visits_first(
    office, site, clerk, vip, culture_pavilion, gm_office
):
    for hour in (11, 14, 16):
        expect(category=vip, room=culture_pavilion, by=clerk, expected_at=at(site, TODAY, hour))
    # The day after tomorrow is not counted: there is time to rebook it.
    expect(category=vip, room=culture_pavilion, by=clerk, expected_at=at(site, "2026-11-29", 10))
    url = reverse("admin:reception_receptionroom_change", args=[culture_pavilion.pk])

    preview = office.post(url, room_form(culture_pavilion, categories=[]))

    assert preview.status_code == 200
    assert "3 expected VIP visits are booked into a room no longer allowed for them (R1.3)." in errors(preview)
    assert list(ReceptionRoom.objects.get(pk=culture_pavilion.pk).categories.all()) == [vip]

    confirmed = office.post(url, room_form(culture_pavilion, categories=[], confirm_preview="on"))

    assert confirmed.status_code == 302
    assert not ReceptionRoom.objects.get(pk=culture_pavilion.pk).categories.exists()


def test_a_smaller_room_names_the_parties_that_no_longer_fit(office, site, clerk, business, business_room):
    services.register_visit(
        visit=Visit(
            category=business, room=business_room, purpose="Talks", party_size=6, expected_at=at(site, "2026-11-28", 9)
        ),
        visitor=Visitor(full_name="Big Party"),
        by=clerk,
        arrive_now=False,
    )
    url = reverse("admin:reception_receptionroom_change", args=[business_room.pk])

    preview = office.post(url, room_form(business_room, capacity="4"))

    assert "1 expected visit has a party larger than 4 places (R1.3)." in errors(preview)
    assert ReceptionRoom.objects.get(pk=business_room.pk).capacity == 8


def test_an_earlier_night_shows_the_visits_it_moves_to_the_night_officer(office, site, clerk, business, business_room):
    expect(category=business, room=business_room, by=clerk, expected_at=at(site, TODAY, 19))
    url = reverse("admin:reception_site_change", args=[site.pk])

    preview = office.post(url, site_form(site, night_starts="18:00:00"))

    assert preview.status_code == 200
    assert "1 expected visit would arrive in the night window, for the night-duty officer (R6.8)." in errors(preview)
    assert Site.objects.get(pk=site.pk).night_starts == time(20)

    confirmed = office.post(url, site_form(site, night_starts="18:00:00", confirm_preview="on"))

    assert confirmed.status_code == 302
    assert Site.objects.get(pk=site.pk).night_starts == time(18)


def test_a_shorter_deadline_shows_the_visits_held_to_it(office, site, clerk, vip, culture_pavilion):
    expect(category=vip, room=culture_pavilion, by=clerk, expected_at=at(site, TODAY, 15))
    url = reverse("admin:reception_visitorcategory_change", args=[vip.pk])
    data = {**category_form(site, ack_deadline_minutes="10"), **escalation_inline([])}

    preview = office.post(url, data)

    assert "1 expected VIP visit would have 10 minutes to be acknowledged, not 30 (R3.2)." in errors(preview)
    assert VisitorCategory.objects.get(pk=vip.pk).ack_deadline_minutes == 30
    assert office.post(url, {**data, "confirm_preview": "on"}).status_code == 302
    assert VisitorCategory.objects.get(pk=vip.pk).ack_deadline_minutes == 10


def test_a_new_escalation_chain_shows_the_visits_that_would_follow_it(office, site, clerk, vip, culture_pavilion):
    expect(category=vip, room=culture_pavilion, by=clerk, expected_at=at(site, TODAY, 15))
    url = reverse("admin:reception_visitorcategory_change", args=[vip.pk])
    data = {**category_form(site), **escalation_inline([(1, DutyCode.DIRECTOR, 0)])}

    preview = office.post(url, data)

    assert "1 expected VIP visit would escalate to: Office director +0 min (R3.2)." in errors(preview)
    assert not EscalationStep.objects.filter(category=vip).exists()
    assert office.post(url, {**data, "confirm_preview": "on"}).status_code == 302
    assert EscalationStep.objects.get(category=vip).duty.code == DutyCode.DIRECTOR
