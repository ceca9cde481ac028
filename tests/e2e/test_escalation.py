"""Quality bar (c): with the clock frozen, a walk-in nobody acknowledges for 31
minutes is escalated (R3.2): recorded on the visit and sent to the secretary,
who acknowledges from the email; the desk sees it overdue meanwhile."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import htmx_ready
from visitors.models import Notification, Visit, VisitEvent


@pytest.fixture(autouse=True)
def frozen_morning(time_machine, settings, live_server):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=False)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = live_server.url
    cache.clear()


def test_no_acknowledgement_for_31_minutes_escalates_to_the_secretary(
    live_server,
    browser,
    page,
    sign_in,
    time_machine,
    lobby_kiosk,
    host,
    clerk,
    secretary,
    director,
    lounge,
    ordinary,
    mailoutbox,
):
    # A walk-in signs in at the kiosk at 10:00; the host is told, and does nothing.
    tablet = browser.new_context(viewport={"width": 1024, "height": 768})
    kiosk = tablet.new_page()
    kiosk.goto(f"{live_server.url}/kiosk/enrol/{lobby_kiosk.token}/")
    kiosk.get_by_role("button", name="Enrol this device").click()
    kiosk.get_by_role("link", name="I have no invitation").click()
    kiosk.get_by_label("Your full name").fill("Maria Rossi")
    kiosk.get_by_label("Phone").fill("+39 06 5551234")
    htmx_ready(kiosk)
    kiosk.get_by_label("Who are you visiting?").fill("Sun Li")
    kiosk.get_by_label("Sales-Sun Li").check()
    kiosk.get_by_label("I have read the privacy notice and agree to it.").check()
    kiosk.get_by_role("button", name="Check in").click()
    expect(kiosk.get_by_test_id("kiosk-done")).to_contain_text("You are checked in")
    tablet.close()
    visit = Visit.objects.get()
    assert [message.to for message in mailoutbox] == [["host@lobby.test"]]

    # 31 minutes later the sweep runs.
    time_machine.shift(timedelta(minutes=31))
    call_command("escalate_overdue", stdout=open("/dev/null", "w"))

    to_secretary = Notification.objects.get(kind="escalation", recipient=secretary)
    assert to_secretary.status == Notification.Status.SENT and to_secretary.step == 2
    assert visit.events.filter(kind=VisitEvent.Kind.ESCALATED, note="Step 2: Secretary").exists()
    email = next(message for message in mailoutbox if message.to == ["secretary@lobby.test"])
    assert "Not yet acknowledged: Maria Rossi is waiting" in email.subject

    # The desk sees the visit overdue and escalated.
    sign_in("clerk")
    row = page.locator(f"[data-testid='on-site'] tr[data-visit='{visit.pk}']")
    expect(row.get_by_test_id("overdue")).to_be_visible()
    expect(page.get_by_test_id("escalations")).to_contain_text("escalated, step 2")

    # The secretary takes over from the email.
    secretary_phone = browser.new_context()
    mail_page = secretary_phone.new_page()
    mail_page.goto(re.search(r"(http://\S+/i/ack/\S+/)", email.body).group(1))
    mail_page.get_by_test_id("ack-button").click()
    expect(mail_page.get_by_test_id("ack-state")).to_contain_text("Acknowledged at 10:31 by Administration-Secretary")
    secretary_phone.close()
    visit.refresh_from_db()
    assert visit.acknowledged_by == secretary
