"""Issue #15 item 17: the pages people use at the desk, at the lobby kiosk and
on their phone meet WCAG 2 A/AA as axe-core checks them (contrast, labels,
names, landmarks), in English and in Simplified Chinese. The handover notice
on the clerk's dashboard is there, so the link inside it is checked too."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from reception.models import Handover
from tests.visitors.desk import walk_in
from visitors.links import invitation_token

LANGUAGES = ["en", "zh-hans"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def daytime_server(time_machine):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=True)  # outside the night window (R6.8)
    cache.clear()  # rate-limit counts survive transactional tests


def speak(context, live_server, language: str) -> None:
    """The language a person chose with the switcher, remembered in its cookie."""
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_clerks_desk_pages_are_accessible(
    live_server, page, sign_in, axe, language, site, clerk, night_officer, host, business, business_room
):
    Handover.objects.create(
        site=site,
        written_by=night_officer,
        shift_started_at=timezone.now() - timedelta(hours=12),
        open_items="Lift engineer still in the lounge",
    )
    visit = walk_in(category=business, room=business_room, by=clerk, name="Kenji Tanaka", host=host)
    sign_in("clerk")
    expect(page).to_have_url(f"{live_server.url}/desk/")
    speak(page.context, live_server, language)

    page.goto(f"{live_server.url}/desk/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id("handover-waiting").get_by_role("link")).to_be_visible()
    axe(page)

    page.goto(f"{live_server.url}/desk/register/")
    axe(page)
    page.locator("#walk-in-form button[type=submit]").click()  # nothing filled in: the refusals show
    expect(page.locator("#id_full_name")).to_have_class(re.compile(r"\bis-invalid\b"))
    axe(page)

    page.goto(f"{live_server.url}/desk/visits/{visit.pk}/")
    axe(page)

    page.goto(f"{live_server.url}/desk/log/")
    expect(page.get_by_test_id("log")).to_contain_text("Kenji Tanaka")
    axe(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_login_page_is_accessible(live_server, page, axe, language):
    speak(page.context, live_server, language)
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    axe(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lobby_kiosk_is_accessible(live_server, browser, axe, language, lobby_kiosk, host, lounge):
    tablet = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    speak(tablet, live_server, language)
    screen = tablet.new_page()
    screen.goto(f"{live_server.url}/kiosk/enrol/{lobby_kiosk.token}/")
    screen.locator("main form button[type=submit]").click()
    expect(screen).to_have_url(f"{live_server.url}/kiosk/")
    expect(screen.locator("html")).to_have_attribute("lang", language)
    axe(screen)

    screen.goto(f"{live_server.url}/kiosk/walk-in/")
    axe(screen)
    screen.locator("#id_host_search").press_sequentially("Sun")  # the people who match, as radio buttons
    expect(screen.locator("#host-results input[type=radio]")).to_have_count(1)
    axe(screen)

    screen.locator("#id_full_name").fill("Maria Rossi")
    screen.locator("#id_phone").fill("+39 06 5551234")
    screen.locator("#host-results input[type=radio]").check()
    screen.locator("#id_accept_privacy").check()
    screen.locator("[data-testid=walk-in-form] button[type=submit]").click()
    expect(screen.get_by_test_id("badge-code")).to_be_visible()
    axe(screen)
    tablet.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_invitation_on_the_phone_is_accessible(live_server, browser, axe, language, invitation):
    phone = browser.new_context(**PHONE)
    speak(phone, live_server, language)
    mobile = phone.new_page()
    mobile.goto(f"{live_server.url}/i/{invitation_token(invitation)}/")
    expect(mobile.locator("h1")).to_be_visible()
    expect(mobile.locator("html")).to_have_attribute("lang", language)
    axe(mobile)

    mobile.locator("#id_phone").fill("+81 3 5550123")
    mobile.locator("#id_accept_privacy").check()
    mobile.locator("[data-testid=confirm-form] button[type=submit]").click()
    expect(mobile.get_by_test_id("invitation-code")).to_have_text(invitation.code)  # and its QR code
    axe(mobile)
    phone.close()


def test_a_link_inside_any_alert_keeps_its_contrast(live_server, page, axe):
    # The app's own alerts with links are only the handover notice today; a link
    # in any of Bootstrap's alert variants must stay readable too (lobby.css).
    page.goto(f"{live_server.url}/accounts/login/")
    variants = ["primary", "secondary", "success", "danger", "warning", "info", "light", "dark"]
    page.evaluate(
        """variants => { for (const variant of variants) {
            const alert = document.createElement('div');
            alert.className = `alert alert-${variant}`;
            alert.append(`A ${variant} notice with `);
            const link = document.createElement('a');
            link.href = '#';
            link.textContent = 'a link';
            alert.append(link);
            document.querySelector('main').append(alert);
        } }""",
        variants,
    )
    expect(page.locator("main .alert a")).to_have_count(len(variants))
    axe(page)
