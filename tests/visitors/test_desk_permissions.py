"""Who may use which desk page (R1.5 duties as roles, R4.1 access to visitor
data): allowed, 403 for the wrong duty, login for anonymous, and 404 for
another site's visit. Security sees the dashboard and the on-site list; the
host has no desk."""

import pytest

from reception.models import ReceptionRoom, VisitorCategory
from tests.visitors.desk import DAYTIME, expect, walk_in
from visitors.models import Visit, VisitEvent, VisitStatus

CLERK, SECURITY, SECRETARY, HOST, NIGHT, MANAGER, DIRECTOR = (
    "clerk",
    "security_guard",
    "secretary",
    "host",
    "night_officer",
    "manager",
    "director",
)
ROLES = [CLERK, SECURITY, SECRETARY, HOST, NIGHT, MANAGER, DIRECTOR]
VIEWERS = {CLERK, SECURITY, SECRETARY, NIGHT, MANAGER, DIRECTOR}  # visitors.view_visit
REGISTRARS = {CLERK, SECRETARY, NIGHT, DIRECTOR}  # visitors.register_visit
CHECKERS_IN = {CLERK, SECURITY, SECRETARY, NIGHT, DIRECTOR}  # visitors.check_in_visit
CHECKERS_OUT = {CLERK, SECURITY, NIGHT, DIRECTOR}  # visitors.check_out_visit
LOG_READERS = {CLERK, SECRETARY, NIGHT, MANAGER, DIRECTOR}  # visitors.view_visitor_log
EXPORTERS = {CLERK, NIGHT, MANAGER, DIRECTOR}  # visitors.export_visitor_log

# (address, who may open it); {visit} is an on-site visit of the user's site.
PAGES = [
    ("/desk/", VIEWERS),
    ("/desk/live/", VIEWERS),
    ("/desk/on-site/", VIEWERS),
    ("/desk/visits/{visit}/", VIEWERS),
    ("/desk/register/", REGISTRARS),
    ("/desk/register/rooms/", REGISTRARS),
    ("/desk/register/hosts/", REGISTRARS),
    ("/desk/register/returning/?phone=138", REGISTRARS),
    ("/desk/visits/{visit}/badge/", REGISTRARS),
    ("/desk/closing/", CHECKERS_OUT),
    ("/desk/log/", LOG_READERS),
    ("/desk/log/export.csv", EXPORTERS),
]


@pytest.fixture(autouse=True)
def daytime(time_machine, settings):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def on_site(clerk, business, business_room):
    return walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", phone="13800138000")


@pytest.fixture
def expected(clerk, business, business_room):
    return expect(category=business, room=business_room, by=clerk, expected_at="2026-11-27 15:00:00+08:00")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("address", "allowed"), PAGES)
def test_each_page_answers_each_role(client, request, on_site, role, address, allowed):
    client.force_login(request.getfixturevalue(role))
    url = address.format(visit=on_site.pk)

    response = client.get(url)

    assert response.status_code == (200 if role in allowed else 403), url
    assert Visit.objects.get(pk=on_site.pk).status == VisitStatus.ON_SITE  # reading changes nothing


@pytest.mark.parametrize(("address", "allowed"), PAGES)
def test_anonymous_visitors_are_sent_to_login(client, on_site, address, allowed):
    url = address.format(visit=on_site.pk)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def _effect(action, expected, on_site):
    expected.refresh_from_db()
    on_site.refresh_from_db()
    return {
        "check-in": expected.status == VisitStatus.ON_SITE,
        "cancel": expected.status == VisitStatus.CANCELLED,
        "no-show": expected.status == VisitStatus.NO_SHOW,
        "check-out": on_site.status == VisitStatus.LEFT,
        "steps": VisitEvent.objects.filter(visit=on_site, kind="seated").exists(),
    }[action]


