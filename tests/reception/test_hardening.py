"""R4.1: the headers every response carries, password rules, and cookies that
stay on HTTPS in production."""

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]

CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def parse_csp(header):
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def parse_permissions_policy(header):
    return dict(item.strip().split("=", 1) for item in header.split(","))


class InlineCode(HTMLParser):
    """Collects what a script-src/style-src 'self' policy would block: inline
    scripts, event-handler attributes, javascript: links, inline styles."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self._in_script = True
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs.items():
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style":
                self.found.append(f"<{tag} style=…>")
            if name in {"href", "action", "src"} and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def inline_code(html):
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def assert_hardened(response):
    assert parse_csp(response["Content-Security-Policy"]) == CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = parse_permissions_policy(response["Permissions-Policy"])
    assert policy["camera"] == "(self)"
    assert {value for feature, value in policy.items() if feature != "camera"} == {"()"}
    assert {"microphone", "geolocation", "payment", "usb"} <= policy.keys()


# --- headers on every kind of page ---------------------------------------------


def test_a_staff_page_carries_the_security_headers(client, clerk):
    client.force_login(clerk)

    response = client.get("/desk/")

    assert response.status_code == 200
    assert_hardened(response)
    assert inline_code(response.content.decode()) == []


@pytest.mark.parametrize("url", ["/accounts/login/", "/healthz", "/no/such/page"])
def test_public_pages_carry_the_security_headers(client, db, url):
    response = client.get(url)

    assert response.status_code in {200, 404}
    assert_hardened(response)
    if response["Content-Type"].startswith("text/html"):
        assert inline_code(response.content.decode()) == []


def test_the_login_page_switches_off_htmxs_inline_indicator_style(client, db):
    html = client.get("/accounts/login/").content.decode()

    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in html
    assert "css/htmx-indicators.css" in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/reception/receptionroom/",
        "/admin/reception/receptionroom/add/",
        "/admin/auth/user/",
        "/admin/axes/accessattempt/",
    ],
)
def test_the_admin_works_without_inline_scripts(client, manager, url):
    manager.is_superuser = True
    manager.save()
    client.force_login(manager)

    response = client.get(url)

    assert response.status_code == 200
    assert_hardened(response)
    assert inline_code(response.content.decode()) == []


def test_the_admin_change_form_of_a_room_has_no_inline_scripts(client, manager, lounge):
    manager.is_superuser = True
    manager.save()
    client.force_login(manager)

    response = client.get(f"/admin/reception/receptionroom/{lounge.pk}/change/")

    assert response.status_code == 200
    assert_hardened(response)
    assert inline_code(response.content.decode()) == []


def test_the_inline_code_finder_finds_what_the_policy_blocks():
    html = (
        '<script>alert(1)</script><script src="/static/x.js"></script>'
        '<script type="application/json">{"a": 1}</script>'
        '<button onclick="go()">x</button><div style="color:red" hx-on:click="x()"></div>'
        '<a href="javascript:void(0)">y</a><style>p{}</style>'
    )

    assert inline_code(html) == [
        "inline <script>: alert(1)",
        "<button onclick=…>",
        "<div style=…>",
        "<div hx-on:click=…>",
        "<a href=javascript:…>",
        "<style> element",
    ]


# --- password rules --------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt!pw", "This password is too short. It must contain at least 10 characters."),
        ("password123", "This password is too common."),
        ("4815162342", "This password is entirely numeric."),
        ("clerk@lobby.test", "The password is too similar to the"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(clerk, password, message):
    form = SetPasswordForm(clerk, {"new_password1": password, "new_password2": password})

    assert not form.is_valid()
    assert any(message in error for error in form.errors["new_password2"])
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)


def test_a_long_uncommon_password_is_accepted(clerk):
    form = SetPasswordForm(
        clerk, {"new_password1": "lantern-orchid-47-quay", "new_password2": "lantern-orchid-47-quay"}
    )

    assert form.is_valid(), form.errors
    form.save()
    clerk.refresh_from_db()
    assert clerk.check_password("lantern-orchid-47-quay")


def test_the_validators_apply_outside_forms_too(clerk):
    with pytest.raises(ValidationError):
        validate_password("123456789012", user=clerk)


# --- production cookies and HSTS -------------------------------------------------

PRODUCTION_SIGN_IN = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
get_user_model().objects.create_user("clerk", password="correct-horse-battery")
client = Client(HTTP_HOST="lobby.example.com", HTTP_X_FORWARDED_PROTO="https")
plain = Client(HTTP_HOST="lobby.example.com").get("/accounts/login/")
response = client.post("/accounts/login/", {"username": "clerk", "password": "correct-horse-battery"})
cookies = {
    name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"]}
    for name, c in response.cookies.items()
}
print(json.dumps({
    "status": response.status_code,
    "plain_http": [plain.status_code, plain.get("Location")],
    "hsts": response.get("Strict-Transport-Security"),
    "cookies": cookies,
}))
"""


def test_production_cookies_are_secure_and_https_is_enforced(tmp_path):
    env = {
        # Only what a server's environment would hold, nothing from the test run.
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "lobby.example.com",
        "BEHIND_PROXY": "1",
        "SITE_URL": "https://lobby.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lobby.sqlite3'}",
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert migrate.returncode == 0, migrate.stderr

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRODUCTION_SIGN_IN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 302
    assert outcome["plain_http"] == [301, "https://lobby.example.com/accounts/login/"]
    assert outcome["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert outcome["cookies"]["sessionid"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert outcome["cookies"]["csrftoken"]["secure"] is True
