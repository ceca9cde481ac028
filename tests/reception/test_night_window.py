"""R6.8: the night window is read on the site's wall clock, across midnight."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from reception.models import Site

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("wall", "inside"),
    [
        ((19, 59, 59), False),
        ((20, 0, 0), True),
        ((23, 59, 59), True),
        ((0, 0, 0), True),
        ((7, 59, 59), True),
        ((8, 0, 0), False),
        ((12, 0, 0), False),
    ],
)
def test_default_window_is_twenty_to_eight(wall, inside):
    site = Site(name="x", slug="x", timezone="Asia/Shanghai", night_starts=time(20), night_ends=time(8))

    assert site.in_night_window(datetime(2026, 11, 27, *wall, tzinfo=SHANGHAI)) is inside


def test_a_window_that_does_not_cross_midnight():
    site = Site(name="x", slug="x", timezone="UTC", night_starts=time(1), night_ends=time(5))

    assert site.in_night_window(datetime(2026, 1, 1, 3, tzinfo=ZoneInfo("UTC")))
    assert not site.in_night_window(datetime(2026, 1, 1, 5, tzinfo=ZoneInfo("UTC")))
