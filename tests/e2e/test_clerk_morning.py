"""A clerk's morning at the desk, in Debian's Chromium: sign in, register a VIP
walk-in (only the Culture Pavilion and the GM's office are offered, R1.3), try
the Lounge through a tampered form and see the refusal, check in an expected
business visitor, print the badge, check both out, find them in the log and
read the downloaded CSV back."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import htmx_ready
from tests.visitors.desk import expect_visit, walk_in
from visitors import services
from visitors.models import Visit, VisitStatus


@pytest.fixture(autouse=True)
def morning(time_machine, settings):
    # The server's clock runs from 09:00 in Shanghai, outside the night window (R6.8).
    time_machine.move_to("2026-11-27 09:00:00+08:00", tick=True)


def test_a_clerks_morning(live_server, page, sign_in, clerk, host, vip, business, rooms):
    culture_pavilion, business_room, lounge, gm_office = rooms
    tanaka = expect_visit(
        category=business,
        room=business_room,
        by=clerk,
        expected_at="2026-11-27 10:30:00+08:00",
        name="Kenji Tanaka",
        host=host,
        company="Tanaka Industries",
    )

    sign_in("clerk")
    expect(page).to_have_url(f"{live_server.url}/desk/")
    expect(page.get_by_test_id("expected")).to_contain_text("Kenji Tanaka")

    # Register the VIP walk-in: the category limits the rooms offered.
    page.get_by_role("link", name="Register a walk-in").click()
    page.locator("#id_full_name").fill("李娜")
    htmx_ready(page)
    page.locator("#id_company").fill("市商务局")
    page.locator("#id_phone").fill("13700001111")
    page.locator("#id_party_size").fill("4")
    page.locator("#id_category").select_option(label="A · VIP")
    rooms_offered = page.locator("#id_room option:not([value=''])")
    expect(rooms_offered).to_have_count(2)
    offered = rooms_offered.all_inner_texts()
    assert offered[0].startswith("Culture Pavilion") and offered[1].startswith("General Manager's Office")
    page.locator("#host-search").fill("Sun")
    expect(page.locator("#id_host option", has_text="Sales-Sun Li")).to_have_count(1)
    page.locator("#id_host").select_option(label="Sales-Sun Li")
    page.locator("#id_purpose").fill("Government inspection")
    page.locator("#id_meals").check()
    page.locator("#id_materials").fill("Company brochure")

    # A tampered post puts the VIP in the Lounge: the service refuses it (R1.3).
    # First let every room-list reload (category, party size) land, or a late
    # one replaces the list with the tampered option in it.
    page.wait_for_load_state("networkidle")
    page.evaluate(
        "pk => { const room = document.querySelector('#id_room');"
        " room.add(new Option('Lounge', pk)); room.value = pk; }",
        str(lounge.pk),
    )
    page.get_by_role("button", name="Register and check in").click()
    expect(page.locator("main")).to_contain_text("VIP visitors may not be received in Lounge (R1.3)")
    expect(page.locator("main")).to_contain_text("Allowed rooms: Culture Pavilion, General Manager's Office")
    assert not Visit.objects.filter(visitor__full_name="李娜").exists()
    expect(page.locator("#id_full_name")).to_have_value("李娜")  # nothing typed is lost

    page.locator("#id_room").select_option(str(culture_pavilion.pk))
    page.get_by_role("button", name="Register and check in").click()
    expect(page.locator("main")).to_contain_text(
        "李娜 is registered and checked in; please take them to Culture Pavilion."
    )
    expect(page.get_by_test_id("timeline")).to_contain_text("Arrived")
    li_na = Visit.objects.get(visitor__full_name="李娜")
    assert (li_na.status, li_na.room, li_na.party_size, li_na.host, li_na.meals) == (
        VisitStatus.ON_SITE,
        culture_pavilion,
        4,
        host,
        True,
    )

    # The badge, printable with an inline QR code.
    page.get_by_role("link", name="Print badge").click()
    badge = page.get_by_test_id("badge")
    expect(badge).to_contain_text("李娜")
    expect(badge).to_contain_text("Culture Pavilion")
    expect(badge).to_contain_text("Sales-Sun Li")
    expect(badge).to_contain_text(li_na.badge_code)
    expect(page.locator("[data-testid=badge-qr] svg")).to_be_visible()

    # Check the expected business visitor in with one click.
    page.goto(f"{live_server.url}/desk/")
    page.get_by_test_id("expected").locator("tr", has_text="Kenji Tanaka").get_by_role(
        "button", name="Check in"
    ).click()
    expect(page.locator("main")).to_contain_text("Kenji Tanaka is checked in; room: Business Room.")
    expect(page.get_by_test_id("on-site-count")).to_have_text("2")
    tanaka.refresh_from_db()
    assert tanaka.status == VisitStatus.ON_SITE and tanaka.checked_in_by == clerk

    # Check both out.
    for name in ("李娜", "Kenji Tanaka"):
        page.get_by_test_id("on-site").locator("tr", has_text=name).get_by_role("button", name="Check out").click()
        expect(page.locator("main")).to_contain_text(f"{name} is checked out.")
    expect(page.get_by_test_id("on-site-count")).to_have_text("0")
    assert set(Visit.objects.values_list("status", flat=True)) == {VisitStatus.LEFT}

    # Find them in the log.
    page.get_by_role("navigation").get_by_role("link", name="Visitor log").click()
    page.locator("#id_q").fill("李娜")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("log")).to_contain_text("李娜")
    expect(page.get_by_test_id("log")).not_to_contain_text("Kenji Tanaka")
    page.get_by_role("link", name="Clear").click()
    expect(page.get_by_test_id("log")).to_contain_text("Kenji Tanaka")

    # Download the CSV and read it back.
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    body = download.value.path().read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = {row["Visitor"]: row for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))}
    assert set(rows) == {"李娜", "Kenji Tanaka"}
    assert rows["李娜"]["Company"] == "市商务局" and rows["李娜"]["Room"] == "Culture Pavilion"
    assert rows["李娜"]["Status"] == "Left" and rows["Kenji Tanaka"]["Status"] == "Left"
    assert rows["Kenji Tanaka"]["Host"] == "Sales-Sun Li"


def test_a_returning_visitor_is_found_by_phone_and_prefilled_with_the_previous_host(
    live_server, page, sign_in, clerk, host, business, business_room
):
    earlier = walk_in(category=business, room=business_room, by=clerk, name="周杰", phone="13800138000", host=host)
    services.check_out_visit(visit=earlier, by=clerk)

    sign_in("clerk")
    page.goto(f"{live_server.url}/desk/register/")
    page.locator("#id_phone").fill("138001")
    page.get_by_test_id("returning-results").get_by_role("listitem").filter(has_text="周杰").click()

    expect(page.locator("#id_full_name")).to_have_value("周杰")
    expect(page.locator("#id_phone")).to_have_value("13800138000")
    expect(page.locator("#id_host")).to_have_value(str(host.pk))
    expect(page.get_by_test_id("previous-host")).to_contain_text("Last time received by Sales-Sun Li")
    expect(page.locator("#id_room option", has_text="Business Room")).to_have_count(1)  # the category's rooms
    page.locator("#id_room").select_option(str(business_room.pk))
    page.locator("#id_purpose").fill("Order review")
    page.get_by_role("button", name="Register and check in").click()

    expect(page.locator("main")).to_contain_text("周杰 is registered and checked in")
    assert Visit.objects.filter(visitor=earlier.visitor).count() == 2  # the same visitor record


def test_the_dashboard_refreshes_itself_and_keeps_the_filter_as_typed(
    live_server, page, sign_in, clerk, business, business_room
):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie")
    sign_in("clerk")
    page.wait_for_function("() => window.htmx !== undefined")  # htmx loads last, after the desk is parsed
    page.locator("#desk-live").evaluate("live => live.setAttribute('hx-trigger', 'every 1s')")
    page.evaluate("htmx.process(document.querySelector('#desk-live'))")
    page.get_by_test_id("desk-filter").fill("Maria")
    expect(page.get_by_test_id("on-site").locator("tr", has_text="Zhou Jie")).to_be_hidden()

    walk_in(category=business, room=business_room, by=clerk, name="Maria Rossi")

    expect(page.get_by_test_id("on-site")).to_contain_text("Maria Rossi", timeout=10_000)
    expect(page.get_by_test_id("desk-filter")).to_have_value("Maria")  # what the clerk typed stays
    expect(page.get_by_test_id("on-site").locator("tr", has_text="Zhou Jie")).to_be_hidden()
