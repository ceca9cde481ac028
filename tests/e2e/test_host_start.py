"""Issue #16 item 2: a host signs in and lands on their own visitors, not on a
"Not allowed" desk; there they acknowledge the arrival waiting for them (R3.2)."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.visitors.desk import walk_in
from visitors.models import Visit


@pytest.fixture(autouse=True)
def frozen_morning(time_machine, settings):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=False)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()


def test_a_host_signs_in_to_their_visitors_and_acknowledges_one(
    live_server, page, sign_in, axe, time_machine, host, clerk, business, business_room
):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Hans Müller", host=host)
    time_machine.move_to("2026-11-27 10:12:00+08:00", tick=False)

    sign_in("host")

    expect(page).to_have_url(f"{live_server.url}/desk/my-visitors/")
    expect(page.get_by_role("heading", name="My visitors")).to_be_visible()
    row = page.get_by_test_id("my-on-site").locator(f"tr[data-visit='{visit.pk}']")
    expect(row).to_contain_text("Hans Müller")
    expect(row).to_contain_text("Waiting, due by 10:30")
    axe(page)
    row.get_by_test_id("acknowledge").click()

    expect(page).to_have_url(f"{live_server.url}/desk/my-visitors/")
    expect(page.locator("main")).to_contain_text("You have acknowledged the arrival of Hans Müller.")
    expect(row).to_contain_text("Acknowledged 10:12")
    visit.refresh_from_db()
    assert visit.acknowledged_by_id == host.pk
    assert Visit.objects.filter(acknowledged_at__isnull=True).count() == 0
