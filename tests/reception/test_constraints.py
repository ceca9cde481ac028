"""Every invariant the database enforces, violated through the ORM, raises
IntegrityError, on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from reception.models import Duty, DutyCode, Incident, LostItem, ReceptionRoom, RosterEntry, Site, VisitorCategory
from visitors.models import AuditEvent, Visit, VisitEvent, Visitor, VisitStatus

pytestmark = pytest.mark.django_db


def violates(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()
    return True


@pytest.fixture
def alice(db):
    return Visitor.objects.create(full_name="Alice Example", phone="13800000001")


def visit(site, category, visitor, **fields):
    return Visit.objects.create(site=site, category=category, visitor=visitor, purpose="Talks", **fields)


def test_site_constraints(site):
    assert violates(lambda: Site.objects.create(name="Headquarters Base", slug="other"))
    assert violates(lambda: Site.objects.create(name="Other", slug="hq"))
    assert violates(lambda: Site.objects.create(name="Zero", slug="zero", retention_days=0))
    assert violates(lambda: Site.objects.create(name="Empty", slug="empty", night_starts=time(8), night_ends=time(8)))


def test_category_code_is_unique_per_site_and_deadline_positive(site, other_site, vip):
    assert violates(lambda: VisitorCategory.objects.create(site=site, code="A", name="Again"))
    assert violates(lambda: VisitorCategory.objects.create(site=site, code="Z", name="Z", ack_deadline_minutes=0))
    VisitorCategory.objects.create(site=other_site, code="A", name="VIP")  # another site may reuse the code


def test_room_constraints(site, lounge):
    assert violates(lambda: ReceptionRoom.objects.create(site=site, name="Lounge", capacity=5))
    assert violates(lambda: ReceptionRoom.objects.create(site=site, name="Cupboard", capacity=0))


def test_roster_entry_ends_after_it_starts(site, clerk):
    now = timezone.now()
    duty = Duty.objects.get(code=DutyCode.CLERK)
    assert violates(lambda: RosterEntry.objects.create(site=site, duty=duty, user=clerk, starts_at=now, ends_at=now))


def test_visit_status_must_be_a_known_one(site, ordinary, alice):
    assert violates(lambda: visit(site, ordinary, alice, status="wandering"))


def test_party_size_is_at_least_one(site, ordinary, alice):
    assert violates(lambda: visit(site, ordinary, alice, party_size=0))


def test_check_out_is_not_before_check_in(site, ordinary, alice):
    now = timezone.now()
    assert violates(
        lambda: visit(
            site, ordinary, alice, status=VisitStatus.LEFT, checked_in_at=now, checked_out_at=now - timedelta(minutes=1)
        )
    )
    assert violates(lambda: visit(site, ordinary, alice, checked_out_at=now))  # out without ever coming in


def test_on_site_means_checked_in_and_left_means_checked_out(site, ordinary, alice):
    assert violates(lambda: visit(site, ordinary, alice, status=VisitStatus.ON_SITE))
    assert violates(lambda: visit(site, ordinary, alice, status=VisitStatus.LEFT, checked_in_at=timezone.now()))


def test_expected_window_ends_after_it_starts(site, ordinary, alice):
    now = timezone.now()
    assert violates(lambda: visit(site, ordinary, alice, expected_at=now, expected_until=now))


# Issue #15: year 1 is the value PostgreSQL stored and then could not hand back.
OUT_OF_RANGE = [
    datetime(1, 1, 2, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
    datetime(2100, 1, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_an_expected_window_lies_between_2000_and_2100(site, ordinary, alice, moment):
    assert violates(lambda: visit(site, ordinary, alice, expected_at=moment))
    assert violates(
        lambda: visit(site, ordinary, alice, expected_at=datetime(2026, 1, 1, tzinfo=UTC), expected_until=moment)
    )
    visit(site, ordinary, alice, expected_at=None)  # an unplanned walk-in has no window


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_registers_and_roster_lie_between_2000_and_2100(site, clerk, moment):
    now = timezone.now()
    duty = Duty.objects.get(code=DutyCode.CLERK)
    common = {"site": site, "found_where": "Lobby", "found_by": "Clerk", "stored_where": "Desk", "recorded_by": clerk}
    assert violates(lambda: LostItem.objects.create(description="Keys", found_at=moment, **common))
    assert violates(
        lambda: Incident.objects.create(
            site=site, kind="damage", description="x", occurred_at=moment, reported_by=clerk
        )
    )
    assert violates(lambda: RosterEntry.objects.create(site=site, duty=duty, user=clerk, starts_at=moment, ends_at=now))
    assert violates(lambda: RosterEntry.objects.create(site=site, duty=duty, user=clerk, starts_at=now, ends_at=moment))


def test_one_open_visit_per_visitor_per_site(site, other_site, ordinary, lounge, alice):
    now = timezone.now()
    visit(site, ordinary, alice, status=VisitStatus.ON_SITE, checked_in_at=now, room=lounge)
    assert violates(lambda: visit(site, ordinary, alice, status=VisitStatus.ON_SITE, checked_in_at=now, room=lounge))
    visit(site, ordinary, alice, status=VisitStatus.EXPECTED)  # expected again later: fine
    other_category = VisitorCategory.objects.create(site=other_site, code="C", name="Ordinary")
    other_room = ReceptionRoom.objects.create(site=other_site, name="Lounge", capacity=5)
    # another site: fine
    visit(other_site, other_category, alice, status=VisitStatus.ON_SITE, checked_in_at=now, room=other_room)


def test_a_visitor_on_site_is_in_a_room(site, ordinary, lounge, alice):
    # R1.3: expected without a room ("decide on arrival") is fine; on site is not.
    now = timezone.now()
    expected = visit(site, ordinary, alice, status=VisitStatus.EXPECTED)
    assert violates(lambda: visit(site, ordinary, alice, status=VisitStatus.ON_SITE, checked_in_at=now))
    assert violates(lambda: Visit.objects.filter(pk=expected.pk).update(status=VisitStatus.ON_SITE, checked_in_at=now))
    visit(site, ordinary, alice, status=VisitStatus.ON_SITE, checked_in_at=now, room=lounge)


def test_badge_codes_are_unique(site, ordinary, alice):
    first = visit(site, ordinary, alice)
    assert violates(lambda: visit(site, ordinary, alice, badge_code=first.badge_code))


def test_visit_event_kind_must_be_known(site, ordinary, alice):
    v = visit(site, ordinary, alice)
    assert violates(lambda: VisitEvent.objects.create(visit=v, kind="teleported"))


def test_audit_sequence_is_unique_per_site(site):
    AuditEvent.objects.create(site=site, seq=1, action="x", object_type="t", hash="a")
    assert violates(lambda: AuditEvent.objects.create(site=site, seq=1, action="y", object_type="t", hash="b"))


def test_history_cannot_be_deleted_from_under_a_visit(site, ordinary, alice, lounge):
    visit(site, ordinary, alice, room=lounge)
    with pytest.raises(Exception) as caught, transaction.atomic():
        alice.delete()
    assert type(caught.value).__name__ in {"ProtectedError", "IntegrityError"}
