"""R6.8 on the desk's own pages: at night the walk-in form asks for the night
facts, the rostered night officer registers, checks in and out; a clerk is
refused with a message naming the officer; the director stands in with a
reason; nothing is stored by a refusal."""

from datetime import date, datetime, time, timedelta

import pytest

from reception.models import DutyCode
from tests.reception.night_shift import local, roster, roster_night, walk_in
from visitors import invitations, services
from visitors.models import Visit, Visitor, VisitStatus

NIGHTS = [
    pytest.param("Asia/Shanghai", date(2026, 11, 26), id="shanghai"),
    pytest.param("Europe/Berlin", date(2026, 3, 28), id="berlin-spring-forward"),
    pytest.param("America/New_York", date(2026, 10, 31), id="new-york-fall-back"),
]
INSIDE = [pytest.param((0, time(20, 0, 0)), id="20:00:00"), pytest.param((1, time(7, 59, 59)), id="07:59:59")]
EVENING = date(2026, 11, 26)


@pytest.fixture
def night_desk(site, clerk, night_officer, time_machine):
    """The site in the zone under test, its night officer rostered, the clock
    frozen at `moment` of that night."""

    def arrange(tz: str, evening: date, moment, *, officer: bool = True):
        site.timezone = tz
        site.save()
        roster(site, DutyCode.CLERK, clerk, local(site, evening, 8), local(site, evening, 20))
        if officer:
            roster_night(site, night_officer, evening)
        offset, wall = moment
        at = datetime.combine(evening + timedelta(days=offset), wall, tzinfo=site.tzinfo)
        time_machine.move_to(at, tick=False)
        return at

    return arrange


def _walk_in_form(category, room, **night) -> dict:
    data = {
        "full_name": "Late Engineer",
        "company": "Lift Repairs Ltd",
        "phone": "13800001111",
        "email": "",
        "category": category.pk,
        "party_size": "1",
        "room": room.pk,
        "host": "",
        "purpose": "Emergency lift repair",
        "hospitality_notes": "",
        "materials": "",
    }
    return {**data, **night}


NIGHT_FACTS = {"id_sighted": "yes", "id_sighted_type": "passport", "host_contacted": "yes"}


@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_the_night_officer_registers_a_walk_in_with_the_night_facts(
    client, night_desk, night_officer, ordinary, lounge, tz, evening, moment
):
    at = night_desk(tz, evening, moment)
    client.force_login(night_officer)

    form = client.get("/desk/register/").content.decode()
    response = client.post("/desk/register/", _walk_in_form(ordinary, lounge, **NIGHT_FACTS))

    assert 'data-testid="night-facts"' in form
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/visits/{visit.pk}/"
    assert (visit.registered_by, visit.checked_in_by, visit.checked_in_at) == (night_officer, night_officer, at)
    assert (visit.night_registration, visit.id_sighted, visit.id_sighted_type, visit.host_contacted) == (
        True,
        True,
        "passport",
        True,
    )
    assert visit.purpose == "Emergency lift repair"


@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_a_clerk_at_night_is_told_who_is_on_night_duty_and_nothing_is_stored(
    client, night_desk, clerk, ordinary, lounge, tz, evening, moment
):
    night_desk(tz, evening, moment)
    client.force_login(clerk)

    response = client.post("/desk/register/", _walk_in_form(ordinary, lounge, **NIGHT_FACTS))

    page = response.content.decode()
    assert response.status_code == 200
    assert "visitors are registered by the night-duty officer (R6.8)" in page
    assert "On night duty now: Front Desk-Liu Yang" in page
    assert not Visit.objects.exists() and not Visitor.objects.exists()


