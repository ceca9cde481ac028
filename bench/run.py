"""`make bench`: the desk's speed at scale, measured against the stack's own ceiling.

Starts the production stack on loopback (gunicorn, PostgreSQL, DEBUG off),
brings a generated history of BENCH_VISITS visits, measures each step with wrk,
checks the invariants in the database, and writes var/bench/latest.json and
var/bench/latest.md. See docs/performance.md for the variables; the main ones:

  BENCH_VISITS=1000000   history size (a template database per size, reused)
  BENCH_WORKERS=4        gunicorn sync workers
  BENCH_DURATION=15      seconds per load step
  BENCH_URL=…            measure a deployed instance instead (no local stack)
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench import stack
from bench.client import Browser
from bench.data import GENERATOR_VERSION
from bench.report import write as write_report
from bench.stack import ROOT, log

LUA = ROOT / "bench" / "wrk" / "lobby.lua"
# The integrations' visit list (issue #21), a page the size of the desk log's.
API_VISITS = "/api/v1/visits"
API_PAGE = 50
SEARCH_KINDS = {
    "name_latin": "name fragment (Latin letters)",
    "name_cjk": "name (two Chinese characters)",
    "phone": "phone (last 8 digits)",
    "company": "company (first word)",
    "name_short": "two Latin letters (a pinyin surname)",
}


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw.replace("_", "")) if raw.strip() else default
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SystemExit(f"{name} must be at least {minimum}")
    return value


def free_port() -> int:
    """A loopback port nobody listens on (other people's servers share the machine)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Config:
    visits: int
    on_site: int
    kiosks: int
    workers: int
    duration: int
    port: int
    clients: tuple[int, ...]
    pg_server: str
    redis_url: str
    url: str
    out: Path
    local_hour: int
    regenerate: bool
    proposed_indexes: bool
    clerk: str
    password: str
    kiosk_link: str

    @classmethod
    def from_env(cls) -> "Config":
        env = os.environ
        clients = tuple(int(c) for c in env.get("BENCH_CLIENTS", "8,32").split(","))
        return cls(
            visits=_env_int("BENCH_VISITS", 1_000_000),
            on_site=_env_int("BENCH_ON_SITE", 300, minimum=0),
            kiosks=_env_int("BENCH_KIOSKS", 600),
            workers=_env_int("BENCH_WORKERS", 4),
            duration=_env_int("BENCH_DURATION", 15),
            port=_env_int("BENCH_PORT", 0, minimum=0) or free_port(),
            clients=clients,
            pg_server=env.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
            redis_url=env.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
            url=env.get("BENCH_URL", "").rstrip("/"),
            out=Path(env.get("BENCH_OUT", ROOT / "var" / "bench")),
            local_hour=_env_int("BENCH_LOCAL_HOUR", 10, minimum=0),
            regenerate=env.get("BENCH_REGENERATE", "") == "1",
            proposed_indexes=env.get("BENCH_PROPOSED_INDEXES", "") == "1",
            clerk=env.get("BENCH_CLERK", ""),
            password=env.get("BENCH_PASSWORD", ""),
            kiosk_link=env.get("BENCH_KIOSK_LINKS", ""),
        )


# --- the machine ---------------------------------------------------------------------


def cpu_busy_percent(seconds: float = 2.0) -> float:
    """How busy the CPUs are before we start: other people's tests make noise."""

    def read():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        return idle, sum(fields)

    idle1, total1 = read()
    time.sleep(seconds)
    idle2, total2 = read()
    return round(100 * (1 - (idle2 - idle1) / max(1, total2 - total1)), 1)


def code_version() -> str:
    """The commit measured: BENCH_COMMIT when run from an exported tree."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    result = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def machine() -> dict:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    import django

    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "wrk": wrk_version.strip(),
    }


# --- wrk ---------------------------------------------------------------------------------


def wrk(base_url: str, plan: list[tuple], clients: int, duration: int, out: Path) -> dict:
    """Run wrk with the plan; return its counts and latencies (ms) and req/s."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", dir=out, delete=False, encoding="utf-8") as f:
        for row in plan:
            f.write("\t".join(str(x) for x in row) + "\n")
        plan_path = f.name
    threads = max(1, min(clients, 2))
    cmd = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{duration}s", "--timeout", "10s", "-s", str(LUA), base_url]
    cmd += ["--", plan_path]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    finally:
        os.unlink(plan_path)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    return {
        "clients": clients,
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(lat["p50"] / 1000, 1),
        "p90_ms": round(lat["p90"] / 1000, 1),
        "p95_ms": round(lat["p95"] / 1000, 1),
        "p99_ms": round(lat["p99"] / 1000, 1),
        "max_ms": round(lat["max"] / 1000, 1),
        "statuses": {k: int(v) for k, v in sorted(raw["statuses"].items())},
        "socket_errors": {k: v for k, v in raw["errors"].items() if v and k != "status"},
    }


