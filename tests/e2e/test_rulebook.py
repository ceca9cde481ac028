"""The rulebook in the browser (issue #22): the office manager asks the rule
tester about a business visitor at 21:30 at the kiosk and reads the night
officer's name, moves the night window and confirms the preview, publishes new
written rules; a clerk signing in is asked to read and acknowledge them."""

from datetime import date, datetime, time

import pytest
from playwright.sync_api import expect

from reception.models import RulesAcknowledgement, Site
from tests.reception.night_shift import roster_night
from tests.visitors.desk import expect as expect_visit

EVENING = date(2026, 11, 27)


@pytest.fixture
def house(site, rooms, business, business_room, night_officer, clerk, manager, daytime):
    roster_night(site, night_officer, EVENING)
    # Booked for 19:00 today: an earlier night would move it to the night officer.
    expect_visit(
        category=business,
        room=business_room,
        by=clerk,
        expected_at=datetime.combine(EVENING, time(19), tzinfo=site.tzinfo),
    )
    return site


def _sign_out(page):
    page.wait_for_load_state("load")
    page.get_by_test_id("signed-in-as").click()
    page.locator("form[action='/accounts/logout/'] button").click()


def test_the_manager_tests_a_rule_changes_the_night_and_the_clerk_reads_the_new_rules(
    live_server, page, sign_in, house, site
):
    sign_in("manager")
    page.goto(f"{live_server.url}/admin/reception/visitorcategory/")
    page.get_by_role("link", name="Rule tester").click()
    page.locator("#id_site").select_option(label=site.name)
    page.locator("#id_category").select_option(label="B · Business")
    page.locator("#id_day").fill("2026-11-27")
    page.locator("#id_time").fill("21:30")
    page.locator("#id_entry").select_option(label="Walk-in at the kiosk")
    page.get_by_role("button", name="Test").click()
    expect(page.locator("#verdict")).to_contain_text("Refused: kiosk_closed")
    expect(page.locator("#rule-lines")).to_contain_text("the night-duty officer signs: Front Desk-Liu Yang")

    page.goto(f"{live_server.url}/admin/reception/site/{site.pk}/change/")
    page.locator("#id_night_starts").fill("18:00:00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    expect(page.get_by_text("1 expected visit would arrive in the night window")).to_be_visible()
    assert Site.objects.get(pk=site.pk).night_starts == time(20)
    page.locator("#id_confirm_preview").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    assert Site.objects.get(pk=site.pk).night_starts == time(18)

    page.goto(f"{live_server.url}/admin/reception/rulesversion/add/")
    page.locator("#id_effective_from").fill("2026-11-27")
    page.locator("#id_body_en").fill("## Night\n\nThe night now starts at **18:00**.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    page.goto(f"{live_server.url}/")
    _sign_out(page)

    sign_in("clerk")
    banner = page.get_by_test_id("rules-banner")
    expect(banner).to_contain_text("New rules to read: version 1.")
    banner.get_by_role("link", name="Read and acknowledge").click()
    expect(page.get_by_test_id("rules-body").locator("strong")).to_have_text("18:00")
    page.get_by_role("button", name="I have read these rules").click()
    expect(page.get_by_test_id("rules-acknowledged")).to_be_visible()
    expect(page.get_by_test_id("rules-banner")).to_have_count(0)
    assert RulesAcknowledgement.objects.filter(user__username="clerk", version__number=1).exists()
