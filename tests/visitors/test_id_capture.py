"""ID documents at the desk walk-in (issue #15 item 14, R4.1): asked only where
the site records ID numbers, checked per document type, stored normalised,
shown masked on the visit page and revealed in full only to security, through
the audited reveal. Never asked on a public page."""

import pytest
from django.urls import reverse

from reception.errors import ReceptionError
from tests.visitors.desk import DAYTIME
from visitors import services
from visitors.models import AuditEvent, Visit, Visitor

NATIONAL_ID = "110101199003070011"  # a well-formed number: its check digit adds up


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def records_ids(site):
    site.collect_id_numbers = True
    site.save(update_fields=["collect_id_numbers"])
    return site


def walk_in_data(category, room, **extra):
    return {
        "full_name": "Hans Müller",
        "company": "Bergmann GmbH",
        "phone": "+49 30 1234567",
        "category": category.pk,
        "party_size": 1,
        "room": room.pk,
        "purpose": "Partnership talks",
        **extra,
    }


def test_the_walk_in_form_asks_for_an_id_document_only_where_the_site_records_them(client, clerk, site):
    client.force_login(clerk)

    without = client.get("/desk/register/").content.decode()
    site.collect_id_numbers = True
    site.save(update_fields=["collect_id_numbers"])
    with_ids = client.get("/desk/register/").content.decode()

    assert 'name="id_number"' not in without and 'name="id_type"' not in without
    assert 'name="id_number"' in with_ids and 'name="id_type"' in with_ids


def test_the_desk_records_a_walk_ins_id_number_normalised(client, clerk, records_ids, business, business_room):
    client.force_login(clerk)

    response = client.post(
        "/desk/register/",
        walk_in_data(business, business_room, id_type="national_id", id_number=" 11010119900307001 1 "),
    )

    visit = Visit.objects.get()
    assert response.status_code == 302
    assert (visit.visitor.id_type, visit.visitor.id_number) == ("national_id", NATIONAL_ID)
    assert NATIONAL_ID not in str(AuditEvent.objects.get().changes)  # R4.1: not in the trail


def test_an_id_number_posted_where_the_site_does_not_record_them_is_not_stored(client, clerk, business, business_room):
    client.force_login(clerk)

    response = client.post(
        "/desk/register/", walk_in_data(business, business_room, id_type="passport", id_number="AB1234567")
    )

    assert response.status_code == 302
    assert Visitor.objects.get().id_number == ""


@pytest.mark.parametrize(
    ("id_type", "id_number", "field", "message"),
    [
        ("national_id", "110101199003070012", "id_number", "does not add up"),
        ("national_id", "1101011990", "id_number", "18 characters"),
        ("passport", "AB1", "id_number", "5 to 20 letters and digits"),
        ("passport", "AB12\x0734567", "id_number", "control characters"),
        ("driving_licence", "=HYPERLINK(1)", "id_number", "letters, digits and dashes"),
        ("", "AB1234567", "id_type", "Say which ID document"),
        ("passport", "", "id_number", "Enter the number"),
        ("visa", "AB1234567", "id_type", "Select a valid choice"),
        ("other", "X" * 41, "id_number", "at most 40 characters"),
    ],
)
def test_a_malformed_id_document_is_refused_and_nothing_is_saved(
    client, clerk, records_ids, business, business_room, id_type, id_number, field, message
):
    client.force_login(clerk)

    response = client.post(
        "/desk/register/", walk_in_data(business, business_room, id_type=id_type, id_number=id_number)
    )

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Visit.objects.exists() and not Visitor.objects.exists()


def test_the_service_refuses_an_id_number_where_the_site_does_not_record_them(clerk, business, business_room):
    visit = Visit(category=business, room=business_room, purpose="Talks")
    visitor = Visitor(full_name="Hans Müller", id_type="passport", id_number="AB1234567")

    with pytest.raises(ReceptionError) as refusal:
        services.register_visit(visit=visit, visitor=visitor, by=clerk, arrive_now=True)

    assert refusal.value.code == "id_not_collected"
    assert not Visitor.objects.exists()


@pytest.fixture
def id_visit(client, clerk, records_ids, business, business_room):
    client.force_login(clerk)
    client.post("/desk/register/", walk_in_data(business, business_room, id_type="passport", id_number="AB1234567"))
    client.logout()
    return Visit.objects.get()


def test_the_visit_page_shows_the_id_number_masked(client, clerk, id_visit):
    client.force_login(clerk)

    page = client.get(reverse("visitors:visit", args=[id_visit.pk])).content.decode()

    assert "Passport" in page and "•••••4567" in page
    assert "AB1234567" not in page
    assert reverse("visitors:reveal_id_number", args=[id_visit.pk]) not in page


def test_security_reveals_it_from_the_visit_page_and_the_view_is_audited(client, security_guard, id_visit):
    client.force_login(security_guard)

    page = client.get(reverse("visitors:visit", args=[id_visit.pk])).content.decode()
    revealed = client.post(reverse("visitors:reveal_id_number", args=[id_visit.pk]))

    assert "•••••4567" in page and "AB1234567" not in page
    assert reverse("visitors:reveal_id_number", args=[id_visit.pk]) in page
    assert "AB1234567" in revealed.content.decode()
    assert AuditEvent.objects.filter(action="visitor.view_id_number", actor=security_guard).count() == 1


def test_the_kiosk_never_asks_for_an_id_number(kiosk_client, records_ids, lounge):
    # A guard rather than a change: the kiosk is a public page (R4.1).
    page = kiosk_client.get("/kiosk/walk-in/").content.decode()

    assert 'name="id_number"' not in page and 'name="id_type"' not in page
