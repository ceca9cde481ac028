"""The desk's rotation panel and its buttons (R2.1-R2.4), the away marks and
the floor manager's fairness view (R2.2)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import rotation, services
from customers.models import Assignment, AssignmentKind, AwayMark
from tests.visitors.desk import walk_in


@pytest.fixture
def arrive(business, business_room, clerk):
    business_room.capacity = 100
    business_room.save()

    def make(name="Ana Lima", **extra):
        return walk_in(category=business, room=business_room, by=clerk, name=name, **extra)

    return make


def test_the_clerk_presses_next_and_the_salesperson_greets(client, sales_floor, clerk, salesperson, arrive):
    visit = arrive()
    client.force_login(clerk)

    response = client.post(reverse("customers:next"), {"visit": visit.pk})
    assignment = Assignment.objects.get()
    client.force_login(salesperson)
    greeted = client.post(reverse("customers:greet", args=[assignment.pk]))

    assignment.refresh_from_db()
    assert (response.status_code, greeted.status_code) == (302, 302)
    assert (assignment.salesperson, assignment.visit, assignment.greeted_by) == (salesperson, visit, salesperson)


def test_a_waiting_customer_past_the_greeting_limit_is_highlighted(client, sales_floor, clerk, arrive, time_machine):
    arrive("Early Bird")
    time_machine.move_to(timezone.now() + timedelta(minutes=4), tick=False)
    arrive("Just Now")
    client.force_login(clerk)

    page = client.get(reverse("customers:rotation"))

    rows = {row["visit"].visitor.full_name: row["late"] for row in page.context["waiting"]}
    assert rows == {"Early Bird": True, "Just Now": False}
    assert 'class="overdue"' in page.content.decode()


def test_the_panel_tells_the_desk_to_contact_the_owner_first(client, sales_floor, site, clerk, sales3, arrive):
    visit = arrive("Chen Jing")
    customer = services.create_customer(site=site, by=clerk, name="Chen Jing", owner=sales3)
    services.link_visit(visit=visit, customer=customer, by=clerk)
    client.force_login(clerk)

    page = client.get(reverse("customers:rotation")).content.decode()
    client.post(reverse("customers:next"), {"visit": visit.pk})

    assert "Contact Sales-Xu Jing first" in page
    assert Assignment.objects.get().kind == AssignmentKind.OWNER


def test_an_unavailable_owner_is_refused_without_a_reason_and_nothing_recorded(
    client, sales_floor, site, clerk, sales3, arrive
):
    visit = arrive("Chen Jing")
    customer = services.create_customer(site=site, by=clerk, name="Chen Jing", owner=sales3)
    services.link_visit(visit=visit, customer=customer, by=clerk)
    rotation.mark_away(site=site, user=sales3, by=sales3, reason="Site visit")
    client.force_login(clerk)

    refused = client.post(reverse("customers:next"), {"visit": visit.pk}, follow=True)
    recorded = Assignment.objects.count()
    client.post(reverse("customers:next"), {"visit": visit.pk, "reason": "Customer cannot wait"})

    assert "Contact Sales-Xu Jing first" in refused.content.decode()
    assert recorded == 0
    assert Assignment.objects.get().reason == "Customer cannot wait"


def test_a_salesperson_has_no_way_to_take_a_customer(client, sales_floor, salesperson, arrive):
    visit = arrive()
    client.force_login(salesperson)

    page = client.get(reverse("customers:rotation")).content.decode()
    pressed = client.post(reverse("customers:next"), {"visit": visit.pk})
    overridden = client.post(
        reverse("customers:override"), {"visit": visit.pk, "salesperson": salesperson.pk, "reason": "Mine"}
    )

    assert "Next salesperson" not in page and "Out of turn" not in page
    assert (pressed.status_code, overridden.status_code) == (403, 403)
    assert not Assignment.objects.exists()


def test_the_floor_manager_overrides_with_a_reason_shown_as_such(client, sales_floor, floor_manager, sales3, arrive):
    visit = arrive()
    client.force_login(floor_manager)

    without = client.post(reverse("customers:override"), {"visit": visit.pk, "salesperson": sales3.pk, "reason": ""})
    none_yet = Assignment.objects.count()
    client.post(reverse("customers:override"), {"visit": visit.pk, "salesperson": sales3.pk, "reason": "Speaks German"})

    assert without.status_code == 302 and none_yet == 0
    assignment = Assignment.objects.get()
    assert (assignment.kind, assignment.reason) == (AssignmentKind.OVERRIDE, "Speaks German")


def test_a_salesperson_marks_themself_away_and_back(client, sales_floor, salesperson, sales2):
    client.force_login(salesperson)

    client.post(reverse("customers:away"), {"user": salesperson.pk, "reason": "Lunch"})
    other = client.post(reverse("customers:away"), {"user": sales2.pk, "reason": "Lunch"})
    mark = AwayMark.objects.get()
    client.post(reverse("customers:back", args=[mark.pk]))

    mark.refresh_from_db()
    assert mark.user == salesperson and mark.ends_at is not None
    assert other.status_code == 200 and other.context["form"].errors["user"]


def test_the_panel_s_queries_do_not_grow_with_the_floor_s_history(
    client, sales_floor, site, clerk, arrive, django_assert_max_num_queries
):
    client.force_login(clerk)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("customers:rotation"))
    for number in range(6):
        visit = arrive(f"Guest {number}")
        rotation.next_salesperson(site=site, by=clerk, channel="call")
        if number % 2:
            rotation.next_salesperson(site=site, by=clerk, visit=visit)

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("customers:rotation"))


def test_the_fairness_view_counts_turns_skips_and_waits(
    client, sales_floor, site, clerk, floor_manager, salesperson, arrive
):
    rotation.mark_away(site=site, user=salesperson, by=salesperson, reason="Lunch")
    assignment = rotation.next_salesperson(site=site, by=clerk, visit=arrive())
    rotation.greet(assignment=assignment, by=clerk, at=timezone.now() + timedelta(minutes=2))
    client.force_login(floor_manager)

    page = client.get(reverse("customers:fairness"), {"period": "week"})

    rows = {row["name"]: row for row in page.context["rows"]}
    assert rows["Sales-Zhou Min"]["offered"] == 1 and rows["Sales-Zhou Min"]["taken"] == 0
    assert rows["Sales-Zhou Min"]["skipped"] == [("Marked away", 1)]
    assert (rows["Sales-Wu Hao"]["taken"], rows["Sales-Wu Hao"]["average_wait"]) == (1, 2.0)
