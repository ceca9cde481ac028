"""Issue #16 item 4, R3.1: the back office's people pickers find staff by
name, in Latin or Chinese letters, and every place the back office names a
person says "Department-Name", never the account name; the office manager
still finds only their own site's people (R1.1)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reception.models import Duty, DutyCode, RosterEntry
from reception.roles import DUTY_GROUPS
from tests.visitors.desk import DAYTIME, walk_in
from visitors.models import Visit

ROSTER_PICKER = {"app_label": "reception", "model_name": "rosterentry", "field_name": "user"}


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def liu_fang(make_staff, site):
    """A host whose profile carries her name in Chinese only."""
    return make_staff("lf", DUTY_GROUPS[DutyCode.HOST], site=site, department="Sales", real_name="刘芳")


@pytest.fixture
def river_liu(make_staff, other_site):
    return make_staff("river-liu", DUTY_GROUPS[DutyCode.CLERK], site=other_site, real_name="Liu Min")


def matches(client, term: str) -> list[str]:
    response = client.get("/admin/autocomplete/", {**ROSTER_PICKER, "term": term})
    assert response.status_code == 200, response
    return [result["text"] for result in response.json()["results"]]


def test_the_roster_picker_finds_staff_by_name_and_shows_department_name(
    client, manager, night_officer, liu_fang, host, river_liu
):
    client.force_login(manager)

    assert matches(client, "Liu Yang") == ["Front Desk-Liu Yang"]  # the account is "night"
    assert matches(client, "刘") == ["Sales-刘芳"]
    assert matches(client, "night") == ["Front Desk-Liu Yang"]  # the account name still finds them
    # River Branch's Liu Min is not the manager's to roster (R1.1).
    assert matches(client, "Liu") == ["Front Desk-Liu Yang"]


def test_the_picker_finds_someone_by_their_first_and_last_name(client, manager, make_staff, site):
    user = make_staff("wy", DUTY_GROUPS[DutyCode.CLERK], site=site, real_name="王岩")
    user.first_name, user.last_name = "Yan", "Wang"
    user.save()
    client.force_login(manager)

    assert matches(client, "Wang Yan") == ["Front Desk-王岩"]


def test_the_picker_reads_its_matches_in_one_query(client, manager, make_staff, site, django_assert_max_num_queries):
    for number in range(10):
        make_staff(f"clerk{number}", DUTY_GROUPS[DutyCode.CLERK], site=site, real_name=f"Zhao {number}")
    client.force_login(manager)

    # 1 session, 2 the manager (with profile and site), 3-4 their permissions,
    # 5 the count for the pages, 6 the matches with their profile and
    # department, 7-9 session save (savepoint, update, release).
    with django_assert_max_num_queries(9):
        assert len(matches(client, "Zhao")) == 10


def test_a_roster_entry_names_its_person_in_the_list_and_on_its_form(client, manager, site, night_officer):
    entry = RosterEntry.objects.create(
        site=site,
        duty=Duty.objects.get(code=DutyCode.NIGHT_OFFICER),
        user=night_officer,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    client.force_login(manager)

    listed = client.get("/admin/reception/rosterentry/").content.decode()
    form = client.get(f"/admin/reception/rosterentry/{entry.pk}/change/").content.decode()

    assert "Front Desk-Liu Yang" in listed
    # The picker's chosen person, as the autocomplete shows the others.
    assert f'<option value="{night_officer.pk}" selected>Front Desk-Liu Yang</option>' in form


def test_the_staff_list_shows_department_name(client, manager, night_officer):
    client.force_login(manager)

    page = client.get("/admin/auth/user/", {"q": "Liu Yang"}).content.decode()

    assert "Front Desk-Liu Yang" in page


def test_a_visit_names_its_host_and_staff_as_department_name(
    client, manager, admin_user, clerk, host, business, business_room
):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    client.force_login(manager)

    listed = client.get("/admin/visitors/visit/").content.decode()
    page = client.get(f"/admin/visitors/visit/{visit.pk}/change/").content.decode()
    client.force_login(admin_user)
    with_events = client.get(f"/admin/visitors/visit/{visit.pk}/change/").content.decode()

    assert "Sales-Sun Li" in listed and ">host<" not in listed
    # The read-only page: the host, and who registered and checked the visitor in.
    assert page.count("Sales-Sun Li") == 1 and page.count("Front Desk-Zhang Wei") == 2
    assert "clerk" not in page and ">host<" not in page
    # The administrator also reads the visit's events, each with who did it.
    assert with_events.count("Front Desk-Zhang Wei") == 2 + visit.events.count()
    assert Visit.objects.get() == visit


def test_an_invitation_names_who_invited(client, manager, invitation):
    client.force_login(manager)

    listed = client.get("/admin/visitors/invitation/").content.decode()

    assert "Sales-Sun Li" in listed and ">host<" not in listed
