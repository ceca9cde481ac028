"""Issue #19 at the door, in the browser: (a) a watchlisted walk-in at the
kiosk is told only "please see the front desk", security is told at once and
clears them from /desk/security/, and they are on site; (b) a walk-up whose
category needs the host's approval waits ("waiting for your host"), the
host approves from the emailed link, and they are on site (A13)."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.e2e.conftest import htmx_ready
from visitors import watchlist
from visitors.models import HostApproval, SecurityHold, Visit, VisitStatus, WatchlistEntry, WatchlistLevel
from visitors.selectors import room_occupancy


@pytest.fixture(autouse=True)
def morning(time_machine, settings, live_server):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=False)  # outside the night window (R6.8)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = live_server.url
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


def register_at_the_kiosk(kiosk, name: str, phone: str) -> None:
    kiosk.get_by_role("link", name="I have no invitation").click()
    kiosk.get_by_label("Your full name").fill(name)
    kiosk.get_by_label("Phone").fill(phone)
    htmx_ready(kiosk)
    kiosk.get_by_label("Who are you visiting?").press_sequentially("Sun Li")
    kiosk.get_by_label("Sales-Sun Li").check()
    kiosk.get_by_label("I have read the privacy notice and agree to it.").check()
    kiosk.get_by_role("button", name="Check in").click()


def test_a_watchlisted_walk_in_sees_the_front_desk_and_security_clears_them(
    live_server, kiosk, sign_in, page, site, host, security_guard, ordinary, lounge, mailoutbox
):
    entry = WatchlistEntry.objects.create(
        site=site, name="Wang Qiang", aliases="王强", reason="Threatened the reception staff", level=WatchlistLevel.DENY
    )
    watchlist.index_entry(entry)

    register_at_the_kiosk(kiosk, "Wang Qiang", "+86 138 0013 8000")

    done = kiosk.get_by_test_id("kiosk-done")
    expect(done.get_by_test_id("see-the-desk")).to_have_text("Please see the front desk.")
    text = done.inner_text()
    assert "Threatened" not in text and "watchlist" not in text.lower() and "security" not in text.lower()
    visit = Visit.objects.get()
    assert visit.status == VisitStatus.PENDING_SECURITY and visit.badge_code not in kiosk.content()
    assert room_occupancy(lounge) == (0, 0)
    # Security on duty is told at once; the host is not told of an arrival.
    to_security = [message for message in mailoutbox if message.to == [security_guard.email]]
    assert len(to_security) == 1 and "Wang Qiang" in to_security[0].subject
    assert not [message for message in mailoutbox if message.to == [host.email]]

    sign_in("security")
    page.goto(f"{live_server.url}/desk/security/")
    hold = page.get_by_test_id("security-hold")
    expect(hold).to_contain_text("Threatened the reception staff")
    hold.get_by_placeholder("Note (optional)").fill("Spoke with the host; escorted")
    hold.get_by_test_id("clear").click()
    expect(page.get_by_test_id("nobody-held")).to_be_visible()

    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_SITE and visit.room == lounge and visit.checked_in_by == security_guard
    assert SecurityHold.objects.get(visit=visit).outcome == "cleared"
    assert room_occupancy(lounge) == (1, 1)


def test_a_walk_up_waits_for_the_host_who_approves_from_the_email(
    live_server, kiosk, browser, host, ordinary, lounge, mailoutbox
):
    ordinary.walk_ups_need_approval = True  # the kiosk's walk-ins are category C (R1.2)
    ordinary.save()

    register_at_the_kiosk(kiosk, "Maria Rossi", "+39 06 5551234")

    done = kiosk.get_by_test_id("kiosk-done")
    expect(done.get_by_test_id("waiting-for-host")).to_have_text("Waiting for your host to confirm")
    expect(done).not_to_contain_text("You are checked in")
    visit = Visit.objects.get()
    assert visit.status == VisitStatus.AWAITING_HOST and visit.badge_code not in kiosk.content()
    assert room_occupancy(lounge) == (0, 0)

    email = next(message for message in mailoutbox if message.to == [host.email])
    assert "Please approve: Maria Rossi is asking to see you" in email.subject
    phone = browser.new_context()
    mail_page = phone.new_page()
    mail_page.goto(re.search(r"(http://\S+/i/approve/\S+/)", email.body).group(1))
    expect(mail_page.get_by_test_id("approval-facts")).to_be_visible()
    assert "Maria Rossi" not in mail_page.content()  # a public page: the name is in the email only
    mail_page.get_by_test_id("approve-button").click()
    expect(mail_page.get_by_test_id("approval-state")).to_contain_text("Approved at 10:00")
    phone.close()

    visit.refresh_from_db()
    assert visit.status == VisitStatus.ON_SITE and visit.room == lounge and visit.checked_in_by == host
    assert HostApproval.objects.get(visit=visit).decided_via == "link"
    assert room_occupancy(lounge) == (1, 1)
