"""R10.1, R2.4: customers, their match, their link to visits and their page."""

import pytest
from django.urls import reverse

from customers import calls, rotation, services
from customers.models import Assignment, Customer, CustomerVisitor, Tier
from reception.errors import ReceptionError
from tests.visitors.desk import walk_in
from visitors import services as visit_services
from visitors.models import AuditEvent


@pytest.fixture(autouse=True)
def _by_day(daytime):
    """Visits are registered below: at night R6.8 would refuse them, and the
    suite must pass whatever the hour it runs."""


@pytest.fixture
def chen(site, clerk):
    return services.create_customer(
        site=site, by=clerk, name="Chen Jing", company="Jing Ltd", phone="+86 136-1111-2222"
    )


def test_a_customer_is_matched_by_the_digits_of_their_phone(site, chen):
    assert services.match_customer(site=site, phone="8613611112222", name="", company="") == chen
    assert Customer.objects.get().phone_digits == "8613611112222"


def test_without_a_phone_the_name_and_company_match_whatever_the_case_and_spacing(site, chen):
    assert services.match_customer(site=site, phone="", name="  chen   JING ", company="jing ltd") == chen
    assert services.match_customer(site=site, phone="", name="Chen Jing", company="Other Co") is None


def test_a_second_customer_with_the_same_phone_needs_a_confirmation(site, clerk, chen):
    with pytest.raises(ReceptionError) as refusal:
        services.create_customer(site=site, by=clerk, name="Chen Bo", phone="86 136 1111 2222")
    second = services.create_customer(
        site=site, by=clerk, name="Chen Bo", phone="86 136 1111 2222", confirm_duplicate=True
    )

    assert refusal.value.code == "duplicate_phone"
    assert "Chen Jing" in refusal.value.message
    assert Customer.objects.filter(phone_digits=second.phone_digits).count() == 2


