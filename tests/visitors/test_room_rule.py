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


# --- every visitor on site is in a room (issue #15 item 10) ---------------------------


def _expected_without_room(*, category, by, party_size=1):
    """An invitation's visit whose room is "decided on arrival"."""
    visit = Visit(category=category, purpose="Review", party_size=party_size)
    return services.register_visit(visit=visit, visitor=Visitor(full_name="Open Guest"), by=by, arrive_now=False)


def test_a_walk_in_without_a_room_is_refused_naming_the_rooms_with_space(clerk, business, rooms):
    with pytest.raises(ReceptionError) as refusal:
        services.register_visit(
            visit=Visit(category=business, purpose="Talks"),
            visitor=Visitor(full_name="Roomless"),
            by=clerk,
            arrive_now=True,
        )

    assert (refusal.value.code, refusal.value.field) == ("room_required", "room")
    assert "Rooms with space: Business Room, General Manager's Office." in refusal.value.message
    assert not Visit.objects.exists() and not Visitor.objects.exists() and not AuditEvent.objects.exists()


def test_checking_in_an_expected_visit_without_a_room_is_refused_and_changes_nothing(clerk, secretary, business, rooms):
    visit = _expected_without_room(category=business, by=secretary)

    with pytest.raises(ReceptionError) as refusal:
        services.check_in_visit(visit=visit, by=clerk)

    assert (refusal.value.code, refusal.value.field) == ("room_required", "room")
    assert "Business Room" in refusal.value.message
    visit.refresh_from_db()
    assert (visit.status, visit.room) == (VisitStatus.EXPECTED, None)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["visit.register"]


def test_checking_in_places_an_expected_visit_without_a_room_in_the_room_chosen(
    clerk, secretary, business, business_room
):
    visit = _expected_without_room(category=business, by=secretary)

    services.check_in_visit(visit=visit, by=clerk, room=business_room)

    visit.refresh_from_db()
    assert (visit.status, visit.room) == (VisitStatus.ON_SITE, business_room)
    arrival = AuditEvent.objects.get(action="visit.check_in")
    assert arrival.changes == {"status": "on_site", "room": "Business Room"}


def test_the_room_chosen_at_arrival_keeps_the_room_rules(clerk, secretary, business, lounge, business_room):
    visit = _expected_without_room(category=business, by=secretary, party_size=9)

    with pytest.raises(ReceptionError) as not_allowed:
        services.check_in_visit(visit=visit, by=clerk, room=lounge)
    with pytest.raises(ReceptionError) as full:
        services.check_in_visit(visit=visit, by=clerk, room=business_room)  # 8 places

    assert (not_allowed.value.code, full.value.code) == ("room_not_allowed", "room_full")
    visit.refresh_from_db()
    assert (visit.status, visit.room) == (VisitStatus.EXPECTED, None)


def test_a_registered_room_is_not_swapped_at_arrival(clerk, secretary, business, business_room, gm_office):
    visit = Visit(category=business, room=business_room, purpose="Review")
    services.register_visit(visit=visit, visitor=Visitor(full_name="Expected Guest"), by=secretary, arrive_now=False)

    with pytest.raises(ReceptionError) as refusal:
        services.check_in_visit(visit=visit, by=clerk, room=gm_office)

    assert refusal.value.code == "room_registered"
    assert "amend the visit" in refusal.value.message
    visit.refresh_from_db()
    assert (visit.status, visit.room) == (VisitStatus.EXPECTED, business_room)
