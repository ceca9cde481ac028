"""Queries the ORM writes once per worker and each request only runs
(issue #24): for a hot read whose SQL differs only by one id, building it
through the ORM on every page cost more than running it (the permission
reads of every signed-in page, the chain head of the desk's repeat poll)."""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet

_PROBE = 987654321


def sql_of(build: Callable[[int], QuerySet]) -> str:
    """The SQL the ORM writes for `build(an id)`, checked to take that id
    as its one parameter, so that `fetch` can run it for any other."""
    sql, params = build(_PROBE).query.sql_with_params()
    if tuple(params) != (_PROBE,):
        raise ImproperlyConfigured(f"a prebuilt query must take one id as its only parameter, not {params!r}")
    return sql


def fetch(alias: str, sql: str, value: int) -> list[tuple]:
    """The rows of a query made by sql_of, for `value`, from database `alias`."""
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [value])
        return cursor.fetchall()
