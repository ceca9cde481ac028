"""Database outage (issue #6 quality bar): with the database stopped every page
answers 503 within 5 seconds, and when it returns the next request succeeds and
nothing written before is lost.

The PostgreSQL tests run the app under gunicorn against a throwaway cluster of
their own (initdb on a free port), so stopping it disturbs nobody else.
"""

import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from reception.models import Site
from tests.conftest import PASSWORD, _required

ROOT = Path(__file__).resolve().parents[2]
HOST = "lobby.test"
OUTAGE_LIMIT_SECONDS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(**values) -> dict:
    # Only what a server's environment would hold: nothing leaks in from the
    # test run (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, for one).
    return {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{HOST},testserver",
        "BEHIND_PROXY": "1",
        "SITE_URL": f"https://{HOST}",
        **values,
    }


def manage(env, *args, timeout=120):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# Production settings, except that templates link static files without the
# collectstatic manifest (these tests do not run collectstatic).
WITHOUT_STATIC_MANIFEST = """
from config.settings import *  # noqa: F403
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
"""


def without_static_manifest(directory: Path, env: dict) -> dict:
    (directory / "outage_settings.py").write_text(WITHOUT_STATIC_MANIFEST)
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "outage_settings",
        "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT)]),
    }


# --- the 503 page itself -------------------------------------------------------


def assert_outage_page(status, headers, body):
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "no-store" in headers["Cache-Control"]
    assert "The desk is briefly unavailable" in body
    assert "前台系统暂时无法使用" in body
    assert re.search(r'<link rel="stylesheet" href="/static/css/error(\.[0-9a-f]+)?\.css">', body)


REQUESTS_IN_A_SUBPROCESS = """
import json, time
from django.test import Client
client = Client(HTTP_HOST="lobby.test", HTTP_X_FORWARDED_PROTO="https")
client.cookies["sessionid"] = "a-session-from-before-the-outage"
results = []
for method, url in [("get", "/healthz"), ("get", "/"), ("get", "/accounts/login/"), ("get", "/desk/"),
                    ("post", "/accounts/login/")]:
    started = time.monotonic()
    response = getattr(client, method)(url, {"username": "clerk", "password": "x"} if method == "post" else None)
    results.append({
        "url": f"{method.upper()} {url}",
        "status": response.status_code,
        "seconds": time.monotonic() - started,
        "headers": dict(response.headers),
        "body": response.content.decode(),
    })
print(json.dumps(results))
"""


def requests_in_a_subprocess(env):
    return json.loads(manage(env, "shell", "-c", REQUESTS_IN_A_SUBPROCESS, timeout=120).strip().splitlines()[-1])


def assert_every_page_answers_503_quickly(results):
    assert [r["url"] for r in results] == [
        "GET /healthz",
        "GET /",
        "GET /accounts/login/",
        "GET /desk/",
        "POST /accounts/login/",
    ]
    health, *pages = results
    assert health["status"] == 503
    assert json.loads(health["body"]) == {"status": "unavailable", "database": "unreachable"}
    for page in pages:
        assert page["status"] == 503, page["url"]
        assert_outage_page(page["status"], page["headers"], page["body"])
    assert max(r["seconds"] for r in results) < OUTAGE_LIMIT_SECONDS, [(r["url"], r["seconds"]) for r in results]


def test_sqlite_in_a_missing_directory_answers_503_not_500(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'gone' / 'lobby.sqlite3'}")

    assert_every_page_answers_503_quickly(requests_in_a_subprocess(env))


def test_sqlite_answers_again_once_its_directory_is_back(tmp_path):
    database = tmp_path / "restored" / "lobby.sqlite3"
    env = without_static_manifest(tmp_path, production_env(DATABASE_URL=f"sqlite:///{database}"))
    before = requests_in_a_subprocess(env)
    database.parent.mkdir()
    manage(env, "migrate", "-v0")

    after = requests_in_a_subprocess(env)

    assert {r["status"] for r in before} == {503}
    statuses = {r["url"]: r["status"] for r in after}
    assert statuses["GET /healthz"] == 200
    assert statuses["GET /"] == 302
    assert statuses["GET /desk/"] == 302  # the unknown session is simply signed out
    assert statuses["GET /accounts/login/"] == 200
    assert statuses["POST /accounts/login/"] == 200  # the form again: wrong password


# --- a database that fails in the middle of a request ------------------------


def view_whose_query_the_database_gives_up_on(request):
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")
        else:
            cursor.execute("SELECT * FROM lobby_table_that_went_away")
    return HttpResponse("not reached")


def view_that_breaks_a_constraint(request):
    with transaction.atomic():
        Site.objects.create(name="Twice", slug="twice-1")
        Site.objects.create(name="Twice", slug="twice-2")
    return HttpResponse("not reached")


urlpatterns = [
    path("test/gives-up/", view_whose_query_the_database_gives_up_on),
    path("test/constraint/", view_that_breaks_a_constraint),
    *project_urlpatterns,
]
handler500 = "reception.error_pages.server_error"


