"""A complaint or a follow-up opened from a visit or a call (R5.1, R10.2): the
visit page and the call log offer both to those allowed, the form starts with
the customer, the channel and where it came from, and the record keeps the
visit or call; a visit or call of another customer is refused."""

import pytest
from django.urls import reverse

from customers import calls, services
from customers.models import Complaint, FollowUp
from tests.visitors.desk import walk_in

NEW_COMPLAINT = reverse("customers:complaint_new")
NEW_FOLLOW_UP = reverse("customers:follow_up_new")


@pytest.fixture
def gao_visits(gao, clerk, host, business, business_room):
    """Gao Feng walks in; the desk links the visit to him."""
    visit = walk_in(category=business, room=business_room, by=clerk, name="Gao Feng", host=host)
    services.link_visit(visit=visit, customer=gao, by=clerk)
    return visit


@pytest.fixture
def stranger_visits(daytime, clerk, host, business, business_room):
    return walk_in(category=business, room=business_room, by=clerk, name="Ren Jie", host=host)


@pytest.fixture
def gao_calls(sales_floor, site, clerk, gao):
    return calls.log_call(site=site, by=clerk, caller="Gao Feng", phone="139 1111 2222", topic="enquiry", customer=gao)


def test_the_visit_page_offers_a_complaint_and_a_follow_up_to_the_desk(client, clerk, gao_visits):
    client.force_login(clerk)

    page = client.get(reverse("visitors:visit", args=[gao_visits.pk])).content.decode()

    assert f'href="{NEW_COMPLAINT}?visit={gao_visits.pk}"' in page
    assert f'href="{NEW_FOLLOW_UP}?visit={gao_visits.pk}"' in page


def test_security_sees_the_visit_but_not_the_customer_care_buttons(client, security_guard, gao_visits):
    client.force_login(security_guard)

    response = client.get(reverse("visitors:visit", args=[gao_visits.pk]))

    assert response.status_code == 200
    assert 'data-testid="open-complaint"' not in response.content.decode()
    assert 'data-testid="schedule-follow-up"' not in response.content.decode()


def test_a_complaint_from_a_visit_starts_with_its_customer_and_keeps_the_visit(client, clerk, gao, gao_visits):
    client.force_login(clerk)

    form = client.get(NEW_COMPLAINT, {"visit": gao_visits.pk})
    initial = form.context["form"].initial
    response = client.post(
        NEW_COMPLAINT,
        {
            "customer": initial["customer"],
            "channel": initial["channel"],
            "source": initial["source"],
            "severity": "general",
            "heard": "The meeting room was cold.",
            "visit": initial["visit"],
        },
    )

    assert (initial["customer"], initial["channel"], initial["source"]) == (gao.pk, "in_person", "visit")
    assert "From the visit of Gao Feng on 2026-11-27." in form.content.decode()
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert (complaint.customer, complaint.visit, complaint.source, complaint.channel) == (
        gao,
        gao_visits,
        "visit",
        "in_person",
    )


def test_a_visitor_not_linked_yet_is_said_so(client, clerk, stranger_visits):
    client.force_login(clerk)

    response = client.get(NEW_COMPLAINT, {"visit": stranger_visits.pk})

    assert response.context["form"].initial["customer"] is None
    assert "The visitor is not linked to a customer yet" in response.content.decode()


def test_a_complaint_cannot_take_a_visit_of_another_customer(client, clerk, gao, stranger_visits, make_staff):
    other = services.create_customer(site=gao.site, by=clerk, name="Ren Jie", phone="139 7777 8888")
    services.link_visit(visit=stranger_visits, customer=other, by=clerk)
    client.force_login(clerk)

    response = client.post(
        NEW_COMPLAINT,
        {
            "customer": gao.pk,
            "channel": "in_person",
            "source": "visit",
            "severity": "general",
            "heard": "Cold room",
            "visit": stranger_visits.pk,
        },
    )

    assert response.status_code == 200
    assert "That visit is not this customer&#x27;s." in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_call_log_offers_both_and_a_complaint_from_a_call_is_by_phone(client, clerk, gao, gao_calls):
    client.force_login(clerk)

    log = client.get(reverse("customers:call_list")).content.decode()
    form = client.get(NEW_COMPLAINT, {"call": gao_calls.pk})
    initial = form.context["form"].initial
    client.post(
        NEW_COMPLAINT,
        {
            "customer": initial["customer"],
            "channel": initial["channel"],
            "source": initial["source"],
            "severity": "major",
            "heard": "Nobody called back.",
            "call": initial["call"],
        },
    )

    assert f'href="{NEW_COMPLAINT}?call={gao_calls.pk}"' in log
    assert f'href="{NEW_FOLLOW_UP}?call={gao_calls.pk}"' in log
    complaint = Complaint.objects.get()
    assert (complaint.customer, complaint.call, complaint.source, complaint.channel) == (
        gao,
        gao_calls,
        "call",
        "phone",
    )


def test_a_follow_up_from_a_call_is_scheduled_for_its_customer(client, clerk, gao, gao_calls, salesperson):
    client.force_login(clerk)

    form = client.get(NEW_FOLLOW_UP, {"call": gao_calls.pk})
    initial = form.context["form"].initial
    response = client.post(
        NEW_FOLLOW_UP, {"customer": initial["customer"], "method": "phone", "origin": initial["origin"]}
    )

    assert response.status_code == 302
    follow_up = FollowUp.objects.get()
    assert (follow_up.customer, follow_up.origin, follow_up.assigned_to) == (gao, "call", salesperson)
    assert follow_up.due_on.isoformat() == "2026-12-11"  # gold: 14 days (R10.2)


def test_a_follow_up_from_a_visit_says_so(client, clerk, gao, gao_visits):
    client.force_login(clerk)

    initial = client.get(NEW_FOLLOW_UP, {"visit": gao_visits.pk}).context["form"].initial
    client.post(NEW_FOLLOW_UP, {"customer": initial["customer"], "method": "visit", "origin": initial["origin"]})

    assert FollowUp.objects.get().origin == "visit"


def test_a_call_the_user_may_not_see_starts_nothing(client, sales2, gao_calls, gao):
    # The call went to the salesperson whose turn it was, not to Wu Hao.
    assert gao_calls.receiver != sales2
    client.force_login(sales2)

    response = client.get(NEW_COMPLAINT, {"call": gao_calls.pk})

    assert response.status_code == 200
    assert "call" not in response.context["form"].initial
    assert 'data-testid="came-from"' not in response.content.decode()


def test_the_sales_floor_cannot_start_from_a_visit_it_may_not_see(client, salesperson, gao_visits):
    client.force_login(salesperson)

    response = client.get(NEW_COMPLAINT, {"visit": gao_visits.pk})

    assert response.status_code == 200
    assert "visit" not in response.context["form"].initial
    assert "Gao Feng on 2026-11-27" not in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "-1", "99999", "9" * 30])
def test_a_bad_visit_or_call_number_is_ignored(client, clerk, value):
    client.force_login(clerk)

    assert client.get(NEW_COMPLAINT, {"visit": value}).status_code == 200
    assert client.get(NEW_FOLLOW_UP, {"call": value}).status_code == 200
