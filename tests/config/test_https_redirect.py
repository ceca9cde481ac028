"""Production redirects plain HTTP to HTTPS, except the health check, which a
monitor asks the app server for directly (issue #15)."""

import pytest


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True


def test_a_monitor_gets_the_health_check_over_plain_http(client, db, production):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("url", ["/accounts/login/", "/healthz/", "/healthz.json", "/admin/healthz"])
def test_every_other_page_is_redirected_to_https(client, db, production, url):
    response = client.get(url)

    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{url}"
