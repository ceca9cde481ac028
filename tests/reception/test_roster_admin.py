"""The office manager plans the roster in the back office (R1.5, R4.2): the
same person cannot hold the same duty twice at once, nor be rostered at
another site; holding two duties at once is allowed but flagged."""

from datetime import date

import pytest
from django.contrib.messages import get_messages

from reception.models import Duty, DutyCode, RosterEntry
from tests.reception.night_shift import local, roster, roster_night

EVENING = date(2026, 11, 26)
URL = "/admin/reception/rosterentry/add/"


def _entry(site, duty: str, user, start: str, end: str) -> dict:
    """The admin's add form, times typed on the site's clock (Shanghai)."""
    (start_day, start_time), (end_day, end_time) = start.split(), end.split()
    return {
        "site": site.pk,
        "duty": Duty.objects.get(code=duty).pk,
        "user": user.pk,
        "starts_at_0": start_day,
        "starts_at_1": start_time,
        "ends_at_0": end_day,
        "ends_at_1": end_time,
        "note": "",
    }


def test_the_manager_plans_a_night(client, manager, site, night_officer):
    client.force_login(manager)

    response = client.post(
        URL, _entry(site, DutyCode.NIGHT_OFFICER, night_officer, "2026-11-26 20:00:00", "2026-11-27 08:00:00")
    )

    assert response.status_code == 302
    entry = RosterEntry.objects.get()
    assert (entry.starts_at, entry.ends_at) == (local(site, EVENING, 20), local(site, date(2026, 11, 27), 8))


def test_the_same_person_in_the_same_duty_twice_at_once_is_refused(client, manager, site, night_officer):
    roster_night(site, night_officer, EVENING)
    client.force_login(manager)

    response = client.post(
        URL, _entry(site, DutyCode.NIGHT_OFFICER, night_officer, "2026-11-27 06:00:00", "2026-11-27 10:00:00")
    )

    assert response.status_code == 200
    assert "already holds this duty from 2026-11-26 20:00 to 2026-11-27 08:00" in response.content.decode()
    assert RosterEntry.objects.count() == 1


def test_back_to_back_shifts_are_not_an_overlap(client, manager, site, night_officer):
    roster_night(site, night_officer, EVENING)
    client.force_login(manager)

    response = client.post(
        URL, _entry(site, DutyCode.NIGHT_OFFICER, night_officer, "2026-11-27 20:00:00", "2026-11-28 08:00:00")
    )

    assert response.status_code == 302
    assert RosterEntry.objects.count() == 2


def test_someone_from_another_site_is_not_even_a_choice_for_the_manager(client, manager, site, other_clerk):
    client.force_login(manager)

    response = client.post(URL, _entry(site, DutyCode.CLERK, other_clerk, "2026-11-26 08:00:00", "2026-11-26 20:00:00"))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()  # issue #15: the manager's site only
    assert not RosterEntry.objects.exists()


def test_the_administrator_cannot_roster_someone_at_another_site_either(client, admin_user, site, other_clerk):
    client.force_login(admin_user)

    response = client.post(URL, _entry(site, DutyCode.CLERK, other_clerk, "2026-11-26 08:00:00", "2026-11-26 20:00:00"))

    assert response.status_code == 200
    assert "does not work at Headquarters Base" in response.content.decode()
    assert not RosterEntry.objects.exists()


def test_an_end_before_the_start_is_a_form_error(client, manager, site, clerk):
    client.force_login(manager)

    response = client.post(URL, _entry(site, DutyCode.CLERK, clerk, "2026-11-26 20:00:00", "2026-11-26 08:00:00"))

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not RosterEntry.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "error"),
    [
        ("0001-01-01 20:00:00", "0001-01-02 08:00:00", "between 2000-01-01 and 2099-12-31"),  # issue #15
        ("2026-11-26 20:00:00", "9999-12-31 08:00:00", "at most a year ahead"),
        ("2030-01-01 20:00:00", "2030-01-02 08:00:00", "at most a year ahead"),
    ],
)
def test_a_shift_out_of_range_is_a_form_error(client, manager, site, clerk, time_machine, start, end, error):
    time_machine.move_to(local(site, EVENING, 12), tick=False)
    client.force_login(manager)

    response = client.post(URL, _entry(site, DutyCode.CLERK, clerk, start, end))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not RosterEntry.objects.exists()


def test_two_duties_at_once_are_saved_with_a_warning(client, manager, site, director):
    roster(site, DutyCode.DIRECTOR, director, local(site, EVENING, 8), local(site, EVENING, 22))
    client.force_login(manager)

    response = client.post(
        URL, _entry(site, DutyCode.NIGHT_OFFICER, director, "2026-11-26 20:00:00", "2026-11-27 08:00:00")
    )

    assert response.status_code == 302
    assert RosterEntry.objects.count() == 2
    warnings = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("also holds Office director in these hours (2026-11-26 08:00–2026-11-26 22:00)" in w for w in warnings)
