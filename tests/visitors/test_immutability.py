"""R6.4 in depth: a registration is not altered in place by anyone — not the
admin, not a raw ORM update (PostgreSQL trigger) — while the workflow still
moves the visit along and the amendment service is the one way to correct it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from reception.models import Duty, DutyCode, RosterEntry
from visitors import audit, services
from visitors.amendments import AMENDABLE_FIELDS, amend_visit
from visitors.models import Amendment, Visit, Visitor, VisitStatus


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=False)


@pytest.fixture
def visit(clerk, business, business_room):
    registered = Visit(category=business, room=business_room, purpose="Order review")
    return services.register_visit(
        visit=registered, visitor=Visitor(full_name="Kenji Tanaka"), by=clerk, arrive_now=False
    )


def refused(**changes):
    """A raw ORM update of the visit, expected to be refused by the database."""
    with pytest.raises(IntegrityError, match="R6.4") as refusal, transaction.atomic():
        Visit.objects.update(**changes)
    return str(refusal.value)


def test_every_visit_column_is_either_a_registered_fact_or_workflow():
    # A new Visit column must be classified (and, if registered, guarded by a
    # migration that re-creates the trigger function).
    columns = {field.column for field in Visit._meta.concrete_fields}

    assert columns == set(audit.REGISTERED_FACTS) | set(audit.WORKFLOW_COLUMNS)
    assert not set(audit.REGISTERED_FACTS) & set(audit.WORKFLOW_COLUMNS)
    assert set(audit.ARRIVAL_FACTS) <= set(audit.REGISTERED_FACTS)


def test_every_amendable_field_is_a_registered_fact():
    visit_fields = [name for name in AMENDABLE_FIELDS if not name.startswith("visitor.")]

    assert {Visit._meta.get_field(name).column for name in visit_fields} <= set(audit.REGISTERED_FACTS)


def test_the_admin_does_not_change_or_delete_a_visit_even_for_a_superuser(client, visit):
    admin = get_user_model().objects.create_superuser("root", "root@lobby.test", "correct-horse-battery")
    client.force_login(admin)

    change = client.post(reverse("admin:visitors_visit_change", args=[visit.pk]), {"purpose": "Altered"})
    delete = client.post(reverse("admin:visitors_visit_delete", args=[visit.pk]), {"post": "yes"})
    add = client.get(reverse("admin:visitors_visit_add"))

    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    visit.refresh_from_db()
    assert visit.purpose == "Order review"
    assert Visit.objects.count() == 1


@pytest.mark.postgres
def test_a_raw_orm_update_of_a_registered_fact_fails(visit, business_room, gm_office):
    message = refused(room=gm_office)

    assert "room_id" in message and f"visit {visit.pk}" in message
    visit.refresh_from_db()
    assert visit.room == business_room


@pytest.mark.postgres
@pytest.mark.parametrize(
    "changes",
    [
        {"purpose": "Something else"},
        {"party_size": 4},
        {"meals": True},
        {"registered_at": datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))},
        {"source": "kiosk"},
        {"badge_code": "ZZZZZZZZ"},
        {"night_override_reason": "Backdated"},
        {"id_sighted": True},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_no_registered_fact_can_be_updated_in_place(visit, changes):
    message = refused(**changes)

    assert next(iter(changes)) in message
    visit.refresh_from_db()
    assert visit.purpose == "Order review" and visit.party_size == 1 and not visit.meals


@pytest.mark.postgres
def test_changing_the_visitor_or_the_category_in_place_fails(visit, vip, clerk):
    other = Visitor.objects.create(full_name="Someone else")

    assert "visitor_id" in refused(visitor=other)
    assert "category_id" in refused(category=vip)


@pytest.mark.postgres
def test_the_workflow_still_moves_the_visit_along(visit, clerk, manager):
    services.check_in_visit(visit=visit, by=clerk)
    Visit.objects.filter(pk=visit.pk).update(acknowledged_at=visit.registered_at, acknowledged_by=clerk)
    services.check_out_visit(visit=visit, by=clerk)
    Visit.objects.filter(pk=visit.pk).update(legal_hold=True)

    visit.refresh_from_db()
    assert visit.status == VisitStatus.LEFT and visit.legal_hold and visit.acknowledged_by == clerk


@pytest.mark.postgres
def test_night_facts_are_written_once_at_arrival(time_machine, clerk, night_officer, site, business, business_room):
    expected = services.register_visit(
        visit=Visit(category=business, room=business_room, purpose="Late delivery"),
        visitor=Visitor(full_name="Night Courier"),
        by=clerk,
        arrive_now=False,
    )
    night = datetime(2026, 11, 27, 22, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    RosterEntry.objects.create(
        site=site,
        duty=Duty.objects.get(code=DutyCode.NIGHT_OFFICER),
        user=night_officer,
        starts_at=night.replace(hour=20),
        ends_at=night.replace(day=28, hour=8),
    )
    time_machine.move_to(night, tick=False)

    facts = services.NightFacts(id_sighted=True, id_sighted_type="passport", host_contacted=False)
    services.check_in_visit(visit=expected, by=night_officer, night_facts=facts)

    expected.refresh_from_db()
    assert expected.night_registration
    assert "night_registration" in refused(night_registration=False)


@pytest.mark.postgres
def test_the_amendment_service_is_the_one_way_in_and_closes_the_door_behind_it(visit, clerk, gm_office):
    with transaction.atomic():
        amend_visit(visit=visit, field="room", new_value=gm_office, reason="Moved", by=clerk)
        # Still in the same transaction: the permission was switched off again.
        assert "purpose" in refused(purpose="Sneaked in")

    visit.refresh_from_db()
    assert visit.room == gm_office and visit.purpose == "Order review"


@pytest.mark.postgres
def test_amendments_cannot_be_updated_or_deleted(visit, clerk, gm_office):
    amendment = amend_visit(visit=visit, field="room", new_value=gm_office, reason="Moved", by=clerk)

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Amendment.objects.filter(pk=amendment.pk).update(reason="Rewritten")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Amendment.objects.filter(pk=amendment.pk).update(old_value="")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM visitors_amendment WHERE id = %s", [amendment.pk])

    amendment.refresh_from_db()
    assert (amendment.reason, amendment.old_value) == ("Moved", "Business Room")


@pytest.mark.postgres
def test_anonymisation_may_blank_amendment_values_and_nothing_else(visit, clerk, gm_office):
    amendment = amend_visit(visit=visit, field="room", new_value=gm_office, reason="Moved", by=clerk)

    with transaction.atomic(), audit.sanctioned("lobby.anonymising"):
        Amendment.objects.filter(pk=amendment.pk).update(old_value="", new_value="")
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            Amendment.objects.filter(pk=amendment.pk).update(reason="Rewritten")

    amendment.refresh_from_db()
    assert (amendment.old_value, amendment.new_value, amendment.reason) == ("", "", "Moved")


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_trigger_guards_every_registered_fact():
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'lobby_visit_registration_immutable'")
        (source,) = cursor.fetchone()

    assert all(f"'{column}'" in source for column in audit.REGISTERED_FACTS)
    assert not any(f"'{column}'" in source for column in audit.WORKFLOW_COLUMNS)


@pytest.mark.postgres
def test_a_room_left_open_is_written_once_at_arrival(clerk, secretary, business, business_room, gm_office):
    # R1.3 with R6.4: an invitation's "decide on arrival" room is placed in the
    # UPDATE that checks the visit in (migration 0010), and is fixed after it.
    expected = services.register_visit(
        visit=Visit(category=business, purpose="Review"),
        visitor=Visitor(full_name="Open Guest"),
        by=secretary,
        arrive_now=False,
    )
    assert "room_id" in refused(room=business_room)  # not outside the arrival

    services.check_in_visit(visit=expected, by=clerk, room=business_room)

    expected.refresh_from_db()
    assert (expected.status, expected.room) == (VisitStatus.ON_SITE, business_room)
    assert "room_id" in refused(room=gm_office)
