"""One-click check-in, check-out, cancel and no-show; "check out everyone" at
closing with a confirmation; the visit page with its R1.4 timeline and the
buttons that record reception steps. Each action records who and when."""

import pytest

from tests.visitors.desk import DAYTIME, expect, walk_in
from visitors.models import AuditEvent, VisitEvent, VisitStatus


@pytest.fixture(autouse=True)
def daytime(time_machine, settings):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def tanaka(secretary, business, business_room, host):
    return expect(
        category=business,
        room=business_room,
        by=secretary,
        expected_at="2026-11-27 11:00:00+08:00",
        name="Kenji Tanaka",
        host=host,
    )


def test_one_click_checks_an_expected_visitor_in(client, clerk, tanaka):
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{tanaka.pk}/check-in/")

    assert response.status_code == 302 and response["Location"] == "/desk/"
    tanaka.refresh_from_db()
    assert tanaka.status == VisitStatus.ON_SITE
    assert tanaka.checked_in_by == clerk
    assert tanaka.checked_in_at.isoformat() == "2026-11-27T02:00:00+00:00"
    assert AuditEvent.objects.filter(action="visit.check_in", actor=clerk).count() == 1
    page = client.get("/desk/").content.decode()
    assert "Kenji Tanaka is checked in; room: Business Room." in page


def test_checking_in_twice_is_refused_with_a_message(client, clerk, tanaka):
    client.force_login(clerk)
    client.post(f"/desk/visits/{tanaka.pk}/check-in/")

    response = client.post(f"/desk/visits/{tanaka.pk}/check-in/", follow=True)

    assert "This visit is on site; only expected visits can be checked in." in response.content.decode()
    assert VisitEvent.objects.filter(visit=tanaka, kind="arrived").count() == 1


