"""Issue #19 (A12) in the browser: a walk-in at the lobby tablet is
photographed by the tablet's camera and signs the NDA with a finger; the desk
then sees the photo on the visit page and downloads the signed PDF.

Chromium fakes the camera (a test pattern) and grants it without asking, in a
browser of this module's own: the other browser tests keep a browser without
a camera."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from reception.models import PhotoPolicy
from tests.e2e.conftest import CHROMIUM_ARGS, htmx_ready
from visitors import agreements
from visitors.models import Agreement, AgreementKind, AuditEvent, SignedAgreement, Visit, VisitStatus

FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
TABLET = {"width": 1024, "height": 768}


@pytest.fixture(autouse=True)
def daytime_server(time_machine):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=True)  # outside the night window (R6.8)
    cache.clear()  # rate-limit counts survive transactional tests


@pytest.fixture(scope="module")
def camera_browser(browser_type, browser_type_launch_args):
    browser = browser_type.launch(**{**browser_type_launch_args, "args": [*CHROMIUM_ARGS, *FAKE_CAMERA]})
    yield browser
    browser.close()


@pytest.fixture
def tablet(live_server, camera_browser, lobby_kiosk):
    context = camera_browser.new_context(
        viewport=TABLET, has_touch=True, locale="en-GB", timezone_id="Asia/Shanghai", permissions=["camera"]
    )
    screen = context.new_page()
    screen.goto(f"{live_server.url}/kiosk/enrol/{lobby_kiosk.token}/")
    screen.get_by_role("button", name="Enrol this device").click()
    expect(screen).to_have_url(f"{live_server.url}/kiosk/")
    yield screen
    context.close()


@pytest.fixture
def nda(ordinary, manager):
    """Ordinary (category C) visitors are photographed and sign the NDA."""
    ordinary.photo = PhotoPolicy.REQUIRED
    ordinary.save(update_fields=["photo"])
    agreement = Agreement.objects.create(site=ordinary.site, category=ordinary, kind=AgreementKind.NDA)
    agreements.publish_version(
        agreement=agreement,
        title_en="Non-disclosure agreement",
        title_zh="保密协议",
        text_en="What you see here stays here.",
        text_zh="您在此处看到的一切须保密。",
        by=manager,
    )
    return agreement


def sign_with_a_finger(page) -> None:
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(left + width * 0.1, top + height * 0.7)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(left + width * (0.1 + step * 0.07), top + height * (0.7 - 0.4 * (step % 2)), steps=3)
    page.mouse.up()


def test_a_walk_in_is_photographed_and_signs_then_the_desk_sees_both(
    live_server, tablet, sign_in, page, host, clerk, lounge, nda, axe
):
    tablet.get_by_role("link", name="I have no invitation").click()
    htmx_ready(tablet)
    axe(tablet)  # the camera and the signature pad meet the bar of issue #15 too
    tablet.get_by_label("Your full name").fill("Maria Rossi")
    tablet.get_by_label("Company").fill("Rossi Design")
    tablet.get_by_label("Phone").fill("+39 06 5551234")
    tablet.get_by_label("Who are you visiting?").press_sequentially("Sun")
    tablet.get_by_label("Sales-Sun Li").check()

    # The camera: start it, wait for the picture, take it.
    tablet.get_by_test_id("camera-start").click()
    tablet.wait_for_function("() => document.querySelector('[data-camera-video]').videoWidth > 0")
    tablet.get_by_test_id("camera-snap").click()
    expect(tablet.get_by_test_id("photo-preview")).to_be_visible()

    # The NDA: read, typed name, a signature drawn with the finger.
    expect(tablet.get_by_test_id("agreement")).to_contain_text("What you see here stays here.")
    tablet.get_by_label("Type your name to sign").fill("Maria Rossi")
    sign_with_a_finger(tablet)
    assert tablet.eval_on_selector("[data-signature-data]", "input => input.value").startswith("data:image/png;base64,")
    tablet.get_by_label("I have read the privacy notice and agree to it.").check()
    tablet.get_by_role("button", name="Check in").click()

    expect(tablet.get_by_test_id("kiosk-done")).to_contain_text("You are checked in")
    visit = Visit.objects.get()
    assert visit.status == VisitStatus.ON_SITE and visit.photo
    copy = SignedAgreement.objects.get()
    assert copy.visit == visit and copy.signed_name == "Maria Rossi" and copy.document.name.endswith(".pdf")
    assert AuditEvent.objects.filter(action="visit.photo", object_id=str(visit.pk)).exists()

    # The desk: the photo on the visit page, and the signed PDF to download.
    sign_in(clerk.username)
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}/desk/visits/{visit.pk}/")
    photo = page.get_by_test_id("visit-photo-image")
    expect(photo).to_be_visible()
    page.wait_for_function("() => document.querySelector('[data-testid=visit-photo-image]').naturalWidth > 0")
    axe(page)
    with page.expect_download() as download:
        page.get_by_test_id("signed-copy").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert download.value.suggested_filename.endswith(".pdf")
