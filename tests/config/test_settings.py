"""A bad environment value stops start-up with a message that names it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_django(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "0"}, "SECRET_KEY must be set when DEBUG is off"),
        ({"IDLE_TIMEOUT_MINUTES": "half an hour"}, "IDLE_TIMEOUT_MINUTES='half an hour' is not a whole number"),
        ({"IDLE_TIMEOUT_MINUTES": "0"}, "IDLE_TIMEOUT_MINUTES=0 must be at least 1"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE='Mars/Olympus' is not a known IANA time zone"),
        ({"LANGUAGE_CODE": "fr"}, "LANGUAGE_CODE='fr'"),
        ({"DATABASE_URL": "mysql://root@localhost/lobby"}, "DATABASE_URL must point at SQLite or PostgreSQL"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_clear_message(env, message):
    result = start_django(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_good_production_values_start():
    result = start_django(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="lobby.example.com")

    assert result.returncode == 0, result.stderr


@pytest.mark.postgres
def test_postgresql_sessions_leave_parallel_plans_to_the_large_reads(db):
    """Issue #7: worker start-up cost more than it saved on the desk's short
    queries; DB_PARALLEL_SETUP_COST sets it (PostgreSQL's default is 1000)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW parallel_setup_cost")
        assert cursor.fetchone()[0] == "10000"


def test_a_bad_parallel_setup_cost_stops_start_up():
    result = start_django(DATABASE_URL="postgres://lobby@127.0.0.1/lobby", DB_PARALLEL_SETUP_COST="lots")

    assert result.returncode != 0
    assert "DB_PARALLEL_SETUP_COST='lots' is not a whole number" in result.stderr