@pytest.mark.parametrize(
    ("night", "field_error"),
    [
        ({}, "This field is required."),
        ({"id_sighted": "yes", "host_contacted": "no"}, "Say which ID was sighted."),
        ({"id_sighted": "maybe", "host_contacted": "no"}, "Select a valid choice."),
    ],
)
def test_the_night_facts_are_required(client, night_desk, night_officer, ordinary, lounge, night, field_error):
    night_desk("Asia/Shanghai", EVENING, (0, time(21)))
    client.force_login(night_officer)

    response = client.post("/desk/register/", _walk_in_form(ordinary, lounge, **night))

    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert not Visit.objects.exists()


def test_the_purpose_is_required_at_night(client, night_desk, night_officer, ordinary, lounge):
    night_desk("Asia/Shanghai", EVENING, (0, time(21)))
    client.force_login(night_officer)

    response = client.post("/desk/register/", _walk_in_form(ordinary, lounge, **NIGHT_FACTS, purpose=""))

    assert response.status_code == 200
    assert not Visit.objects.exists()


def test_just_before_the_night_the_form_has_no_night_facts_and_the_clerk_registers(
    client, night_desk, clerk, ordinary, lounge
):
    night_desk("Asia/Shanghai", EVENING, (0, time(19, 59, 59)))
    client.force_login(clerk)

    form = client.get("/desk/register/").content.decode()
    response = client.post("/desk/register/", _walk_in_form(ordinary, lounge))

    assert 'data-testid="night-facts"' not in form
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.registered_by, visit.night_registration) == (clerk, False)


def test_the_director_stands_in_on_the_form_with_a_reason(client, night_desk, director, ordinary, lounge):
    night_desk("Asia/Shanghai", EVENING, (0, time(23)))
    client.force_login(director)

    refused = client.post("/desk/register/", _walk_in_form(ordinary, lounge, **NIGHT_FACTS))
    assert "give a reason" in refused.content.decode()
    assert not Visit.objects.exists()

    response = client.post(
        "/desk/register/",
        _walk_in_form(ordinary, lounge, **NIGHT_FACTS, night_override_reason="Night officer escorting an ambulance"),
    )

    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.registered_by, visit.night_override_reason) == (director, "Night officer escorting an ambulance")


def test_with_nobody_rostered_the_form_says_so(client, night_desk, night_officer, ordinary, lounge):
    night_desk("Asia/Shanghai", EVENING, (0, time(21)), officer=False)
    client.force_login(night_officer)

    response = client.post("/desk/register/", _walk_in_form(ordinary, lounge, **NIGHT_FACTS))

    assert "On night duty now: nobody is rostered." in response.content.decode()
    assert not Visit.objects.exists()


@pytest.mark.parametrize("moment", INSIDE)
def test_check_in_and_out_buttons_at_night(
    client, site, night_desk, clerk, night_officer, business, business_room, ordinary, lounge, moment, time_machine
):
    at = night_desk("Asia/Shanghai", EVENING, moment)
    time_machine.move_to(local(site, EVENING, 12), tick=False)
    expected = services.register_visit(
        visit=Visit(category=business, room=business_room, purpose="Late meeting", expected_at=at),
        visitor=Visitor(full_name="Late Guest"),
        by=clerk,
        arrive_now=False,
    )
    staying = walk_in(category=ordinary, room=lounge, by=clerk, at=local(site, EVENING, 12), name="Day Guest")
    time_machine.move_to(at, tick=False)

    client.force_login(clerk)
    refused_in = client.post(f"/desk/visits/{expected.pk}/check-in/", follow=True).content.decode()
    refused_out = client.post(f"/desk/visits/{staying.pk}/check-out/", follow=True).content.decode()
    assert "On night duty now: Front Desk-Liu Yang" in refused_in
    assert "On night duty now: Front Desk-Liu Yang" in refused_out
    expected.refresh_from_db()
    staying.refresh_from_db()
    assert (expected.status, staying.status) == (VisitStatus.EXPECTED, VisitStatus.ON_SITE)

    client.force_login(night_officer)
    asked = client.post(f"/desk/visits/{expected.pk}/check-in/").content.decode()  # the button asks the facts
    client.post(f"/desk/visits/{expected.pk}/check-in/", {"arrival": "1", **NIGHT_FACTS})
    client.post(f"/desk/visits/{staying.pk}/check-out/")
    assert 'data-testid="night-facts"' in asked
    expected.refresh_from_db()
    staying.refresh_from_db()
    assert (expected.status, expected.checked_in_by, expected.night_registration) == (
        VisitStatus.ON_SITE,
        night_officer,
        True,
    )
    assert (staying.status, staying.checked_out_by) == (VisitStatus.LEFT, night_officer)


