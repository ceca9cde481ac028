"""A night officer's shift in the browser (R6.8, R6.2, R6.6): an after-hours
walk-in registered with the night facts, a clerk's attempt refused, a lost item
recorded, the handover written; in the morning the clerk acknowledges it and
reads the morning report. The server's clock is moved through the night."""

from datetime import date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from reception.models import DutyCode, Handover, LostItem
from tests.reception.night_shift import roster, roster_night
from visitors.models import Visit

EVENING = date(2026, 11, 27)
MORNING = EVENING + timedelta(days=1)


def _at(site, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=site.tzinfo)


@pytest.fixture
def night(site, clerk, night_officer, ordinary, lounge):
    site.desk_phone = "+86 10 8888 0000"
    site.save()
    for day in (EVENING, MORNING):
        roster(site, DutyCode.CLERK, clerk, _at(site, day, 8), _at(site, day, 20))
    roster_night(site, night_officer, EVENING)
    return site


def _registers(page, item: str):
    """Open the navbar's Registers menu and follow one of its links."""
    navbar = page.locator("nav.navbar")
    page.wait_for_load_state("load")  # Bootstrap's dropdowns work once its script has run
    navbar.get_by_role("button", name="Registers").click()
    navbar.get_by_role("link", name=item, exact=True).click()


def _sign_out(page):
    page.wait_for_load_state("load")  # Bootstrap's dropdowns work once its script has run
    page.get_by_test_id("signed-in-as").click()  # the account menu holds "Sign out"
    page.locator("form[action='/accounts/logout/'] button").click()


def _fill_walk_in(page, lounge, *, name: str):
    page.get_by_role("link", name="Register a walk-in").click()
    expect(page.get_by_test_id("night-facts")).to_be_visible()
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Company").fill("Lift Repairs Ltd")
    page.get_by_label("Phone").fill("13800001111")
    page.get_by_label("Category").select_option(label="C · Ordinary")
    page.wait_for_selector(f"#id_room option[value='{lounge.pk}']", state="attached")
    page.locator("#id_room").select_option(str(lounge.pk))
    page.get_by_label("Purpose").fill("Emergency lift repair")
    page.locator("input[name=id_sighted][value=yes]").check()
    page.get_by_label("ID type sighted").select_option(label="Passport")
    page.locator("input[name=host_contacted][value=yes]").check()
    page.get_by_role("button", name="Register and check in").click()


def test_a_night_shift_from_walk_in_to_morning_report(
    live_server, page, sign_in, time_machine, night, clerk, night_officer, lounge
):
    # 21:00 — the night officer is on duty.
    time_machine.move_to(_at(night, EVENING, 21), tick=True)
    sign_in("night")
    expect(page.get_by_test_id("night-duty")).to_contain_text("Night duty: Front Desk-Liu Yang")

    _fill_walk_in(page, lounge, name="Late Engineer")
    expect(page.locator("main")).to_contain_text("Late Engineer is registered and checked in")
    visit = Visit.objects.get()
    assert (visit.registered_by, visit.night_registration, visit.id_sighted_type, visit.host_contacted) == (
        night_officer,
        True,
        "passport",
        True,
    )

    _registers(page, "Lost and found")
    page.get_by_role("link", name="Record a found item").click()
    page.get_by_label("Item").fill("Black umbrella")
    page.get_by_label("Found where").fill("Lounge, by the window")
    page.get_by_label("Stored where").fill("Desk drawer 2")
    page.get_by_role("button", name="Record").click()
    expect(page.locator("main")).to_contain_text("Lost item recorded: Black umbrella.")
    assert LostItem.objects.get().recorded_by == night_officer
    _sign_out(page)

    # 21:30 — an evening clerk tries to register a walk-in and is refused.
    time_machine.move_to(_at(night, EVENING, 21, 30), tick=True)
    sign_in("clerk")
    _fill_walk_in(page, lounge, name="Second Courier")
    expect(page.locator("main")).to_contain_text("On night duty now: Front Desk-Liu Yang")
    assert Visit.objects.count() == 1
    _sign_out(page)

    # 07:50 — the night officer hands over.
    time_machine.move_to(_at(night, MORNING, 7, 50), tick=True)
    sign_in("night")
    _registers(page, "Handover")
    page.get_by_role("link", name="Write a handover").click()
    expect(page.get_by_test_id("on-site-snapshot")).to_contain_text("Late Engineer")
    page.get_by_label("Open items").fill("Lift engineer still in the lounge; call him at 09:00")
    page.get_by_label("Keys and items handed over").fill("Lift machine-room key")
    page.get_by_role("button", name="Hand over").click()
    expect(page.get_by_test_id("acknowledgement")).to_contain_text("Waiting for the incoming person")
    _sign_out(page)

    # 08:05 — the morning clerk takes over and reads the morning report.
    time_machine.move_to(_at(night, MORNING, 8, 5), tick=True)
    sign_in("clerk")
    waiting = page.get_by_test_id("handover-waiting")
    expect(waiting).to_contain_text("Handover from Front Desk-Liu Yang")
    waiting.get_by_role("link", name="Read it").click()
    expect(page.get_by_test_id("handover")).to_contain_text("Lift machine-room key")
    page.get_by_role("button", name="I have read it and take the shift over").click()
    expect(page.locator("main")).to_contain_text("Handover acknowledged")
    handover = Handover.objects.get()
    assert (handover.written_by, handover.acknowledged_by) == (night_officer, clerk)
    assert list(handover.shift_visits.all()) == [visit]

    _registers(page, "Morning report")
    expect(page.get_by_test_id("report-title")).to_contain_text("Fri 27 Nov 20:00 – Sat 28 Nov 08:00")
    expect(page.get_by_test_id("report-visits")).to_contain_text("Late Engineer")
    expect(page.get_by_test_id("report-visits")).to_contain_text("Passport")
    expect(page.get_by_test_id("report-on-site")).to_contain_text("Late Engineer")
    expect(page.get_by_test_id("report-lost-items")).to_contain_text("Black umbrella")
    expect(page.get_by_test_id("report-provisional")).to_have_count(0)
