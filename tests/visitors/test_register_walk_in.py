"""Register a walk-in (R6.7) in one form: returning visitors prefilled with
their previous host (R2.4), rooms limited by category and space (R1.3), hosts
as "Department-Name" (R3.1), hospitality (R1.5.3), materials (R9.1); a refusal
is a form error naming the reason and the alternatives, nothing saved."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reception.models import ReceptionRoom
from tests.visitors.desk import DAYTIME, walk_in
from visitors import services
from visitors.models import AuditEvent, Visit, VisitEvent, Visitor, VisitStatus


@pytest.fixture(autouse=True)
def daytime(time_machine, settings):
    time_machine.move_to(DAYTIME, tick=False)


def form_data(category, room, /, **extra):
    data = {
        "full_name": "Hans Müller",
        "company": "Bergmann GmbH",
        "phone": "+49 30 1234567",
        "email": "",
        "category": category.pk,
        "party_size": 3,
        "room": room.pk,
        "host": "",
        "purpose": "Partnership talks",
        "hospitality_notes": "",
        "materials": "",
    }
    data.update(extra)
    return data


def test_it_registers_and_checks_in_a_vip_delegation_with_hospitality_and_materials(
    client, clerk, host, vip, rooms, culture_pavilion
):
    client.force_login(clerk)

    response = client.post(
        "/desk/register/",
        form_data(
            vip,
            culture_pavilion,
            host=host.pk,
            meals="on",
            lodging="on",
            refreshments="on",
            hospitality_notes="Vegetarian lunch for one",
            materials="Product brochure 2026",
        ),
    )

    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/visits/{visit.pk}/"
    assert visit.status == VisitStatus.ON_SITE and visit.room == culture_pavilion
    assert visit.party_size == 3 and visit.host == host and visit.department.name == "Sales"
    assert (visit.meals, visit.lodging, visit.refreshments) == (True, True, True)
    assert visit.hospitality_notes == "Vegetarian lunch for one"
    assert visit.materials == "Product brochure 2026"
    assert visit.registered_by == clerk and visit.checked_in_by == clerk
    assert visit.visitor.full_name == "Hans Müller" and visit.visitor.company == "Bergmann GmbH"
    assert list(visit.events.values_list("kind", flat=True)) == ["registered", "arrived"]
    follow = client.get(response["Location"])
    assert "Hans Müller is registered and checked in; please take them to Culture Pavilion." in follow.content.decode()


def test_the_form_offers_only_the_rooms_allowed_for_the_category(client, clerk, vip, rooms):
    client.force_login(clerk)

    options = client.get("/desk/register/rooms/", {"category": vip.pk, "party_size": 2}).content.decode()

    assert "Culture Pavilion · 12 of 12 places free" in options
    assert "General Manager&#x27;s Office · 4 of 4 places free" in options
    assert "Lounge" not in options and "Business Room" not in options


def test_a_full_room_is_not_offered(client, clerk, business, business_room, gm_office):
    walk_in(category=business, room=business_room, by=clerk, name="Big party", party_size=7)
    client.force_login(clerk)

    two = client.get("/desk/register/rooms/", {"category": business.pk, "party_size": 2}).content.decode()
    one = client.get("/desk/register/rooms/", {"category": business.pk, "party_size": 1}).content.decode()

    assert "Business Room" not in two and "General Manager" in two
    assert "Business Room · 1 of 8 places free" in one


def test_a_room_still_allowed_stays_chosen_when_the_rooms_are_offered_again(client, clerk, vip, rooms, gm_office):
    client.force_login(clerk)

    options = client.get(
        "/desk/register/rooms/", {"category": vip.pk, "party_size": 3, "room": gm_office.pk}
    ).content.decode()

    assert f'<option value="{gm_office.pk}" selected>General Manager' in options
    assert options.count(" selected") == 1


def test_a_room_no_longer_allowed_is_dropped_with_the_list(client, clerk, business, rooms, culture_pavilion):
    client.force_login(clerk)

    options = client.get(
        "/desk/register/rooms/", {"category": business.pk, "party_size": 3, "room": culture_pavilion.pk}
    ).content.decode()

    assert "Culture Pavilion" not in options and " selected" not in options
    assert "Business Room · 8 of 8 places free" in options


def test_rooms_without_a_category_ask_for_one_first(client, clerk, rooms):
    client.force_login(clerk)

    options = client.get("/desk/register/rooms/", {"category": "", "party_size": "x"}).content.decode()

    assert "Choose a category first" in options
    assert "Lounge" not in options


def test_a_vip_in_the_lounge_is_refused_with_the_reason_and_the_allowed_rooms(client, clerk, vip, rooms, lounge):
    client.force_login(clerk)

    response = client.post("/desk/register/", form_data(vip, lounge))  # a tampered post: Lounge was not offered

    assert response.status_code == 200
    errors = response.context["form"].errors["room"]
    assert "VIP visitors may not be received in Lounge (R1.3)" in errors[0]
    assert "Culture Pavilion" in errors[0] and "General Manager's Office" in errors[0]
    assert not Visit.objects.exists() and not Visitor.objects.exists() and not AuditEvent.objects.exists()
    assert response.context["form"]["full_name"].value() == "Hans Müller"  # nothing the clerk typed is lost


def test_a_full_room_is_refused_naming_the_rooms_with_space(client, clerk, business, business_room, gm_office):
    walk_in(category=business, room=business_room, by=clerk, name="Big party", party_size=7)
    client.force_login(clerk)

    response = client.post("/desk/register/", form_data(business, business_room, party_size=2))

    errors = response.context["form"].errors["room"]
    assert "Business Room has 1 of 8 places free; this party is 2." in errors[0]
    assert "General Manager's Office" in errors[0]
    assert Visit.objects.count() == 1


def test_a_visitor_already_on_site_is_refused(client, clerk, ordinary, lounge):
    first = walk_in(category=ordinary, room=lounge, by=clerk, name="Wang Xiaoming", phone="13912345678")
    client.force_login(clerk)

    response = client.post(
        "/desk/register/",
        form_data(
            ordinary,
            lounge,
            returning_visitor=first.visitor.pk,
            full_name="Wang Xiaoming",
            company="",
            phone="13912345678",
            party_size=1,
        ),
    )

    assert response.status_code == 200
    assert "Wang Xiaoming is already on site" in response.content.decode()
    assert Visit.objects.count() == 1


def test_a_room_of_another_site_is_not_a_valid_choice(client, clerk, business, business_room, other_site):
    elsewhere = ReceptionRoom.objects.create(site=other_site, name="River Room", capacity=10, any_category=True)
    client.force_login(clerk)

    response = client.post("/desk/register/", form_data(business, elsewhere))

    assert response.status_code == 200
    assert "room" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_returning_visitors_are_found_by_phone_with_their_previous_host(client, clerk, host, business, business_room):
    earlier = walk_in(
        category=business, room=business_room, by=clerk, name="周杰", company="华信贸易", phone="13800138000", host=host
    )
    services.check_out_visit(visit=earlier, by=clerk)
    client.force_login(clerk)

    found = client.get("/desk/register/returning/", {"phone": "138001", "full_name": ""}).content.decode()

    assert "周杰" in found and "华信贸易" in found
    assert f'data-id="{earlier.visitor.pk}"' in found
    assert f'data-host="{host.pk}"' in found
    assert "Last time received by Sales-Sun Li: contact them first (R2.4)." in found


def test_returning_visitors_are_found_by_name(client, clerk, business, business_room):
    walk_in(category=business, room=business_room, by=clerk, name="Maria Rossi")
    client.force_login(clerk)

    found = client.get("/desk/register/returning/", {"phone": "", "full_name": "rossi"}).content.decode()
    nothing = client.get("/desk/register/returning/", {"phone": "", "full_name": "r"}).content.decode()

    assert "Maria Rossi" in found
    assert "Maria Rossi" not in nothing  # one letter is not a search


def test_visitors_of_another_site_are_not_found(client, clerk, other_clerk, other_site):
    from reception.models import VisitorCategory

    river = VisitorCategory.objects.create(site=other_site, code="B", name="Business")
    room = ReceptionRoom.objects.create(site=other_site, name="River Room", capacity=5, any_category=True)
    walk_in(category=river, room=room, by=other_clerk, name="River Guest", phone="13700001111")
    client.force_login(clerk)

    found = client.get("/desk/register/returning/", {"phone": "13700001111"}).content.decode()
    prefill = client.get("/desk/register/", {"visitor": Visitor.objects.get().pk})

    assert "River Guest" not in found
    assert prefill.status_code == 404


def test_a_returning_visitor_is_prefilled_with_the_previous_host_suggested(
    client, clerk, host, business, business_room
):
    earlier = walk_in(
        category=business, room=business_room, by=clerk, name="Kenji Tanaka", phone="+81 3 5550123", host=host
    )
    services.check_out_visit(visit=earlier, by=clerk)
    client.force_login(clerk)

    response = client.get("/desk/register/", {"visitor": earlier.visitor.pk})

    form = response.context["form"]
    assert form["full_name"].value() == "Kenji Tanaka"
    assert form["host"].value() == host.pk
    assert form["category"].value() == business.pk
    page = response.content.decode()
    assert "Last time received by Sales-Sun Li: contact them first (R2.4)." in page
    assert "Business Room · 8 of 8 places free" in page  # rooms offered for the prefilled category


def test_a_returning_visitor_with_unchanged_details_keeps_one_record(client, clerk, host, business, business_room):
    earlier = walk_in(category=business, room=business_room, by=clerk, name="Kenji Tanaka", phone="5550123", host=host)
    services.check_out_visit(visit=earlier, by=clerk)
    client.force_login(clerk)

    client.post(
        "/desk/register/",
        form_data(
            business,
            business_room,
            returning_visitor=earlier.visitor.pk,
            full_name="Kenji Tanaka",
            company="",
            phone="5550123",
            party_size=1,
            host=host.pk,
        ),
    )

    assert Visitor.objects.count() == 1
    assert Visit.objects.filter(visitor=earlier.visitor).count() == 2


def test_a_returning_visitor_with_a_new_company_gets_a_new_record_and_the_old_one_is_kept(
    client, clerk, business, business_room
):
    earlier = walk_in(category=business, room=business_room, by=clerk, name="Kenji Tanaka", company="Old Co")
    services.check_out_visit(visit=earlier, by=clerk)
    client.force_login(clerk)

    client.post(
        "/desk/register/",
        form_data(
            business, business_room, returning_visitor=earlier.visitor.pk, full_name="Kenji Tanaka", company="New Co"
        ),
    )

    earlier.visitor.refresh_from_db()
    assert earlier.visitor.company == "Old Co"  # R6.4: the earlier registration is not altered
    assert Visit.objects.order_by("-pk").first().visitor.company == "New Co"


def test_the_host_search_shows_staff_as_department_name(client, clerk, host, secretary, business, other_clerk):
    client.force_login(clerk)

    options = client.get("/desk/register/hosts/", {"host_search": "sales"}).content.decode()
    by_name = client.get("/desk/register/hosts/", {"host_search": "Sun"}).content.decode()

    assert f'<option value="{host.pk}">Sales-Sun Li</option>' in options
    assert "Administration" not in options
    assert "Sales-Sun Li" in by_name
    assert "River" not in client.get("/desk/register/hosts/", {"host_search": ""}).content.decode()


def test_the_host_search_keeps_the_chosen_host(client, clerk, host, secretary):
    client.force_login(clerk)

    options = client.get("/desk/register/hosts/", {"host_search": "admin", "host": host.pk}).content.decode()

    assert f'<option value="{host.pk}" selected>Sales-Sun Li</option>' in options
    assert "Administration-Secretary" in options


def test_the_form_is_in_chinese_when_the_clerk_chose_chinese(client, clerk, vip, rooms):
    client.force_login(clerk)
    client.cookies["django_language"] = "zh-hans"

    page = client.get("/desk/register/").content.decode()

    assert 'lang="zh-hans"' in page


def test_a_host_of_another_site_is_not_a_valid_choice(client, clerk, business, business_room, other_clerk):
    client.force_login(clerk)

    response = client.post("/desk/register/", form_data(business, business_room, host=other_clerk.pk))

    assert "host" in response.context["form"].errors
    assert not Visit.objects.exists()


def test_the_steps_of_a_registration_are_audited_together(client, clerk, business, business_room):
    client.force_login(clerk)

    client.post("/desk/register/", form_data(business, business_room, party_size=1))

    visit = Visit.objects.get()
    assert list(AuditEvent.objects.values_list("action", "object_id")) == [("visit.register", str(visit.pk))]
    assert VisitEvent.objects.filter(visit=visit).count() == 2


@pytest.fixture
def night_shift(site, night_officer):
    from datetime import date

    from tests.reception.night_shift import roster_night

    return roster_night(site, night_officer, date(2026, 11, 27))


def test_at_night_the_form_asks_for_the_night_facts(
    client, night_officer, night_shift, business, business_room, time_machine
):
    time_machine.move_to("2026-11-27 22:00:00+08:00", tick=False)
    client.force_login(night_officer)

    page = client.get("/desk/register/").content.decode()
    missing = client.post("/desk/register/", form_data(business, business_room, party_size=1))

    assert "ID sighted?" in page and "Host or escort contacted?" in page
    assert "night_override_reason" not in page  # only for those who may stand in
    errors = missing.context["form"].errors
    assert "id_sighted" in errors and "host_contacted" in errors
    assert not Visit.objects.exists()


def test_at_night_no_id_type_is_chosen_until_the_officer_chooses_one(
    client, night_officer, night_shift, business, business_room, time_machine
):
    time_machine.move_to("2026-11-27 22:00:00+08:00", tick=False)
    client.force_login(night_officer)

    page = client.get("/desk/register/").content.decode()
    # What the browser sends for "no" with the type left alone.
    response = client.post(
        "/desk/register/",
        form_data(business, business_room, party_size=1, id_sighted="no", id_sighted_type="", host_contacted="yes"),
    )

    # Issue #16 item 9: the empty choice is the first and the initial one.
    select = re.search(r'<select name="id_sighted_type".*?</select>', page, re.S).group(0)
    assert re.search(r'<option value="" selected>', select) and select.count("selected") == 1
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.id_sighted, visit.id_sighted_type) == (False, "")


def test_a_night_registration_records_the_facts(
    client, night_officer, night_shift, business, business_room, time_machine
):
    time_machine.move_to("2026-11-27 22:00:00+08:00", tick=False)
    client.force_login(night_officer)

    no_type = client.post(
        "/desk/register/", form_data(business, business_room, party_size=1, id_sighted="yes", host_contacted="no")
    )
    assert "Say which ID was sighted." in no_type.content.decode()

    client.post(
        "/desk/register/",
        form_data(
            business,
            business_room,
            party_size=1,
            id_sighted="yes",
            id_sighted_type="passport",
            host_contacted="yes",
        ),
    )

    visit = Visit.objects.get()
    assert visit.night_registration and visit.id_sighted and visit.host_contacted
    assert visit.id_sighted_type == "passport"
    assert visit.registered_by == night_officer


def test_a_night_walk_in_reads_the_roster_once(
    client, night_officer, night_shift, business, business_room, time_machine
):
    time_machine.move_to("2026-11-27 22:00:00+08:00", tick=False)
    client.force_login(night_officer)
    data = form_data(business, business_room, party_size=1, id_sighted="no", host_contacted="yes")

    with CaptureQueriesContext(connection) as queries:
        response = client.post("/desk/register/", data)

    assert response.status_code == 302
    # R6.8 is asked once per walk-in: is the signed-in user on night duty now?
    roster_reads = [q["sql"] for q in queries.captured_queries if "reception_rosterentry" in q["sql"]]
    assert len(roster_reads) == 1, roster_reads
    assert Visit.objects.get().night_registration


def test_a_clerk_at_night_is_refused_naming_the_night_officer(
    client, clerk, night_shift, business, business_room, time_machine
):
    time_machine.move_to("2026-11-27 22:00:00+08:00", tick=False)
    client.force_login(clerk)

    response = client.post(
        "/desk/register/",
        form_data(business, business_room, party_size=1, id_sighted="no", host_contacted="yes"),
    )

    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "registered by the night-duty officer (R6.8)" in errors and "Front Desk-Liu Yang" in errors
    assert not Visit.objects.exists()


def test_the_director_stands_in_at_night_with_a_reason(
    client, director, night_shift, business, business_room, time_machine
):
    time_machine.move_to("2026-11-27 22:00:00+08:00", tick=False)
    client.force_login(director)
    facts = {"party_size": 1, "id_sighted": "no", "host_contacted": "yes"}

    without = client.post("/desk/register/", form_data(business, business_room, **facts))
    client.post(
        "/desk/register/", form_data(business, business_room, night_override_reason="Officer on patrol", **facts)
    )

    assert "give a reason" in " ".join(without.context["form"].errors["night_override_reason"])
    visit = Visit.objects.get()
    assert visit.night_override_reason == "Officer on patrol" and visit.registered_by == director