ACTIONS = [
    ("check-in", "expected", CHECKERS_IN),
    ("cancel", "expected", REGISTRARS),
    ("no-show", "expected", REGISTRARS),
    ("check-out", "on_site", CHECKERS_OUT),
    ("steps", "on_site", CHECKERS_IN),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "target", "allowed"), ACTIONS)
def test_each_action_is_allowed_or_refused_per_role(client, request, expected, on_site, role, action, target, allowed):
    client.force_login(request.getfixturevalue(role))
    visit = expected if target == "expected" else on_site

    response = client.post(f"/desk/visits/{visit.pk}/{action}/", {"kind": "seated"})

    if role in allowed:
        assert response.status_code == 302
        assert _effect(action, expected, on_site)
    else:
        assert response.status_code == 403
        assert not _effect(action, expected, on_site)


@pytest.mark.parametrize("role", ROLES)
def test_checking_out_everyone_is_for_those_who_check_out(client, request, on_site, role):
    client.force_login(request.getfixturevalue(role))

    response = client.post("/desk/closing/check-out/")

    on_site.refresh_from_db()
    if role in CHECKERS_OUT:
        assert response.status_code == 302 and on_site.status == VisitStatus.LEFT
    else:
        assert response.status_code == 403 and on_site.status == VisitStatus.ON_SITE


@pytest.mark.parametrize(("action", "target", "allowed"), ACTIONS)
def test_anonymous_actions_go_to_login_and_change_nothing(client, expected, on_site, action, target, allowed):
    visit = expected if target == "expected" else on_site

    response = client.post(f"/desk/visits/{visit.pk}/{action}/", {"kind": "seated"})

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not _effect(action, expected, on_site)


@pytest.fixture
def river_visits(other_clerk, other_site):
    category = VisitorCategory.objects.create(site=other_site, code="B", name="Business")
    room = ReceptionRoom.objects.create(site=other_site, name="River Room", capacity=10, any_category=True)
    return {
        "on_site": walk_in(category=category, room=room, by=other_clerk, name="River Guest"),
        "expected": expect(category=category, room=room, by=other_clerk, expected_at="2026-11-27 15:00:00+08:00"),
    }


@pytest.mark.parametrize(
    ("method", "address", "target"),
    [
        ("get", "/desk/visits/{pk}/", "on_site"),
        ("get", "/desk/visits/{pk}/badge/", "on_site"),
        ("post", "/desk/visits/{pk}/check-in/", "expected"),
        ("post", "/desk/visits/{pk}/cancel/", "expected"),
        ("post", "/desk/visits/{pk}/no-show/", "expected"),
        ("post", "/desk/visits/{pk}/check-out/", "on_site"),
        ("post", "/desk/visits/{pk}/steps/", "on_site"),
    ],
)
def test_another_sites_visit_answers_404(client, clerk, river_visits, method, address, target):
    visit = river_visits[target]
    client.force_login(clerk)

    response = getattr(client, method)(address.format(pk=visit.pk), {"kind": "seated"} if method == "post" else None)

    assert response.status_code == 404
    status = visit.status
    visit.refresh_from_db()
    assert visit.status == status
    assert not visit.events.filter(kind="seated").exists()


def test_closing_at_one_site_leaves_the_other_sites_visitors(client, clerk, on_site, river_visits):
    client.force_login(clerk)

    client.post("/desk/closing/check-out/")

    river_visits["on_site"].refresh_from_db()
    assert river_visits["on_site"].status == VisitStatus.ON_SITE
    on_site.refresh_from_db()
    assert on_site.status == VisitStatus.LEFT


def test_a_user_without_a_site_has_no_desk(client, db):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from reception.roles import DUTY_GROUPS

    drifter = get_user_model().objects.create_user("drifter", password="correct-horse-battery")
    drifter.groups.add(Group.objects.get(name=DUTY_GROUPS["clerk"]))
    client.force_login(drifter)

    assert client.get("/desk/").status_code == 403
    assert client.get("/desk/register/").status_code == 403
