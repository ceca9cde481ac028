"""Quality bar (a): an invitation from the host's desk to the visitor's phone,
the lobby kiosk, the host's one-click acknowledgement, and the desk seeing it
(R3.2), in Debian's Chromium."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from visitors.models import Invitation, Visit, VisitStatus

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def daytime_server(time_machine, settings, live_server):
    # The server's clock runs from 10:00 in Shanghai, outside the night window (R6.8).
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=True)
    # Tasks run as soon as the check-in commits, so the emails are there to read.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = live_server.url
    cache.clear()  # rate-limit counts survive transactional tests


def link(email, path: str) -> str:
    match = re.search(rf"(http://\S+{path}\S+/)", email.body)
    assert match, email.body
    return match.group(1)


def test_an_invitation_from_the_hosts_desk_to_the_acknowledged_arrival(
    live_server, browser, page, sign_in, host, clerk, business, business_room, lobby_kiosk, mailoutbox
):
    # The host invites Kenji Tanaka for 10:30.
    sign_in("host")
    page.locator("#nav").get_by_role("link", name="Invite a visitor").click()
    page.get_by_label("Visitor's full name").fill("Kenji Tanaka")
    page.get_by_label("Visitor's email").fill("kenji@tanaka.example")
    page.get_by_label("Company").fill("Tanaka Industries")
    page.get_by_label("Category").select_option(label="B · Business")
    page.get_by_label("Room").select_option(label="Business Room")
    page.get_by_label("Expected at").fill("2026-11-27T10:30")
    page.get_by_label("Purpose").fill("Product demonstration")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("main")).to_contain_text("Invitation for Kenji Tanaka sent to kenji@tanaka.example")
    invitation = Invitation.objects.get()
    [email] = mailoutbox
    assert email.to == ["kenji@tanaka.example"]

    # On his phone Kenji opens the link, adds his phone number and accepts the notice.
    phone = browser.new_context(**PHONE)
    mobile = phone.new_page()
    mobile.goto(link(email, "/i/"))
    expect(mobile.locator("h1")).to_contain_text("Your visit to Headquarters Base")
    expect(mobile.get_by_label("Full name")).to_have_value("Kenji Tanaka")
    mobile.get_by_label("Phone").fill("+81 3 5550123")
    mobile.get_by_label("I have read the privacy notice and agree to it.").check()
    mobile.get_by_role("button", name="Confirm").click()
    expect(mobile.locator("main")).to_contain_text("Thank you, your details are confirmed.")
    expect(mobile.get_by_test_id("invitation-code")).to_have_text(invitation.code)
    expect(mobile.locator(".invitation-qr svg")).to_be_visible()
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    code = mobile.get_by_test_id("invitation-code").inner_text()
    phone.close()

    # In the lobby he types the code at the kiosk.
    tablet = browser.new_context(viewport={"width": 1024, "height": 768})
    kiosk = tablet.new_page()
    kiosk.goto(f"{live_server.url}/kiosk/enrol/{lobby_kiosk.token}/")
    kiosk.get_by_role("button", name="Enrol this device").click()
    kiosk.get_by_role("link", name="I have an invitation").click()
    kiosk.get_by_label("Invitation code").fill(code.lower())
    kiosk.get_by_role("button", name="Check in").click()
    expect(kiosk.get_by_test_id("kiosk-done")).to_contain_text("You are checked in")
    expect(kiosk.get_by_test_id("kiosk-done")).to_contain_text("We have told Sales-Sun Li that you are here.")
    visit = Visit.objects.get()
    assert visit.status == VisitStatus.ON_SITE and visit.visitor.phone == "+81 3 5550123"
    tablet.close()

    # The host gets the arrival email and acknowledges with one click.
    arrival = next(message for message in mailoutbox if message.to == ["host@lobby.test"])
    assert "Your visitor Kenji Tanaka has arrived" in arrival.subject
    page.goto(link(arrival, "/i/ack/"))
    page.get_by_test_id("ack-button").click()
    expect(page.get_by_test_id("ack-state")).to_contain_text("by Sales-Sun Li")
    visit.refresh_from_db()
    assert visit.acknowledged_by == host

    # The desk sees it acknowledged.
    desk = browser.new_context().new_page()
    desk.goto(f"{live_server.url}/accounts/login/")
    desk.get_by_label("Username").fill("clerk")
    desk.get_by_label("Password").fill("correct-horse-battery")
    desk.get_by_role("button", name="Sign in").click()
    row = desk.locator(f"[data-testid='on-site'] tr[data-visit='{visit.pk}']")
    expect(row).to_contain_text("Kenji Tanaka")
    expect(row).to_contain_text("Acknowledged")
    expect(desk.get_by_test_id("ack-done")).to_contain_text("1 acknowledged")


CAMERA = """
window.BarcodeDetector = class {
  async detect() { return window.__qr ? [{ rawValue: window.__qr, format: "qr_code" }] : []; }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return canvas.captureStream();
};
"""


def test_the_kiosk_reads_the_invitation_qr_code_with_its_camera(live_server, browser, lobby_kiosk, invitation):
    tablet = browser.new_context(viewport={"width": 1024, "height": 768})
    tablet.add_init_script(CAMERA)  # a camera showing the visitor's QR code, decoded by the browser
    kiosk = tablet.new_page()
    kiosk.goto(f"{live_server.url}/kiosk/enrol/{lobby_kiosk.token}/")
    kiosk.get_by_role("button", name="Enrol this device").click()
    kiosk.get_by_role("link", name="I have an invitation").click()
    kiosk.get_by_label("I have read the privacy notice and agree to it.").check()

    kiosk.evaluate("code => { window.__qr = code; }", invitation.code)
    kiosk.get_by_role("button", name="Scan the QR code with the camera").click()

    expect(kiosk.get_by_test_id("kiosk-done")).to_contain_text("You are checked in")
    assert Visit.objects.get(pk=invitation.visit_id).status == VisitStatus.ON_SITE
    tablet.close()