def test_one_click_checks_a_visitor_out_and_returns_to_the_page_it_came_from(client, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie")
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{visit.pk}/check-out/", {"next": f"/desk/visits/{visit.pk}/"})

    assert response["Location"] == f"/desk/visits/{visit.pk}/"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.LEFT and visit.checked_out_by == clerk
    assert visit.checked_out_at.isoformat() == "2026-11-27T02:00:00+00:00"


def test_it_never_returns_to_a_page_of_another_host(client, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk)
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{visit.pk}/check-out/", {"next": "https://evil.example/"})

    assert response["Location"] == "/desk/"


def test_a_visitor_who_left_cannot_be_checked_out_again(client, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk)
    client.force_login(clerk)
    client.post(f"/desk/visits/{visit.pk}/check-out/")

    response = client.post(f"/desk/visits/{visit.pk}/check-out/", follow=True)

    assert "only visitors on site can be checked out" in response.content.decode()
    assert VisitEvent.objects.filter(visit=visit, kind="left").count() == 1


@pytest.mark.parametrize(
    ("action", "status", "step"), [("cancel", "cancelled", "cancelled"), ("no-show", "no_show", "no_show")]
)
def test_an_expected_visit_is_cancelled_or_marked_as_a_no_show(client, clerk, tanaka, action, status, step):
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{tanaka.pk}/{action}/")

    assert response.status_code == 302
    tanaka.refresh_from_db()
    assert tanaka.status == status
    assert tanaka.events.filter(kind=step, by=clerk).count() == 1
    assert tanaka.pk not in [v["pk"] for v in client.get("/desk/").context["expected"]]


def test_changes_are_post_only(client, clerk, tanaka):
    client.force_login(clerk)

    for action in ["check-out", "cancel", "no-show", "steps"]:
        assert client.get(f"/desk/visits/{tanaka.pk}/{action}/").status_code == 405, action
    assert client.get("/desk/closing/check-out/").status_code == 405
    # The check-in page only asks what the arrival needs (R1.3, R6.8); posting checks in.
    assert 'data-testid="check-in-form"' in client.get(f"/desk/visits/{tanaka.pk}/check-in/").content.decode()
    tanaka.refresh_from_db()
    assert tanaka.status == VisitStatus.EXPECTED
    assert not tanaka.events.filter(kind="arrived").exists()


def test_closing_asks_for_confirmation_then_checks_out_everyone(
    client, clerk, business, ordinary, business_room, lounge
):
    first = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie")
    second = walk_in(category=ordinary, room=lounge, by=clerk, name="Maria Rossi")
    client.force_login(clerk)

    confirm = client.get("/desk/closing/")

    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Zhou Jie" in page and "Maria Rossi" in page and "Yes, check them all out" in page
    assert first.__class__.objects.filter(status=VisitStatus.ON_SITE).count() == 2  # looking changes nothing

    done = client.post("/desk/closing/check-out/", follow=True)

    assert "Checked out everyone still on site: 2 visits." in done.content.decode()
    for visit in (first, second):
        visit.refresh_from_db()
        assert visit.status == VisitStatus.LEFT and visit.checked_out_by == clerk


def test_the_visit_page_shows_the_timeline_and_records_reception_steps(
    client, clerk, host, business, business_room, time_machine
):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    client.force_login(clerk)
    time_machine.move_to("2026-11-27 10:05:00+08:00", tick=False)

    response = client.post(f"/desk/visits/{visit.pk}/steps/", {"kind": "seated", "note": "Window seat"})
    time_machine.move_to("2026-11-27 10:10:00+08:00", tick=False)
    client.post(f"/desk/visits/{visit.pk}/steps/", {"kind": "hospitality"})

    assert response["Location"] == f"/desk/visits/{visit.pk}/"
    assert list(visit.events.values_list("kind", flat=True)) == ["registered", "arrived", "seated", "hospitality"]
    assert visit.events.get(kind="seated").by == clerk
    page = client.get(f"/desk/visits/{visit.pk}/").content.decode()
    timeline = page.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert timeline.index("Arrived") < timeline.index("Seated in room") < timeline.index("Hospitality served")
    assert "2026-11-27 10:05" in timeline and "Window seat" in timeline and "Front Desk-Zhang Wei" in timeline
    for label in ["Seated in room", "Talks", "Guided tour", "Hospitality served"]:
        assert f">{label}</button>" in page
    # Not yet acknowledged: "the host met them" is the button that also acknowledges (R3.2).
    assert 'data-testid="host-met"' in page and ">Host met the visitor</button>" not in page
    assert "{# PANEL" not in page


def test_steps_are_refused_once_the_visitor_left(client, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk)
    client.force_login(clerk)
    client.post(f"/desk/visits/{visit.pk}/check-out/")

    response = client.post(f"/desk/visits/{visit.pk}/steps/", {"kind": "tour"}, follow=True)

    assert "Reception steps are recorded while the visitor is on site." in response.content.decode()
    assert not visit.events.filter(kind="tour").exists()


def test_the_visit_page_hides_contact_details_from_security(client, clerk, security_guard, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", phone="13800138000")
    client.force_login(security_guard)

    page = client.get(f"/desk/visits/{visit.pk}/").content.decode()

    assert "Zhou Jie" in page
    assert "13800138000" not in page  # R4.1: security does not hold view_visitor


def test_the_night_override_reason_reaches_the_service(client, director, business, business_room, time_machine):
    visit = expect(category=business, room=business_room, by=director, expected_at="2026-11-27 21:00:00+08:00")
    time_machine.move_to("2026-11-27 21:00:00+08:00", tick=False)
    client.force_login(director)

    refused = client.post(f"/desk/visits/{visit.pk}/check-in/", follow=True)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.EXPECTED
    assert "give a reason" in refused.content.decode()

    facts = {"id_sighted": "no", "host_contacted": "yes"}  # R6.8: asked at every night arrival
    client.post(
        f"/desk/visits/{visit.pk}/check-in/", {"arrival": "1", "night_override_reason": "Night officer ill", **facts}
    )

    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_SITE
    assert visit.night_override_reason == "Night officer ill"


# --- an expected visit without a room (R1.3, issue #15 item 10) ------------------------


@pytest.fixture
def open_visit(secretary, business, host):
    """Expected with the room left to be decided on arrival."""
    return expect(category=business, room=None, by=secretary, expected_at="2026-11-27 11:00:00+08:00", host=host)


def test_checking_in_a_visit_without_a_room_asks_for_it_with_the_only_room_pre_selected(
    client, clerk, open_visit, business_room
):
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{open_visit.pk}/check-in/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="room-choice"' in page
    assert "Rooms with space: Business Room." in page
    assert f'<option value="{business_room.pk}" selected>Business Room · 8 of 8 places free</option>' in page
    open_visit.refresh_from_db()
    assert (open_visit.status, open_visit.room) == (VisitStatus.EXPECTED, None)


def test_the_check_in_page_refuses_without_a_room_and_checks_in_with_one(
    client, clerk, open_visit, business_room, gm_office
):
    client.force_login(clerk)
    asked = client.get(f"/desk/visits/{open_visit.pk}/check-in/").content.decode()

    refused = client.post(f"/desk/visits/{open_visit.pk}/check-in/", {"arrival": "1", "room": ""})
    open_visit.refresh_from_db()
    assert refused.status_code == 200
    assert "Choose the room to receive Business visitors in (R1.3)." in refused.content.decode()
    assert (open_visit.status, open_visit.room) == (VisitStatus.EXPECTED, None)

    response = client.post(f"/desk/visits/{open_visit.pk}/check-in/", {"arrival": "1", "room": business_room.pk})

    # Two rooms with space: the desk chooses, nothing is pre-selected.
    assert "General Manager&#x27;s Office · 4 of 4 places free" in asked
    assert '<option value="" selected>Choose a room</option>' in asked
    assert response.status_code == 302
    open_visit.refresh_from_db()
    assert (open_visit.status, open_visit.room, open_visit.checked_in_by) == (VisitStatus.ON_SITE, business_room, clerk)
