"""`make prod-check`: the deployment kit in deploy/ run as written, on loopback.

    python -m deploy.prod_check [--instances 2]

Builds the production stack from the repository's own files in a temporary
folder: a self-signed certificate, a fresh PostgreSQL database, the release
commands of docs/deployment.md, gunicorn and the task worker as the systemd
units start them (deploy/systemd/, config/gunicorn.conf.py), the environment
of .env.example with this machine's values put in, and nginx with
deploy/nginx/lobby.conf rendered by deploy/render.py. Then it checks, through
nginx over HTTPS as a browser would, what a site needs on its first day, prints
a PASS/FAIL table and stops everything it started, failing or not.

With --instances 2 (`make prod-check SCALE=2`) two gunicorns stand behind the
same nginx upstream on one database, with REDIS_URL set; requests that must
meet across them (lockout, rate limit, a double tap at the kiosk) go to each
instance in turn, directly, with the headers nginx would add.

Only loopback addresses are used. Each simulated client connects from its own
address in 127.0.0.0/8, so that the address the app records can be told from
nginx's own (127.0.0.1). Needs nginx (installed with apt-get when run as root),
openssl, PostgreSQL at PRODCHECK_POSTGRES (postgres://postgres@127.0.0.1:5432)
and, for two instances, Redis at PRODCHECK_REDIS (redis://127.0.0.1:6379/14).
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

from deploy.render import render

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
UNITS = ROOT / "deploy" / "systemd"
NGINX_SITE = ROOT / "deploy" / "nginx" / "lobby.conf"
INSTALL_PREFIX = "/srv/lobby/"  # where the unit files expect the checkout
HOST = "127.0.0.1"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KEY_INPUT = re.compile(r'name="submission_key" value="([^"]+)"')
HOST_TOKEN = re.compile(r'name="host" value="([^"]+)"')
STYLESHEET = re.compile(r'href="(/static/[^"]+\.css)"')
ENROL_LINK = re.compile(r"open (https?://\S+) on the tablet")
IDLE_TO_NGINX = 100
IDLE_PER_GUNICORN = 8


def log(message: str) -> None:
    print(f"[prod-check] {message}", file=sys.stderr, flush=True)


# --- results ---------------------------------------------------------------------


@dataclass
class Results:
    rows: list[tuple[str, bool, str]] = field(default_factory=list)

    @contextmanager
    def check(self, name: str):
        """One row of the table: PASS unless the block raises; `note` adds detail."""
        note: list[str] = []
        started = time.monotonic()
        try:
            yield note
        except Exception as error:  # noqa: BLE001 - every failure becomes a FAIL row
            self.rows.append((name, False, f"{type(error).__name__}: {error}"[:300]))
            log(f"FAIL {name}: {error}")
        else:
            self.rows.append((name, True, "; ".join(note) or f"{time.monotonic() - started:.1f}s"))

    def table(self) -> str:
        width = max(len(name) for name, _, _ in self.rows)
        lines = [f"{'check':<{width}}  result  detail", f"{'-' * width}  ------  ------"]
        lines += [f"{name:<{width}}  {'PASS' if ok else 'FAIL':<6}  {detail}" for name, ok, detail in self.rows]
        passed = sum(ok for _, ok, _ in self.rows)
        failed = len(self.rows) - passed
        lines.append(f"prod-check: {'FAIL' if failed else 'PASS'}, {passed} of {len(self.rows)} checks passed")
        return "\n".join(lines)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(ok for _, ok, _ in self.rows)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


# --- a browser on loopback ---------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    def cookies(self) -> dict[str, str]:
        """Set-Cookie headers by cookie name, whole (with their attributes)."""
        found = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                found[value.split("=", 1)[0].strip()] = value
        return found

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Endpoint:
    """Where a request goes: nginx over TLS, or one gunicorn directly with the
    headers nginx would have added."""

    port: int
    tls: ssl.SSLContext | None = None
    as_proxy: bool = False


class Browser:
    def __init__(self, endpoint: Endpoint, source: str, origin: str):
        self.endpoint, self.source, self.origin = endpoint, source, origin
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        data: dict | None = None,
        *,
        via: Endpoint | None = None,
        headers: dict | None = None,
        timeout: float = 30,
        stream=None,
    ) -> Response:
        endpoint = via or self.endpoint
        if endpoint.tls is not None:
            conn = http.client.HTTPSConnection(
                HOST, endpoint.port, context=endpoint.tls, timeout=timeout, source_address=(self.source, 0)
            )
        else:
            conn = http.client.HTTPConnection(HOST, endpoint.port, timeout=timeout, source_address=(self.source, 0))
        sent = {"Host": HOST, "Accept-Language": "en"}
        if endpoint.as_proxy:
            sent.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": self.source})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            body = urllib.parse.urlencode(data or {})
            sent.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        sent.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            response = Response(raw.status, raw.getheaders(), stream(raw) if stream else raw.read())
        finally:
            conn.close()
        for name, value in response.cookies().items():
            jar = SimpleCookie()
            jar.load(value)
            self.cookies[name] = jar[name].value
        return response

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict, **kw) -> Response:
        return self.request("POST", path, data, **kw)

    def form_token(self, path: str, **kw) -> tuple[Response, str]:
        page = self.get(path, **kw)
        match = CSRF_INPUT.search(page.text)
        expect(match is not None, f"GET {path}: HTTP {page.status}, no CSRF token on the page")
        return page, match.group(1)

    def sign_in(self, username: str, password: str, **kw) -> Response:
        _, token = self.form_token("/accounts/login/", **kw)
        return self.post(
            "/accounts/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token}, **kw
        )


# --- processes ---------------------------------------------------------------------


class Processes:
    """Everything started here, each in its own process group, stopped in reverse."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log(f"starting {name}: {shlex.join(args)}")
        with open(self.folder / f"{name}.log", "ab") as output:
            process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append((name, process))
        return process

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, process in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in time; killing it")
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.started.clear()

    def dead(self) -> list[str]:
        return [f"{name} (exit {p.returncode})" for name, p in self.started if p.poll() is not None]


