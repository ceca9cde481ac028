"""The sales floor in Debian's Chromium (issue #17; R2.1, R2.4, R2.5): a
business customer walks in, the clerk presses Next and the salesperson whose
turn it is greets them; a week later the same customer returns and goes to
the same salesperson; a caller who asks for nobody is logged to the next in
turn."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Assignment, AssignmentKind, Call, Customer
from reception.models import Duty, DutyCode, RosterEntry
from tests.visitors.desk import walk_in
from visitors import services
from visitors.models import Visit, Visitor


@pytest.fixture(autouse=True)
def morning(time_machine):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=True)


def roster_a_day(site, people, day_offset: int) -> None:
    duty = Duty.objects.get(code=DutyCode.SALESPERSON)
    start = timezone.localtime(timezone.now(), site.tzinfo).replace(hour=8, minute=0) + timedelta(days=day_offset)
    for person in people:
        RosterEntry.objects.create(
            site=site, duty=duty, user=person, starts_at=start, ends_at=start + timedelta(hours=12)
        )


def test_walk_in_next_greet_return_and_a_call(
    live_server,
    browser,
    page,
    sign_in,
    time_machine,
    sales_floor,
    site,
    clerk,
    salesperson,
    sales2,
    sales3,
    business,
    business_room,
):
    visit = walk_in(
        category=business, room=business_room, by=clerk, name="Ana Lima", company="Lima Imports", phone="139 1234 5678"
    )

    # The clerk presses Next for Ana Lima: Zhou Min's turn.
    sign_in("clerk")
    page.goto(f"{live_server.url}/desk/rotation/")
    expect(page.get_by_test_id("whose-turn")).to_contain_text("Sales-Zhou Min")
    page.get_by_test_id(f"waiting-{visit.pk}").get_by_role("button", name="Next salesperson").click()
    expect(page.get_by_test_id("ungreeted")).to_contain_text("Sales-Zhou Min")
    # … and makes her a customer.
    page.goto(f"{live_server.url}/desk/customers/link-visit/{visit.pk}/")
    page.get_by_label("New customer from this visitor").check()
    page.get_by_role("button", name="Link").click()
    expect(page.get_by_test_id("owner")).to_contain_text("Sales-Zhou Min")

    # Zhou Min greets her with one click.
    seller = browser.new_context().new_page()
    seller.goto(f"{live_server.url}/accounts/login/")
    seller.get_by_label("Username").fill("salesperson")
    seller.get_by_label("Password").fill("correct-horse-battery")
    seller.get_by_role("button", name="Sign in").click()
    seller.goto(f"{live_server.url}/desk/rotation/")
    seller.get_by_role("button", name="Greeted").click()
    expect(seller.get_by_test_id("ungreeted")).to_contain_text("Everyone has been greeted.")
    assert Assignment.objects.get().greeted_by == salesperson
    services.check_out_visit(visit=Visit.objects.get(pk=visit.pk), by=clerk)

    # A week later she returns; the desk registers her visitor record again.
    time_machine.move_to("2026-12-04 10:00:00+08:00", tick=True)
    roster_a_day(site, [salesperson, sales2, sales3], 0)
    again = Visit(category=business, room=business_room, purpose="Second look")
    services.register_visit(visit=again, visitor=Visitor.objects.get(full_name="Ana Lima"), by=clerk, arrive_now=True)
    sign_in("clerk")  # a new day, a new sign-in (R4.1)
    page.goto(f"{live_server.url}/desk/rotation/")
    row = page.get_by_test_id(f"waiting-{again.pk}")
    expect(row.get_by_test_id("contact-first")).to_contain_text("Contact Sales-Zhou Min first")
    row.get_by_role("button", name="Next salesperson").click()
    returned = Assignment.objects.get(visit=again)
    assert (returned.salesperson, returned.kind) == (salesperson, AssignmentKind.OWNER)

    # A caller asks for nobody: the next in turn (Wu Hao) takes it.
    page.goto(f"{live_server.url}/desk/calls/new/")
    page.get_by_label("Caller").fill("Mr Gao")
    page.get_by_label("Phone").fill("135 1111 3333")
    page.get_by_role("button", name="Log the call").click()
    expect(page.get_by_role("alert").or_(page.locator(".alert-success"))).to_contain_text("Sales-Wu Hao")
    assert Call.objects.get().receiver == sales2
    assert Customer.objects.get().owner == salesperson
