"""Issue #16 item 2: every duty lands on a page it may use. A host's first
page after signing in was "Not allowed" (the desk), whose "Back to the start"
led to the same refusal. A host now starts at their own visitors: those on
site with the R3.2 deadline and the acknowledge button, those expected today,
and their invitations to come; and no error page links back into itself."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from reception.error_pages import permission_denied
from tests.visitors.desk import DAYTIME, expect, walk_in
from visitors.invitations import create_invitation
from visitors.models import VisitEvent

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(DAYTIME, tick=False)
    return time_machine


def sign_in(client, username: str):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD}, follow=True)


def test_each_duty_lands_on_a_page_it_may_use(
    client, host, clerk, security_guard, secretary, manager, salesperson, floor_manager
):
    starts = {
        host: "/desk/my-visitors/",
        clerk: "/desk/",
        security_guard: "/desk/",
        secretary: "/desk/",
        manager: "/desk/",
        salesperson: "/desk/rotation/",  # R2.1: whose turn it is, and greeting their customer
        floor_manager: "/desk/rotation/",
    }
    for user, start in starts.items():
        client.logout()

        response = sign_in(client, user.username)

        assert (user.username, response.redirect_chain[-1][0], response.status_code) == (user.username, start, 200)
        assert client.get("/").url == start  # the start, later in the day


def test_a_host_sees_their_visitors_and_nobody_elses(
    client, clerk, host, make_staff, site, business, business_room, django_assert_max_num_queries
):
    other_host = make_staff("other-host", "Host (handling department)", site=site, real_name="Qian Bo")
    late = walk_in(category=business, room=business_room, by=clerk, name="Waiting Long", host=host)
    walk_in(category=business, room=business_room, by=clerk, name="Not Yours", host=other_host)
    expect(category=business, room=business_room, by=clerk, expected_at="2026-11-27 15:00:00+08:00", host=host)
    expect(
        category=business,
        room=business_room,
        by=clerk,
        expected_at="2026-11-27 16:00:00+08:00",
        host=other_host,
        name="Other Guest",
    )
    invited = create_invitation(
        site=site,
        by=host,
        email="kenji@tanaka.example",
        full_name="Kenji Tanaka",
        company="Tanaka Industries",
        category=business,
        host=host,
        room=business_room,
        purpose="Product demonstration",
        party_size=2,
        expected_at=timezone.now() + timedelta(days=3),
    )
    client.force_login(host)
    client.get("/desk/my-visitors/")  # warm the session

    # session, user, profile and site, permissions (2), on site, expected, invitations, session save
    with django_assert_max_num_queries(10):
        response = client.get("/desk/my-visitors/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Waiting Long" in page and "Waiting, due by 10:30" in page
    assert "Expected Guest" in page and "15:00" in page
    assert "Kenji Tanaka" in page and invited.code in page
    assert "Not Yours" not in page and "Other Guest" not in page
    assert f'action="/desk/visits/{late.pk}/acknowledge/"' in page
    assert 'href="/desk/invitations/new/" data-testid="invite"' in page


def test_the_host_acknowledges_from_their_page_and_comes_back_to_it(
    client, clerk, host, business, business_room, daytime
):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Waiting Long", host=host)
    daytime.move_to("2026-11-27 10:40:00+08:00", tick=False)
    client.force_login(host)
    assert "Overdue since 10:30 (R3.2)" in client.get("/desk/my-visitors/").content.decode()

    response = client.post(f"/desk/visits/{visit.pk}/acknowledge/", {"next": "/desk/my-visitors/"}, follow=True)

    assert response.redirect_chain[-1][0] == "/desk/my-visitors/"
    assert "Acknowledged 10:40" in response.content.decode()
    visit.refresh_from_db()
    assert (visit.acknowledged_by, visit.acknowledged_at) == (host, timezone.now())
    assert visit.events.filter(kind=VisitEvent.Kind.ACKNOWLEDGED, by=host).exists()


def test_the_not_allowed_page_leads_to_a_page_the_user_may_open(client, host):
    client.force_login(host)

    refused = client.get("/desk/")

    assert refused.status_code == 403
    page = refused.content.decode()
    assert 'href="/desk/my-visitors/" data-testid="start">Back to the start' in page
    assert client.get("/desk/my-visitors/").status_code == 200


def test_an_account_whose_duty_opens_no_page_is_told_so_without_a_link_into_itself(client, stranger):
    client.force_login(stranger)

    response = client.get("/", follow=True)

    assert response.status_code == 403
    assert response.redirect_chain == []
    assert "Back to the start" not in response.content.decode()


def test_a_host_without_acknowledgement_is_sent_on_to_the_invitations(client, host):
    # A duty that no longer acknowledges keeps inviting: the start moves on.
    hosts = Group.objects.get(name="Host (handling department)")
    hosts.permissions.remove(*hosts.permissions.filter(codename="acknowledge_visit"))
    client.force_login(host)

    refused = client.get("/desk/my-visitors/")

    assert refused.status_code == 403
    assert 'href="/desk/invitations/new/" data-testid="start"' in refused.content.decode()


def test_a_refusal_of_the_start_itself_offers_no_link_back_into_it(client, host, rf):
    request = rf.get("/desk/my-visitors/")
    request.user, request.site = host, host.profile.site

    page = permission_denied(request, None).content.decode()

    assert "Back to the start" not in page
