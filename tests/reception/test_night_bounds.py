"""R6.8: the bounds of a night, as instants, on the site's wall clock — also on
the nights the clocks change (Europe/Berlin: 29 March and 25 October 2026)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from reception.models import Site
from reception.night import (
    NightWindow,
    current_or_last_night,
    current_or_next_night,
    night_ending_on,
    uncovered,
)

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _site(tz="Asia/Shanghai", starts=time(20), ends=time(8)):
    return Site(name="x", slug="x", timezone=tz, night_starts=starts, night_ends=ends)


def test_a_night_runs_from_eight_in_the_evening_to_eight_the_next_morning():
    night = night_ending_on(_site(), date(2026, 11, 27))

    assert night.start == datetime(2026, 11, 26, 20, tzinfo=SHANGHAI)
    assert night.end == datetime(2026, 11, 27, 8, tzinfo=SHANGHAI)
    assert night.start.tzinfo is UTC


def test_the_night_the_clocks_go_forward_is_eleven_hours_of_local_twenty_to_eight():
    night = night_ending_on(_site("Europe/Berlin"), date(2026, 3, 29))

    assert night.end - night.start == timedelta(hours=11)
    assert night.start.astimezone(BERLIN).time() == time(20)
    assert night.end.astimezone(BERLIN).time() == time(8)
    assert night.start == datetime(2026, 3, 28, 19, tzinfo=UTC)  # CET, UTC+1
    assert night.end == datetime(2026, 3, 29, 6, tzinfo=UTC)  # CEST, UTC+2


def test_the_night_the_clocks_go_back_is_thirteen_hours():
    night = night_ending_on(_site("Europe/Berlin"), date(2026, 10, 25))

    assert night.end - night.start == timedelta(hours=13)
    assert night.start == datetime(2026, 10, 24, 18, tzinfo=UTC)  # CEST
    assert night.end == datetime(2026, 10, 25, 7, tzinfo=UTC)  # CET


@pytest.mark.parametrize(
    ("wall", "ending_on"),
    [
        (datetime(2026, 11, 26, 19, 59, 59), date(2026, 11, 26)),  # evening: last night ended this morning
        (datetime(2026, 11, 26, 20, 0, 0), date(2026, 11, 27)),  # the night has begun
        (datetime(2026, 11, 27, 7, 59, 59), date(2026, 11, 27)),
        (datetime(2026, 11, 27, 8, 0, 0), date(2026, 11, 27)),  # just over: still the last night
    ],
)
def test_current_or_last_night_at_the_edges(wall, ending_on):
    site = _site()

    assert current_or_last_night(site, wall.replace(tzinfo=SHANGHAI)) == night_ending_on(site, ending_on)


@pytest.mark.parametrize(
    ("wall", "ending_on"),
    [
        (datetime(2026, 11, 26, 16, 0, 0), date(2026, 11, 27)),  # tonight
        (datetime(2026, 11, 26, 19, 59, 59), date(2026, 11, 27)),
        (datetime(2026, 11, 26, 20, 0, 0), date(2026, 11, 27)),
        (datetime(2026, 11, 27, 7, 59, 59), date(2026, 11, 27)),
        (datetime(2026, 11, 27, 8, 0, 0), date(2026, 11, 28)),  # over: tonight is the next one
    ],
)
def test_current_or_next_night_at_the_edges(wall, ending_on):
    site = _site()

    assert current_or_next_night(site, wall.replace(tzinfo=SHANGHAI)) == night_ending_on(site, ending_on)


@pytest.mark.parametrize(
    ("utc", "inside"),
    [
        # 28 March 2026, CET (UTC+1): the night of the spring change starts
        (datetime(2026, 3, 28, 18, 59, 59), False),  # 19:59:59 local
        (datetime(2026, 3, 28, 19, 0, 0), True),  # 20:00:00 local
        (datetime(2026, 3, 29, 1, 0, 0), True),  # 03:00 CEST, just after the change
        # 29 March, CEST (UTC+2)
        (datetime(2026, 3, 29, 5, 59, 59), True),  # 07:59:59 local
        (datetime(2026, 3, 29, 6, 0, 0), False),  # 08:00:00 local
        # 24 October, CEST: the night of the autumn change
        (datetime(2026, 10, 24, 17, 59, 59), False),
        (datetime(2026, 10, 24, 18, 0, 0), True),
        (datetime(2026, 10, 25, 0, 30, 0), True),  # 02:30 CEST, first pass
        (datetime(2026, 10, 25, 1, 30, 0), True),  # 02:30 CET, second pass
        # 25 October, CET (UTC+1)
        (datetime(2026, 10, 25, 6, 59, 59), True),
        (datetime(2026, 10, 25, 7, 0, 0), False),
    ],
)
def test_the_window_and_its_bounds_agree_across_both_changes(utc, inside):
    site = _site("Europe/Berlin")
    at = utc.replace(tzinfo=UTC)

    assert site.in_night_window(at) is inside
    assert (at in current_or_last_night(site, at)) is inside
    assert (at in current_or_next_night(site, at)) is inside


def test_a_window_inside_one_day():
    site = _site("UTC", starts=time(1), ends=time(5))

    night = current_or_last_night(site, datetime(2026, 1, 2, 12, tzinfo=UTC))

    assert night == NightWindow(datetime(2026, 1, 2, 1, tzinfo=UTC), datetime(2026, 1, 2, 5, tzinfo=UTC))
    assert current_or_next_night(site, datetime(2026, 1, 2, 12, tzinfo=UTC)).start == datetime(
        2026, 1, 3, 1, tzinfo=UTC
    )


def test_uncovered_finds_the_gaps_between_shifts():
    night = NightWindow(datetime(2026, 1, 1, 20, tzinfo=UTC), datetime(2026, 1, 2, 8, tzinfo=UTC))
    first = (datetime(2026, 1, 1, 18, tzinfo=UTC), datetime(2026, 1, 2, 0, tzinfo=UTC))
    second = (datetime(2026, 1, 2, 2, tzinfo=UTC), datetime(2026, 1, 2, 6, tzinfo=UTC))

    assert uncovered(night, [second, first]) == [
        NightWindow(datetime(2026, 1, 2, 0, tzinfo=UTC), datetime(2026, 1, 2, 2, tzinfo=UTC)),
        NightWindow(datetime(2026, 1, 2, 6, tzinfo=UTC), datetime(2026, 1, 2, 8, tzinfo=UTC)),
    ]
    assert uncovered(night, [(night.start, night.end)]) == []
    assert uncovered(night, []) == [night]
