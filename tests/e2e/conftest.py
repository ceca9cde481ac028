"""Browser tests: Playwright drives Debian's Chromium against a live server.

Never `playwright install`: the browser is Debian's (`apt-get install chromium`).
Without it these tests are skipped with a notice; with REQUIRE_BROWSER=1 (CI)
a missing browser is a failure.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import expect

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


# Assertions wait up to 15 s rather than Playwright's 5: CI runs two test
# workers, a live server and Chromium on two cores, and a page that polls (the
# escalations panel, the room lists) can take longer than 5 s there to settle.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "Asia/Shanghai"}


# axe-core 4.14.1 (MPL-2.0), vendored unmodified from the npm registry so the
# tests run offline; see tests/e2e/vendor/README.md.
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"
# The bar of issue #15 item 17: WCAG 2.0, 2.1 and 2.2, levels A and AA, and
# axe's best practices for landmarks, headings and table headers, which the
# pages meet too and which keep them meeting it.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


def axe_report(url: str, violations: list[dict]) -> str:
    """The violations as a reader wants them: rule, impact, what it asks and
    each element that breaks it, with axe's reason (the contrast ratio, the
    missing label)."""
    lines = [f"{len(violations)} accessibility rule(s) broken on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"]:
            target = " ".join(" >> ".join(part) if isinstance(part, list) else part for part in node["target"])
            reason = re.sub(r"\s+", " ", node.get("failureSummary") or "").strip()
            lines.append(f"    {target}: {reason}")
    return "\n".join(lines)


@pytest.fixture
def axe():
    """Check a page with axe-core's WCAG 2 A/AA rules (and its best practices)
    and fail with a readable list of the violations: rule, impact, elements.
    `skip` maps a rule id to the reason it is a false positive on this page;
    there is no switching a rule off without saying why."""

    def check(page, *, skip: dict[str, str] | None = None) -> None:
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # Not page.add_script_tag: the app's content security policy
            # (script-src 'self') rightly blocks an inline script. Playwright's
            # evaluation runs outside that policy and changes nothing else, so
            # the page is checked as the browser really shows it.
            page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
        options = {
            "runOnly": {"type": "tag", "values": AXE_TAGS},
            "rules": {rule: {"enabled": False} for rule in (skip or {})},
            "resultTypes": ["violations"],
        }
        violations = page.evaluate("options => axe.run(document, options).then(result => result.violations)", options)
        if violations:
            pytest.fail(axe_report(page.url, violations))

    return check


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


def htmx_ready(page) -> None:
    """Wait until the page's scripts have run. A click that navigates returns
    once the new page has begun to arrive, so a field can be typed into before
    htmx has bound its listeners; that keystroke's lookup would never be sent."""
    page.wait_for_function("() => document.readyState === 'complete' && !!window.htmx")
