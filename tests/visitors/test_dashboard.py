"""The dashboard (/desk/): expected today, on site with the R3.2 acknowledgement
state, the room board, recently left, and its self-refreshing part."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.visitors.desk import DAYTIME, expect, walk_in
from visitors import services
from visitors.dashboard import ROOM_NAMES_SHOWN
from visitors.models import Visit, VisitStatus


@pytest.fixture(autouse=True)
def daytime(time_machine, settings):
    time_machine.move_to(DAYTIME, tick=False)


def test_it_lists_who_is_expected_on_site_and_recently_left(
    client, clerk, host, business, business_room, lounge, ordinary
):
    expected = expect(
        category=business, room=business_room, by=clerk, expected_at="2026-11-27 14:30:00+08:00", name="Kenji Tanaka"
    )
    expect(
        category=business, room=business_room, by=clerk, expected_at="2026-11-28 09:00:00+08:00", name="Tomorrow Guest"
    )
    here = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host, party_size=3)
    gone = walk_in(category=ordinary, room=lounge, by=clerk, name="Maria Rossi")
    services.check_out_visit(visit=gone, by=clerk)
    client.force_login(clerk)

    response = client.get("/desk/")

    assert response.status_code == 200
    assert [v["pk"] for v in response.context["expected"]] == [expected.pk]
    assert [v["pk"] for v in response.context["on_site"]] == [here.pk]
    assert [v["pk"] for v in response.context["recently_left"]] == [gone.pk]
    page = response.content.decode()
    assert "14:30" in page  # the expected time in the site's local time
    assert "Sales-Sun Li" in page  # the host as Department-Name (R3.1)
    assert "Tomorrow Guest" not in page
    assert Visit.objects.filter(status=VisitStatus.ON_SITE).count() == 1


def test_the_category_column_names_the_category_with_its_letter(
    client, clerk, host, business, business_room, ordinary, lounge
):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host)
    expect(category=ordinary, room=lounge, by=clerk, expected_at="2026-11-27 14:30:00+08:00", name="Kenji Tanaka")
    client.force_login(clerk)

    page = client.get("/desk/live/", headers={"HX-Request": "true"}).content.decode()

    # Issue #16 item 8: "B" alone says little to a new clerk (R1.2).
    assert "<td>B · Business</td>" in page and "<td>C · Ordinary</td>" in page


def test_it_highlights_a_visit_whose_host_has_not_acknowledged_past_the_deadline(
    client, clerk, host, business, business_room, time_machine
):
    business.ack_deadline_minutes = 30
    business.save()
    late = walk_in(category=business, room=business_room, by=clerk, name="Waiting Long", host=host)
    time_machine.move_to("2026-11-27 10:20:00+08:00", tick=False)
    fresh = walk_in(category=business, room=business_room, by=clerk, name="Just Arrived", host=host)
    time_machine.move_to("2026-11-27 10:31:00+08:00", tick=False)
    client.force_login(clerk)

    response = client.get("/desk/")

    page = response.content.decode()
    late_row = page[page.index(f'data-visit="{late.pk}"') - 80 : page.index("Waiting Long")]
    fresh_row = page[page.index(f'data-visit="{fresh.pk}"') - 80 : page.index("Just Arrived")]
    assert 'class="overdue"' in late_row
    assert 'class="overdue"' not in fresh_row
    assert "Overdue since 10:30 (R3.2)" in page
    assert "Waiting, due by 10:50" in page
    assert "31 min" in page and "11 min" in page  # minutes waiting for the host


def test_an_acknowledged_visit_is_not_overdue(client, clerk, host, business, business_room, time_machine):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Met Already", host=host)
    Visit.objects.filter(pk=visit.pk).update(
        acknowledged_at=timezone.now() + timedelta(minutes=5), acknowledged_by=host
    )
    time_machine.move_to("2026-11-27 11:30:00+08:00", tick=False)
    client.force_login(clerk)

    page = client.get("/desk/").content.decode()

    assert "Acknowledged 10:05" in page
    assert "overdue" not in page.split("<tbody>")[1].split("</tbody>")[0]


def test_the_room_board_shows_occupancy_against_capacity(client, clerk, vip, business, culture_pavilion, business_room):
    walk_in(category=business, room=business_room, by=clerk, name="Party of five", party_size=5)
    walk_in(category=business, room=business_room, by=clerk, name="Party of three", party_size=3)
    walk_in(category=vip, room=culture_pavilion, by=clerk, name="Minister", party_size=2)
    client.force_login(clerk)

    response = client.get("/desk/live/")  # the live part alone: "board" is also the duty panel's

    board = {row["room"].name: row for row in response.context["board"]}
    assert board["Business Room"]["people"] == 8 and board["Business Room"]["full"]
    assert board["Culture Pavilion"]["people"] == 2 and board["Culture Pavilion"]["full"]  # exclusive use
    page = response.content.decode()
    assert "8 / 8" in page and "2 / 12" in page


def test_the_live_part_refreshes_without_the_page_around_it(client, clerk, business, business_room):
    client.force_login(clerk)
    page = client.get("/desk/").content.decode()
    assert 'hx-get="/desk/live/"' in page and 'hx-trigger="every 30s"' in page
    assert 'id="desk-filter"' in page  # the filter box sits outside the swapped part

    walk_in(category=business, room=business_room, by=clerk, name="Arrived Meanwhile")
    live = client.get("/desk/live/", headers={"HX-Request": "true"})

    assert live.status_code == 200
    assert "Arrived Meanwhile" in live.content.decode()
    assert "<html" not in live.content.decode() and "desk-filter" not in live.content.decode()


def test_it_shows_only_the_users_own_site(client, clerk, other_clerk, other_site, business, business_room):
    from reception.models import ReceptionRoom, VisitorCategory

    river = VisitorCategory.objects.create(site=other_site, code="B", name="Business")
    river_room = ReceptionRoom.objects.create(site=other_site, name="River Room", capacity=5, any_category=True)
    walk_in(category=river, room=river_room, by=other_clerk, name="River Guest")
    walk_in(category=business, room=business_room, by=clerk, name="Our Guest")
    client.force_login(clerk)

    page = client.get("/desk/").content.decode()

    assert "Our Guest" in page
    assert "River Guest" not in page and "River Room" not in page


def test_the_dashboard_remembers_chinese(client, clerk):
    client.force_login(clerk)

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/desk/"})
    page = client.get("/desk/").content.decode()

    assert 'lang="zh-hans"' in page


def test_queries_do_not_grow_with_200_visitors_on_site(
    client, clerk, host, business, ordinary, business_room, lounge, django_assert_num_queries, settings
):
    # Production keeps the cache in Redis, which costs no SQL; the tests' own
    # default (the database cache) would count its reads and writes here.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    business_room.capacity = 500
    business_room.save()
    lounge.capacity = 500
    lounge.save()
    for number in range(200):
        visit = walk_in(
            category=business if number % 2 else ordinary,
            room=business_room if number % 2 else lounge,
            by=clerk,
            name=f"Visitor {number}",
            host=host if number % 3 else None,
            company=f"Company {number}",
            party_size=1 + number % 3,
        )
        if number % 4 == 0:
            Visit.objects.filter(pk=visit.pk).update(acknowledged_at=timezone.now())
        if number % 50 == 0:
            services.check_out_visit(visit=visit, by=clerk)
    for number in range(5):
        expect(
            category=ordinary,
            room=lounge,
            by=clerk,
            expected_at="2026-11-27 15:00:00+08:00",
            name=f"Later {number}",
            host=host if number % 2 else None,
        )
    client.force_login(clerk)

    # 1 session, 2 user (with profile, site and department), 3 user
    # permissions, 4 group permissions, 5 the head of the site's audit chain
    # (the live part's key, issue #24), 6 the day's open visits (on site and
    # expected today, with visitor and category joined), 7 the site's rooms,
    # 8 their hosts' labels, 9 recently left, 10-12 the duty panel (roster
    # entries now and tonight, the night's visits, waiting handovers), 13-15
    # session save (savepoint, update, release).
    with django_assert_num_queries(15):
        response = client.get("/desk/")
    assert len(response.context["on_site"]) == 196 and len(response.context["recently_left"]) == 4
    assert response.content.decode().count("data-visit=") == 201

    # The polled part in the same minute with nothing changed, without an
    # ETag (another desk, or a reload): drawn already, so session, user, the
    # two permission reads and the chain's head, and no rows read.
    with django_assert_num_queries(5):
        live = client.get("/desk/live/", headers={"HX-Request": "true"})
    assert live.content.decode().count("data-visit=") == 201
    # Polled again with that ETag: answered 304 from the poll's grant by the
    # session and the chain's head, before the user is read.
    with django_assert_num_queries(2):
        again = client.get("/desk/live/", headers={"HX-Request": "true", "If-None-Match": live["ETag"]})
    assert again.status_code == 304

    # A change draws the part afresh: the chain's head moved, so the rows are
    # read again (four queries) and the visitor who left is gone from it.
    leaving = Visit.objects.filter(status=VisitStatus.ON_SITE).order_by("pk").first()
    services.check_out_visit(visit=leaving, by=clerk)
    with django_assert_num_queries(9):
        fresh = client.get("/desk/live/", headers={"HX-Request": "true", "If-None-Match": live["ETag"]})
    assert fresh.status_code == 200 and fresh.content.decode().count("data-visit=") == 200
    assert f'data-visit="{leaving.pk}"' not in fresh.content.decode().split('data-testid="recently-left"')[0]


def test_each_table_posts_through_one_form_with_one_csrf_token(client, clerk, host, business, business_room, lounge):
    for number in range(3):
        walk_in(category=business, room=business_room, by=clerk, name=f"Here {number}", host=host)
    later = expect(category=business, room=business_room, by=clerk, expected_at="2026-11-27 15:00:00+08:00")
    here = Visit.objects.filter(status=VisitStatus.ON_SITE).order_by("pk").first()
    client.force_login(clerk)

    page = client.get("/desk/live/", headers={"HX-Request": "true"}).content.decode()

    # One form (and token) for the on-site table and one for the expected table;
    # each button posts to its own visit's address, as the one-form-a-row page did.
    assert page.count("<form") == 2 and page.count('name="csrfmiddlewaretoken"') == 2
    assert f'formaction="/desk/visits/{here.pk}/check-out/"' in page
    for action in ("check-in", "no-show", "cancel"):
        assert f'formaction="/desk/visits/{later.pk}/{action}/"' in page
    assert f'href="/desk/visits/{here.pk}/"' in page


def test_buttons_are_shown_to_those_allowed_to_press_them(client, manager, clerk, business, business_room):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie")
    expect(category=business, room=business_room, by=clerk, expected_at="2026-11-27 15:00:00+08:00")
    client.force_login(manager)  # sees the desk, changes nothing on it

    page = client.get("/desk/").content.decode()

    assert "Zhou Jie" in page
    assert "formaction=" not in page


def test_a_visit_without_a_host_says_so_and_still_counts_for_r3_2(client, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk, name="No Host Yet")
    client.force_login(clerk)

    page = client.get("/desk/").content.decode()

    row = page[page.index(f'data-visit="{visit.pk}"') : page.index("</tr>", page.index(f'data-visit="{visit.pk}"'))]
    assert "No host" in row and "0 min" in row
    assert "1 waiting" in page  # the notifications panel counts it as the desk always has


def test_the_room_board_names_the_parties_of_a_quiet_room_and_counts_a_busy_one(
    client, clerk, business, ordinary, business_room, lounge
):
    walk_in(category=business, room=business_room, by=clerk, name="Kenji Tanaka", party_size=2)
    for number in range(ROOM_NAMES_SHOWN + 1):
        walk_in(category=ordinary, room=lounge, by=clerk, name=f"Lounge Guest {number}")
    client.force_login(clerk)

    page = client.get("/desk/").content.decode()

    board = page.split('data-testid="room-board"')[1].split("</ul>")[0]
    business = board.split('data-room="Business Room"')[1].split("</li>")[0]
    busy = board.split('data-room="Lounge"')[1].split("</li>")[0]
    assert "Kenji Tanaka ×2" in business
    assert f"{ROOM_NAMES_SHOWN + 1} parties" in busy and "Lounge Guest" not in busy
    assert page.count("Lounge Guest 0") == 1  # named once, in the on-site table


def test_the_rows_read_in_chinese(client, clerk, host, business, business_room, time_machine):
    business.ack_deadline_minutes = 30
    business.save()
    walk_in(category=business, room=business_room, by=clerk, name="Waiting Long", host=host)
    acknowledged = walk_in(category=business, room=business_room, by=clerk, name="Met Already", host=host)
    Visit.objects.filter(pk=acknowledged.pk).update(acknowledged_at=timezone.now() + timedelta(minutes=5))
    time_machine.move_to("2026-11-27 10:31:00+08:00", tick=False)
    client.force_login(clerk)
    client.cookies["django_language"] = "zh-hans"

    page = client.get("/desk/").content.decode()

    assert "自 10:30 起超时（R3.2）" in page and "已于 10:05 确认" in page
    assert "Overdue since" not in page and "Check out" not in page


def test_a_room_taken_out_of_use_while_occupied_stays_on_the_board_after_the_rooms_in_use(
    client, clerk, business, ordinary, business_room, lounge
):
    walk_in(category=business, room=business_room, by=clerk, name="Still Inside", party_size=8)
    business_room.active = False
    business_room.save()
    client.force_login(clerk)

    board = client.get("/desk/live/").context["board"]  # the live part alone

    assert [(row["room"].name if row["room"] else None, row["people"], row["full"]) for row in board] == [
        ("Lounge", 0, False),
        ("Business Room", 8, False),  # out of use: takes nobody new, so never "full"
    ]  # nobody is on site without a room (R1.3, constraint visit_on_site_has_room)


def test_rooms_and_hosts_are_named_from_the_sites_own_lists(
    client, clerk, host, vip, business, culture_pavilion, business_room, lounge
):
    """The open visits are read without their room's and host's names, which
    come from the site's rooms and one read of the hosts' labels (issue #7):
    a room out of use still names the visits booked into it, but is left off
    the board while nobody is in it, and each host keeps its R3.1 label."""
    expect(
        category=vip,
        room=culture_pavilion,
        by=clerk,
        expected_at="2026-11-27 15:00:00+08:00",
        name="Booked Earlier",
        host=host,
    )
    walk_in(category=business, room=business_room, by=clerk, name="In Talks", host=host)
    walk_in(category=business, room=business_room, by=clerk, name="No Host Yet")
    culture_pavilion.active = False
    culture_pavilion.save()
    client.force_login(clerk)

    context = client.get("/desk/live/").context  # the live part alone

    assert [(row["name"], row["room"], row["host"]) for row in context["expected"]] == [
        ("Booked Earlier", "Culture Pavilion", "Sales-Sun Li")
    ]
    assert [(row["name"], row["room"], row["host"]) for row in context["on_site"]] == [
        ("In Talks", "Business Room", "Sales-Sun Li"),
        ("No Host Yet", "Business Room", "—"),
    ]
    assert [row["room"].name for row in context["board"]] == ["Business Room", "Lounge"]
