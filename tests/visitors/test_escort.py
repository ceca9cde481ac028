"""The escort step (issue #15 item 14, R1.4, R1.5.2): a visitor of a category
that requires an escort (VisitorCategory.escort_required) is escorted to the
room before being seated; other visitors are seated directly."""

import pytest
from django.urls import reverse

from reception.errors import ReceptionError
from tests.visitors.desk import DAYTIME, walk_in
from visitors import services
from visitors.models import AuditEvent, VisitEvent


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def vip_visit(clerk, vip, culture_pavilion):
    return walk_in(category=vip, room=culture_pavilion, by=clerk, name="Delegation Lead")


@pytest.fixture
def business_visit(clerk, business, business_room):
    return walk_in(category=business, room=business_room, by=clerk, name="Hans Müller")


def test_a_vip_is_not_seated_before_the_escort_is_recorded(clerk, vip_visit):
    with pytest.raises(ReceptionError) as refusal:
        services.record_step(visit=vip_visit, kind=VisitEvent.Kind.SEATED, by=clerk)

    assert refusal.value.code == "escort_first"
    assert "VIP visitors are escorted to the room before they are seated" in refusal.value.message
    assert not vip_visit.events.filter(kind="seated").exists()
    assert not AuditEvent.objects.filter(action="visit.step").exists()


def test_a_vip_is_seated_once_escorted(clerk, security_guard, vip_visit):
    services.record_step(visit=vip_visit, kind=VisitEvent.Kind.ESCORTED, by=security_guard, note="Gate 2")
    services.record_step(visit=vip_visit, kind=VisitEvent.Kind.SEATED, by=clerk)

    kinds = list(vip_visit.events.values_list("kind", flat=True))
    assert kinds == ["registered", "arrived", "escorted", "seated"]
    assert vip_visit.events.get(kind="escorted").by == security_guard


def test_a_visitor_whose_category_needs_no_escort_is_seated_directly(clerk, business_visit):
    services.record_step(visit=business_visit, kind=VisitEvent.Kind.SEATED, by=clerk)

    assert business_visit.events.filter(kind="seated").exists()


def test_the_visit_page_refuses_seating_a_vip_with_the_reason(client, clerk, vip_visit):
    client.force_login(clerk)

    response = client.post(reverse("visitors:record_step", args=[vip_visit.pk]), {"kind": "seated"}, follow=True)

    assert "record the escort first" in response.content.decode()
    assert not vip_visit.events.filter(kind="seated").exists()


def test_the_visit_page_offers_the_escort_step_only_to_categories_that_need_it(
    client, clerk, vip_visit, business_visit
):
    client.force_login(clerk)

    vip_page = client.get(reverse("visitors:visit", args=[vip_visit.pk])).content.decode()
    business_page = client.get(reverse("visitors:visit", args=[business_visit.pk])).content.decode()
    services.record_step(visit=vip_visit, kind=VisitEvent.Kind.ESCORTED, by=clerk)
    escorted_page = client.get(reverse("visitors:visit", args=[vip_visit.pk])).content.decode()

    assert 'value="escorted"' in vip_page and 'data-testid="escort-due"' in vip_page
    assert 'value="escorted"' not in business_page and 'data-testid="escort-due"' not in business_page
    assert 'value="escorted"' not in escorted_page and "Escorted to the room" in escorted_page