def test_the_form_warns_of_a_duplicate_phone_and_saves_nothing_until_confirmed(client, clerk, chen):
    client.force_login(clerk)
    form = {"name": "Chen Bo", "company": "", "phone": "+86 136 1111 2222"}

    warned = client.post(reverse("customers:customer_new"), form)
    confirmed = client.post(reverse("customers:customer_new"), {**form, "confirm_duplicate": "on"})

    assert warned.status_code == 200
    assert "already has this phone number" in warned.content.decode()
    assert confirmed.status_code == 302
    assert Customer.objects.filter(name="Chen Bo").count() == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("phone", "=HYPERLINK(1)"),
        ("phone", "call me"),
        ("name", "Chen\u202eJing"),
        ("name", "Chen\x00Jing"),
        ("name", "x" * 121),
        ("notes", "n" * 2001),
        ("company", "<script>alert(1)</script>\x07"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(client, clerk, field, value):
    client.force_login(clerk)

    response = client.post(reverse("customers:customer_new"), {"name": "Chen Jing", field: value})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Customer.objects.exists()


def test_a_salesperson_sees_only_their_own_customers(client, site, clerk, salesperson, sales2):
    mine = services.create_customer(site=site, by=clerk, name="Mine", owner=salesperson)
    theirs = services.create_customer(site=site, by=clerk, name="Theirs", owner=sales2)
    client.force_login(salesperson)

    listing = client.get(reverse("customers:customer_list"))

    assert [c.pk for c in listing.context["page"]] == [mine.pk]
    assert client.get(reverse("customers:customer_detail", args=[theirs.pk])).status_code == 404


def test_another_sites_customer_answers_404(client, clerk, other_site, other_clerk):
    river = services.create_customer(site=other_site, by=other_clerk, name="River")
    client.force_login(clerk)

    assert client.get(reverse("customers:customer_detail", args=[river.pk])).status_code == 404


# --- linking a visit (R10.1) and the owner's claim (R2.4) --------------------------------


def test_a_walk_in_linked_to_a_new_customer_makes_their_salesperson_the_owner(
    client, sales_floor, site, clerk, salesperson, business, business_room
):
    visit = walk_in(
        category=business, room=business_room, by=clerk, name="Ana Lima", company="Lima", phone="139 1234 5678"
    )
    rotation.next_salesperson(site=site, by=clerk, visit=visit)
    client.force_login(clerk)

    response = client.post(reverse("customers:link_visit", args=[visit.pk]), {"new_customer": "on"})

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert (customer.name, customer.phone_digits, customer.owner) == ("Ana Lima", "13912345678", salesperson)
    assert CustomerVisitor.objects.get().visitor == visit.visitor
    assert Assignment.objects.get().customer == customer


def test_the_link_page_offers_the_matching_customer(client, daytime, site, clerk, business, business_room, chen):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Chen Jing", phone="86 136 1111 2222")
    client.force_login(clerk)

    page = client.get(reverse("customers:link_visit", args=[visit.pk]))

    assert page.context["match"] == chen
    assert page.context["form"]["customer"].value() == chen.pk


def test_choosing_both_a_customer_and_a_new_one_is_refused(client, daytime, site, clerk, business, business_room, chen):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Chen Jing")
    client.force_login(clerk)

    response = client.post(
        reverse("customers:link_visit", args=[visit.pk]), {"customer": chen.pk, "new_customer": "on"}
    )

    assert response.status_code == 200
    assert not CustomerVisitor.objects.exists()
    assert Customer.objects.count() == 1


def test_a_visitor_belongs_to_one_customer_only(daytime, site, clerk, business, business_room, chen):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Chen Jing")
    services.link_visit(visit=visit, customer=chen, by=clerk)
    other = services.create_customer(site=site, by=clerk, name="Other")

    with pytest.raises(ReceptionError) as refusal:
        services.link_visit(visit=visit, customer=other, by=clerk)

    assert refusal.value.code == "already_linked"


# --- the customer page: the whole history in time order -----------------------------------


def test_the_customer_page_shows_visits_calls_and_assignments_in_time_order(
    client,
    sales_floor,
    site,
    clerk,
    salesperson,
    business,
    business_room,
    chen,
    time_machine,
    django_assert_max_num_queries,
):
    chen.owner = salesperson
    chen.tier = Tier.GOLD
    chen.save()
    for day in range(3):
        time_machine.move_to(f"2026-11-27 1{day}:00:00+08:00", tick=False)
        visit = walk_in(category=business, room=business_room, by=clerk, name="Chen Jing", company="Jing Ltd")
        if day == 0:
            services.link_visit(visit=visit, customer=chen, by=clerk)
        calls.log_call(site=site, by=clerk, caller="Chen Jing", phone="86 136 1111 2222", topic="enquiry")
        visit_services.check_out_visit(visit=visit, by=clerk)
    client.force_login(clerk)

    # session, user, the user's site and time zone (middleware), permissions
    # (user, groups), the customer, visits, calls, assignments, complaints,
    # follow-ups, and the navbar's two checks: 13, however long the history
    with django_assert_max_num_queries(13):
        page = client.get(reverse("customers:customer_detail", args=[chen.pk]))

    history = page.context["history"]
    assert [entry.at for entry in history] == sorted(entry.at for entry in history)
    assert [entry.kind for entry in history].count("call") == 3
    assert [entry.kind for entry in history].count("visit") == 1  # the other visits' visitors are not linked
    assert "Jing Ltd" in page.content.decode()


def test_the_customer_page_does_not_grow_its_queries_with_history(
    client, sales_floor, site, clerk, chen, django_assert_max_num_queries
):
    for _ in range(12):
        calls.log_call(site=site, by=clerk, caller="Chen Jing", phone="86 136 1111 2222", topic="feedback")
    client.force_login(clerk)

    with django_assert_max_num_queries(13):  # as above, after twelve calls
        client.get(reverse("customers:customer_detail", args=[chen.pk]))


def test_the_floor_manager_sets_the_tier_and_owner_audited(client, site, floor_manager, sales2, chen, sales_floor):
    client.force_login(floor_manager)

    response = client.post(
        reverse("customers:customer_edit", args=[chen.pk]),
        {"name": "Chen Jing", "company": "Jing Ltd", "phone": "+86 136-1111-2222", "tier": "gold", "owner": sales2.pk},
    )

    chen.refresh_from_db()
    assert response.status_code == 302
    assert (chen.tier, chen.owner) == (Tier.GOLD, sales2)
    event = AuditEvent.objects.filter(action="customer.change").get()
    assert event.changes["tier"] == {"before": "general", "after": "gold"}
    assert "Chen" not in str(event.changes)
