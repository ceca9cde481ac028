"""The office manager's rule tester (issue #22 item 1): its answers come from
the desk's own rules, so on a grid of categories × times (the night window's
edges, and a daylight-saving night in Berlin) × entry points it says "refused
with code X" exactly when the real registration raises X (R1.3, R6.8, R3.2)."""

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission

from reception.errors import ReceptionError
from reception.models import Duty, DutyCode, EscalationStep, KioskMode
from tests.reception.night_shift import NIGHT_FACTS, roster, roster_night
from visitors import invitations, kiosk, services
from visitors.models import Visit, Visitor
from visitors.rule_tester import Entry, evaluate

# (time zone, the evening a night starts): Shanghai on an ordinary night;
# Berlin on the night its clocks go forward (29 March 2026, 02:00 → 03:00).
NIGHTS = [("Asia/Shanghai", date(2026, 11, 27)), ("Europe/Berlin", date(2026, 3, 28))]
# Local wall-clock moments around that night: (days after the evening, hour, minute).
MOMENTS = [(0, 10, 0), (0, 19, 59), (0, 20, 0), (1, 3, 30), (1, 7, 59), (1, 8, 0)]
IN_NIGHT = {
    (0, 10, 0): False,
    (0, 19, 59): False,
    (0, 20, 0): True,
    (1, 3, 30): True,
    (1, 7, 59): True,
    (1, 8, 0): False,
}


@pytest.fixture
def house(site, rooms, vip, business, ordinary, night_officer, clerk, host, lobby_kiosk):
    """The demo site's four rooms and three categories, a clerk, a host and a kiosk."""
    return {"A": vip, "B": business, "C": ordinary}


def at_site(site, tz, evening, moment):
    site.timezone = tz
    site.save()
    days, hour, minute = moment
    return datetime.combine(evening + timedelta(days=days), time(hour, minute), tzinfo=site.tzinfo)


def raised(call, **kwargs):
    try:
        call(**kwargs)
    except ReceptionError as error:
        return error.code
    return None


@pytest.mark.parametrize("code", ["A", "B", "C"])
@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_the_tester_and_a_desk_registration_agree(house, site, clerk, night_officer, tz, evening, moment, code):
    at = at_site(site, tz, evening, moment)
    roster_night(site, night_officer, evening)
    category = house[code]
    verdict = evaluate(site=site, category=category, at=at, entry=Entry.DESK)
    assert verdict.in_night is IN_NIGHT[moment]
    # The desk chooses an allowed room with space, as the clerk would.
    room = next(room for room, refused, space in verdict.rooms if refused is None and space)
    visit = Visit(category=category, room=room, purpose="Talks")
    actual = raised(
        services.register_visit,
        visit=visit,
        visitor=Visitor(full_name="Test Visitor"),
        by=clerk,
        arrive_now=True,
        night_facts=NIGHT_FACTS,
        at=at,
    )
    assert verdict.refusal(Entry.DESK) == actual
    assert (actual == "night_duty") is IN_NIGHT[moment]
    if IN_NIGHT[moment]:
        # R6.8: the rostered night officer's name, as the roster gives it at that time.
        night_line = next(line for line in verdict.lines if line.rule == "R6.8")
        assert "Front Desk-Liu Yang" in night_line.text


@pytest.mark.parametrize("code", ["A", "B", "C"])
def test_the_tester_and_the_desk_agree_on_every_room(house, site, clerk, rooms, daytime, code):
    """R1.3: "not allowed" iff register_visit refuses the room with that code."""
    category = house[code]
    for room in rooms:
        verdict = evaluate(site=site, category=category, room=room, at=datetime.now(site.tzinfo))
        actual = raised(
            services.register_visit,
            visit=Visit(category=category, room=room, purpose="Talks"),
            visitor=Visitor(full_name=f"Visitor in {room.name}"),
            by=clerk,
            arrive_now=False,
        )
        assert verdict.desk_refusal == actual == (None if room.allows(category) else "room_not_allowed"), room


def test_a_party_too_big_for_any_room_is_refused_by_both(house, site, clerk, business, daytime):
    verdict = evaluate(site=site, category=business, party_size=9, at=datetime.now(site.tzinfo))
    allowed = [room for room, refused, _space in verdict.rooms if refused is None]
    for room in allowed:
        actual = raised(
            services.register_visit,
            visit=Visit(category=business, room=room, purpose="Talks", party_size=9),
            visitor=Visitor(full_name="Big Party"),
            by=clerk,
            arrive_now=True,
        )
        assert actual == "room_full", room
    assert verdict.desk_refusal == "room_full"


