"""No environment means production; a bad environment value stops start-up
with a message that names it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What `make run` sets, with a key of this test's own.
DEVELOPMENT = {"DEBUG": "1", "SECRET_KEY": "k" * 50}


def start_django(code: str = "", **env):
    """Django's start-up in a fresh process whose environment holds only `env`:
    nothing leaks in from the test run (which runs in development mode)."""
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_in_a_fresh_process(*names, **env) -> dict:
    code = (
        "from django.conf import settings; import json; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))"
    )
    result = start_django(code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"IDLE_TIMEOUT_MINUTES": "half an hour"}, "IDLE_TIMEOUT_MINUTES='half an hour' is not a whole number"),
        ({"IDLE_TIMEOUT_MINUTES": "0"}, "IDLE_TIMEOUT_MINUTES=0 must be at least 1"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE='Mars/Olympus' is not a known IANA time zone"),
        ({"LANGUAGE_CODE": "fr"}, "LANGUAGE_CODE='fr'"),
        ({"DATABASE_URL": "mysql://root@localhost/lobby"}, "DATABASE_URL must point at SQLite or PostgreSQL"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_clear_message(env, message):
    result = start_django(**{**DEVELOPMENT, **env})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_no_environment_means_production():
    """Issue #15: an installation that forgot DEBUG is not in development mode."""
    values = settings_in_a_fresh_process(
        "DEBUG",
        "ALLOWED_HOSTS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "EMAIL_BACKEND",
        "STORAGES",
        SECRET_KEY="x" * 50,
        SITE_URL="https://lobby.example.com",
    )

    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == []
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_development_mode_is_switched_on_by_debug():
    values = settings_in_a_fresh_process(
        "DEBUG", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "EMAIL_BACKEND", **DEVELOPMENT
    )

    assert values["DEBUG"] is True
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    assert values["SECURE_SSL_REDIRECT"] is values["SESSION_COOKIE_SECURE"] is False
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


@pytest.mark.parametrize(
    "env", [{}, {"DEBUG": "0"}, {"DEBUG": "1"}], ids=["no environment", "production", "development"]
)
def test_without_a_key_start_up_stops_even_in_development(env):
    """There is no fallback key: one in the repository is one anybody can sign with."""
    result = start_django(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_good_production_values_start():
    result = start_django(
        DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="lobby.example.com", SITE_URL="https://lobby.example.com"
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("env", [{}, {"DEBUG": "0"}, {"DEBUG": "0", "SITE_URL": " "}], ids=["unset", "0", "blank"])
def test_production_without_a_site_url_stops_start_up(env):
    """Issue #16: emailed and printed links would point at a development address."""
    result = start_django(**{"SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "lobby.example.com", **env})

    assert result.returncode != 0
    assert "ImproperlyConfigured: SITE_URL must be set in production" in result.stderr


@pytest.mark.parametrize("debug", ["0", "1"], ids=["production", "development"])
@pytest.mark.parametrize(
    "value", ["lobby.example.com", "//lobby.example.com", "ftp://lobby.example.com", "https://", "http://host:port"]
)
def test_a_site_url_without_scheme_or_host_stops_start_up_in_any_mode(value, debug):
    result = start_django(DEBUG=debug, SECRET_KEY="x" * 50, ALLOWED_HOSTS="lobby.example.com", SITE_URL=value)

    assert result.returncode != 0
    assert f"SITE_URL={value!r} is not an absolute http(s) address" in result.stderr


@pytest.mark.postgres
def test_postgresql_sessions_leave_parallel_plans_to_the_large_reads(db):
    """Issue #7: worker start-up cost more than it saved on the desk's short
    queries; DB_PARALLEL_SETUP_COST sets it (PostgreSQL's default is 1000)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW parallel_setup_cost")
        assert cursor.fetchone()[0] == "10000"


def test_a_bad_parallel_setup_cost_stops_start_up():
    result = start_django(**DEVELOPMENT, DATABASE_URL="postgres://lobby@127.0.0.1/lobby", DB_PARALLEL_SETUP_COST="lots")

    assert result.returncode != 0
    assert "DB_PARALLEL_SETUP_COST='lots' is not a whole number" in result.stderr
