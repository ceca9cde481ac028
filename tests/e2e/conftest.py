"""Browser tests: Playwright drives Debian's Chromium against a live server.

Never `playwright install`: the browser is Debian's (`apt-get install chromium`).
Without it these tests are skipped with a notice; with REQUIRE_BROWSER=1 (CI)
a missing browser is a failure.
"""

import os
import shutil

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

from tests.conftest import SKIP_BROWSER, _required

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between page steps are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class OneRequestAtATime(WSGIServer):
    """The live server for an in-memory SQLite test database, which every
    server thread shares as one connection: two requests at once (an htmx
    lookup while a form posts) would interleave statements on it and fail
    with "cannot release savepoint - SQL statements in progress". This
    server answers in its own thread, one request at a time, and closes
    each connection after its response (Django's non-threaded server does),
    so the browser's parallel requests queue instead of colliding."""

    def __init__(self, *args, connections_override=None, **kwargs):
        # The live server thread has already installed the shared connection.
        super().__init__(*args, **kwargs)


if "sqlite3" in settings.DATABASES["default"]["ENGINE"]:
    LiveServerThread.server_class = OneRequestAtATime

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    # Decided at collection: the session-scoped browser fixture would otherwise
    # try to launch the missing Chromium before any test-level skip could run.
    missing = not os.path.exists(CHROMIUM)
    if missing and _required("REQUIRE_BROWSER"):
        raise pytest.UsageError(f"REQUIRE_BROWSER is set but Chromium is not at {CHROMIUM}")
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"{SKIP_BROWSER}: Chromium not found at {CHROMIUM} (apt-get install chromium)"
                    )
                )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def sign_in(live_server, page):
    """Sign a user in through the login form, as a person would."""

    def do(username: str, password: str = "correct-horse-battery"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        return page

    return do
