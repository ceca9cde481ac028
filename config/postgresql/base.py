"""Django's PostgreSQL backend, reading timestamps with psycopg's C loader.

Django registers its own timestamptz loader, a Python subclass of psycopg's
pure-Python one, so every timestamp is parsed in Python (Django ticket
#36960) even where psycopg's C extension is installed: about 6 µs a value
here, against 2 µs in C. The dashboard reads some 700 of them on each load
(issue #7). This backend registers, on each new connection, a loader that
parses with the fastest loader psycopg has for the type (the C one when the
extension is there, else the same Python one) and then sets the time zone
exactly as Django's does. Django's check in create_cursor() reads the same
`timezone` attribute, so cursors keep this loader.
"""

from functools import lru_cache

from django.db.backends.postgresql import base
from psycopg import adapters
from psycopg.adapt import Loader
from psycopg.postgres import types
from psycopg.pq import Format

TIMESTAMPTZ_OID = types["timestamptz"].oid
# The class psycopg itself would use: its C version where one is installed.
_FASTEST = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class TimestamptzLoader(Loader):
    """psycopg's fastest timestamptz loader, with the value's tzinfo replaced
    by `timezone` (Django's BaseTzLoader does the same after the Python one)."""

    timezone = None

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        # The C class cannot be subclassed; one instance per cursor does the parsing.
        self._parse = _FASTEST(oid, context).load

    def load(self, data):
        return self._parse(data).replace(tzinfo=self.timezone)


@lru_cache
def loader_for(tz) -> type[TimestamptzLoader]:
    return type("TimestamptzLoader", (TimestamptzLoader,), {"timezone": tz, "__module__": __name__})


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # The connection's adapters are its own copy: nothing global changes.
        connection.adapters.register_loader(TIMESTAMPTZ_OID, loader_for(self.timezone))
        return connection
