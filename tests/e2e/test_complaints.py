"""Issue #18's journey (R5.1-R5.3, R5.5, R10.2): a customer rings with a major
complaint; the desk records it, the office director and the department head
are emailed at once (R5.2), it is routed, replied to and closed with an
outcome, its automatic follow-up (R5.5) is due a month later on the
salesperson's due-work page (the clock travelled), and the director's monthly
summary counts it. The complaint pages meet WCAG 2 A/AA in English and
Chinese (issue #15 item 17)."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from customers import complaints, services
from customers.models import Complaint, ComplaintHandler, FollowUp
from reception.models import Department

LANGUAGES = ["en", "zh-hans"]


@pytest.fixture(autouse=True)
def monday_morning(time_machine, settings, live_server):
    # Monday 2 November 2026, 10:00 in Shanghai: outside the night window (R6.8).
    time_machine.move_to("2026-11-02 10:00:00+08:00", tick=False)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = live_server.url
    cache.clear()


@pytest.fixture
def after_sales(db):
    return Department.objects.get_or_create(name="After-sales")[0]


@pytest.fixture
def department_head(make_staff, site, after_sales):
    """Ma Jun, head of after-sales, who handles its complaints (R5.2, R5.3)."""
    user = make_staff("head", "Host (handling department)", site=site, department="After-sales", real_name="Ma Jun")
    ComplaintHandler.objects.create(site=site, department=after_sales, user=user, is_head=True)
    return user


@pytest.fixture
def li_na(site, clerk, salesperson):
    """Li Na, a general-tier customer of the salesperson's: her follow-ups are
    due 30 days on (R10.2)."""
    return services.create_customer(
        site=site, by=clerk, name="Li Na", company="Li Bakery", phone="139 3333 4444", owner=salesperson
    )


def _signed_in(browser, live_server, username: str, language: str = "en"):
    """A person at their own computer: a browser context of their own, signed in."""
    context = browser.new_context()
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("button.btn-primary[type=submit]").click()
    expect(page).not_to_have_url(f"{live_server.url}/accounts/login/")
    return page


def test_a_major_phone_complaint_from_the_desk_to_the_monthly_summary(
    live_server,
    browser,
    time_machine,
    site,
    clerk,
    director,
    department_head,
    after_sales,
    salesperson,
    li_na,
    mailoutbox,
):
    # The desk records a phone complaint, major, for after-sales.
    desk = _signed_in(browser, live_server, "clerk")
    desk.goto(f"{live_server.url}/desk/complaints/new/?customer={li_na.pk}")
    desk.get_by_label("Channel").select_option("phone")
    desk.get_by_label("Severity").select_option("major")
    desk.get_by_label("What the customer said").fill("The oven delivered on Friday does not heat.")
    desk.get_by_label("Clarifying answers").fill("Model X2, serial 4471; the shop is closed without it.")
    desk.get_by_label("Responsible department").select_option(label="After-sales")
    desk.get_by_role("button", name="Record the complaint").click()
    expect(desk.get_by_test_id("status")).to_have_text("In progress")
    complaint = Complaint.objects.get()
    assert (complaint.customer, complaint.channel, complaint.severity) == (li_na, "phone", "major")

    # R5.2: the office director and the department head are told at once.
    told = sorted(address for message in mailoutbox for address in message.to)
    assert told == ["director@lobby.test", "head@lobby.test"]
    assert all(message.subject == f"Major complaint {complaint.reference}" for message in mailoutbox)
    assert f"/desk/complaints/{complaint.pk}/" in mailoutbox[0].body

    # R5.3: routed to Ma Jun of after-sales, who replies; the desk closes it.
    route = desk.get_by_test_id("route-form")
    route.get_by_label("Responsible person").select_option(str(department_head.pk))
    route.get_by_role("button", name="Route").click()
    expect(desk.locator(".alert-success")).to_contain_text("Complaint routed.")
    reply = desk.get_by_test_id("reply-form")
    reply.get_by_label("Reply given").fill("An engineer replaces the heating element tomorrow at 9.")
    reply.get_by_role("button", name="Record the reply").click()
    expect(desk.get_by_test_id("status")).to_have_text("Replied")
    close = desk.get_by_test_id("close-form")
    close.get_by_label("Outcome").fill("Element replaced; the customer is satisfied.")
    close.get_by_role("button", name="Close the complaint").click()
    expect(desk.get_by_test_id("status")).to_have_text("Closed")
    expect(desk.get_by_test_id("follow-ups")).to_contain_text("2026-12-02")
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.handler == department_head
    follow_up = FollowUp.objects.get(complaint=complaint)
    assert (follow_up.origin, follow_up.assigned_to, follow_up.due_on.isoformat()) == (
        "complaint",
        salesperson,
        "2026-12-02",
    )
    desk.context.close()

    # A month later the follow-up is due on the salesperson's page.
    time_machine.move_to("2026-12-02 09:00:00+08:00", tick=False)
    cache.clear()
    sales = _signed_in(browser, live_server, "salesperson")
    sales.goto(f"{live_server.url}/desk/customers/due/")
    due = sales.get_by_test_id("due-follow-ups")
    expect(due).to_contain_text("Li Na")
    expect(due).to_contain_text("due 2026-12-02")
    sales.context.close()

    # The director's summary of November (last month, by default) counts it.
    office = _signed_in(browser, live_server, "director")
    office.goto(f"{live_server.url}/desk/complaints/summary/")
    expect(office.get_by_test_id("summary-title")).to_contain_text("2026-11")
    severity = office.get_by_test_id("summary-severity")
    expect(severity.locator("tr", has_text="Major").locator("td")).to_have_text("1")
    outcome = office.get_by_test_id("summary-outcome")
    expect(outcome.locator("tr", has_text="Closed").locator("td")).to_have_text("1")
    channel = office.get_by_test_id("summary-channel")
    expect(channel.locator("tr", has_text="Phone").locator("td")).to_have_text("1")
    office.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_complaint_pages_are_accessible(
    live_server,
    browser,
    axe,
    language,
    site,
    clerk,
    director,
    after_sales,
    department_head,
    li_na,
):
    complaint = complaints.open_complaint(
        site=site,
        by=clerk,
        customer=li_na,
        channel="phone",
        severity="major",
        heard="The oven does not heat.",
        department=after_sales,
    )
    desk = _signed_in(browser, live_server, "clerk", language)
    expect(desk.locator("html")).to_have_attribute("lang", language)
    for path in (
        "/desk/complaints/",
        "/desk/complaints/new/",
        f"/desk/complaints/{complaint.pk}/",
        "/desk/customers/due/",
    ):
        desk.goto(f"{live_server.url}{path}")
        axe(desk)
    desk.context.close()

    office = _signed_in(browser, live_server, "director", language)
    office.goto(f"{live_server.url}/desk/complaints/summary/?month=2026-11")
    axe(office)
    office.context.close()
