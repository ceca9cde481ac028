"""Quality bar (b): a walk-in registers themself at the lobby kiosk, and the
screen resets after them and after an idle minute, with nothing of theirs left."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.e2e.conftest import htmx_ready
from visitors.models import Visit, VisitSource, VisitStatus


@pytest.fixture(autouse=True)
def daytime_server(time_machine, settings):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=True)  # outside the night window (R6.8)
    cache.clear()  # rate-limit counts survive transactional tests


@pytest.fixture
def kiosk(live_server, browser, lobby_kiosk):
    tablet = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    screen = tablet.new_page()
    screen.goto(f"{live_server.url}/kiosk/enrol/{lobby_kiosk.token}/")
    screen.get_by_role("button", name="Enrol this device").click()
    expect(screen).to_have_url(f"{live_server.url}/kiosk/")
    yield screen
    tablet.close()


def test_a_walk_in_registers_at_the_kiosk_and_the_screen_resets(live_server, kiosk, host, ordinary, lounge):
    kiosk.get_by_role("link", name="I have no invitation").click()
    kiosk.get_by_label("Your full name").fill("Maria Rossi")
    kiosk.get_by_label("Company").fill("Rossi Design")
    kiosk.get_by_label("Phone").fill("+39 06 5551234")
    htmx_ready(kiosk)
    kiosk.get_by_label("Who are you visiting?").press_sequentially("Su")
    expect(kiosk.get_by_test_id("host-results")).to_contain_text("Type at least three letters")
    kiosk.get_by_label("Who are you visiting?").press_sequentially("n")
    kiosk.get_by_label("Sales-Sun Li").check()
    kiosk.get_by_label("I have read the privacy notice and agree to it.").check()
    kiosk.get_by_role("button", name="Check in").click()

    done = kiosk.get_by_test_id("kiosk-done")
    expect(done).to_contain_text("You are checked in")
    expect(done).to_contain_text("We have told Sales-Sun Li that you are here.")
    expect(done).to_contain_text("Please take a seat in the Lounge.")
    visit = Visit.objects.select_related("visitor").get()
    assert visit.status == VisitStatus.ON_SITE and visit.source == VisitSource.KIOSK
    assert visit.category == ordinary and visit.room == lounge and visit.host == host  # R1.2, R1.3
    expect(kiosk.get_by_test_id("badge-code")).to_have_text(visit.badge_code)

    # The welcome screen resets by itself, and going back shows an empty form.
    expect(kiosk.get_by_role("link", name="I have no invitation")).to_be_visible(timeout=20_000)
    expect(kiosk).to_have_url(f"{live_server.url}/kiosk/")
    assert visit.badge_code not in kiosk.content() and "Maria Rossi" not in kiosk.content()
    kiosk.go_back()
    expect(kiosk.get_by_label("Your full name")).to_have_value("")
    assert "Maria Rossi" not in kiosk.content() and "5551234" not in kiosk.content()
    assert Visit.objects.count() == 1


def test_an_idle_kiosk_forgets_a_half_filled_form(live_server, kiosk, host, lounge):
    kiosk.clock.install()
    kiosk.get_by_role("link", name="I have no invitation").click()
    kiosk.get_by_label("Your full name").fill("Maria Rossi")
    kiosk.get_by_label("Phone").fill("+39 06 5551234")
    htmx_ready(kiosk)  # the idle timer is armed by the page's script

    kiosk.clock.fast_forward("00:50")
    expect(kiosk.get_by_label("Your full name")).to_have_value("Maria Rossi")  # still within the minute
    kiosk.clock.fast_forward("01:01")

    expect(kiosk).to_have_url(f"{live_server.url}/kiosk/")
    expect(kiosk.get_by_role("link", name="I have no invitation")).to_be_visible()
    assert "Maria Rossi" not in kiosk.content()
    assert not Visit.objects.exists()


def test_the_kiosk_speaks_chinese(live_server, kiosk, lounge):
    kiosk.get_by_role("button", name="简体中文").click()

    expect(kiosk.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(kiosk).to_have_url(f"{live_server.url}/kiosk/")


def test_a_walk_in_on_the_chinese_kiosk_is_sent_to_the_room_by_its_chinese_name(
    live_server, kiosk, host, ordinary, lounge
):
    # issue #16 item 14: the office manager gave the Lounge its Chinese name.
    lounge.name_zh = "休闲厅"
    lounge.save(update_fields=["name_zh"])
    kiosk.get_by_role("button", name="简体中文").click()
    kiosk.get_by_role("link", name="我没有邀请").click()
    kiosk.get_by_label("您的姓名").fill("王小明")
    kiosk.get_by_label("电话").fill("13912345678")
    htmx_ready(kiosk)
    kiosk.get_by_label("您要拜访谁？").press_sequentially("Sun")
    kiosk.get_by_label("Sales-Sun Li").check()
    kiosk.get_by_label("我已阅读并同意隐私声明。").check()
    kiosk.get_by_role("button", name="签到").click()

    done = kiosk.get_by_test_id("kiosk-done")
    expect(done).to_contain_text("请到休闲厅就座。")
    expect(done).not_to_contain_text("Lounge")
    assert Visit.objects.get().room == lounge
