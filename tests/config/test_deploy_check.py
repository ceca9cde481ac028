"""Production settings pass Django's deployment checklist with no warnings, given
only production environment values (see .env.example)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides):
    # Only what a server's environment would hold: nothing leaks in from the
    # test run (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, for one).
    return {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "lobby.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://lobby.example.com",
        "DATABASE_URL": "postgres://lobby:secret@127.0.0.1:5432/lobby",
        "BEHIND_PROXY": "1",
        "SITE_URL": "https://lobby.example.com",
        **overrides,
    }


def check_deploy(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist_without_warnings():
    result = check_deploy(production_env())

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout
    assert "WARNING" not in result.stderr, result.stderr


def test_the_checklist_catches_a_production_setting_switched_off():
    # The same run, with HSTS switched off, must fail: the check above is real.
    result = check_deploy(production_env(SECURE_HSTS_SECONDS="0"))

    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_the_checklist_catches_a_development_secret_key_style_value():
    result = check_deploy(production_env(SECRET_KEY="django-insecure-" + "x" * 40))

    assert result.returncode != 0
    assert "security.W009" in result.stderr
