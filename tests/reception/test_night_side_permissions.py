"""Every page of the night side, for every role: allowed, 403, or sign in first;
another site's entries answer 404 and stay as they are."""

from datetime import date

import pytest

from reception import registers
from reception.models import DutyCode, IncidentKind
from reception.roles import DUTY_GROUPS
from tests.reception.night_shift import local

DAY = date(2026, 11, 26)
ROLES = [
    "clerk",
    "night_officer",
    "security_guard",
    "secretary",
    "host",
    "reception_centre",
    "director",
    "manager",
    "stranger",
]
# Who may do what, written out from the duties of R1.5 rather than read from roles.py.
SHIFT_WORKERS = {"clerk", "night_officer", "security_guard", "director"}
READERS = SHIFT_WORKERS | {"manager"}  # the office manager reads the registers, changes nothing
ALLOWED = {
    "roster": SHIFT_WORKERS | {"secretary", "host", "reception_centre", "manager"},
    "duty_panel": SHIFT_WORKERS | {"secretary", "reception_centre", "manager"},  # the desk's own readers
    "handover_list": READERS,
    "handover_detail": READERS,
    "handover_new": SHIFT_WORKERS,
    "lost_list": READERS,
    "lost_detail": READERS,
    "lost_new": SHIFT_WORKERS,
    "incident_list": READERS,
    "incident_detail": READERS,
    "incident_new": SHIFT_WORKERS,
    "morning_report": READERS,
}


@pytest.fixture
def entries(site, make_staff):
    """A handover, a lost item and an incident, written by someone not under test."""
    writer = make_staff("evening", DUTY_GROUPS[DutyCode.CLERK], site=site, real_name="Evening Clerk")
    return {
        "handover": registers.write_handover(
            site=site, by=writer, open_items="Boardroom key out", incidents="", keys_and_items=""
        ),
        "item": registers.record_lost_item(
            site=site,
            by=writer,
            description="Umbrella",
            found_at=local(site, DAY, 21),
            found_where="Lobby",
            found_by="Evening Clerk",
            stored_where="Drawer",
            at=local(site, DAY, 21, 5),
        ),
        "incident": registers.report_incident(
            site=site,
            by=writer,
            kind=IncidentKind.DAMAGE,
            description="Chair broken",
            location="Lounge",
            occurred_at=local(site, DAY, 21),
            at=local(site, DAY, 21, 5),
        ),
    }


def _urls(entries) -> dict[str, str]:
    return {
        "roster": "/desk/roster/",
        "duty_panel": "/desk/roster/now/",
        "handover_list": "/desk/handover/",
        "handover_detail": f"/desk/handover/{entries['handover'].pk}/",
        "handover_new": "/desk/handover/new/",
        "lost_list": "/desk/lost-found/",
        "lost_detail": f"/desk/lost-found/{entries['item'].pk}/",
        "lost_new": "/desk/lost-found/new/",
        "incident_list": "/desk/incidents/",
        "incident_detail": f"/desk/incidents/{entries['incident'].pk}/",
        "incident_new": "/desk/incidents/new/",
        "morning_report": "/desk/reports/morning/",
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_page_answers_each_role(client, request, entries, role):
    client.force_login(request.getfixturevalue(role))

    for page, url in _urls(entries).items():
        expected = 200 if role in ALLOWED[page] else 403
        assert client.get(url).status_code == expected, (role, page)


def test_anonymous_visitors_are_sent_to_sign_in(client, entries):
    for url in _urls(entries).values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"/accounts/login/?next={url}")


def _actions(entries):
    """(url, data, whether it happened) for each change of the registers."""
    handover, item, incident = entries["handover"], entries["item"], entries["incident"]

    def acknowledged():
        handover.refresh_from_db()
        return handover.acknowledged_at is not None

    def returned():
        item.refresh_from_db()
        return item.returned_at is not None

    def followed_up():
        incident.refresh_from_db()
        return "Called the carpenter" in incident.follow_up

    def closed():
        incident.refresh_from_db()
        return incident.closed_at is not None

    return [
        (f"/desk/handover/{handover.pk}/acknowledge/", {}, acknowledged),
        (f"/desk/lost-found/{item.pk}/return/", {"returned_to": "Owner"}, returned),
        (f"/desk/incidents/{incident.pk}/follow-up/", {"note": "Called the carpenter"}, followed_up),
        (f"/desk/incidents/{incident.pk}/close/", {"note": ""}, closed),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_change_answers_each_role_and_only_the_allowed_happen(client, request, entries, role):
    client.force_login(request.getfixturevalue(role))

    for url, data, happened in _actions(entries):
        response = client.post(url, data)
        if role in SHIFT_WORKERS:
            assert response.status_code == 302, (role, url)
            assert happened(), (role, url)
        else:
            assert response.status_code == 403, (role, url)
            assert not happened(), (role, url)


def test_changes_need_a_post(client, clerk, entries):
    client.force_login(clerk)

    for url, _data, happened in _actions(entries):
        assert client.get(url).status_code == 405, url
        assert not happened(), url


def test_anonymous_changes_are_sent_to_sign_in_and_nothing_happens(client, entries):
    for url, data, happened in _actions(entries):
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")
        assert not happened(), url


def test_another_sites_entries_are_not_found_and_stay_as_they_are(client, other_clerk, entries):
    client.force_login(other_clerk)

    for page in ("handover_detail", "lost_detail", "incident_detail"):
        assert client.get(_urls(entries)[page]).status_code == 404, page
    for url, data, happened in _actions(entries):
        assert client.post(url, data).status_code == 404, url
        assert not happened(), url


def test_another_sites_lists_do_not_show_this_sites_entries(client, other_clerk, entries):
    client.force_login(other_clerk)

    assert "Boardroom key out" not in client.get("/desk/handover/").content.decode()
    assert "Evening Clerk" not in client.get("/desk/handover/").content.decode()
    assert "Umbrella" not in client.get("/desk/lost-found/?show=all").content.decode()
    assert "Chair broken" not in client.get("/desk/incidents/?show=all").content.decode()


def test_a_user_without_a_site_has_no_desk(client, make_staff, entries, django_user_model):
    nomad = django_user_model.objects.create_user(username="nomad", password="x-long-password")
    nomad.groups.add(*make_staff("helper", DUTY_GROUPS[DutyCode.CLERK], site=entries["item"].site).groups.all())
    client.force_login(nomad)

    assert client.get("/desk/lost-found/").status_code == 403
    assert client.get("/desk/roster/").status_code == 403
