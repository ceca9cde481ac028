"""R2.1 under load: many desks pressing "Next" at the same instant never give
two customers to one salesperson, nor the same turn twice (the queue row lock,
customers/rotation.py). On PostgreSQL with a thread per desk; the SQLite run
of the same rule is test_rotation.py's presses in a row."""

import pytest

from customers import rotation
from customers.models import Assignment, Channel, RotationMember
from reception.models import Duty, DutyCode, RosterEntry
from tests.visitors.desk import walk_in
from tests.visitors.test_public_races import at_once
from visitors import services as visit_services

pytestmark = pytest.mark.postgres

SALESPEOPLE = 6
ROUNDS = 5


def test_simultaneous_presses_never_give_one_salesperson_two_customers(
    transactional_db, sales_floor, site, clerk, make_staff, business, business_room
):
    business_room.capacity = 500
    business_room.save()
    duty = Duty.objects.get(code=DutyCode.SALESPERSON)
    shift = RosterEntry.objects.filter(duty=duty).first()
    for number in range(4, SALESPEOPLE + 1):
        person = make_staff(f"sales{number}", "Salesperson", site=site, department="Sales")
        RotationMember.objects.create(queue=sales_floor, position=number, user=person)
        RosterEntry.objects.create(site=site, duty=duty, user=person, starts_at=shift.starts_at, ends_at=shift.ends_at)
    for round_number in range(ROUNDS):
        visits = [
            walk_in(category=business, room=business_room, by=clerk, name=f"G{round_number}-{i}") for i in range(10)
        ]

        def press(i, visits=visits):
            return rotation.next_salesperson(site=site, by=clerk, visit=visits[i]).salesperson_id

        results = at_once(press, threads=10)

        chosen = [r for r in results if isinstance(r, int)]
        assert len(chosen) == SALESPEOPLE, results  # one each, then everyone is busy
        assert len(set(chosen)) == SALESPEOPLE, results
        assert sorted(r for r in results if not isinstance(r, int)) == ["nobody_free"] * (10 - SALESPEOPLE)
        for visit in visits:
            visit_services.check_out_visit(visit=visit, by=clerk)


def test_simultaneous_call_presses_take_turns_in_order(transactional_db, sales_floor, site, clerk):
    results = at_once(
        lambda i: rotation.next_salesperson(site=site, by=clerk, channel=Channel.CALL).salesperson_id, threads=12
    )

    assert all(isinstance(r, int) for r in results), results
    counts = {pk: results.count(pk) for pk in set(results)}
    assert sorted(counts.values()) == [4, 4, 4]  # three salespeople, twelve calls: four each
    assert Assignment.objects.count() == 12
