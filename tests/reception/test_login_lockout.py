"""R4.1: five wrong passwords for one username from one address pause signing in
there for 15 minutes (django-axes); never a permanent lock."""

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import Client

from tests.conftest import PASSWORD

DESK = "10.0.0.11"
OTHER_DESK = "10.0.0.12"


@pytest.fixture
def morning(time_machine):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=False)
    return time_machine


def sign_in(client, username, password, url="/accounts/login/", **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def fail_five_times(client, username="clerk", **extra):
    for _ in range(4):
        response = sign_in(client, username, "wrong-password", **extra)
        assert response.status_code == 200  # the form again, with its error
        assert b"Please enter a correct username and password" in response.content
    fifth = sign_in(client, username, "wrong-password", **extra)
    assert fifth.status_code == 429  # the fifth failure already shows the lockout page
    return fifth


def is_signed_in(client):
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_that_user_at_that_address(clerk, morning):
    desk = Client(REMOTE_ADDR=DESK)
    fail_five_times(desk)

    response = sign_in(desk, "clerk", PASSWORD)

    assert response.status_code == 429
    assert b"Signing in is paused" in response.content
    assert b"You can try again at 10:15." in response.content
    assert response["Retry-After"] == "900"
    assert not is_signed_in(desk)
    attempt = AccessAttempt.objects.get(username="clerk", ip_address=DESK)
    assert attempt.failures_since_start == 5


def test_four_wrong_passwords_do_not_lock_and_a_success_forgets_them(clerk, morning):
    desk = Client(REMOTE_ADDR=DESK)
    for _ in range(4):
        sign_in(desk, "clerk", "wrong-password")
    assert AccessAttempt.objects.get(username="clerk").failures_since_start == 4

    response = sign_in(desk, "clerk", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(desk)
    assert not AccessAttempt.objects.filter(username="clerk").exists()
    assert not AccessLog.objects.exists()  # successful sign-ins leave no address log behind (R4.1)


def test_the_same_user_can_still_sign_in_from_another_address(clerk, morning):
    fail_five_times(Client(REMOTE_ADDR=DESK))
    other_desk = Client(REMOTE_ADDR=OTHER_DESK)

    response = sign_in(other_desk, "clerk", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(other_desk)
    assert AccessAttempt.objects.filter(username="clerk", ip_address=DESK).exists()


def test_another_user_can_still_sign_in_at_the_locked_address(clerk, night_officer, morning):
    fail_five_times(Client(REMOTE_ADDR=DESK), "clerk")
    desk = Client(REMOTE_ADDR=DESK)

    response = sign_in(desk, "night", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(desk)


def test_the_lock_lifts_after_15_minutes(clerk, morning):
    desk = Client(REMOTE_ADDR=DESK)
    fail_five_times(desk)

    morning.move_to("2026-11-27 10:14:59+08:00", tick=False)
    still_locked = sign_in(desk, "clerk", PASSWORD)
    morning.move_to("2026-11-27 10:15:01+08:00", tick=False)
    lifted = sign_in(desk, "clerk", PASSWORD)

    assert still_locked.status_code == 429
    assert still_locked["Retry-After"] == "1"
    assert lifted.status_code == 302
    assert is_signed_in(desk)
    assert not AccessAttempt.objects.filter(username="clerk").exists()


def test_tries_during_the_lock_do_not_extend_it(clerk, morning):
    desk = Client(REMOTE_ADDR=DESK)
    fail_five_times(desk)

    morning.move_to("2026-11-27 10:10:00+08:00", tick=False)
    for _ in range(10):
        assert sign_in(desk, "clerk", "another-guess").status_code == 429
    morning.move_to("2026-11-27 10:15:01+08:00", tick=False)
    response = sign_in(desk, "clerk", PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(desk)


def test_the_admin_sign_in_is_locked_too(manager, morning):
    desk = Client(REMOTE_ADDR=DESK)
    for _ in range(5):
        sign_in(desk, "manager", "wrong-password", url="/admin/login/")

    response = sign_in(desk, "manager", PASSWORD, url="/admin/login/")

    assert response.status_code == 429
    assert b"Signing in is paused" in response.content
    assert not is_signed_in(desk)


def test_behind_the_proxy_each_desk_is_counted_by_its_own_address(clerk, morning, settings):
    settings.BEHIND_PROXY = True
    # Both desks reach Django through the proxy at 127.0.0.1, which appends the
    # address it saw to X-Forwarded-For.
    desk = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=DESK)
    other_desk = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OTHER_DESK)
    fail_five_times(desk)

    locked = sign_in(desk, "clerk", PASSWORD)
    other = sign_in(other_desk, "clerk", PASSWORD)

    assert locked.status_code == 429
    assert other.status_code == 302
    assert AccessAttempt.objects.get(username="clerk").ip_address == DESK


def test_behind_the_proxy_a_forged_forwarded_address_does_not_dodge_the_lock(clerk, morning, settings):
    settings.BEHIND_PROXY = True
    attacker = Client(REMOTE_ADDR="127.0.0.1")
    for forged in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"]:
        sign_in(attacker, "clerk", "wrong-password", HTTP_X_FORWARDED_FOR=f"{forged}, {DESK}")

    response = sign_in(attacker, "clerk", PASSWORD, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {DESK}")

    assert response.status_code == 429
    assert AccessAttempt.objects.get(username="clerk").ip_address == DESK


def test_without_the_proxy_setting_forwarded_headers_are_ignored(clerk, morning):
    attacker = Client(REMOTE_ADDR=DESK)
    for forged in ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"]:
        sign_in(attacker, "clerk", "wrong-password", HTTP_X_FORWARDED_FOR=forged)

    response = sign_in(attacker, "clerk", PASSWORD, HTTP_X_FORWARDED_FOR="6.6.6.6")

    assert response.status_code == 429
    assert AccessAttempt.objects.get(username="clerk").ip_address == DESK


def test_signing_in_in_tests_with_force_login_still_works(client, clerk):
    client.force_login(clerk)

    assert client.get("/desk/").status_code == 200
    assert is_signed_in(client)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_an_overlong_username_is_a_form_error_not_a_lockout_entry(url, morning, db):
    # A username longer than any account's used to reach axes' varchar(255)
    # log, which PostgreSQL refused with a 500.
    response = sign_in(Client(REMOTE_ADDR=DESK), "x" * 300, "whatever", url=url)

    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()
