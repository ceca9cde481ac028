"""The stable URLs of the house: /, /accounts/login/, /admin/, /healthz, error pages."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_home_sends_visitors_to_login(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_home_sends_staff_to_the_desk(client, clerk):
    client.force_login(clerk)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/desk/"


def test_login_page_is_the_apps_own_and_signs_in(client, clerk):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b"Sign in to the front desk" in page.content

    response = client.post("/accounts/login/", {"username": "clerk", "password": "correct-horse-battery"})

    assert response.status_code == 302
    assert client.get("/desk/").status_code == 200


def test_login_page_speaks_chinese(client, db):
    client.cookies["django_language"] = "zh-hans"

    page = client.get("/accounts/login/")

    assert 'lang="zh-hans"' in page.content.decode()


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_unreachable():
    code = "from django.test import Client; r = Client().get('/healthz'); print(r.status_code, r.content.decode())"
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
        "DEBUG": "1",
        "ALLOWED_HOSTS": "testserver",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body)["database"] == "unreachable"


def test_unknown_pages_get_the_apps_404(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert b"There is nothing at this address" in response.content


@pytest.mark.parametrize("user_fixture", ["stranger", "host"])
def test_the_desk_is_403_without_a_desk_duty(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get("/desk/")

    assert response.status_code == 403
    assert b"Your duty does not include this page" in response.content


def test_the_desk_sends_anonymous_visitors_to_login(client, db):
    response = client.get("/desk/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/desk/")


def test_manager_reaches_the_back_office(client, manager):
    client.force_login(manager)

    for url in [
        "/admin/",
        "/admin/reception/visitorcategory/",
        "/admin/reception/receptionroom/",
        "/admin/reception/duty/",
        "/admin/reception/rosterentry/",
        "/admin/reception/site/",
        "/admin/visitors/visit/",
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "url", ["/desk/register/", "/desk/handover/new/", "/desk/lost-found/new/", "/desk/incidents/new/"]
)
@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_create_pages_answer_only_get_and_post(client, clerk, url, method):
    client.force_login(clerk)

    response = getattr(client, method)(url)

    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "POST"]
