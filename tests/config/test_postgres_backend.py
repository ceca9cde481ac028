"""config.postgresql: Django's PostgreSQL backend with timestamps read by
psycopg's C loader (issue #7). What comes back must be exactly what Django's
own loader gives: the same instant, aware, in UTC, to the microsecond."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import adapters
from psycopg.pq import Format

from config.postgresql.base import TIMESTAMPTZ_OID, TimestamptzLoader

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENTS = [
    datetime(2026, 11, 27, 22, 0, 0, 123456, tzinfo=SHANGHAI),  # a night visit, microseconds kept
    datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),  # the spring change in Europe
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before the epoch
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
]


def test_connections_use_the_fast_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)

    assert issubclass(loader, TimestamptzLoader)
    # Django's check in create_cursor() finds the zone it wants and keeps the loader.
    assert loader.timezone == connection.timezone
    with connection.cursor() as cursor:
        assert cursor.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is loader


def test_the_global_adapters_are_left_alone():
    connection.ensure_connection()

    assert not issubclass(adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT), TimestamptzLoader)


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_timestamp_reads_back_as_the_same_instant_in_utc(moment):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [moment])
        (read,) = cursor.fetchone()

    assert read == moment
    assert read.tzinfo is UTC
    assert read.utcoffset() == timedelta(0)


def test_null_and_model_fields_read_as_before(clerk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT NULL::timestamptz")
        assert cursor.fetchone() == (None,)

    joined = type(clerk).objects.values_list("date_joined", flat=True).get(pk=clerk.pk)
    assert joined == clerk.date_joined and joined.tzinfo is UTC


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_it_reads_what_djangos_own_loader_reads(moment):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [moment])
        ours = cursor.fetchone()[0]
        register_tzloader(connection.timezone, cursor.cursor)  # Django's, on this cursor only
        cursor.execute("SELECT %s::timestamptz", [moment])
        djangos = cursor.fetchone()[0]

    assert (ours, ours.tzinfo) == (djangos, djangos.tzinfo)
