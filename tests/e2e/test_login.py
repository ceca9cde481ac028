from playwright.sync_api import expect


def test_a_clerk_signs_in_switches_to_chinese_and_signs_out(live_server, page, sign_in, clerk):
    sign_in("clerk")

    expect(page).to_have_url(f"{live_server.url}/desk/")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("Front Desk-Zhang Wei")

    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")  # the choice is remembered

    page.wait_for_load_state("load")  # Bootstrap's dropdowns work once its script has run
    page.get_by_test_id("signed-in-as").click()  # the account menu holds "Sign out"
    page.locator("form[action='/accounts/logout/'] button").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_a_wrong_password_is_refused_with_a_message(live_server, page, sign_in, clerk):
    sign_in("clerk", "wrong-password")

    expect(page.locator("main")).to_contain_text("Please enter a correct username and password")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
