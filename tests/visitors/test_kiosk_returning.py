"""R2.4 at the kiosk (issue #15 item 16): a visitor who registers themself
again keeps one visitor record, so their history and previous host follow
them; R4.1: only with the same name, company and phone, only this site's,
never an anonymised one, and the kiosk shows nothing of the record it found."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reception.models import ReceptionRoom, VisitorCategory
from tests.visitors.desk import walk_in as desk_walk_in
from visitors import privacy, services
from visitors.models import AuditEvent, Visit, Visitor, VisitStatus


@pytest.fixture
def came_before(daytime, clerk, host, ordinary, lounge):
    """Maria Rossi came on Monday for Sales-Sun Li, registered at the desk with
    her email and a note, and left."""
    visit = desk_walk_in(
        category=ordinary,
        room=lounge,
        by=clerk,
        host=host,
        name="Maria Rossi",
        company="Rossi Design",
        phone="+39 06 5551234",
        at=timezone.now() - timedelta(days=4),
    )
    Visitor.objects.filter(pk=visit.visitor_id).update(email="maria@old-address.example", notes="Allergic to nuts")
    services.check_out_visit(visit=visit, by=clerk, at=timezone.now() - timedelta(days=4, hours=-1))
    return Visit.objects.get(pk=visit.pk)


def at_the_kiosk(kiosk_client, walk_in, **fields):
    """A new person at the kiosk: the screen is reset, then the form is posted."""
    kiosk_client.get("/kiosk/")
    return walk_in(**fields)


def latest_visit() -> Visit:
    return Visit.objects.latest("pk")


def leaves(clerk) -> Visit:
    """The latest visitor checks out at the desk; returns their visit."""
    return services.check_out_visit(visit=latest_visit(), by=clerk)


def test_the_same_name_and_phone_find_the_visitor_again(came_before, kiosk_client, walk_in):
    response = at_the_kiosk(kiosk_client, walk_in)

    assert response.status_code == 302 and response["Location"] == "/kiosk/done/"
    assert Visitor.objects.count() == 1
    visit = latest_visit()
    assert visit.pk != came_before.pk and visit.visitor_id == came_before.visitor_id
    assert visit.status == VisitStatus.ON_SITE
    event = AuditEvent.objects.filter(action="visit.register").latest("pk")
    assert event.changes["visitor"] == came_before.visitor_id and event.changes["returning"] is True


def test_case_spacing_and_phone_formatting_do_not_make_a_new_visitor(came_before, kiosk_client, walk_in):
    at_the_kiosk(kiosk_client, walk_in, full_name="maria  ROSSI", company="rossi design", phone="+390655 51234")

    assert Visitor.objects.count() == 1
    assert latest_visit().visitor_id == came_before.visitor_id


def test_a_different_name_with_the_same_phone_is_a_new_visitor(came_before, kiosk_client, walk_in, clerk):
    at_the_kiosk(kiosk_client, walk_in, full_name="Marta Rossi")
    marta = leaves(clerk)
    at_the_kiosk(kiosk_client, walk_in)  # Maria herself, for contrast

    assert Visitor.objects.count() == 2
    assert marta.visitor_id != came_before.visitor_id and marta.visitor.full_name == "Marta Rossi"
    assert latest_visit().visitor_id == came_before.visitor_id
    assert Visitor.objects.get(pk=came_before.visitor_id).full_name == "Maria Rossi"


def test_a_different_company_is_a_new_visitor(came_before, kiosk_client, walk_in, clerk):
    at_the_kiosk(kiosk_client, walk_in, company="Bianchi Srl")
    elsewhere = leaves(clerk)
    at_the_kiosk(kiosk_client, walk_in)

    assert Visitor.objects.count() == 2
    assert elsewhere.visitor_id != came_before.visitor_id
    assert latest_visit().visitor_id == came_before.visitor_id
    assert Visitor.objects.get(pk=came_before.visitor_id).company == "Rossi Design"


def test_an_anonymised_visitor_is_never_found_again(came_before, kiosk_client, walk_in, manager, clerk):
    privacy.anonymise_visitor(visitor=came_before.visitor, by=manager, reason="Retention period over")

    at_the_kiosk(kiosk_client, walk_in)
    fresh = leaves(clerk)
    at_the_kiosk(kiosk_client, walk_in)

    assert Visitor.objects.count() == 2
    assert fresh.visitor_id != came_before.visitor_id
    assert latest_visit().visitor_id == fresh.visitor_id  # the new record is hers from now on


def test_a_visitor_of_another_site_is_not_found(daytime, kiosk_client, walk_in, other_site, other_clerk, clerk):
    category = VisitorCategory.objects.create(site=other_site, code="C", name="Ordinary")
    room = ReceptionRoom.objects.create(site=other_site, name="River Lounge", capacity=10)
    room.categories.set([category])
    there = desk_walk_in(
        category=category, room=room, by=other_clerk, name="Maria Rossi", company="Rossi Design", phone="+39 06 5551234"
    )
    services.check_out_visit(visit=there, by=other_clerk)

    at_the_kiosk(kiosk_client, walk_in)
    here = leaves(clerk)
    at_the_kiosk(kiosk_client, walk_in)

    assert Visitor.objects.count() == 2
    assert here.visitor_id != there.visitor_id
    assert latest_visit().visitor_id == here.visitor_id


def test_a_visitor_still_on_site_is_not_found_and_not_named(
    daytime, kiosk_client, walk_in, clerk, host, ordinary, lounge
):
    on_site = desk_walk_in(
        category=ordinary,
        room=lounge,
        by=clerk,
        host=host,
        name="Maria Rossi",
        company="Rossi Design",
        phone="+39 06 5551234",
    )

    response = at_the_kiosk(kiosk_client, walk_in)
    second = leaves(clerk)
    services.check_out_visit(visit=on_site, by=clerk)
    at_the_kiosk(kiosk_client, walk_in)

    # Found, the service would refuse her as "already on site", by name.
    assert response.status_code == 302 and response["Location"] == "/kiosk/done/"
    assert second.visitor_id != on_site.visitor_id
    assert Visitor.objects.count() == 2  # once gone, the latest record is found again
    assert latest_visit().visitor_id == second.visitor_id


def test_the_kiosk_shows_nothing_of_the_visitor_it_found(came_before, kiosk_client, walk_in):
    posted = at_the_kiosk(kiosk_client, walk_in, full_name="maria rossi")
    done = kiosk_client.get(posted["Location"])

    assert latest_visit().visitor_id == came_before.visitor_id  # found
    for page in (posted.content.decode(), done.content.decode()):
        for secret in ("Maria Rossi", "maria@old-address.example", "Allergic", came_before.badge_code):
            assert secret not in page
    assert "Welcome back" not in done.content.decode()
