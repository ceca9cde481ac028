"""R1.3: a visit is received only in a room designated for its category; the
general manager's office is the one exception; a room never overflows."""

import pytest

from reception.errors import ReceptionError
from visitors import services
from visitors.models import AuditEvent, Visit, Visitor, VisitStatus


def walk_in(*, category, room, by, name="Walk-in Visitor", party_size=1):
    visit = Visit(category=category, room=room, purpose="Talks", party_size=party_size)
    return services.register_visit(visit=visit, visitor=Visitor(full_name=name), by=by, arrive_now=True)


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=False)


def test_it_receives_a_vip_in_the_culture_pavilion(clerk, vip, culture_pavilion):
    visit = walk_in(category=vip, room=culture_pavilion, by=clerk)

    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_SITE
    assert visit.room == culture_pavilion
    assert visit.checked_in_by == clerk


def test_it_refuses_a_vip_in_the_lounge_and_names_the_allowed_rooms(clerk, vip, rooms, lounge):
    with pytest.raises(ReceptionError) as refusal:
        walk_in(category=vip, room=lounge, by=clerk)

    assert refusal.value.code == "room_not_allowed"
    assert "Culture Pavilion" in refusal.value.message
    assert "General Manager's Office" in refusal.value.message
    assert "Lounge" in refusal.value.message.split("Allowed rooms")[0]
    assert not Visit.objects.exists() and not Visitor.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("category_name", ["vip", "business", "ordinary"])
def test_the_gm_office_receives_any_category(request, clerk, gm_office, category_name):
    category = request.getfixturevalue(category_name)

    visit = walk_in(category=category, room=gm_office, by=clerk)

    assert visit.room == gm_office


def test_it_refuses_an_ordinary_visitor_in_the_business_room(clerk, ordinary, business_room, lounge):
    with pytest.raises(ReceptionError) as refusal:
        walk_in(category=ordinary, room=business_room, by=clerk)

    assert refusal.value.code == "room_not_allowed"
    assert "Lounge" in refusal.value.message


def test_an_inactive_room_receives_nobody(clerk, business, business_room):
    business_room.active = False
    business_room.save()

    with pytest.raises(ReceptionError) as refusal:
        walk_in(category=business, room=business_room, by=clerk)

    assert refusal.value.code == "room_not_allowed"


def test_a_room_of_another_site_is_refused(clerk, business, other_site):
    from reception.models import ReceptionRoom

    elsewhere = ReceptionRoom.objects.create(site=other_site, name="River Room", capacity=10, any_category=True)

    with pytest.raises(ReceptionError) as refusal:
        walk_in(category=business, room=elsewhere, by=clerk)

    assert refusal.value.code == "room_not_allowed"


def test_a_room_never_holds_more_than_its_capacity(clerk, business, business_room, gm_office):
    walk_in(category=business, room=business_room, by=clerk, name="First party", party_size=6)

    with pytest.raises(ReceptionError) as refusal:
        walk_in(category=business, room=business_room, by=clerk, name="Second party", party_size=3)

    assert refusal.value.code == "room_full"
    assert "2 of 8" in refusal.value.message
    assert "General Manager's Office" in refusal.value.message  # the alternative with space
    walk_in(category=business, room=business_room, by=clerk, name="Third party", party_size=2)  # exactly full
    assert Visit.objects.filter(room=business_room, status=VisitStatus.ON_SITE).count() == 2


def test_an_exclusive_room_takes_one_party_at_a_time(clerk, vip, culture_pavilion):
    walk_in(category=vip, room=culture_pavilion, by=clerk, name="Delegation one", party_size=2)

    with pytest.raises(ReceptionError) as refusal:
        walk_in(category=vip, room=culture_pavilion, by=clerk, name="Delegation two", party_size=2)

    assert refusal.value.code == "room_full"
    assert "exclusive" in refusal.value.message


def test_checking_out_frees_the_room(clerk, vip, culture_pavilion):
    first = walk_in(category=vip, room=culture_pavilion, by=clerk, name="Delegation one")
    services.check_out_visit(visit=first, by=clerk)

    second = walk_in(category=vip, room=culture_pavilion, by=clerk, name="Delegation two")

    assert second.status == VisitStatus.ON_SITE


def test_a_visitor_already_on_site_is_refused(clerk, ordinary, lounge):
    visit = walk_in(category=ordinary, room=lounge, by=clerk)

    again = Visit(category=ordinary, room=lounge, purpose="Again")
    with pytest.raises(ReceptionError) as refusal:
        services.register_visit(visit=again, visitor=visit.visitor, by=clerk, arrive_now=True)

    assert refusal.value.code == "already_on_site"
    assert Visit.objects.count() == 1


def test_an_expected_visit_is_checked_in_into_its_room(clerk, secretary, business, business_room):
    visit = Visit(category=business, room=business_room, purpose="Review")
    services.register_visit(visit=visit, visitor=Visitor(full_name="Expected Guest"), by=secretary, arrive_now=False)

    services.check_in_visit(visit=visit, by=clerk)

    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_SITE
    assert list(visit.events.values_list("kind", flat=True)) == ["registered", "arrived"]
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["visit.register", "visit.check_in"]
    with pytest.raises(ReceptionError) as refusal:
        services.check_in_visit(visit=visit, by=clerk)
    assert refusal.value.code == "not_expected"