@pytest.mark.urls(__name__)
def test_a_database_that_gives_up_in_the_middle_of_a_request_answers_503(client, clerk):
    client.force_login(clerk)
    client.raise_request_exception = False

    response = client.get("/test/gives-up/")

    assert_outage_page(response.status_code, response.headers, response.content.decode())
    assert response["Content-Security-Policy"]


@pytest.mark.urls(__name__)
def test_a_broken_constraint_is_still_a_500_not_an_outage(client, clerk):
    client.force_login(clerk)
    client.raise_request_exception = False

    response = client.get("/test/constraint/")

    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert "Retry-After" not in response
    assert not Site.objects.filter(name="Twice").exists()


# --- PostgreSQL, stopped for real ----------------------------------------------


def postgres_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if versions:
        return versions[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def as_postgres(command):
    """initdb and postgres refuse to run as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    def __init__(self, bin_dir: Path, directory: Path):
        self.bin = bin_dir
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.socket_dir = directory
        self.port = free_port()

    def run(self, *command, check=True):
        return subprocess.run(
            as_postgres([str(self.bin / command[0]), *command[1:]]),
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def init(self):
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-instructions")

    def start(self):
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, check=True):
        # "immediate" is a crash: no shutdown checkpoint, recovery on restart.
        return self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=check)

    def is_running(self):
        return self.run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0


@pytest.fixture
def throwaway_cluster():
    bin_dir = postgres_bin()
    if bin_dir is None:
        if _required("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but initdb was not found (apt-get install postgresql)")
        pytest.skip("outage test: initdb not found, cannot start a throwaway PostgreSQL cluster")
    directory = Path(tempfile.mkdtemp(prefix="lobby-outage-"))
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(directory, postgres.pw_uid, postgres.pw_gid)
    cluster = Cluster(bin_dir, directory)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.data.exists() and cluster.is_running():
            cluster.stop(check=False)
        shutil.rmtree(directory, ignore_errors=True)


class Desk:
    """A browser at the desk: keeps its cookies, times every request."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, url, form=None):
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Origin": f"https://{HOST}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, url, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read().decode()
        finally:
            conn.close()
        seconds = time.monotonic() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response, content, seconds

    def get(self, url):
        return self.request("GET", url)

    def sign_in(self, username, password):
        _, _, page, _ = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request(
            "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )


COUNT_WHAT_WAS_SAVED = """
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from reception.models import Site
manager = get_user_model().objects.get(username="manager")
print(Site.objects.filter(name="River Branch").count(), Session.objects.count(), manager.last_login is not None)
"""


@pytest.fixture
def lobby_server(throwaway_cluster, tmp_path):
    # As production runs it: DEBUG=0, persistent health-checked connections.
    env = without_static_manifest(
        tmp_path,
        production_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{throwaway_cluster.port}/lobby", CONN_MAX_AGE="60"),
    )
    throwaway_cluster.run("createdb", "-h", "127.0.0.1", "-p", str(throwaway_cluster.port), "-U", "postgres", "lobby")
    manage(env, "migrate", "-v0")
    manage(env, "createcachetable")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; from reception.models import Site; "
        f"get_user_model().objects.create_superuser('manager', 'manager@lobby.test', {PASSWORD!r}); "
        "Site.objects.create(name='River Branch', slug='river')",
    )
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "w")  # closed in the finally below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if Desk(port).get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        server.env = env
        server.port = port
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.mark.postgres
def test_a_stopped_postgresql_answers_503_quickly_and_nothing_is_lost(lobby_server, throwaway_cluster):
    desk = Desk(lobby_server.port)
    assert desk.sign_in("manager", PASSWORD)[0] == 302
    assert desk.get("/admin/")[0] == 200

    throwaway_cluster.stop()
    during = {url: desk.get(url) for url in ["/healthz", "/accounts/login/", "/admin/", "/"]}
    newcomer = Desk(lobby_server.port)
    during["sign-in"] = newcomer.request("POST", "/accounts/login/", {"username": "manager", "password": PASSWORD})
    throwaway_cluster.start()
    first_after = desk.get("/admin/")

    for url, (status, response, content, seconds) in during.items():
        assert seconds < OUTAGE_LIMIT_SECONDS, (url, seconds)
        if url == "/healthz":
            assert status == 503
            assert json.loads(content)["database"] == "unreachable"
        else:
            assert_outage_page(status, response.headers, content)
    # The very next request, on the same signed-in session, works again.
    assert first_after[0] == 200
    assert "River Branch" in desk.get("/admin/reception/site/")[2]
    assert desk.get("/healthz")[0] == 200
    assert Desk(lobby_server.port).get("/accounts/login/")[0] == 200
    saved = manage(lobby_server.env, "shell", "-c", COUNT_WHAT_WAS_SAVED).strip().splitlines()[-1].split()
    # the site, the one signed-in session (none from the sign-in during the outage), last login
    assert saved == ["1", "1", "True"]


@pytest.mark.postgres
def test_a_database_that_does_not_answer_gives_503_within_5_seconds():
    # A listener that never speaks: a hung or unreachable server, where only
    # connect_timeout (3 s) stops the wait.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        env = production_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{silent.getsockname()[1]}/lobby")

        results = requests_in_a_subprocess(env)

    assert_every_page_answers_503_quickly(results)
