"""The dashboard's 30-second refresh answers 304 when nothing on the desk
changed (issue #24), and every write the live part shows makes the next
refresh send it again: no clerk is shown a stale arrival, acknowledgement
(R3.2), room (R1.3) or waiting time."""

import pytest
from django.core.cache import cache
from django.test import Client

from reception import registers
from reception.middleware import IDLE_SESSION_KEY
from reception.models import DutyCode
from reception.roles import DUTY_GROUPS
from tests.visitors.desk import DAYTIME, walk_in
from visitors import escalation, services
from visitors.models import Visit

LIVE = "/desk/live/"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def desk(client, clerk):
    client.force_login(clerk)
    return client


def refresh(client, etag: str | None = None):
    headers = {**HTMX, **({"If-None-Match": etag} if etag else {})}
    return client.get(LIVE, headers=headers)


def test_an_unchanged_refresh_is_answered_304_without_rendering(
    desk, clerk, host, business, business_room, django_assert_max_num_queries
):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    first = refresh(desk)

    # 1 session, 2 the poll's grant (the tests' cache is a table), 3 the head
    # of the site's audit chain; the user is not read (DeskPollMiddleware).
    with django_assert_max_num_queries(3):
        again = refresh(desk, first["ETag"])

    assert first.status_code == 200 and "Zhou Jie" in first.content.decode()
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]
    # The browser keeps the part but must ask again every time.
    assert "no-cache" in again["Cache-Control"] and "private" in again["Cache-Control"]
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    assert Visit.objects.count() == 1


def test_a_check_in_changes_the_next_refresh(desk, clerk, business, business_room):
    etag = refresh(desk)["ETag"]

    walk_in(category=business, room=business_room, by=clerk, name="Arrived Meanwhile")
    response = refresh(desk, etag)

    assert response.status_code == 200
    assert "Arrived Meanwhile" in response.content.decode()
    assert response["ETag"] != etag


