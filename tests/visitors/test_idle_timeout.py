"""R4.1: a desk left alone signs itself out after IDLE_TIMEOUT_MINUTES; the
dashboard's own polling does not keep it signed in."""

from datetime import timedelta

import pytest

from tests.visitors.desk import DAYTIME


@pytest.fixture(autouse=True)
def daytime(time_machine, settings):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def signed_in(client, clerk):
    client.post("/accounts/login/", {"username": "clerk", "password": "correct-horse-battery"})
    assert client.get("/desk/").status_code == 200
    return client


def test_a_desk_idle_longer_than_the_timeout_is_signed_out(signed_in, time_machine, settings):
    settings.IDLE_TIMEOUT_MINUTES = 30
    time_machine.move_to("2026-11-27 10:31:00+08:00", tick=False)

    response = signed_in.get("/desk/register/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/desk/register/"
    assert "_auth_user_id" not in signed_in.session
    assert signed_in.get("/desk/").status_code == 302  # still signed out


def test_activity_within_the_timeout_keeps_the_desk_signed_in(signed_in, time_machine, settings):
    settings.IDLE_TIMEOUT_MINUTES = 30
    for minute in (20, 40, 59):  # each real request restarts the clock
        time_machine.move_to(f"2026-11-27 10:{minute}:00+08:00", tick=False)
        assert signed_in.get("/desk/").status_code == 200


def test_the_dashboards_polling_does_not_keep_an_idle_desk_signed_in(signed_in, time_machine, settings):
    settings.IDLE_TIMEOUT_MINUTES = 30
    for minute in (10, 20, 29):
        time_machine.move_to(f"2026-11-27 10:{minute}:00+08:00", tick=False)
        assert signed_in.get("/desk/live/", headers={"HX-Request": "true"}).status_code == 200
    time_machine.move_to("2026-11-27 10:31:00+08:00", tick=False)

    poll = signed_in.get("/desk/live/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/desk/"})

    # htmx follows HX-Redirect with a full page load, so the whole screen locks.
    assert poll["HX-Redirect"] == "/accounts/login/?next=/desk/"
    assert "_auth_user_id" not in signed_in.session
    login = signed_in.get(poll["HX-Redirect"])
    assert "The desk signed itself out after 30 idle minutes (R4.1)." in login.content.decode()


def test_the_timeout_is_configurable(signed_in, time_machine, settings):
    settings.IDLE_TIMEOUT_MINUTES = 5
    time_machine.move_to("2026-11-27 10:04:00+08:00", tick=False)
    assert signed_in.get("/desk/").status_code == 200

    time_machine.move_to("2026-11-27 10:09:30+08:00", tick=False)

    response = signed_in.get("/desk/", follow=True)
    assert response.redirect_chain == [("/accounts/login/?next=/desk/", 302)]
    assert "The desk signed itself out after 5 idle minutes (R4.1)." in response.content.decode()


def test_the_login_page_names_the_timeout(client, db):
    assert "signs itself out after 30 idle minutes" in client.get("/accounts/login/").content.decode()


def test_activity_is_kept_to_the_minute_so_a_busy_desk_does_not_write_its_session_on_every_page(
    signed_in, time_machine, settings
):
    """R4.1 to the minute: within a minute of the last recorded activity a page
    leaves the session alone (with cached_db sessions each write is a commit)."""
    settings.IDLE_TIMEOUT_MINUTES = 30
    recorded = signed_in.session["lobby_last_activity"]

    time_machine.move_to("2026-11-27 10:00:40+08:00", tick=False)
    assert signed_in.get("/desk/register/").status_code == 200
    assert signed_in.session["lobby_last_activity"] == recorded

    time_machine.move_to("2026-11-27 10:01:00+08:00", tick=False)
    assert signed_in.get("/desk/register/").status_code == 200
    assert signed_in.session["lobby_last_activity"] == recorded + 60

    # Idle for the whole timeout after the last recorded minute: signed out.
    time_machine.move_to("2026-11-27 10:31:01+08:00", tick=False)
    assert signed_in.get("/desk/register/").status_code == 302


def test_the_dashboards_polling_writes_nothing_and_a_click_moves_the_sessions_expiry(signed_in, time_machine, settings):
    """Only real activity saves the session (once a minute), and each save
    moves its expiry on by the timeout: polls leave the stored session alone."""
    from django.contrib.sessions.models import Session

    key = signed_in.session.session_key
    stored = Session.objects.get(pk=key)

    time_machine.move_to("2026-11-27 10:05:00+08:00", tick=False)
    assert signed_in.get("/desk/live/", headers={"HX-Request": "true"}).status_code == 200
    assert Session.objects.get(pk=key).session_data == stored.session_data
    assert Session.objects.get(pk=key).expire_date == stored.expire_date

    assert signed_in.get("/desk/").status_code == 200
    assert Session.objects.get(pk=key).expire_date == stored.expire_date + timedelta(minutes=5)
