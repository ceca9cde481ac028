"""Issue #19 item 2 (A13): a site's maximum visitors a day refuses invitations
beyond it, counted by the site's local day, in people (each visit's party)."""

from datetime import datetime, timedelta

import pytest

from reception.errors import ReceptionError
from visitors import invitations, services
from visitors.models import Invitation, Visit, Visitor, VisitStatus


def invite(site, host, category, expected_at, *, party_size=1, name="Kenji Tanaka"):
    return invitations.create_invitation(
        site=site,
        by=host,
        email="guest@example.com",
        full_name=name,
        category=category,
        host=host,
        purpose="Talks",
        party_size=party_size,
        expected_at=expected_at,
    )


@pytest.fixture
def afternoon(site):
    """Friday 27 November 2026, 14:00 in Shanghai."""
    return datetime(2026, 11, 27, 14, 0, tzinfo=site.tzinfo)


@pytest.fixture
def capped(site):
    site.max_visitors_per_day = 3
    site.save()
    return site


def test_an_invitation_that_fills_the_day_exactly_is_accepted_and_the_next_is_not(
    capped, host, business, afternoon, daytime
):
    invite(capped, host, business, afternoon, party_size=2)

    invite(capped, host, business, afternoon + timedelta(hours=2), party_size=1)

    assert Visit.objects.filter(site=capped).count() == 2
    with pytest.raises(ReceptionError):
        invite(capped, host, business, afternoon, name="One Too Many")


def test_an_invitation_beyond_the_days_maximum_is_refused_naming_the_day_and_the_limit(
    capped, host, business, afternoon, daytime
):
    invite(capped, host, business, afternoon, party_size=3)

    with pytest.raises(ReceptionError) as refused:
        invite(capped, host, business, afternoon, name="Second Guest")

    assert refused.value.code == "day_full" and refused.value.field == "expected_at"
    assert "3 visitors a day" in refused.value.message and "2026" in refused.value.message
    assert Visit.objects.filter(site=capped).count() == 1 and Invitation.objects.count() == 1


def test_another_day_is_unaffected(capped, host, business, afternoon, daytime):
    invite(capped, host, business, afternoon, party_size=3)

    invite(capped, host, business, afternoon + timedelta(days=1))

    assert Visit.objects.filter(site=capped).count() == 2
    with pytest.raises(ReceptionError):
        invite(capped, host, business, afternoon, name="Same Day Guest")


def test_the_day_is_the_sites_local_day(capped, host, business, afternoon, daytime):
    """23:30 and 00:30 Shanghai time are two days, though both fall on one UTC day."""
    late = (afternoon + timedelta(days=1)).replace(hour=23, minute=30)
    invite(capped, host, business, late, party_size=3)

    invite(capped, host, business, late + timedelta(hours=1))

    with pytest.raises(ReceptionError) as refused:
        invite(capped, host, business, late.replace(hour=9), name="Morning Guest")
    assert refused.value.code == "day_full"


def test_cancelled_visits_free_their_places(capped, host, clerk, business, afternoon, daytime):
    first = invite(capped, host, business, afternoon, party_size=3)
    services.close_expected_visit(visit=first.visit, by=clerk, outcome=VisitStatus.CANCELLED)

    invite(capped, host, business, afternoon, party_size=3)

    assert Visit.objects.filter(site=capped, status=VisitStatus.EXPECTED).count() == 1
    with pytest.raises(ReceptionError):
        invite(capped, host, business, afternoon, name="Fourth Guest")


def test_walk_ins_already_on_site_take_places(capped, host, clerk, business, business_room, afternoon, daytime):
    visit = Visit(category=business, room=business_room, host=host, purpose="Talks", party_size=3)
    services.register_visit(visit=visit, visitor=Visitor(full_name="Walk In"), by=clerk, arrive_now=True)

    with pytest.raises(ReceptionError) as refused:
        invite(capped, host, business, afternoon)

    assert refused.value.code == "day_full"


def test_a_blank_maximum_lifts_the_limit(capped, host, business, afternoon, daytime):
    invite(capped, host, business, afternoon, party_size=3)
    with pytest.raises(ReceptionError):
        invite(capped, host, business, afternoon, name="Refused Guest")
    capped.max_visitors_per_day = None
    capped.save()

    for n in range(3):
        invite(capped, host, business, afternoon, party_size=8, name=f"Guest {n}")

    assert Visit.objects.filter(site=capped).count() == 4


def test_the_invitation_page_shows_the_refusal_on_the_form(client, capped, host, business, afternoon, daytime):
    invite(capped, host, business, afternoon, party_size=3)
    client.force_login(host)

    response = client.post(
        "/desk/invitations/new/",
        {
            "full_name": "Late Guest",
            "email": "late@example.com",
            "category": business.pk,
            "expected_at": "2026-11-27T16:00",
            "purpose": "Talks",
            "party_size": "1",
        },
    )

    assert response.status_code == 200
    assert "at most 3 visitors a day" in response.content.decode()
    assert Visit.objects.filter(site=capped).count() == 1


# --- per category (issue #19 item 2) -------------------------------------------------


@pytest.fixture
def few_business(business):
    """At most 2 business visitors a day, whatever the site allows."""
    business.max_visitors_per_day = 2
    business.save()
    return business


def test_a_categorys_own_maximum_refuses_its_invitations_beyond_it(
    site, host, few_business, ordinary, afternoon, daytime
):
    invite(site, host, few_business, afternoon, party_size=2)

    with pytest.raises(ReceptionError) as refused:
        invite(site, host, few_business, afternoon + timedelta(hours=1), name="Third Business Guest")

    assert refused.value.code == "category_day_full" and refused.value.field == "expected_at"
    assert "Business visitors" in refused.value.message and "at most 2" in refused.value.message
    # Another category, and another day, are not held to it.
    invite(site, host, ordinary, afternoon, party_size=5, name="Ordinary Guest")
    invite(site, host, few_business, afternoon + timedelta(days=1), party_size=2, name="Tomorrow")
    assert Visit.objects.filter(site=site).count() == 3


def test_the_sites_maximum_still_applies_beside_the_categorys(capped, host, few_business, ordinary, afternoon, daytime):
    invite(capped, host, ordinary, afternoon, party_size=2)

    with pytest.raises(ReceptionError) as refused:
        invite(capped, host, few_business, afternoon, party_size=2, name="Over The Site")

    assert refused.value.code == "day_full"


def test_the_category_count_is_one_query(site, few_business, afternoon, django_assert_num_queries):
    with django_assert_num_queries(1):
        invitations.check_day_capacity(site=site, expected_at=afternoon, party_size=1, category=few_business)


def test_the_invitation_page_shows_the_categorys_refusal(client, site, host, few_business, afternoon, daytime):
    invite(site, host, few_business, afternoon, party_size=2)
    client.force_login(host)

    response = client.post(
        "/desk/invitations/new/",
        {
            "full_name": "Late Guest",
            "email": "late@example.com",
            "category": few_business.pk,
            "expected_at": "2026-11-27T16:00",
            "purpose": "Talks",
            "party_size": "1",
        },
    )

    assert response.status_code == 200
    assert "full for Business visitors" in response.content.decode()
    assert Visit.objects.filter(site=site).count() == 1
