"""The kiosk walk-in as wrk sees it.

Every POST is a new visitor at one of many enrolled kiosk devices: the
public pages are rate limited per device and per client address (20 and 60 a
minute), as they should be, so the load comes from many tablets, each with its
own device cookie, session and address (X-Forwarded-For, which the stack trusts
behind its proxy). Each device then stays well under its limit, and the
throughput measured is the server's, not the limiter's.
"""

import re
import secrets
import urllib.parse

HOST_TOKEN = re.compile(r'name="host" value="([^"]+)"')
WALK_IN = "/kiosk/walk-in/"


def _device_address(n: int) -> str:
    # Only a header value naming the tablet's address; no traffic goes there.
    return f"127.1.{n // 250}.{n % 250 + 1}"


def enrol(bench, link: str) -> str:
    """Enrol one device from its enrolment link, as the office manager does on a
    tablet; returns its device cookie as name=value."""
    browser = bench.browser()
    path = urllib.parse.urlsplit(link).path
    page = browser.get(path)
    browser.post(path, {"csrfmiddlewaretoken": browser.csrf_token(page)})
    name = next((k for k in browser.cookies if k not in ("csrftoken", "sessionid")), None)
    if name is None:
        raise RuntimeError(f"enrolling {path} set no device cookie")
    return f"{name}={browser.cookies[name]}"


def prepare(bench, kiosk: dict) -> dict:
    """Open each device's session as the tablet's start screen would, and find
    hosts through the kiosk's own host search. Returns what the plans need, or
    {"unavailable": why}."""
    cookies = kiosk.get("kiosks") or [enrol(bench, link) for link in kiosk.get("links", [])]
    if not cookies:
        return {"unavailable": "not available yet (no kiosk devices)"}
    csrf_secret = secrets.token_hex(16)  # a 32-character CSRF cookie, shared by all devices
    devices = []
    for n, device_cookie in enumerate(cookies):
        browser = bench.browser()
        name, value = device_cookie.split("=", 1)
        browser.cookies.update({name: value, "csrftoken": csrf_secret})
        start = browser.get("/kiosk/")
        if start.status == 404:
            return {"unavailable": "not available yet"}
        if start.status != 200:
            return {"unavailable": f"kiosk start screen answered HTTP {start.status}"}
        devices.append((browser, _device_address(n)))
    first = devices[0][0]
    form = first.get(WALK_IN)
    if form.status != 200 or "csrfmiddlewaretoken" not in form.text:
        return {"unavailable": f"walk-in form answered HTTP {form.status}"}
    token = first.csrf_token(form)
    hosts = []
    for name in kiosk.get("host_names", []):
        query = name[:2] if any("\u4e00" <= c <= "\u9fff" for c in name) else name.split()[0][:4]
        page = first.get("/kiosk/walk-in/hosts/?" + urllib.parse.urlencode({"host_search": query}))
        hosts += HOST_TOKEN.findall(page.text)[:1]
    if not hosts:
        return {"unavailable": "the kiosk's host search found none of the hosts"}
    return {"devices": devices, "csrf": token, "hosts": sorted(set(hosts))}


def walk_in_plan(bench, prepared: dict, run: int) -> list[tuple]:
    """wrk's plan: POST the walk-in form, rotating over devices and hosts.
    `run` (0-9) keeps phones and submission keys unique across the steps of
    one benchmark: wrk numbers the requests of each run from the start."""
    browser0 = prepared["devices"][0][0]
    origin = browser0.origin
    plan: list[tuple] = [
        ("method", "POST"),
        ("path", WALK_IN),
        ("header", "Content-Type", "application/x-www-form-urlencoded"),
        ("header", "Origin", origin),
        ("header", "Referer", origin + WALK_IN),
        ("header", "Accept-Language", "en"),
    ]
    if bench.behind_proxy:
        plan.append(("header", "X-Forwarded-Proto", "https"))
    body = urllib.parse.urlencode(
        {
            "full_name": "Walk-in Visitor {n}",
            "company": "Morning Rush Ltd",
            "phone": f"19{run % 10}{{n8}}",
            "party_size": "1",
            "host_search": "",
            "host": "{host}",
            "accept_privacy": "on",
            "submission_key": f"bench-{run}-{{n}}-{secrets.token_hex(4)}",
            "csrfmiddlewaretoken": prepared["csrf"],
        },
        safe="{}",
    )
    plan.append(("body", body))
    hosts = [urllib.parse.quote(h, safe="") for h in prepared["hosts"]]
    for n, (browser, address) in enumerate(prepared["devices"]):
        plan.append(
            (
                "variant",
                "header:Cookie",
                browser.cookie_header(),
                "header:X-Forwarded-For",
                address,
                "host",
                hosts[n % len(hosts)],
            )
        )
    return plan
