"""The lobby kiosk at night (R6.8): per site closed — "please ring the
night-duty officer" with the desk's phone — or invitations only; either way no
walk-in registers itself while the night officer registers visitors. Checked on
both edges of the window and on the nights the clocks change."""

from datetime import date, datetime, time, timedelta

import pytest

from reception.models import KioskMode
from visitors import invitations
from visitors.models import Visit, VisitStatus

PHONE = "+86 10 8888 0000"
NIGHTS = [
    pytest.param("Asia/Shanghai", date(2026, 11, 26), id="shanghai"),
    pytest.param("Europe/Berlin", date(2026, 3, 28), id="berlin-spring-forward"),
    pytest.param("Europe/Berlin", date(2026, 10, 24), id="berlin-fall-back"),
]
INSIDE = [pytest.param((0, time(20, 0, 0)), id="20:00:00"), pytest.param((1, time(7, 59, 59)), id="07:59:59")]
OUTSIDE = [pytest.param((0, time(19, 59, 59)), id="19:59:59"), pytest.param((1, time(8, 0, 0)), id="08:00:00")]


@pytest.fixture
def kiosk_site(site):
    def arrange(tz: str, night_mode: str):
        site.timezone = tz
        site.desk_phone = PHONE
        site.kiosk_mode = KioskMode.OPEN
        site.kiosk_night_mode = night_mode
        site.save()
        return site

    return arrange


def _moment(site, evening: date, moment) -> datetime:
    offset, wall = moment
    return datetime.combine(evening + timedelta(days=offset), wall, tzinfo=site.tzinfo)


@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_a_closed_kiosk_asks_to_ring_the_night_officer_and_registers_nobody(
    kiosk_client, kiosk_site, time_machine, tz, evening, moment
):
    site = kiosk_site(tz, KioskMode.CLOSED)
    time_machine.move_to(_moment(site, evening, moment), tick=False)

    start = kiosk_client.get("/kiosk/")
    walk_in = kiosk_client.post("/kiosk/walk-in/", {"full_name": "Night Walker", "accept_privacy": "on"})

    page = start.content.decode()
    assert start.status_code == 200
    assert "Please ring the night-duty officer." in page
    assert PHONE in page
    assert 'href="/kiosk/walk-in/"' not in page and 'href="/kiosk/code/"' not in page
    assert walk_in.status_code == 403
    assert "Please ring the night-duty officer." in walk_in.content.decode()
    assert not Visit.objects.exists()


@pytest.mark.parametrize("moment", OUTSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_just_outside_the_night_the_kiosk_is_open(kiosk_client, kiosk_site, time_machine, tz, evening, moment):
    site = kiosk_site(tz, KioskMode.CLOSED)
    time_machine.move_to(_moment(site, evening, moment), tick=False)

    page = kiosk_client.get("/kiosk/").content.decode()

    assert 'href="/kiosk/walk-in/"' in page
    assert "Please ring the night-duty officer." not in page


@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_an_invitations_only_kiosk_offers_the_invitation_and_refuses_walk_ins(
    kiosk_client, kiosk_site, time_machine, tz, evening, moment
):
    site = kiosk_site(tz, KioskMode.INVITATIONS_ONLY)
    time_machine.move_to(_moment(site, evening, moment), tick=False)

    start = kiosk_client.get("/kiosk/").content.decode()
    form = kiosk_client.get("/kiosk/walk-in/")
    posted = kiosk_client.post("/kiosk/walk-in/", {"full_name": "Night Walker", "accept_privacy": "on"})

    assert 'href="/kiosk/code/"' in start
    assert 'href="/kiosk/walk-in/"' not in start
    assert form.status_code == 200 and "Invitations only" in form.content.decode()
    assert PHONE in form.content.decode()
    assert posted.status_code == 403
    assert not Visit.objects.exists()


def test_the_kiosk_follows_each_sites_own_window(kiosk_client, kiosk_site, time_machine):
    site = kiosk_site("Asia/Shanghai", KioskMode.CLOSED)
    site.night_starts, site.night_ends = time(22), time(6)
    site.save()
    time_machine.move_to(datetime(2026, 11, 26, 21, 30, tzinfo=site.tzinfo), tick=False)

    assert 'href="/kiosk/walk-in/"' in kiosk_client.get("/kiosk/").content.decode()

    time_machine.move_to(datetime(2026, 11, 26, 22, 0, tzinfo=site.tzinfo), tick=False)
    assert "Please ring the night-duty officer." in kiosk_client.get("/kiosk/").content.decode()


@pytest.mark.parametrize("moment", INSIDE)
def test_an_invitations_only_kiosk_at_night_sends_the_invited_visitor_to_the_night_officer(
    kiosk_client, kiosk_site, time_machine, host, business, business_room, moment
):
    # R6.8: the night facts (ID sighted, host contacted) are the officer's to
    # record, so even a kiosk that takes invitations at night checks nobody in.
    site = kiosk_site("Asia/Shanghai", KioskMode.INVITATIONS_ONLY)
    evening = date(2026, 11, 26)
    time_machine.move_to(_moment(site, evening, (0, time(12))), tick=False)
    invited = invitations.create_invitation(
        site=site,
        by=host,
        email="late@example.com",
        full_name="Invited Late",
        category=business,
        host=host,
        room=business_room,
        purpose="Late meeting",
        expected_at=_moment(site, evening, (0, time(19))),
    )
    time_machine.move_to(_moment(site, evening, moment), tick=False)

    response = kiosk_client.post("/kiosk/code/", {"code": invited.code, "accept_privacy": "on"})

    assert response.status_code == 200
    assert f"Please ring the night-duty officer: {PHONE}" in response.content.decode()
    visit = Visit.objects.get(pk=invited.visit_id)
    assert (visit.status, visit.night_registration) == (VisitStatus.EXPECTED, False)