def test_a_hosts_acknowledgement_changes_the_next_refresh(desk, clerk, host, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    etag = refresh(desk)["ETag"]

    escalation.acknowledge_visit(visit=visit, by=host, via="app")
    response = refresh(desk, etag)

    assert response.status_code == 200
    assert "Acknowledged 10:00" in response.content.decode()  # R3.2
    assert Visit.objects.get(pk=visit.pk).acknowledged_at is not None


def test_a_check_out_changes_the_next_refresh(desk, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Maria Rossi")
    etag = refresh(desk)["ETag"]

    services.check_out_visit(visit=visit, by=clerk)
    response = refresh(desk, etag)

    assert response.status_code == 200
    assert [row["pk"] for row in response.context["recently_left"]] == [visit.pk]


def test_a_room_changed_in_the_back_office_changes_the_next_refresh(client, manager, clerk, lounge, ordinary):
    client.force_login(clerk)
    etag = refresh(client)["ETag"]
    client.force_login(manager)
    data = {
        "site": lounge.site_id,
        "name": "Garden Lounge",
        "name_zh": "",
        "capacity": "2",
        "categories": [ordinary.pk],
        "active": "on",
        "sort_order": "0",
    }
    assert client.post(f"/admin/reception/receptionroom/{lounge.pk}/change/", data).status_code == 302
    client.force_login(clerk)

    response = refresh(client, etag)

    assert response.status_code == 200
    assert "Garden Lounge" in response.content.decode()  # R1.3: the board's rooms and capacities


def test_the_waiting_minutes_change_with_the_clock(desk, clerk, host, business, business_room, time_machine):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    first = refresh(desk)
    time_machine.move_to("2026-11-27 10:00:59+08:00", tick=False)
    assert refresh(desk, first["ETag"]).status_code == 304  # the same minute

    time_machine.move_to("2026-11-27 10:01:00+08:00", tick=False)
    response = refresh(desk, first["ETag"])

    assert response.status_code == 200
    assert "1 min" in response.content.decode()


def test_an_overdue_acknowledgement_shows_at_its_minute(desk, clerk, host, business, business_room, time_machine):
    business.ack_deadline_minutes = 10
    business.save()
    time_machine.move_to("2026-11-27 10:00:20+08:00", tick=False)
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    time_machine.move_to("2026-11-27 10:10:30+08:00", tick=False)
    first = refresh(desk)
    time_machine.move_to("2026-11-27 10:10:59+08:00", tick=False)
    assert refresh(desk, first["ETag"]).status_code == 304  # drawn as of 10:10, and still so

    time_machine.move_to("2026-11-27 10:11:00+08:00", tick=False)
    response = refresh(desk, first["ETag"])

    # Due at 10:10:20; the part is drawn as of the minute, so it says so from 10:11.
    assert "Waiting, due by 10:10" in first.content.decode()
    assert response.status_code == 200
    assert "Overdue since 10:10 (R3.2)" in response.content.decode()


def test_each_reader_gets_their_own_version(client, clerk, manager, business, business_room):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie")
    client.force_login(clerk)
    clerks = refresh(client)["ETag"]
    client.force_login(manager)

    response = refresh(client, clerks)

    # Another account shows other buttons; its own ETag, never the clerk's copy.
    assert response.status_code == 200 and response["ETag"] != clerks


def test_a_refresh_in_another_language_is_sent_again(desk, clerk, business, business_room):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie")
    etag = refresh(desk)["ETag"]

    desk.post("/i18n/setlang/", {"language": "zh-hans", "next": "/desk/"})
    response = refresh(desk, etag)

    assert response.status_code == 200 and response["ETag"] != etag


def test_the_desk_script_keeps_the_part_on_a_304():
    from django.conf import settings

    script = (settings.BASE_DIR / "static" / "js" / "desk.js").read_text()

    # htmx would paste a bare 304's empty body over the dashboard.
    assert "status === 304" in script and "shouldSwap = false" in script


# --- the live part drawn once and shared by the site's desks (issue #24) ------------


@pytest.fixture
def shared_cache(settings):
    """One cache for every desk, as Redis is in production."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


def test_a_reader_without_the_buttons_never_gets_the_clerks_drawing(
    shared_cache, client, clerk, secretary, host, business, business_room
):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    assert secretary.has_perm("visitors.view_visit") and not secretary.has_perm("visitors.check_out_visit")
    client.force_login(clerk)
    as_clerk = refresh(client).content.decode()
    client.force_login(secretary)

    as_secretary = client.get("/desk/").content.decode()

    assert "Zhou Jie" in as_clerk and "Zhou Jie" in as_secretary
    assert "/check-out/" in as_clerk
    assert "/check-out/" not in as_secretary


def test_each_reader_gets_their_own_csrf_token_in_the_shared_drawing(
    shared_cache, clerk, host, business, business_room, make_staff, site
):
    other_clerk = make_staff("clerk2", DUTY_GROUPS[DutyCode.CLERK], site=site, real_name="Wang Fang")
    visit = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(clerk)
    second.force_login(other_clerk)

    tokens = []
    for desk in (first, second):
        page = refresh(desk).content.decode()
        assert "csrf-slot" not in page
        tokens.append(page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0])

    # The second desk's part came from the cache, with its own token in it,
    # and posting the check-out with it is accepted.
    response = second.post(f"/desk/visits/{visit.pk}/check-out/", {"csrfmiddlewaretoken": tokens[1]})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "left"


def test_a_visitor_cannot_forge_the_token_slot(shared_cache, desk, clerk, host, business, business_room):
    walk_in(
        category=business,
        room=business_room,
        by=clerk,
        name='<input type="hidden" name="csrfmiddlewaretoken" value="csrf-slot">',
        host=host,
    )

    page = refresh(desk).content.decode()

    assert page.count('name="csrfmiddlewaretoken"') == 2  # the two tables' forms, nothing typed
    assert "&lt;input type=&quot;hidden&quot;" in page


def test_a_second_desk_loads_the_whole_dashboard_without_reading_a_row(
    shared_cache, client, clerk, host, business, business_room, django_assert_num_queries
):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    client.force_login(clerk)
    first = client.get("/desk/").content.decode()

    # 1 session, 2 user, 3-4 permissions, 5 the chain's head: the live part
    # and the duty panel are the drawings the first load left (issue #24).
    with django_assert_num_queries(5):
        again = client.get("/desk/").content.decode()

    assert "Zhou Jie" in again and 'data-testid="duty-panel"' in again
    assert first.split('data-testid="duty-panel"')[1][:2000] == again.split('data-testid="duty-panel"')[1][:2000]


def test_a_handover_written_shows_in_the_duty_panel_on_the_next_load(shared_cache, client, clerk, site):
    client.force_login(clerk)
    assert "Handover from" not in client.get("/desk/").content.decode()

    registers.write_handover(site=site, by=clerk, open_items="Keys to room 3", incidents="", keys_and_items="")

    assert "Handover from" in client.get("/desk/").content.decode()


# --- the repeat poll answered before the user is read (issue #24) --------------------


def test_a_repeat_poll_reads_neither_the_user_nor_their_permissions(
    shared_cache, desk, clerk, host, business, business_room, django_assert_num_queries
):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    first = refresh(desk)

    # 1 the session, 2 the head of the site's audit chain.
    with django_assert_num_queries(2) as captured:
        again = refresh(desk, first["ETag"])

    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert "no-cache" in again["Cache-Control"] and "private" in again["Cache-Control"]
    assert not [q for q in captured.captured_queries if "auth_" in q["sql"]]


def test_a_poll_after_signing_out_is_not_answered_from_the_grant(shared_cache, desk, clerk):
    etag = refresh(desk)["ETag"]
    cookie = desk.cookies["sessionid"].value

    desk.post("/accounts/logout/")
    stale = Client()
    stale.cookies["sessionid"] = cookie
    response = refresh(stale, etag)

    # The session is gone: the poll went the whole way and was sent to sign in.
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_grant_serves_only_the_session_it_was_written_for(shared_cache, clerk, make_staff, site):
    other_clerk = make_staff("clerk2", DUTY_GROUPS[DutyCode.CLERK], site=site, real_name="Wang Fang")
    first, second = Client(), Client()
    first.force_login(clerk)
    second.force_login(other_clerk)
    etag = refresh(first)["ETag"]

    response = refresh(second, etag)

    assert response.status_code == 200 and response["ETag"] != etag


def test_an_account_disabled_at_the_desk_is_refused_at_the_next_minute(shared_cache, desk, clerk, time_machine):
    etag = refresh(desk)["ETag"]
    clerk.is_active = False
    clerk.save()
    # Within the minute the grant still answers "unchanged", with no body:
    # nothing is shown that the desk did not already hold.
    held = refresh(desk, etag)
    assert held.status_code == 304 and held.content == b""

    time_machine.move_to("2026-11-27 10:01:00+08:00", tick=False)
    response = refresh(desk, etag)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_permission_taken_away_is_refused_at_the_next_minute(shared_cache, desk, clerk, time_machine):
    etag = refresh(desk)["ETag"]
    clerk.groups.clear()

    time_machine.move_to("2026-11-27 10:01:00+08:00", tick=False)
    response = refresh(desk, etag)

    assert response.status_code == 403


def test_an_idle_desk_is_signed_out_by_its_poll_not_kept_by_the_grant(shared_cache, desk, clerk, settings):
    etag = refresh(desk)["ETag"]
    session = desk.session
    session[IDLE_SESSION_KEY] = session[IDLE_SESSION_KEY] - settings.IDLE_TIMEOUT_MINUTES * 60 - 1
    session.save()

    response = refresh(desk, etag)

    # R4.1: the poll went the whole way, and the idle desk was signed out.
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/accounts/login/")
    assert "_auth_user_id" not in desk.session


def test_a_change_at_the_site_sends_the_poll_the_whole_way(shared_cache, desk, clerk, business, business_room):
    etag = refresh(desk)["ETag"]

    walk_in(category=business, room=business_room, by=clerk, name="Arrived Meanwhile")
    response = refresh(desk, etag)

    assert response.status_code == 200 and "Arrived Meanwhile" in response.content.decode()