def _headers(browser: Browser, cookies: list[str] | None = None, extra: dict | None = None) -> list[tuple]:
    headers = {"Accept-Language": "en"}
    if browser.behind_proxy:
        headers["X-Forwarded-Proto"] = "https"
    cookie = browser.cookie_header(cookies)
    if cookie:
        headers["Cookie"] = cookie
    headers.update(extra or {})
    return [("header", k, v) for k, v in headers.items()]


def _ok_share(result: dict, ok: set[int]) -> float:
    good = sum(n for status, n in result["statuses"].items() if int(status) in ok)
    return good / result["requests"] if result["requests"] else 0.0


# --- the steps ---------------------------------------------------------------------------


class Bench:
    def __init__(self, cfg: Config, base_url: str, behind_proxy: bool, out: Path):
        self.cfg, self.base_url, self.behind_proxy, self.out = cfg, base_url, behind_proxy, out
        self.cpu: stack.ServerCpu | None = None  # local stack only
        self.steps: dict[str, dict] = {}
        self.performed = {"walk_ins": 0, "in_flight": 0, "exports": 0}
        self.notes: list[str] = []

    def browser(self) -> Browser:
        return Browser(self.base_url, behind_proxy=self.behind_proxy)

    def available(self, browser: Browser, path: str) -> bool:
        return browser.get(path).status != 404

    def warm_up(self, browser: Browser, paths: list[str], extra: dict | None = None) -> None:
        """One request per path before measuring, as a desk in use would have
        made: the first touch of an index after the database copy reads disk."""
        for path in paths:
            browser.request("GET", path, headers=extra)

    def load(self, key: str, label: str, plan: list[tuple], clients: int, ok: set[int], duration=None, **extra):
        before = self.cpu.sample() if self.cpu else None
        result = wrk(self.base_url, plan, clients, duration or self.cfg.duration, self.out)
        if before is not None and result["requests"]:
            spent = stack.ServerCpu.spent(before, self.cpu.sample())
            result["server_cpu_ms_per_request"] = round(1000 * spent / result["requests"], 2)
        share = _ok_share(result, ok)
        result.update(label=label, status="ok", ok_share=round(share, 4), **extra)
        if share < 0.99:
            result["notes"] = f"only {share:.1%} answered {sorted(ok)}: {result['statuses']}"
        self.steps[key] = result
        log(f"{label} ×{clients}: {result['rps']} req/s, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms")
        return result

    def unavailable(self, key: str, label: str, why: str = "not available yet", clients: int | None = None) -> None:
        self.steps[key] = {"label": label, "status": why, "clients": clients}
        log(f"{label}: {why}")

    # (1) the ceiling
    def ceiling(self) -> None:
        browser = self.browser()
        if not self.available(browser, "/bench/ceiling"):
            for clients in self.cfg.clients:
                self.unavailable(
                    f"ceiling_c{clients}", "ceiling: trivial view", "not enabled (BENCH_CEILING=1)", clients
                )
            return
        plan = [("path", "/bench/ceiling"), *_headers(browser)]
        wrk(self.base_url, plan, 2, 2, self.out)  # warm every worker up
        for clients in self.cfg.clients:
            self.load(f"ceiling_c{clients}", "ceiling: trivial view", plan, clients, {200})

    def ratio(self, key: str, clients: int) -> None:
        ceiling_step = self.steps.get(f"ceiling_c{clients}", {})
        ceiling = ceiling_step.get("rps")
        step = self.steps.get(key, {})
        if ceiling and step.get("status") == "ok":
            # Only successful check-ins count towards the kiosk's throughput.
            step["ratio_to_ceiling"] = round(step["rps"] * step["ok_share"] / ceiling, 3)
            # The same ratio from server CPU per request: what share of the
            # ceiling's rate the kiosk reaches once the CPUs are the limit, and
            # much steadier than req/s on a machine others are using.
            mine, theirs = step.get("server_cpu_ms_per_request"), ceiling_step.get("server_cpu_ms_per_request")
            if mine and theirs:
                step["cpu_ratio_to_ceiling"] = round(theirs / mine, 3)

    # (2) kiosk walk-in
    def kiosk(self, kiosk: dict | None) -> None:
        from bench import kiosk as walk_in

        label = "kiosk walk-in check-in (POST)"
        prepared = walk_in.prepare(self, kiosk) if kiosk else {"unavailable": "not available yet"}
        for run, clients in enumerate(self.cfg.clients):
            key = f"kiosk_c{clients}"
            if "unavailable" in prepared:
                self.unavailable(key, label, prepared["unavailable"], clients)
                continue
            plan = walk_in.walk_in_plan(self, prepared, run=run)
            result = self.load(key, label, plan, clients, {302})
            self.performed["walk_ins"] += result["statuses"].get("302", 0)
            self.performed["in_flight"] += clients  # answered after wrk stopped counting
            note = f"{len(prepared['devices'])} kiosk devices in turn"
            result["notes"] = "; ".join(filter(None, [result.get("notes"), note]))
            self.ratio(key, clients)

    # (3) dashboard
    def dashboard(self, clerk: Browser | None) -> None:
        if clerk is None or not self.available(clerk, "/desk/"):
            self.unavailable("dashboard", "desk dashboard (GET)")
            return
        plan = [("path", "/desk/"), *_headers(clerk)]
        self.warm_up(clerk, ["/desk/"])
        self.load("dashboard", "desk dashboard (GET)", plan, 1, {200}, notes="one clerk")
        if self.available(clerk, "/desk/live/"):
            plan = [("path", "/desk/live/"), *_headers(clerk, extra={"HX-Request": "true"})]
            self.warm_up(clerk, ["/desk/live/"], {"HX-Request": "true"})
            self.load("dashboard_live", "dashboard self-refresh (htmx GET)", plan, 1, {200}, notes="one clerk")
            # What a desk's browser sends every 30 s (issue #24): the refresh
            # revalidated with the ETag of the last one. Nothing changes
            # during this step, so it is answered 304 but when the minute
            # turns (the waiting minutes change then) and the part is sent again;
            # wrk keeps sending the first ETag, so the step starts early in a minute.
            second = time.time() % 60
            if second + self.cfg.duration + 2 > 59:
                time.sleep(61 - second)
            etag = clerk.request("GET", "/desk/live/", headers={"HX-Request": "true"}).headers.get("etag")
            if not etag:
                self.unavailable("dashboard_unchanged", "dashboard refresh, nothing changed (If-None-Match)", "no ETag")
                return
            plan = [("path", "/desk/live/"), *_headers(clerk, extra={"HX-Request": "true", "If-None-Match": etag})]
            self.load(
                "dashboard_unchanged",
                "dashboard refresh, nothing changed (If-None-Match)",
                plan,
                1,
                {304, 200},
                notes="one clerk; 304 but once a minute",
            )

    # (4) search
    def search(self, clerk: Browser | None, terms: dict | None) -> None:
        if clerk is None or not terms or not self.available(clerk, "/desk/log/"):
            for kind in SEARCH_KINDS:
                self.unavailable(f"search_{kind}", f"visitor log search by {SEARCH_KINDS[kind]}")
            return
        for kind in SEARCH_KINDS:
            if not terms.get(kind):
                self.unavailable(f"search_{kind}", f"visitor log search by {SEARCH_KINDS[kind]}", "no terms given")
                continue
            urls = ["/desk/log/?" + urllib.parse.urlencode({"q": t}) for t in terms[kind]]
            paths = [("path", url) for url in urls]
            shown = ", ".join(terms[kind][:3])
            self.warm_up(clerk, urls)
            self.load(
                f"search_{kind}",
                f"visitor log search by {SEARCH_KINDS[kind]}",
                [*paths, *_headers(clerk)],
                1,
                {200},
                notes=f"{len(paths)} terms in turn, e.g. {shown}",
                terms=terms[kind],
            )

    # (4b) the API's visit list (issue #21): the desk log's search by name, as JSON
    def api_visits(self, tokens: list[str] | None, terms: dict | None) -> None:
        key, label = "api_visits", "API list visits (GET /api/v1/visits?q=…)"
        browser = self.browser()
        if not tokens:
            self.unavailable(key, label, "no API token given")
            return
        if not terms or not terms.get("name_latin"):
            self.unavailable(key, label, "no terms given")
            return
        if not self.available(browser, "/api/v1/openapi.json"):
            self.unavailable(key, label)
            return
        urls = api_visit_urls(terms["name_latin"])
        self.warm_up(browser, urls, {"Authorization": f"Bearer {tokens[0]}"})
        self.load(
            key,
            label,
            api_visits_plan(urls, tokens, _headers(browser)),
            1,
            {200},
            notes=f"the desk log's {len(urls)} name searches, {API_PAGE} a page; {len(tokens)} tokens in turn",
            terms=terms["name_latin"],
        )

    # (6) insights (issue #20): the office director's page, a month and a year
    def insights(self, director: Browser | None) -> None:
        steps = {
            "insights_month": ("insights, last month (GET)", {"preset": "last_month"}),
            "insights_year": ("insights, last 365 days (GET)", insights_year_range(date.today())),
        }
        if director is None or not self.available(director, "/desk/insights/"):
            for key, (label, _query) in steps.items():
                self.unavailable(key, label)
            return
        for key, (label, query) in steps.items():
            url = "/desk/insights/?" + urllib.parse.urlencode(query)
            self.warm_up(director, [url])
            self.load(key, label, [("path", url), *_headers(director)], 1, {200}, notes="one office director")

    # (5) CSV export
    def export(self, clerk: Browser | None, pids: list[int], expected_rows) -> None:
        label = "visitor log CSV, one year"
        if clerk is None or not self.available(clerk, "/desk/log/"):
            self.unavailable("csv_export", label)
            return
        date_to = date.today() - timedelta(days=1)
        date_from = date_to - timedelta(days=364)
        path = "/desk/log/export.csv?" + urllib.parse.urlencode({"date_from": date_from, "date_to": date_to})
        lines = [0]

        def count(chunk: bytes) -> None:
            lines[0] += chunk.count(b"\n")

        before = self.cpu.sample() if self.cpu else None
        if pids:
            with stack.MemoryWatch(pids) as watch:
                timing = clerk.stream(path, count)
            memory = watch.growth()
        else:
            timing, memory = clerk.stream(path, count), {}
        cpu = stack.ServerCpu.spent(before, self.cpu.sample()) if before is not None else None
        self.performed["exports"] += 1
        if timing["status"] != 200:
            self.unavailable("csv_export", label, f"HTTP {timing['status']}")
            return
        rows = lines[0] - 1  # the header
        result = {
            "label": label,
            "status": "ok",
            "range": f"{date_from} – {date_to}",
            "rows": rows,
            "seconds": round(timing["seconds"], 2),
            "first_byte_s": round(timing["ttfb"], 3),
            "rows_per_s": round(rows / timing["seconds"], 0),
            "rows_per_server_cpu_s": round(rows / cpu, 0) if cpu else None,
            "mib": round(timing["bytes"] / 2**20, 1),
            "memory_growth_mib": memory.get("growth_mib"),
            "rss_before_mib": memory.get("rss_before_mib"),
            "rss_peak_mib": memory.get("rss_peak_mib"),
            "memory_method": memory.get("method", "not measured (remote instance)"),
        }
        if expected_rows is not None:
            result["rows_expected"] = expected_rows
            result["complete"] = rows == expected_rows
        self.steps["csv_export"] = result
        log(f"{label}: {rows:,} rows in {timing['seconds']:.1f}s, +{memory.get('growth_mib')} MiB")