# --- the night facts at a desk check-in (issue #15 item 12) --------------------------


@pytest.fixture
def late_guest(site, clerk, business, business_room, time_machine):
    """Expected tonight, registered by day with their room."""
    time_machine.move_to(local(site, EVENING, 12), tick=False)
    return services.register_visit(
        visit=Visit(category=business, room=business_room, purpose="Late meeting"),
        visitor=Visitor(full_name="Late Guest"),
        by=clerk,
        arrive_now=False,
    )


@pytest.mark.parametrize("moment", INSIDE)
def test_checking_in_an_expected_visitor_at_night_asks_the_night_facts(
    client, night_desk, night_officer, late_guest, moment
):
    night_desk("Asia/Shanghai", EVENING, moment)
    client.force_login(night_officer)

    asked = client.post(f"/desk/visits/{late_guest.pk}/check-in/")
    refused = client.post(f"/desk/visits/{late_guest.pk}/check-in/", {"arrival": "1", "id_sighted": "yes"})

    assert asked.status_code == 200 and 'data-testid="night-facts"' in asked.content.decode()
    assert "whether the visitor&#x27;s ID was sighted" in asked.content.decode()
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()  # host contacted?
    assert "Say which ID was sighted." in refused.content.decode()
    late_guest.refresh_from_db()
    assert late_guest.status == VisitStatus.EXPECTED and not late_guest.events.filter(kind="arrived").exists()

    response = client.post(f"/desk/visits/{late_guest.pk}/check-in/", {"arrival": "1", **NIGHT_FACTS})

    assert response.status_code == 302
    late_guest.refresh_from_db()
    assert (late_guest.status, late_guest.checked_in_by, late_guest.night_registration) == (
        VisitStatus.ON_SITE,
        night_officer,
        True,
    )
    assert (late_guest.id_sighted, late_guest.id_sighted_type, late_guest.host_contacted) == (True, "passport", True)


def test_just_before_the_night_the_button_checks_in_at_once(client, night_desk, clerk, late_guest):
    night_desk("Asia/Shanghai", EVENING, (0, time(19, 59, 59)))
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{late_guest.pk}/check-in/")

    assert response.status_code == 302
    late_guest.refresh_from_db()
    assert (late_guest.status, late_guest.night_registration) == (VisitStatus.ON_SITE, False)


def test_checking_in_by_code_at_night_asks_the_night_facts(
    client, night_desk, night_officer, site, host, business, business_room, time_machine
):
    time_machine.move_to(local(site, EVENING, 12), tick=False)
    invited = invitations.create_invitation(
        site=site,
        by=host,
        email="late@example.com",
        full_name="Invited Late",
        category=business,
        host=host,
        room=business_room,
        purpose="Late meeting",
        expected_at=local(site, EVENING, 21),
    )
    night_desk("Asia/Shanghai", EVENING, (0, time(21)))
    client.force_login(night_officer)

    form = client.get("/desk/invitations/check-in/").content.decode()
    refused = client.post("/desk/invitations/check-in/", {"code": invited.code})
    response = client.post("/desk/invitations/check-in/", {"code": invited.code, **NIGHT_FACTS})

    assert 'data-testid="night-facts"' in form
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert response.status_code == 302
    visit = Visit.objects.get(pk=invited.visit_id)
    assert (visit.status, visit.checked_in_by, visit.night_registration, visit.id_sighted) == (
        VisitStatus.ON_SITE,
        night_officer,
        True,
        True,
    )
