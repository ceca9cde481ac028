"""R2.5, R9.2: the call log at /desk/calls/."""

import csv
import io

import pytest
from django.urls import reverse

from customers import calls, services
from customers.models import Assignment, AssignmentKind, Call, Customer
from visitors.models import AuditEvent


def test_a_caller_who_asks_for_nobody_goes_to_the_next_in_turn_and_the_queue_moves(
    client, sales_floor, clerk, salesperson, sales2
):
    client.force_login(clerk)
    form = {"caller": "Mr Gao", "phone": "135 1111 3333", "topic": "enquiry"}

    first = client.post(reverse("customers:call_new"), form)
    client.post(reverse("customers:call_new"), form)

    assert first.status_code == 302
    assert [call.receiver for call in Call.objects.order_by("pk")] == [salesperson, sales2]
    assert set(Assignment.objects.values_list("kind", flat=True)) == {AssignmentKind.TURN}


def test_a_caller_who_asks_for_someone_goes_to_them_and_the_queue_stays(
    client, sales_floor, clerk, sales3, salesperson
):
    client.force_login(clerk)

    client.post(reverse("customers:call_new"), {"caller": "Mr Sun", "topic": "after_sales", "asked_for": sales3.pk})
    client.post(reverse("customers:call_new"), {"caller": "Ms Qian", "topic": "enquiry"})

    assert [call.receiver for call in Call.objects.order_by("pk")] == [sales3, salesperson]
    assert Call.objects.order_by("pk").first().asked_for == sales3


def test_a_new_customer_from_a_call_belongs_to_whoever_took_it(client, sales_floor, clerk, salesperson):
    client.force_login(clerk)

    client.post(
        reverse("customers:call_new"),
        {"caller": "Mr Gao", "phone": "135 1111 3333", "topic": "enquiry", "new_customer": "on"},
    )

    customer = Customer.objects.get()
    assert (customer.name, customer.owner) == ("Mr Gao", salesperson)
    assert Call.objects.get().customer == customer


def test_a_known_callers_call_is_on_their_customer_and_goes_to_their_salesperson(
    client, sales_floor, site, clerk, sales3
):
    known = services.create_customer(site=site, by=clerk, name="Chen Jing", phone="136 1111 2222", owner=sales3)
    client.force_login(clerk)

    client.post(reverse("customers:call_new"), {"caller": "Chen Jing", "phone": "13611112222", "topic": "feedback"})

    call = Call.objects.get()
    assert (call.customer, call.receiver, call.assignment.kind) == (known, sales3, AssignmentKind.OWNER)


@pytest.mark.parametrize(
    "field, value",
    [
        ("phone", "+86 (0) abc"),
        ("caller", "Gao\u202eFeng"),
        ("caller", "Gao\x00"),
        ("notes", "n" * 2001),
        ("topic", "spam"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(client, sales_floor, clerk, field, value):
    client.force_login(clerk)

    response = client.post(reverse("customers:call_new"), {"caller": "Mr Gao", "topic": "enquiry", field: value})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Call.objects.exists() and not Assignment.objects.exists()


def test_when_nobody_is_free_the_call_is_not_half_saved(client, sales_floor, clerk, salesperson, sales2, sales3):
    from customers import rotation

    for person in (salesperson, sales2, sales3):
        rotation.mark_away(site=sales_floor.site, user=person, by=person, reason="Meeting")
    client.force_login(clerk)

    response = client.post(
        reverse("customers:call_new"), {"caller": "Mr Gao", "topic": "enquiry", "new_customer": "on"}
    )

    assert response.status_code == 200
    assert "No salesperson is free" in response.content.decode()
    assert not Call.objects.exists() and not Customer.objects.exists()


@pytest.fixture
def week_of_calls(sales_floor, site, clerk, salesperson, sales3):
    logged = []
    for caller, topic, asked in [
        ("Mr Gao", "enquiry", None),
        ("=cmd|' /C calc'!A0", "complaint", sales3),
        ("Ms Qian", "feedback", None),
    ]:
        logged.append(calls.log_call(site=site, by=clerk, caller=caller, phone="", topic=topic, asked_for=asked))
    return logged


def test_the_log_filters_by_topic_receiver_and_search(
    client, clerk, sales3, week_of_calls, django_assert_max_num_queries
):
    client.force_login(clerk)

    by_topic = client.get(reverse("customers:call_list"), {"topic": "feedback"})
    by_receiver = client.get(reverse("customers:call_list"), {"receiver": sales3.pk})
    by_search = client.get(reverse("customers:call_list"), {"q": "gao"})
    clamped = client.get(reverse("customers:call_list"), {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    # session, user, site, permissions (2), the receivers' list, count, the page, navbar
    with django_assert_max_num_queries(11):
        client.get(reverse("customers:call_list"))

    assert [c.caller for c in by_topic.context["page"]] == ["Ms Qian"]
    assert [c.receiver for c in by_receiver.context["page"]] == [sales3]
    assert [c.caller for c in by_search.context["page"]] == ["Mr Gao"]
    assert len(clamped.context["page"]) == 3


def test_a_salesperson_sees_only_the_calls_they_received(client, salesperson, week_of_calls):
    client.force_login(salesperson)

    page = client.get(reverse("customers:call_list"))

    assert {c.receiver for c in page.context["page"]} == {salesperson}


def test_the_export_defuses_formulas_and_is_audited(client, clerk, week_of_calls):
    client.force_login(clerk)

    response = client.get(reverse("customers:call_export"), {"topic": "complaint"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    assert len(rows) == 2
    assert AuditEvent.objects.filter(action="log.export", changes__export="call_log.csv").count() == 1


def test_an_export_with_bad_filters_is_refused_plainly(client, clerk, week_of_calls):
    client.force_login(clerk)

    response = client.get(reverse("customers:call_export"), {"date_from": "not a day"})

    assert response.status_code == 400