@pytest.mark.parametrize("night_mode", [KioskMode.CLOSED, KioskMode.INVITATIONS_ONLY, KioskMode.OPEN])
@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_the_tester_and_the_kiosk_agree(
    house, site, host, lobby_kiosk, kiosk_client, time_machine, tz, evening, moment, night_mode
):
    at = at_site(site, tz, evening, moment)
    site.kiosk_night_mode = night_mode
    site.save()
    time_machine.move_to(at, tick=False)
    verdict = evaluate(site=site, category=house["B"], at=at, entry=Entry.KIOSK)
    page = kiosk_client.get("/kiosk/walk-in/")
    shown = {template.name for template in page.templates}
    if "visitors/kiosk/closed.html" in shown:
        actual = "kiosk_closed"
    elif "visitors/kiosk/walk_in_unavailable.html" in shown:
        actual = "walk_in_unavailable"
    else:
        actual = raised(
            kiosk.kiosk_walk_in,
            kiosk=lobby_kiosk,
            full_name="Maria Rossi",
            company="",
            phone="+39 06 5551234",
            host=host,
            accept_privacy=True,
            submission_key="k" * 20,
            at=at,
        )
    assert verdict.refusal(Entry.KIOSK) == actual
    assert (actual is None) is (not IN_NIGHT[moment])


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_the_tester_and_an_invitation_checked_in_at_the_kiosk_agree(
    house, site, host, clerk, lobby_kiosk, business_room, time_machine, tz, evening, moment
):
    at = at_site(site, tz, evening, moment)
    time_machine.move_to(datetime.combine(evening, time(9), tzinfo=site.tzinfo), tick=False)
    invitation = invitations.create_invitation(
        site=site,
        by=host,
        email="guest@example.com",
        full_name="Guest",
        category=house["B"],
        host=host,
        purpose="Talks",
        expected_at=at,
        room=business_room,
    )
    time_machine.move_to(at, tick=False)
    verdict = evaluate(site=site, category=house["B"], at=at, entry=Entry.INVITATION)
    actual = kiosk.kiosk_refusal(site, at, walk_in=False) or raised(
        kiosk.kiosk_check_in_by_code,
        kiosk=lobby_kiosk,
        code=invitation.code,
        accept_privacy=True,
        submission_key=None,
        at=at,
    )
    assert verdict.refusal(Entry.INVITATION) == actual


def test_the_chain_names_who_the_roster_has_at_each_step(house, site, vip, secretary, director, host, time_machine):
    """R3.2: the deadline and each step's time and people at that time."""
    at = datetime(2026, 11, 27, 10, 0, tzinfo=site.tzinfo)
    vip.ack_deadline_minutes = 20
    vip.save()
    EscalationStep.objects.create(category=vip, position=1, duty=Duty.objects.get(code=DutyCode.SECRETARY))
    EscalationStep.objects.create(
        category=vip, position=2, duty=Duty.objects.get(code=DutyCode.DIRECTOR), delay_minutes=15
    )
    roster(site, DutyCode.DIRECTOR, director, at + timedelta(minutes=30), at + timedelta(hours=2))
    verdict = evaluate(site=site, category=vip, host=host, at=at)
    texts = [line.text for line in verdict.lines if line.rule == "R3.2"]
    assert "The host acknowledges by 2026-11-27 10:20 (20 minutes after arrival)." in texts
    assert any(text.startswith("Step 1 at 2026-11-27 10:20: Secretary") for text in texts)
    assert "Step 2 at 2026-11-27 10:35: Office director — Administration-Director." in texts


# --- the admin page ----------------------------------------------------------------


URL = "/admin/reception/visitorcategory/rule-tester/"


def question(site, category, **extra):
    return {
        "site": site.pk,
        "category": category.pk,
        "day": "2026-11-27",
        "time": "21:30",
        "party_size": "1",
        "entry": Entry.KIOSK,
        **extra,
    }


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_the_manager_asks_about_a_business_visitor_at_the_kiosk_at_night(
    manager_client, house, site, business, night_officer
):
    roster_night(site, night_officer, date(2026, 11, 27))
    response = manager_client.get(URL, question(site, business))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Refused: kiosk_closed" in page
    assert "the night-duty officer signs: Front Desk-Liu Yang" in page
    assert "The kiosk is closed at this time" in page


def test_the_page_saves_nothing(manager_client, house, site, business):
    visits = Visit.objects.count()
    manager_client.get(URL, question(site, business, time="10:00", entry=Entry.DESK))
    assert Visit.objects.count() == visits


def test_another_sites_category_is_not_offered(manager_client, house, site, other_site):
    from reception.models import VisitorCategory

    theirs = VisitorCategory.objects.create(site=other_site, code="B", name="Business")
    response = manager_client.get(URL, question(other_site, theirs))
    assert response.status_code == 200
    assert response.context["verdict"] is None
    assert "Select a valid choice" in response.content.decode()


def test_a_category_of_another_site_than_the_one_chosen_is_refused(client, house, site, other_site, business):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@lobby.test", "pw")
    client.force_login(root)
    response = client.get(URL, question(other_site, business))
    assert response.context["verdict"] is None
    assert "Choose one of this site" in response.content.decode()


def test_staff_without_the_category_permission_are_refused(client, make_staff, site):
    clerk = make_staff("deskstaff", site=site, is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_handover"))
    client.force_login(clerk)
    assert client.get(URL).status_code == 403


def test_people_outside_the_back_office_are_sent_to_its_sign_in(client, clerk):
    client.force_login(clerk)
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_categories_list_links_to_the_tester(manager_client, house):
    page = manager_client.get("/admin/reception/visitorcategory/").content.decode()
    assert f'href="{URL}"' in page