# --- local stack -------------------------------------------------------------------


def insights_year_range(today: date) -> dict:
    """The insights page's query for the 365 days up to yesterday."""
    last = today - timedelta(days=1)
    return {"preset": "custom", "start": str(last - timedelta(days=364)), "end": str(last)}


def app_environment(cfg: Config) -> dict:
    """The production settings, as an operator would set them (see .env.example)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_") and k != "DATABASE_URL"}
    env.update(
        DEBUG="0",
        SECRET_KEY=stack.secret_key(),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{cfg.port}",
        CONN_MAX_AGE="60",
        REDIS_URL=cfg.redis_url,
        BEHIND_PROXY="1",
        BENCH_CEILING="1",
        SITE_URL=f"https://127.0.0.1:{cfg.port}",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_local(cfg: Config, results: dict) -> None:
    out = cfg.out
    env = app_environment(cfg)
    dbs = stack.Databases(cfg.pg_server)
    meta = results["meta"]
    meta["history"] = stack.prepare_history(
        dbs, visits=cfg.visits, version=GENERATOR_VERSION, app_env=env, regenerate=cfg.regenerate
    )
    run_db = stack.fresh_copy(dbs, cfg.visits)
    env["DATABASE_URL"] = dbs.url(run_db)
    if cfg.proposed_indexes:
        from bench import proposals

        started = time.monotonic()
        meta["proposed_indexes"] = proposals.apply(env["DATABASE_URL"])
        meta["notes"].append(
            f"With the indexes proposed in bench/proposals.py, added to this run's copy only "
            f"({time.monotonic() - started:.0f} s to build)."
        )
    meta["database_mib"] = round(dbs.size(run_db) / 2**20)
    with stack.Databases(cfg.pg_server).admin() as conn:
        meta["machine"]["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
    today = stack.bench_module(
        "bench.generate",
        "today",
        "--on-site",
        str(cfg.on_site),
        "--local-hour",
        str(cfg.local_hour),
        "--kiosks",
        str(cfg.kiosks),
        env=env,
    )
    main_site = next(iter(today["sites"]))
    terms = stack.bench_module("bench.probe", "terms", main_site, env=env)
    date_to = date.today() - timedelta(days=1)
    try:
        expected = stack.bench_module(
            "bench.probe", "export-rows", main_site, str(date_to - timedelta(days=364)), str(date_to), env=env
        )["rows"]
    except subprocess.CalledProcessError:
        expected = None
    stand_ins = stack.collectstatic(env, meta["notes"])
    meta["notes"].append(
        f"Sites set to a time zone where it is {cfg.local_hour}:00 now, so the day path is measured "
        "(R6.8 night duty would refuse kiosk walk-ins at night)."
    )
    gunicorn = stack.Gunicorn(env, cfg.port, cfg.workers, out / "gunicorn.log", extra_args=["--timeout", "300"])
    gunicorn.start()
    try:
        snapshot = stack.bench_module("bench.invariants", "snapshot", env=env)
        bench = Bench(cfg, gunicorn.url, behind_proxy=True, out=out)
        bench.cpu = stack.ServerCpu(gunicorn, env["DATABASE_URL"], run_db)
        bench.notes = meta["notes"]
        clerk = bench.browser()
        clerk.login(today["sites"][main_site]["clerk"], today["password"])
        director = bench.browser()
        director.login(today["sites"][main_site]["director"], today["password"])
        kiosk = today["sites"][main_site]
        tokens = kiosk.get("api_tokens")
        measure(bench, clerk, terms, kiosk, gunicorn.worker_pids(), expected, director, tokens)
        stack.settle(env["DATABASE_URL"])
        results["invariants"] = stack.bench_module(
            "bench.invariants", "check", json.dumps(snapshot), json.dumps(bench.performed), env=env
        )
        results["steps"] = bench.steps
    finally:
        gunicorn.stop()
        for stand_in in stand_ins:
            stand_in.unlink(missing_ok=True)
    meta["server_errors_logged"] = gunicorn.errors()
    if meta["server_errors_logged"]:
        meta["notes"].append(f"{meta['server_errors_logged']} server errors (500) logged; see {gunicorn.log_path}.")


def api_visit_urls(terms: list[str]) -> list[str]:
    """The API's visit list with each of the desk log's search terms: the same
    filter and page size as the "visitor log search" steps, as JSON."""
    return [API_VISITS + "?" + urllib.parse.urlencode({"q": term, "limit": API_PAGE}) for term in terms]


def api_visits_plan(urls: list[str], tokens: list[str], headers: list[tuple]) -> list[tuple]:
    """wrk's plan for the API list: each request the next URL and the next
    token (each token has its own rate limit, as each integration does)."""
    return [
        *(("path", url) for url in urls),
        *headers,
        *(("variant", "header:Authorization", f"Bearer {token}") for token in tokens),
    ]


def measure(
    bench: Bench, clerk: Browser | None, terms, kiosk, pids, expected_rows, director=None, api_tokens=None
) -> None:
    # Reads first, on the history as generated (300 on site); the kiosk's
    # walk-ins, which add visitors on site, come last.
    bench.ceiling()
    bench.dashboard(clerk)
    bench.search(clerk, terms)
    bench.api_visits(api_tokens, terms)
    bench.export(clerk, pids, expected_rows)
    bench.insights(director)
    bench.kiosk(kiosk)


def run_remote(cfg: Config, results: dict) -> None:
    """A deployed instance: measure what its URLs and the given accounts allow."""
    parts = urllib.parse.urlsplit(cfg.url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1") and os.environ.get("BENCH_ALLOW_REMOTE") != "1":
        raise SystemExit(
            f"BENCH_URL points at {parts.hostname}: load-testing another machine needs its owner's consent; "
            "set BENCH_ALLOW_REMOTE=1 to confirm."
        )
    bench = Bench(cfg, cfg.url, behind_proxy=False, out=cfg.out)
    bench.notes = results["meta"]["notes"]
    clerk = None
    if cfg.clerk and cfg.password:
        clerk = bench.browser()
        clerk.login(cfg.clerk, cfg.password)
    links = [link.strip() for link in cfg.kiosk_link.split(",") if link.strip()]
    kiosk = {"links": links, "host_names": os.environ.get("BENCH_HOST_NAMES", "").split(",")} if links else None
    terms = json.loads(os.environ["BENCH_TERMS"]) if os.environ.get("BENCH_TERMS") else None
    tokens = [t.strip() for t in os.environ.get("BENCH_API_TOKENS", "").split(",") if t.strip()]
    measure(bench, clerk, terms, kiosk, [], None, api_tokens=tokens)
    results["steps"] = bench.steps
    bench.notes.append("Remote instance: worker memory and invariants are not measured from here.")


def main() -> int:
    cfg = Config.from_env()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian) — it is the load tool.")
    cfg.out.mkdir(parents=True, exist_ok=True)
    results = {
        "meta": {
            "visits": cfg.visits,
            "workers": cfg.workers,
            "duration_s": cfg.duration,
            "clients": list(cfg.clients),
            "target": cfg.url or f"local stack on 127.0.0.1:{cfg.port}",
            "load_tool": "wrk + bench/wrk/lobby.lua",
            "code": code_version(),
            "started_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "proposed_indexes": [],
            "machine": machine(),
            "load_before": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "cpu_busy_before_pct": cpu_busy_percent(),
            "notes": [],
        },
        "steps": {},
    }
    started = time.monotonic()
    if cfg.url:
        run_remote(cfg, results)
    else:
        run_local(cfg, results)
    results["meta"]["load_after"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    results["meta"]["wall_seconds"] = round(time.monotonic() - started, 1)
    json_path, md_path = write_report(results, cfg.out)
    print(md_path.read_text())
    log(f"wrote {json_path} and {md_path}")
    return 0 if (results.get("invariants") or {}).get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main())
