"""Issue #20: the office director opens the insights page; a chart's numbers
are the numbers of its table, and the page passes axe-core (WCAG 2 A/AA) in
English and Simplified Chinese."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from visitors.models import Visit, Visitor, VisitSource, VisitStatus

LANGUAGES = ["en", "zh-hans"]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def december(time_machine):
    time_machine.move_to("2026-12-05 10:00:00+08:00", tick=True)


@pytest.fixture
def november_visits(site, business, ordinary, business_room, lounge, host):
    """Three walk-ins at the desk, one at the kiosk and two invited, in November."""
    for n, (category, room, source, day) in enumerate(
        [
            (business, business_room, VisitSource.DESK, 2),
            (business, business_room, VisitSource.DESK, 3),
            (ordinary, lounge, VisitSource.DESK, 3),
            (ordinary, lounge, VisitSource.KIOSK, 10),
            (business, business_room, VisitSource.INVITATION, 11),
            (business, business_room, VisitSource.INVITATION, 12),
        ]
    ):
        arrived = datetime(2026, 11, day, 10, tzinfo=SHANGHAI)
        Visit.objects.create(
            site=site,
            visitor=Visitor.objects.create(full_name=f"Visitor {n}"),
            category=category,
            room=room,
            source=source,
            host=host,
            purpose="Talks",
            registered_at=arrived,
            checked_in_at=arrived,
            checked_out_at=arrived + timedelta(minutes=45),
            acknowledged_at=arrived + timedelta(minutes=5),
            status=VisitStatus.LEFT,
        )


def test_a_chart_and_its_table_agree(live_server, page, sign_in, director, november_visits):
    sign_in("director")

    page.goto(f"{live_server.url}/desk/insights/?preset=last_month")

    section = page.get_by_test_id("insight-sources")
    bars = section.locator("svg rect[data-value]")
    expect(bars).to_have_count(3)
    drawn = {bars.nth(i).get_attribute("data-label"): bars.nth(i).get_attribute("data-value") for i in range(3)}
    rows = section.locator("tbody tr")
    listed = {rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").first.inner_text() for i in range(3)}
    assert drawn == listed == {"Front desk": "3", "Invitation": "2", "Kiosk": "1"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_insights_page_is_accessible(live_server, page, sign_in, axe, language, director, november_visits):
    sign_in("director")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])

    page.goto(f"{live_server.url}/desk/insights/?preset=last_month")

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id("insight-daily").locator("svg")).to_be_visible()
    axe(page)
