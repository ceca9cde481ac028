"""Printables: the visitor badge with an inline QR code of the badge code, and
the on-site list for security and evacuation with a headcount per room
(R1.5.2). Nothing on them loads from outside."""

import re

import pytest

from tests.visitors.desk import DAYTIME, expect, walk_in
from visitors import services


@pytest.fixture(autouse=True)
def daytime(time_machine, settings):
    time_machine.move_to(DAYTIME, tick=False)


def test_the_badge_shows_who_whom_where_and_when_with_an_inline_qr_code(client, clerk, host, vip, culture_pavilion):
    visit = walk_in(
        category=vip, room=culture_pavilion, by=clerk, name="Hans Müller", company="Bergmann GmbH", host=host
    )
    client.force_login(clerk)

    response = client.get(f"/desk/visits/{visit.pk}/badge/")

    assert response.status_code == 200
    page = response.content.decode()
    badge = page.split('data-testid="badge"')[1].split("</article>")[0]
    for text in ["Hans Müller", "Bergmann GmbH", "Sales-Sun Li", "Culture Pavilion", "2026-11-27", visit.badge_code]:
        assert text in badge, text
    qr = badge.split('data-testid="badge-qr"')[1]
    assert qr.lstrip(">").startswith("<svg") and f"<title>{visit.badge_code}</title>" in qr
    assert "data-print" in page  # one click prints
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from a CDN or elsewhere


def test_the_qr_code_encodes_the_badge_code(client, clerk, business, business_room):
    import segno

    visit = walk_in(category=business, room=business_room, by=clerk)
    client.force_login(clerk)

    page = client.get(f"/desk/visits/{visit.pk}/badge/").content.decode()

    expected = segno.make_qr(visit.badge_code, error="m").svg_inline(scale=3, title=visit.badge_code)
    assert expected in page


def test_an_expected_visitor_can_have_a_badge_printed_ahead(client, clerk, business, business_room):
    visit = expect(category=business, room=business_room, by=clerk, expected_at="2026-11-27 15:00:00+08:00")
    client.force_login(clerk)

    assert client.get(f"/desk/visits/{visit.pk}/badge/").status_code == 200


def test_no_badge_for_a_visitor_who_left(client, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk)
    services.check_out_visit(visit=visit, by=clerk)
    client.force_login(clerk)

    response = client.get(f"/desk/visits/{visit.pk}/badge/", follow=True)

    assert response.redirect_chain[-1][0] == f"/desk/visits/{visit.pk}/"
    assert "A badge is printed only for a visitor who is expected or on site." in response.content.decode()


def test_the_on_site_list_counts_heads_per_room(client, security_guard, clerk, host, vip, business, rooms):
    culture_pavilion, business_room = rooms[0], rooms[1]
    walk_in(category=vip, room=culture_pavilion, by=clerk, name="Delegation", party_size=4, host=host)
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", party_size=1)
    walk_in(category=business, room=business_room, by=clerk, name="Kenji Tanaka", party_size=2)
    left = walk_in(category=business, room=business_room, by=clerk, name="Gone Home")
    services.check_out_visit(visit=left, by=clerk)
    client.force_login(security_guard)

    response = client.get("/desk/on-site/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "7 people on site" in page and "3 parties" in page
    sections = {row["room"].name: row["people"] for row in response.context["board"]}
    assert sections == {"Culture Pavilion": 4, "Business Room": 3}  # empty rooms are left out
    business_section = page.split('data-room="Business Room"')[1].split("</section>")[0]
    assert "3 people" in business_section and "Zhou Jie" in business_section and "Kenji Tanaka" in business_section
    assert "Gone Home" not in page
    assert "data-print" in page and "(R1.5.2)" in page


def test_the_on_site_list_query_count_does_not_grow(
    client, security_guard, clerk, business, business_room, django_assert_max_num_queries
):
    business_room.capacity = 500
    business_room.save()
    for number in range(200):
        walk_in(category=business, room=business_room, by=clerk, name=f"Visitor {number}")
    client.force_login(security_guard)

    # 1 session, 2 user, 3 profile, 4 site, 5-6 permissions, 7 on site (people
    # joined), 8 rooms, 9 the navbar's department label, 10-12 session save.
    with django_assert_max_num_queries(12):
        response = client.get("/desk/on-site/")
    assert response.context["people"] == 200