def unit_command(unit: str) -> list[str]:
    """The ExecStart of one of deploy/systemd's units, pointed at this checkout."""
    text = (UNITS / unit).read_text()
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    args = shlex.split(line.removeprefix("ExecStart="))
    venv = INSTALL_PREFIX + ".venv/bin/"
    return [
        str(BIN / arg.removeprefix(venv)) if arg.startswith(venv) else arg.replace(INSTALL_PREFIX, f"{ROOT}/")
        for arg in args
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_for(what: str, ready, timeout: float = 60, processes: Processes | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if processes and processes.dead():
            raise RuntimeError(f"waiting for {what}: exited early: {', '.join(processes.dead())}")
        with suppress(OSError, http.client.HTTPException):
            if ready():
                return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready within {timeout:.0f}s")


def environment_file() -> dict[str, str]:
    """.env.example as systemd's EnvironmentFile reads it: NAME=VALUE lines."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def midday_zone() -> str:
    """A fixed-offset time zone where it is now about noon: the kiosk refuses
    walk-ins at night (R6.8), and this check must pass at any hour."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12  # -12 … 11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-8 is UTC+8


def write_nginx_main(folder: Path) -> Path:
    """nginx's main configuration for a private nginx in `folder`, around the
    site in folder/lobby.conf: its own pid, logs and temporary folders."""
    temp = [folder / part for part in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")]
    # As root, nginx's workers run as nobody: they need the temporary
    # folders (for buffering) and a way through to them, nothing else.
    user = ""
    if os.geteuid() == 0:
        user = "user nobody nogroup;"
        for path in [folder.parent, folder]:
            path.chmod(0o755)
    for path in temp:
        path.mkdir()
        if os.geteuid() == 0:
            shutil.chown(path, "nobody", "nogroup")
    main = f"""
daemon off;
worker_processes 1;
{user}
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {temp[0]};
    proxy_temp_path {temp[1]};
    fastcgi_temp_path {temp[2]};
    uwsgi_temp_path {temp[3]};
    scgi_temp_path {temp[4]};
    default_type application/octet-stream;
    include {folder}/lobby.conf;
}}
"""
    (folder / "nginx.conf").write_text(main)
    return folder / "nginx.conf"


# --- the stack ---------------------------------------------------------------------


class Stack:
    def __init__(self, *, instances: int, folder: Path, results: Results):
        self.instances, self.folder, self.results = instances, folder, results
        self.processes = Processes(folder)
        self.postgres = os.environ.get("PRODCHECK_POSTGRES", "postgres://postgres@127.0.0.1:5432").rstrip("/")
        self.database = f"lobby_prodcheck_{os.getpid()}"
        self.databases: list[str] = []
        self.http_port, self.https_port, self.dead_https_port = free_port(), free_port(), free_port()
        self.app_ports = [free_port() for _ in range(instances)]
        self.site_url = f"https://{HOST}:{self.https_port}"
        # Each client connects from its own loopback address, picked per run so
        # that lockouts and rate limits of an earlier run never meet this one.
        self.net = f"127.{random.randint(100, 250)}.{random.randint(1, 250)}"

    def client(self, n: int, endpoint: Endpoint | None = None) -> Browser:
        return Browser(endpoint or self.nginx, f"{self.net}.{n}", self.site_url)

    # -- set-up --

    def manage(self, *args: str, env: dict | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env or self.env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{(result.stdout + result.stderr)[-1500:]}")
        return result.stdout

    def admin_sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.postgres}/postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(statement)

    def query(self, statement: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"{self.postgres}/{self.database}", autocommit=True) as conn:
            return conn.execute(statement, params).fetchall()

    def certificate(self) -> None:
        tls = self.folder / "tls"
        tls.mkdir()
        self.cert, self.key = tls / "lobby.crt", tls / "lobby.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
             "-addext", f"subjectAltName=IP:{HOST}", "-keyout", str(self.key), "-out", str(self.cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        context = ssl.create_default_context(cafile=str(self.cert))  # verified, against our own certificate
        self.nginx = Endpoint(self.https_port, tls=context)
        self.nginx_down = Endpoint(self.dead_https_port, tls=context)
        self.plain = Endpoint(self.http_port)
        self.apps = [Endpoint(port, as_proxy=True) for port in self.app_ports]

    def environment(self, redis: str | None) -> None:
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            **environment_file(),
            # This machine's values in place of the example's.
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "CSRF_TRUSTED_ORIGINS": self.site_url,
            "SITE_URL": self.site_url,
            "DATABASE_URL": f"{self.postgres}/{self.database}",
            "REDIS_URL": redis or "",
            "STATIC_ROOT": str(self.folder / "static"),
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",  # no mail leaves the machine
            "TIME_ZONE": midday_zone(),
            "LOG_LEVEL": "WARNING",
            "PYTHON": sys.executable,  # for scripts/backup.sh and restore.sh
        }

    def release(self) -> None:
        """docs/deployment.md's release steps, then the demo data."""
        self.admin_sql(f'CREATE DATABASE "{self.database}"')
        self.databases.append(self.database)
        self.manage("migrate", "--noinput")
        self.manage("createcachetable")
        self.manage("collectstatic", "--noinput")
        self.manage("check", "--deploy", "--fail-level", "WARNING")
        seeded = self.manage("seed_demo", "--allow-production")
        link = ENROL_LINK.search(seeded)
        expect(link is not None, "seed_demo printed no kiosk enrolment link")
        self.enrol_path = urllib.parse.urlsplit(link.group(1)).path

    def start_app(self) -> None:
        web = unit_command("lobby-web.service")
        for n, port in enumerate(self.app_ports):
            self.processes.start(f"gunicorn-{n + 1}", [*web, "--bind", f"{HOST}:{port}"], self.env)
        self.processes.start("worker", unit_command("lobby-worker.service"), self.env)
        # An app server whose database is gone: nothing listens on that port.
        dead_db = {**self.env, "DATABASE_URL": f"postgres://postgres@{HOST}:{free_port()}/lobby", "REDIS_URL": ""}
        self.dead_app_port = free_port()
        self.processes.start(
            "gunicorn-no-database", [*web, "--bind", f"{HOST}:{self.dead_app_port}", "--workers", "1"], dead_db
        )
        for app in [*self.apps, Endpoint(self.dead_app_port, as_proxy=True)]:
            probe = self.client(1, app)
            wait_for(f"gunicorn on port {app.port}", lambda p=probe: p.get("/healthz").status in (200, 503),
                     processes=self.processes)  # fmt: skip

    def nginx_config(self, name: str, https_port: int, http_port: int, app_ports: list[int]) -> Path:
        folder = self.folder / name
        folder.mkdir()
        site = render(
            NGINX_SITE.read_text(),
            {
                "SERVER_NAME": HOST,
                "SITE_URL": f"https://{HOST}:{https_port}",
                "HTTP_LISTEN": f"{HOST}:{http_port}",
                "HTTPS_LISTEN": f"{HOST}:{https_port}",
                "CERTIFICATE": str(self.cert),
                "CERTIFICATE_KEY": str(self.key),
                "APP_SERVER": [f"{HOST}:{port}" for port in app_ports],
            },
        )
        (folder / "lobby.conf").write_text(site)
        write_nginx_main(folder)
        return folder

    def start_nginx(self, nginx: str) -> None:
        main = self.nginx_config("nginx", self.https_port, self.http_port, self.app_ports)
        down = self.nginx_config("nginx-no-database", self.dead_https_port, free_port(), [self.dead_app_port])
        for folder in (main, down):
            test = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                                  capture_output=True, text=True)  # fmt: skip
            expect(test.returncode == 0, f"nginx -t: {test.stderr.strip()[-500:]}")
            self.processes.start(folder.name, [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")], self.env)
        for endpoint in (self.nginx, self.nginx_down):
            probe = self.client(1, endpoint)
            wait_for(f"nginx on {endpoint.port}", lambda p=probe: p.get("/healthz").status in (200, 503),
                     timeout=30, processes=self.processes)  # fmt: skip

    def stop(self) -> None:
        self.processes.stop_all()
        for name in self.databases:
            with suppress(Exception):
                self.admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # -- the checks --

    def check_all(self) -> None:
        r = self.results
        with r.check("HTTP redirects to HTTPS") as note:
            response = self.client(2, self.plain).get("/desk/?x=1")
            expect(response.status == 301, f"HTTP {response.status}")
            expect(response.header("Location") == f"{self.site_url}/desk/?x=1", response.header("Location"))
            note.append(response.header("Location"))

        with r.check("/healthz 200 through nginx (HTTPS)") as note:
            response = self.client(2).get("/healthz")
            expect(response.status == 200 and json.loads(response.body)["status"] == "ok", f"HTTP {response.status}")
            note.append(response.text)

        clerk = self.client(2)
        with r.check("HSTS and security headers") as note:
            page = clerk.get("/accounts/login/")
            hsts = page.header("Strict-Transport-Security")
            expect("max-age=31536000" in hsts and "includeSubDomains" in hsts, f"Strict-Transport-Security: {hsts!r}")
            expect(page.header("X-Frame-Options") == "DENY", "no X-Frame-Options: DENY")
            expect("default-src 'self'" in page.header("Content-Security-Policy"), "no Content-Security-Policy")
            note.append(hsts)

        with r.check("static files (WhiteNoise, through nginx)") as note:
            stylesheet = STYLESHEET.search(page.text)
            expect(stylesheet is not None, "no stylesheet on the login page")
            response = clerk.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
            cache = response.header("Cache-Control")
            expect(response.status == 200 and "immutable" in cache, f"HTTP {response.status}, Cache-Control {cache!r}")
            note.append(f"{stylesheet.group(1)} {cache}")

        with r.check("sign-in as clerk (CSRF), cookies Secure+HttpOnly") as note:
            response = clerk.sign_in("clerk", "lobby-demo")
            expect(response.status == 302, f"HTTP {response.status}")
            cookies = response.cookies()
            session = cookies.get("sessionid", "")
            expect("Secure" in session and "HttpOnly" in session, f"sessionid: {session!r}")
            csrf = clerk.get("/desk/").cookies().get("csrftoken") or cookies.get("csrftoken", "")
            expect(not csrf or "Secure" in csrf, f"csrftoken: {csrf!r}")
            note.append("sessionid Secure; HttpOnly; SameSite=" + ("Lax" if "SameSite=Lax" in session else "?"))

        with r.check("desk dashboard") as note:
            response = clerk.get("/desk/")
            expect(response.status == 200 and "Headquarters Base" in response.text, f"HTTP {response.status}")
            note.append(f"HTTP 200, {len(response.body)} bytes")

        with r.check("CSV export streams through nginx") as note:
            chunks: list[bytes] = []

            def read(raw):
                while chunk := raw.read(1 << 16):
                    chunks.append(chunk)
                return b"".join(chunks)

            started = time.monotonic()
            response = clerk.get("/desk/log/export.csv", stream=read, timeout=120)
            expect(response.status == 200, f"HTTP {response.status}")
            expect(response.header("Content-Type").startswith("text/csv"), response.header("Content-Type"))
            expect(response.header("Transfer-Encoding") == "chunked", "not streamed (no chunked encoding)")
            expect(response.body.startswith(b"\xef\xbb\xbfBadge code,"), "no BOM and header row")
            lines = response.body.decode("utf-8-sig").splitlines()
            note.append(f"{len(lines) - 1} visits, {len(response.body)} bytes in {time.monotonic() - started:.2f}s")

        with r.check("the app sees the client's address (audit)") as note:
            rows = self.query(
                "SELECT host(client_address) FROM visitors_auditevent WHERE action = 'log.export' ORDER BY id DESC"
            )
            expect(rows and rows[0][0] == clerk.source, f"export audited from {rows[0][0] if rows else None}")
            note.append(f"export audited from {rows[0][0]} (nginx connects from {HOST})")

        kiosk = self.client(7)
        with r.check("kiosk: enrol, then a walk-in") as note:
            _, token = kiosk.form_token(self.enrol_path)
            response = kiosk.post(self.enrol_path, {"csrfmiddlewaretoken": token})
            expect(response.status == 302, f"enrolment: HTTP {response.status}")
            device = next((v for k, v in response.cookies().items() if k not in ("sessionid", "csrftoken")), "")
            expect("Secure" in device and "HttpOnly" in device, f"kiosk cookie: {device!r}")
            visit = self.walk_in(kiosk, "Prod Check Walk-in")
            expect(visit == 1, f"{visit} visits for the walk-in")
            note.append(f"visit made; kiosk cookie Secure, HttpOnly; site time zone {self.env['TIME_ZONE']}")
            copies = self.query(
                "SELECT s.document FROM visitors_signedagreement s JOIN visitors_visitor p ON p.id = s.visitor_id "
                "WHERE p.full_name = %s",
                ["Prod Check Walk-in"],
            )
            if copies:
                kept = "PDF" if copies[0][0].endswith(".pdf") else "HTML (no WeasyPrint)"
                note.append(f"{len(copies)} agreement signed, its copy kept as {kept}")

        with r.check("the worker delivers the walk-in's notices") as note:
            deadline = time.monotonic() + 30
            statuses: list = []
            while time.monotonic() < deadline:
                statuses = self.query(
                    "SELECT n.status FROM visitors_notification n JOIN visitors_visit v ON v.id = n.visit_id "
                    "JOIN visitors_visitor p ON p.id = v.visitor_id WHERE p.full_name = %s",
                    ["Prod Check Walk-in"],
                )
                if statuses and all(s == "sent" for (s,) in statuses):
                    break
                time.sleep(0.5)
            expect(statuses and all(s == "sent" for (s,) in statuses), f"notifications: {statuses}")
            note.append(f"{len(statuses)} sent by db_worker")

        with r.check("kiosk double submission makes one visit") as note:
            targets = self.apps[:2] if self.instances > 1 else [self.nginx, self.nginx]
            made = self.walk_in(kiosk, "Prod Check Double Tap", targets=targets)
            expect(made == 1, f"{made} visits from one double submission")
            note.append("two concurrent POSTs " + ("to gunicorn 1 and 2" if self.instances > 1 else "through nginx"))

        with r.check("sign-in lockout keyed on the client's address") as note:
            self.check_lockout(note)

        with r.check("rate limit keyed on the client's address") as note:
            self.check_rate_limit(note)

        with r.check(f"idle connections: {IDLE_TO_NGINX} to nginx, {IDLE_PER_GUNICORN} per gunicorn") as note:
            self.check_idle_connections(note)

        with r.check("/healthz 503 and the outage page without a database") as note:
            browser = self.client(2, self.nginx_down)
            started = time.monotonic()
            health = browser.get("/healthz", timeout=15)
            seconds = time.monotonic() - started
            expect(health.status == 503, f"/healthz HTTP {health.status}")
            desk = browser.get("/desk/", timeout=15)
            expect(desk.status == 503 and desk.header("Retry-After") == "30", f"/desk/ HTTP {desk.status}")
            note.append(f"503 in {seconds:.1f}s, {health.text}")

        with r.check("scheduled jobs: escalate_overdue, verify_log, customer_care") as note:
            for unit in ("lobby-escalate.service", "lobby-verify-log.service", "lobby-customer-care.service"):
                subprocess.run(unit_command(unit), cwd=ROOT, env=self.env, check=True, capture_output=True)
            note.append("all exit 0")

        with r.check("backup.sh, then restore.sh into a new database") as note:
            backup = self.folder / "backup" / "lobby.pgdump"
            subprocess.run([*unit_command("lobby-backup.service"), str(backup)], cwd=ROOT, env=self.env,
                           check=True, capture_output=True)  # fmt: skip
            restored = f"{self.database}_restore"
            self.databases.append(restored)
            result = subprocess.run(["scripts/restore.sh", str(backup), f"{self.postgres}/{restored}"],
                                    cwd=ROOT, env=self.env, capture_output=True, text=True)  # fmt: skip
            expect(result.returncode == 0, (result.stdout + result.stderr)[-500:])
            note.append(f"{backup.stat().st_size} bytes, audit chain verified on the copy")

        with r.check("no server errors, every process still up") as note:
            expect(not self.processes.dead(), f"exited: {', '.join(self.processes.dead())}")
            errors = [
                path.name
                for path in self.folder.glob("gunicorn-*.log")
                if "Internal Server Error" in path.read_text(errors="replace")
                or "Traceback" in path.read_text(errors="replace")
            ]
            expect(not errors, f"errors logged in {', '.join(errors)}")
            note.append(f"{len(self.processes.started)} processes")

    def walk_in(self, kiosk: Browser, name: str, targets: list[Endpoint] | None = None) -> int:
        """A visitor registers at the kiosk; returns how many visits they have.
        With `targets`, the form is sent to each at once (a double tap)."""
        start = kiosk.get("/kiosk/")
        expect(start.status == 200, f"kiosk start: HTTP {start.status}")
        form = kiosk.get("/kiosk/walk-in/")
        csrf, key = CSRF_INPUT.search(form.text), KEY_INPUT.search(form.text)
        expect(csrf is not None and key is not None, f"walk-in form: HTTP {form.status}")
        hosts = kiosk.get("/kiosk/walk-in/hosts/?host_search=Sun+Li")
        host = HOST_TOKEN.search(hosts.text)
        expect(host is not None, f"host search: HTTP {hosts.status}, no host found")
        data = {
            "full_name": name,
            "company": "Loopback Ltd",
            "phone": f"139{random.randint(10_000_000, 99_999_999)}",
            "party_size": "1",
            "host_search": "Sun Li",
            "host": host.group(1),
            "accept_privacy": "on",
            "submission_key": key.group(1),
            "csrfmiddlewaretoken": csrf.group(1),
        }
        if 'name="signature_data"' in form.text:
            # The demo's walk-ins sign an NDA (issue #19): a typed name and a
            # line drawn in the box, as the tablet's canvas sends it.
            data.update(signed_name=name, signature_data=drawn_signature())
        answers: list = []

        def submit(endpoint: Endpoint) -> None:
            twin = Browser(kiosk.endpoint, kiosk.source, kiosk.origin)
            twin.cookies = dict(kiosk.cookies)
            try:
                answers.append(twin.post("/kiosk/walk-in/", data, via=endpoint).status)
            except Exception as error:  # noqa: BLE001 - reported below
                answers.append(repr(error))

        threads = [threading.Thread(target=submit, args=(endpoint,)) for endpoint in (targets or [kiosk.endpoint])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        expect(all(answer == 302 for answer in answers), f"walk-in answered {answers}")
        return self.query(
            "SELECT count(*) FROM visitors_visit v JOIN visitors_visitor p ON p.id = v.visitor_id "
            "WHERE p.full_name = %s",
            [name],
        )[0][0]

    def alternating(self) -> list[Endpoint]:
        """Where repeated requests go: each gunicorn in turn, or nginx."""
        return self.apps if self.instances > 1 else [self.nginx]

    def check_lockout(self, note: list[str]) -> None:
        """Five wrong passwords for `security` from one address lock that
        address out, even with the right password and a forged
        X-Forwarded-For; another address still signs in (R4.1)."""
        intruder, colleague = self.client(3), self.client(4)
        forged = {"X-Forwarded-For": "198.51.100.7"}  # a header value only; nothing is sent there
        targets = self.alternating()
        for attempt in range(5):
            endpoint = targets[attempt % len(targets)]
            response = intruder.sign_in(
                "security", "wrong password", via=endpoint, headers={} if endpoint.as_proxy else forged
            )
            # The fifth may already answer with the lockout page.
            expect(response.status in (200, 429), f"wrong password #{attempt + 1}: HTTP {response.status}")
        addresses = {
            str(a) for (a,) in self.query("SELECT ip_address FROM axes_accessattempt WHERE username = 'security'")
        }
        expect(addresses == {intruder.source}, f"failures recorded for {addresses}")
        locked = intruder.sign_in("security", "lobby-demo", headers=forged)
        expect(locked.status == 429, f"right password after five wrong ones: HTTP {locked.status}, not locked out")
        other = colleague.sign_in("security", "lobby-demo")
        expect(other.status == 302, f"another address: HTTP {other.status}, locked out too")
        where = "alternating gunicorn 1 and 2" if self.instances > 1 else "through nginx, X-Forwarded-For forged"
        note.append(f"locked at {intruder.source} ({where}); {colleague.source} signs in")

    def check_rate_limit(self, note: list[str]) -> None:
        """The invitation pages take 30 POSTs a minute from one address; the
        31st is refused, whichever instance it reaches; another address is not."""
        window = 60
        if window - time.time() % window < 10:  # the count starts afresh each minute
            time.sleep(window - time.time() % window + 0.5)
        sender, bystander = self.client(5), self.client(6)
        _, token = sender.form_token("/accounts/login/")
        targets = self.alternating()
        answers = []
        for attempt in range(31):
            endpoint = targets[attempt % len(targets)]
            answers.append(sender.post("/i/not-a-real-link/", {"csrfmiddlewaretoken": token}, via=endpoint).status)
        expect(429 not in answers[:30], f"refused too early: {answers}")
        expect(answers[30] == 429, f"31st POST answered {answers[30]}")
        again = sender.post(
            "/i/not-a-real-link/", {"csrfmiddlewaretoken": token}, headers={"X-Forwarded-For": "198.51.100.8"}
        )
        expect(again.status == 429, f"a forged X-Forwarded-For escaped the limit: HTTP {again.status}")
        _, other_token = bystander.form_token("/accounts/login/")
        other = bystander.post("/i/not-a-real-link/", {"csrfmiddlewaretoken": other_token})
        expect(other.status != 429, "another address was refused too")
        note.append(f"31st refused ({'alternating instances' if self.instances > 1 else 'through nginx'}); "
                    f"{bystander.source} unaffected")  # fmt: skip

    def check_idle_connections(self, note: list[str]) -> None:
        idle: list[socket.socket] = []
        try:
            for port in [self.https_port] * IDLE_TO_NGINX + self.app_ports * IDLE_PER_GUNICORN:
                sock = socket.create_connection((HOST, port), timeout=5, source_address=(f"{self.net}.8", 0))
                idle.append(sock)
            time.sleep(0.5)
            timings = []
            for _ in range(3):
                started = time.monotonic()
                response = self.client(2).get("/healthz", timeout=5)
                timings.append(time.monotonic() - started)
                expect(response.status == 200, f"/healthz HTTP {response.status}")
            note.append(f"{len(idle)} held; /healthz 200 in {', '.join(f'{t * 1000:.0f}' for t in timings)} ms")
        finally:
            for sock in idle:
                sock.close()


# --- main --------------------------------------------------------------------------


def find_nginx() -> str | None:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("installing Debian's nginx (its service is not started)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "RUNLEVEL": "1"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], env=env, check=False, stdout=subprocess.DEVNULL)
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def drawn_signature() -> str:
    """A signature as the kiosk's canvas sends it: a PNG data URL with a line
    drawn across a white box."""
    import base64
    import io

    from PIL import Image, ImageDraw

    box = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(box).line([(20, 70), (120, 30), (200, 75), (280, 25)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    box.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=1, choices=[1, 2, 3, 4])
    args = parser.parse_args(argv)
    nginx = find_nginx()
    if nginx is None:
        message = "SKIPPED: nginx is not installed, and installing it needs root (apt-get install nginx)"
        print(f"prod-check: {message}")
        return 1 if os.environ.get("CI") else 0
    redis = None
    if args.instances > 1:
        redis = os.environ.get("PRODCHECK_REDIS", "redis://127.0.0.1:6379/14")

    # A CI time-out or kill sends SIGTERM: stop what was started on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = Results()
    folder = Path(tempfile.mkdtemp(prefix="lobby-prodcheck-"))
    stack = Stack(instances=args.instances, folder=folder, results=results)
    started = time.monotonic()
    try:
        with results.check(
            f"stack up: {args.instances} gunicorn, worker, nginx, PostgreSQL" + (", Redis" if redis else "")
        ) as note:
            stack.certificate()
            stack.environment(redis)
            stack.release()
            stack.start_app()
            stack.start_nginx(nginx)
            note.append(f"https://{HOST}:{stack.https_port}, ready in {time.monotonic() - started:.0f}s")
        if results.ok:
            stack.check_all()
    finally:
        stack.stop()
    print(results.table())
    print(f"({time.monotonic() - started:.0f}s; logs and configuration in {folder})")
    if results.ok:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if results.ok else 1


if __name__ == "__main__":
    sys.exit(main())
