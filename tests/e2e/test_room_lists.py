"""The walk-in and invitation forms reload their room lists when the category
or the party size changes (R1.3): only allowed rooms are offered; a room
already chosen stays chosen while it is still allowed, even one chosen while
the new list was on its way, and nothing typed is lost (issue #16 items 6, 7)."""

import pytest
from playwright.sync_api import expect


@pytest.fixture(autouse=True)
def morning(time_machine, settings):
    # The server's clock runs from 09:00 in Shanghai, outside the night window (R6.8).
    time_machine.move_to("2026-11-27 09:00:00+08:00", tick=True)


def test_a_chosen_room_survives_a_change_of_party_size(live_server, page, sign_in, clerk, vip, rooms):
    culture_pavilion, business_room, lounge, gm_office = rooms
    sign_in("clerk")
    page.goto(f"{live_server.url}/desk/register/")
    page.locator("#id_full_name").fill("李娜")
    page.locator("#id_category").select_option(label="A · VIP")
    expect(page.locator("#id_room option:not([value=''])")).to_have_count(2)
    page.locator("#id_room").select_option(str(gm_office.pk))

    # The party grows to three: the list reloads and the office is still chosen.
    with page.expect_response("**/desk/register/rooms/**"):
        page.locator("#id_party_size").fill("3")
        page.locator("#id_party_size").dispatch_event("change")
    expect(page.locator(f"#id_room option[value='{gm_office.pk}']")).to_contain_text("4 of 4 places free")
    expect(page.locator("#id_room")).to_have_value(str(gm_office.pk))
    expect(page.locator("#id_full_name")).to_have_value("李娜")

    # The clerk picks the pavilion while the list for a party of two is still
    # on its way: the answer (which knew only the office) keeps the pavilion.
    held = []
    page.route("**/desk/register/rooms/**", lambda route: held.append(route))
    page.locator("#id_party_size").fill("2")
    page.locator("#id_party_size").dispatch_event("change")
    for _tick in range(50):
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1
    page.locator("#id_room").select_option(str(culture_pavilion.pk))
    with page.expect_response("**/desk/register/rooms/**"):
        held[0].continue_()
    page.unroute("**/desk/register/rooms/**")
    expect(page.locator("#id_room option:not([value=''])")).to_have_count(2)
    expect(page.locator("#id_room")).to_have_value(str(culture_pavilion.pk))
    expect(page.locator("#id_full_name")).to_have_value("李娜")
    expect(page.locator("#id_party_size")).to_have_value("2")

    # Five people do not fit the office: it is dropped with the list; the
    # pavilion, with room for twelve, stays chosen.
    page.locator("#id_room").select_option(str(gm_office.pk))
    with page.expect_response("**/desk/register/rooms/**"):
        page.locator("#id_party_size").fill("5")
        page.locator("#id_party_size").dispatch_event("change")
    expect(page.locator("#id_room option:not([value=''])")).to_have_count(1)
    expect(page.locator("#id_room")).to_have_value("")
    expect(page.locator("#id_full_name")).to_have_value("李娜")


def test_the_invitation_offers_the_rooms_of_the_chosen_category(live_server, page, sign_in, host, vip, business, rooms):
    culture_pavilion, business_room, lounge, gm_office = rooms
    sign_in("host")
    page.goto(f"{live_server.url}/desk/invitations/new/")
    expect(page.get_by_label("Expected at")).to_have_value("2026-11-27T09:30")
    page.get_by_label("Visitor's full name").fill("Kenji Tanaka")
    expect(page.locator("#id_room option")).to_have_text(["Decide on arrival"])

    page.get_by_label("Category").select_option(label="B · Business")
    expect(page.locator("#id_room option")).to_have_text(
        ["Decide on arrival", "Business Room", "General Manager's Office"]
    )
    page.get_by_label("Room").select_option(label="General Manager's Office")

    page.get_by_label("Category").select_option(label="A · VIP")
    expect(page.locator("#id_room option")).to_have_text(
        ["Decide on arrival", "Culture Pavilion", "General Manager's Office"]
    )
    expect(page.get_by_label("Room")).to_have_value(str(gm_office.pk))
    expect(page.get_by_label("Visitor's full name")).to_have_value("Kenji Tanaka")
