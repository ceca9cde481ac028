"""Hospitality and materials as work (issue #15 item 15, R1.5.3, R1.5.5, R9.1):
the meals, lodging and refreshments today's visits asked for are a to-serve
list at /desk/hospitality/, each item recorded as served (who, when, audited);
materials handed out are recorded during the visit as a step, never by
editing the registration (R6.4)."""

from datetime import datetime

import pytest
from django.urls import reverse

from reception.errors import ReceptionError
from tests.visitors.desk import DAYTIME, walk_in
from visitors import hospitality, services
from visitors.models import AuditEvent, ServedHospitality, Visit, VisitEvent, Visitor


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def delegation(clerk, business, business_room):
    return walk_in(
        category=business,
        room=business_room,
        by=clerk,
        name="Hans Müller",
        meals=True,
        refreshments=True,
        hospitality_notes="Vegetarian lunch for one",
    )


@pytest.fixture
def plain_visit(clerk, business, business_room):
    return walk_in(category=business, room=business_room, by=clerk, name="No Hospitality")


def expected_visit(by, category, room, at: str, name: str, **hospitality_asked):
    visit = Visit(
        category=category, room=room, purpose="Meeting", expected_at=datetime.fromisoformat(at), **hospitality_asked
    )
    return services.register_visit(visit=visit, visitor=Visitor(full_name=name), by=by, arrive_now=False)


def test_the_secretary_sees_todays_hospitality_to_serve(
    client, secretary, clerk, delegation, plain_visit, business, business_room, django_assert_max_num_queries
):
    later = expected_visit(clerk, business, business_room, "2026-11-27 15:00:00+08:00", "Ana Lima", lodging=True)
    expected_visit(clerk, business, business_room, "2026-11-28 10:00:00+08:00", "Tomorrow Guest", meals=True)
    client.force_login(secretary)

    # session, user, permissions (user's and groups'), the user's site, the
    # visits with their people, their served items; the navbar's perms are cached
    with django_assert_max_num_queries(9):
        response = client.get(reverse("visitors:hospitality"))

    page = response.content.decode()
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.visit for row in rows] == [delegation, later]
    assert [entry.item.value for entry in rows[0].items] == ["meals", "refreshments"]
    assert "Vegetarian lunch for one" in page and "Ana Lima" in page
    assert "Tomorrow Guest" not in page and "No Hospitality" not in page
    assert page.count('name="item"') == 3


def test_serving_an_item_records_who_and_when_on_the_timeline_and_in_the_trail(client, secretary, delegation):
    client.force_login(secretary)

    response = client.post(
        reverse("visitors:serve_hospitality", args=[delegation.pk]), {"item": "meals", "next": "/desk/hospitality/"}
    )

    assert response.status_code == 302 and response["Location"] == "/desk/hospitality/"
    served = ServedHospitality.objects.get()
    assert (served.visit, served.item, served.served_by, served.served_at) == (
        delegation,
        "meals",
        secretary,
        datetime.fromisoformat(DAYTIME),
    )
    step = delegation.events.get(kind=VisitEvent.Kind.HOSPITALITY)
    assert (step.by, step.note) == (secretary, "Meals")
    event = AuditEvent.objects.get(action="visit.hospitality_served")
    assert (event.actor, event.changes) == (secretary, {"item": "meals"})
    page = client.get("/desk/hospitality/").content.decode()
    assert "Served 10:00" in page and page.count('name="item"') == 1  # refreshments still to serve


def test_an_item_is_served_once(secretary, clerk, delegation):
    hospitality.serve_hospitality(visit=delegation, item="meals", by=secretary)

    with pytest.raises(ReceptionError) as refusal:
        hospitality.serve_hospitality(visit=delegation, item="meals", by=clerk)

    assert refusal.value.code == "already_served"
    assert ServedHospitality.objects.count() == 1


@pytest.mark.parametrize("item", ["lodging", "caviar", ""])
def test_only_what_the_visit_asked_for_is_served(client, secretary, delegation, item):
    client.force_login(secretary)

    response = client.post(reverse("visitors:serve_hospitality", args=[delegation.pk]), {"item": item}, follow=True)

    assert "That was not requested for this visit." in response.content.decode()
    assert not ServedHospitality.objects.exists()


def test_a_request_made_only_in_the_notes_is_served_as_noted(secretary, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk, hospitality_notes="Green tea")

    hospitality.serve_hospitality(visit=visit, item="other", by=secretary)

    assert ServedHospitality.objects.get().get_item_display() == "As noted"


def test_a_visitor_who_left_is_not_served(secretary, clerk, delegation):
    services.check_out_visit(visit=delegation, by=clerk)

    with pytest.raises(ReceptionError) as refusal:
        hospitality.serve_hospitality(visit=delegation, item="meals", by=secretary)

    assert refusal.value.code == "not_servable"


def test_security_and_hosts_have_no_hospitality_page_nor_link(client, security_guard, clerk):
    client.force_login(security_guard)
    refused = client.get(reverse("visitors:hospitality"))
    security_desk = client.get(reverse("visitors:dashboard")).content.decode()
    client.force_login(clerk)
    clerk_desk = client.get(reverse("visitors:dashboard")).content.decode()

    assert refused.status_code == 403
    assert 'href="/desk/hospitality/"' not in security_desk and 'href="/desk/hospitality/"' in clerk_desk


def test_the_reception_centre_serves_hospitality(client, reception_centre, delegation):
    client.force_login(reception_centre)

    response = client.post(reverse("visitors:serve_hospitality", args=[delegation.pk]), {"item": "refreshments"})

    assert response.status_code == 302
    assert ServedHospitality.objects.get().served_by == reception_centre


def test_another_sites_visit_is_not_found(client, other_clerk, delegation):
    client.force_login(other_clerk)

    response = client.post(reverse("visitors:serve_hospitality", args=[delegation.pk]), {"item": "meals"})

    assert response.status_code == 404
    assert not ServedHospitality.objects.exists()


def test_the_visit_page_offers_to_serve_what_was_asked(client, clerk, delegation):
    client.force_login(clerk)

    page = client.get(reverse("visitors:visit", args=[delegation.pk])).content.decode()

    assert 'data-testid="hospitality-items"' in page and page.count('name="item"') == 2


# --- materials handed out (R9.1) ------------------------------------------------


def test_materials_handed_out_during_the_visit_are_recorded_as_a_step(client, clerk, delegation):
    client.force_login(clerk)

    response = client.post(
        reverse("visitors:record_step", args=[delegation.pk]), {"kind": "materials", "note": "Catalogue 2027"}
    )

    assert response.status_code == 302
    step = delegation.events.get(kind=VisitEvent.Kind.MATERIALS)
    assert (step.note, step.by) == ("Catalogue 2027", clerk)
    assert AuditEvent.objects.get(action="visit.step").changes == {"step": "materials", "note": "Catalogue 2027"}
    delegation.refresh_from_db()
    assert delegation.materials == ""  # the registration stands as registered (R6.4)
    page = client.get(reverse("visitors:visit", args=[delegation.pk])).content.decode()
    assert 'data-testid="materials-form"' in page and "Catalogue 2027" in page


def test_materials_without_saying_which_are_refused(client, clerk, delegation):
    client.force_login(clerk)

    response = client.post(
        reverse("visitors:record_step", args=[delegation.pk]), {"kind": "materials", "note": " "}, follow=True
    )

    assert "Say which materials were handed out." in response.content.decode()
    assert not delegation.events.filter(kind=VisitEvent.Kind.MATERIALS).exists()
