"""The monthly complaint summary (R5.5; issue #18 item 5): one site and one
month of its local days, its numbers pinned on a small hand-made month, its
query count pinned, and only the director, the floor manager and the office
manager may read it, of their own site."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from customers import services
from customers.models import Complaint, FollowUp
from customers.summary import build_summary
from reception.models import DutyCode
from reception.roles import DUTY_GROUPS

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = reverse("customers:complaint_summary")


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def _complaint(site, customer, by, opened, *, channel="phone", severity="general", department=None, **fields):
    return Complaint.objects.create(
        site=site,
        customer=customer,
        channel=channel,
        source="desk",
        severity=severity,
        heard="Said something",
        department=department,
        opened_at=opened,
        opened_by=by,
        **fields,
    )


def _closed(opened, reply_minutes, close_minutes):
    return {
        "status": "closed",
        "reply": "Answered",
        "outcome": "Settled",
        "first_replied_at": opened + timedelta(minutes=reply_minutes),
        "replied_at": opened + timedelta(minutes=reply_minutes),
        "closed_at": opened + timedelta(minutes=close_minutes),
    }


@pytest.fixture
def october(daytime, site, other_site, clerk, gao, after_sales, make_staff):
    """October 2026 at headquarters, seen on 27 November: four complaints of
    the month (one at 23:30 on the 31st, local time), one just after it and
    one of another site; four follow-ups due in October and one in November."""
    plain = services.create_customer(site=site, by=clerk, name="Li Na", phone="139 3333 4444", tier="general")
    c1 = _at(2026, 10, 3, 10, 0)
    _complaint(
        site,
        gao,
        clerk,
        c1,
        severity="major",
        department=after_sales,
        reply_by=date(2026, 10, 4),
        **_closed(c1, 30, 120),
    )
    c2 = _at(2026, 10, 10, 9, 0)
    _complaint(
        site,
        gao,
        clerk,
        c2,
        channel="in_person",
        department=after_sales,
        reply_by=date(2026, 10, 10),
        status="replied",
        reply="Later",
        first_replied_at=_at(2026, 10, 12, 10, 30),
        replied_at=_at(2026, 10, 12, 10, 30),
        document_number="",
    )
    _complaint(site, plain, clerk, _at(2026, 10, 31, 23, 30), channel="online", reply_by=date(2026, 11, 5))
    c6 = _at(2026, 10, 20, 10, 0)
    _complaint(site, plain, clerk, c6, channel="in_person", department=after_sales, **_closed(c6, 60, 600))
    _complaint(site, plain, clerk, _at(2026, 11, 1, 0, 30))  # November, local time
    elsewhere = make_staff("river-clerk", DUTY_GROUPS[DutyCode.CLERK], site=other_site)
    river = services.create_customer(site=other_site, by=elsewhere, name="He Yu", phone="139 5555 6666")
    _complaint(other_site, river, elsewhere, _at(2026, 10, 15, 10, 0))
    done = {"done_at": _at(2026, 10, 20, 10, 0), "done_by": clerk}
    for due, extra in (
        (date(2026, 10, 1), {**done, "satisfaction": 4}),
        (date(2026, 10, 31), {**done, "satisfaction": 5}),
        (date(2026, 10, 15), {}),
        (date(2026, 11, 1), {**done, "satisfaction": 1}),
    ):
        FollowUp.objects.create(site=site, customer=gao, origin="manual", due_on=due, assigned_to=clerk, **extra)
    FollowUp.objects.create(site=site, customer=plain, origin="manual", due_on=date(2026, 10, 9), assigned_to=clerk)
    return site


def test_the_summary_counts_a_month_of_the_sites_local_days(october):
    summary = build_summary(site=october, first=date(2026, 10, 1), today=date(2026, 11, 27))

    assert summary.table("channel").rows == [("In person", 2), ("Phone", 1), ("Written", 0), ("Online", 1)]
    assert summary.table("severity").rows == [("General", 3), ("Major", 1)]
    assert summary.table("department").rows == [("After-sales", 3), ("Not routed yet", 1)]
    assert summary.table("outcome").rows == [("Open", 1), ("In progress", 0), ("Replied", 1), ("Closed", 2)]


def test_the_median_minutes_to_reply_and_to_close_are_the_middle_ones(october):
    summary = build_summary(site=october, first=date(2026, 10, 1), today=date(2026, 11, 27))

    # replied after 30, 60 and 2,970 minutes; closed after 120 and 600 (nearest rank)
    assert summary.table("times").rows == [("to the first reply", 3, 60.0), ("to closing", 2, 120.0)]


def test_overdue_are_those_replied_after_their_day_or_not_yet_replied_past_it(october):
    summary = build_summary(site=october, first=date(2026, 10, 1), today=date(2026, 11, 27))

    overdue = summary.table("overdue").rows
    assert [(row[4], row[5]) for row in overdue] == [("2026-10-10", "2026-10-12"), ("2026-11-05", "not yet")]


def test_follow_ups_done_against_due_and_average_satisfaction_by_tier(october):
    summary = build_summary(site=october, first=date(2026, 10, 1), today=date(2026, 11, 27))

    assert summary.table("follow_ups").rows == [
        ("Gold", 2, 1, 3, 4.5),
        ("Important", 0, 0, 0, None),
        ("General", 0, 1, 1, None),
    ]


def test_the_director_reads_last_month_by_default_with_charts_and_tables(client, director, october):
    client.force_login(director)

    response = client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["month"] == date(2026, 10, 1)
    assert page.count("<svg") == 5  # channel, severity, department, outcome, follow-ups
    assert 'data-label="After-sales" data-series="Complaints" data-value="3"' in page
    assert '<th scope="row">After-sales</th><td>3</td>' in page


def test_a_month_is_chosen_and_a_bad_one_is_reported(client, director, october):
    client.force_login(director)

    november = client.get(URL, {"month": "2026-11"})
    bad = client.get(URL, {"month": "October"})

    assert november.context["summary"].table("channel").rows[1] == ("Phone", 1)
    assert bad.status_code == 200
    assert bad.context["month"] == date(2026, 10, 1)
    assert 'data-testid="summary-errors"' in bad.content.decode()


def test_the_summary_reads_a_fixed_number_of_queries(client, director, october, django_assert_max_num_queries):
    client.force_login(director)
    client.get(URL, {"month": "2026-09"})  # the session and permissions warmed

    with django_assert_max_num_queries(22):  # the figures once, and the cache table
        response = client.get(URL)
    with django_assert_max_num_queries(7):  # drawn once, then read from the cache
        client.get(URL)

    assert response.status_code == 200


@pytest.mark.parametrize("who", ["clerk", "host", "security_guard", "salesperson"])
def test_the_desk_hosts_security_and_salespeople_may_not_read_it(client, who, request, october):
    client.force_login(request.getfixturevalue(who))

    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("who", ["director", "floor_manager", "manager"])
def test_the_director_floor_and_office_managers_read_it(client, who, request, october):
    client.force_login(request.getfixturevalue(who))

    assert client.get(URL).status_code == 200


def test_another_sites_summary_is_not_found(client, director, october):
    client.force_login(director)

    assert client.get(URL, {"site": "river"}).status_code == 404
