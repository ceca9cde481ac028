"""R2.1-R2.4: whose turn it is on the sales floor (customers/rotation.py)."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers import rotation, services
from customers.models import Assignment, AssignmentKind, Channel, RotationQueue, Skip, SkipReason
from reception.errors import ReceptionError
from tests.visitors.desk import walk_in
from visitors import services as visit_services
from visitors.models import AuditEvent


@pytest.fixture
def arrive(business, business_room, clerk):
    """A business customer walks in and is registered by the clerk."""
    business_room.capacity = 500
    business_room.save()
    counter = iter(range(1, 10_000))

    def make(name=None, host=None):
        return walk_in(
            category=business, room=business_room, by=clerk, name=name or f"Customer {next(counter)}", host=host
        )

    return make


def press(site, clerk, **kwargs):
    return rotation.next_salesperson(site=site, by=clerk, **kwargs)


def test_next_goes_round_the_queue_in_its_set_order(sales_floor, site, clerk, salesperson, sales2, sales3):
    chosen = [press(site, clerk, channel=Channel.CALL).salesperson for _ in range(4)]

    assert chosen == [salesperson, sales2, sales3, salesperson]
    assert set(Assignment.objects.values_list("kind", flat=True)) == {AssignmentKind.TURN}
    assert AuditEvent.objects.filter(action="rotation.assign").count() == 4


def test_a_salesperson_marked_away_is_passed_over_and_the_reason_recorded(
    sales_floor, site, clerk, salesperson, sales2
):
    rotation.mark_away(site=site, user=salesperson, by=salesperson, reason="Lunch")

    assignment = press(site, clerk, channel=Channel.CALL)

    assert assignment.salesperson == sales2
    assert list(assignment.skips.values_list("user_id", "reason")) == [(salesperson.pk, SkipReason.AWAY)]


def test_a_salesperson_off_the_roster_is_passed_over(sales_floor, site, clerk, salesperson, sales2, time_machine):
    salesperson.roster.update(
        ends_at=timezone.now() - timedelta(minutes=1), starts_at=timezone.now() - timedelta(hours=2)
    )

    assignment = press(site, clerk, channel=Channel.CALL)

    assert assignment.salesperson == sales2
    assert assignment.skips.get().reason == SkipReason.OFF_ROSTER


def test_a_salesperson_serving_a_customer_is_passed_over_but_keeps_their_turn(
    sales_floor, site, clerk, salesperson, sales2, sales3, arrive
):
    with_host = arrive(host=salesperson)  # an open visit as host: busy

    while_busy = [press(site, clerk, channel=Channel.CALL) for _ in range(3)]
    visit_services.check_out_visit(visit=with_host, by=clerk)
    once_free = press(site, clerk, channel=Channel.CALL)

    assert [a.salesperson for a in while_busy] == [sales2, sales3, sales2]
    assert {skip.reason for a in while_busy for skip in a.skips.all()} == {SkipReason.BUSY}
    # R2.3: not made to leave a customer, so not charged for the turns
    # missed: once free, Zhou Min comes before Xu Jing, who is next in order.
    assert once_free.salesperson == salesperson


def test_a_walk_in_given_to_a_salesperson_keeps_them_busy_until_the_customer_leaves(
    sales_floor, site, clerk, salesperson, sales2, arrive
):
    first = press(site, clerk, visit=arrive())

    second = press(site, clerk, channel=Channel.CALL)

    assert first.salesperson == salesperson
    assert second.salesperson == sales2
    third = press(site, clerk, channel=Channel.CALL)
    assert third.salesperson.username == "sales3"
    fourth = press(site, clerk, channel=Channel.CALL)
    assert fourth.salesperson == sales2  # Zhou Min is still with the customer
    assert (salesperson.pk, SkipReason.BUSY) in set(fourth.skips.values_list("user_id", "reason"))


def test_nobody_free_is_refused_and_nothing_is_recorded(sales_floor, site, clerk, salesperson, sales2, sales3):
    for person in (salesperson, sales2, sales3):
        rotation.mark_away(site=site, user=person, by=person, reason="Training")

    with pytest.raises(ReceptionError) as refusal:
        press(site, clerk, channel=Channel.CALL)

    assert refusal.value.code == "nobody_free"
    assert not Assignment.objects.exists() and not Skip.objects.exists()
    assert RotationQueue.objects.get().last_position == 0


def test_a_site_without_a_queue_is_told_to_set_one_up(site, clerk):
    with pytest.raises(ReceptionError) as refusal:
        press(site, clerk, channel=Channel.CALL)

    assert refusal.value.code == "no_rotation"


# --- R2.4: the returning customer's own salesperson first ---------------------------


@pytest.fixture
def returning(site, floor_manager, sales3):
    """Chen Jing, Xu Jing's customer."""
    return services.create_customer(site=site, by=floor_manager, name="Chen Jing", phone="136 1111 2222", owner=sales3)


def test_a_returning_customer_goes_to_their_own_salesperson_out_of_order(sales_floor, site, clerk, returning, sales3):
    assignment = press(site, clerk, channel=Channel.CALL, customer=returning)

    assert (assignment.salesperson, assignment.kind) == (sales3, AssignmentKind.OWNER)
    assert RotationQueue.objects.get().last_position == 0  # the queue did not move


def test_when_the_owner_is_away_the_desk_must_give_a_reason_to_use_the_rotation(
    sales_floor, site, clerk, returning, sales3, salesperson
):
    rotation.mark_away(site=site, user=sales3, by=sales3, reason="Site visit")

    with pytest.raises(ReceptionError) as refusal:
        press(site, clerk, channel=Channel.CALL, customer=returning)
    assignment = press(
        site, clerk, channel=Channel.CALL, customer=returning, owner_fallback_reason="Customer in a hurry"
    )

    assert refusal.value.code == "owner_unavailable"
    assert "Xu Jing" in refusal.value.message
    assert (assignment.salesperson, assignment.kind, assignment.reason) == (
        salesperson,
        AssignmentKind.TURN,
        "Customer in a hurry",
    )
    assert (sales3.pk, SkipReason.OWNER_UNAVAILABLE) in set(assignment.skips.values_list("user_id", "reason"))


# --- R2.3: out of turn only by the floor manager, with a reason ------------------------


def test_the_floor_manager_overrides_with_a_reason_and_the_queue_stays(
    sales_floor, site, floor_manager, sales3, arrive
):
    assignment = rotation.override(
        site=site, by=floor_manager, salesperson=sales3, reason="Speaks German", visit=arrive()
    )

    assert (assignment.kind, assignment.reason, assignment.salesperson) == (
        AssignmentKind.OVERRIDE,
        "Speaks German",
        sales3,
    )
    assert RotationQueue.objects.get().last_position == 0


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused(sales_floor, site, floor_manager, sales3, arrive, reason):
    with pytest.raises(ReceptionError) as refusal:
        rotation.override(site=site, by=floor_manager, salesperson=sales3, reason=reason, visit=arrive())

    assert refusal.value.code == "reason_required"
    assert not Assignment.objects.exists()


def test_a_salesperson_cannot_give_themself_a_customer(sales_floor, site, salesperson, arrive):
    with pytest.raises(ReceptionError) as refusal:
        rotation.override(site=site, by=salesperson, salesperson=salesperson, reason="Mine", visit=arrive())

    assert refusal.value.code == "not_allowed"
    assert not salesperson.has_perm("customers.assign_turn")


def test_a_customer_is_given_to_one_salesperson_only(sales_floor, site, clerk, arrive):
    visit = arrive()
    press(site, clerk, visit=visit)

    with pytest.raises(ReceptionError) as refusal:
        press(site, clerk, visit=visit)

    assert refusal.value.code == "already_assigned"
    assert Assignment.objects.count() == 1


# --- greeting (R2.2) -----------------------------------------------------------------


def test_the_salesperson_greets_with_one_click_and_only_once(sales_floor, site, clerk, salesperson, sales2, arrive):
    assignment = press(site, clerk, visit=arrive())

    with pytest.raises(ReceptionError) as not_theirs:
        rotation.greet(assignment=assignment, by=sales2)
    rotation.greet(assignment=assignment, by=salesperson)
    with pytest.raises(ReceptionError) as twice:
        rotation.greet(assignment=assignment, by=clerk)

    assignment.refresh_from_db()
    assert (not_theirs.value.code, twice.value.code) == ("not_yours", "already_greeted")
    assert assignment.greeted_by == salesperson


# --- two desks at once ------------------------------------------------------------------


def test_presses_in_a_row_never_give_two_customers_to_one_free_salesperson(sales_floor, site, clerk, arrive):
    chosen = [press(site, clerk, visit=arrive()).salesperson for _ in range(3)]

    assert len(set(chosen)) == 3
    with pytest.raises(ReceptionError):
        press(site, clerk, visit=arrive())  # all three are now serving


# --- invariants over a day ---------------------------------------------------------------


def _charged(site):
    """Turns taken plus turns lost while away, per salesperson (rotation.turns_charged)."""
    return rotation.turns_charged(site, timezone.now())


def test_over_a_simulated_day_the_turns_differ_by_at_most_one(
    sales_floor, site, clerk, floor_manager, salesperson, sales2, sales3, arrive, time_machine, returning
):
    """R2.2 over eight hours: guests keep salespeople busy for a while, one
    goes to lunch, a returning customer goes to their own salesperson and the
    floor manager overrides now and then. Every turn goes to someone with the
    fewest turns of those present, and at the end of the day the turns
    (counting those lost while away) differ by at most one."""
    people = [salesperson, sales2, sales3]
    open_visits = []
    for minute in range(0, 8 * 60, 7):
        time_machine.move_to(timezone.now() + timedelta(minutes=7), tick=False)
        if minute % 91 == 0:
            open_visits.append(arrive(host=people[minute % 3]))  # someone busy with an invited guest
        if minute % 21 == 0 and open_visits:
            visit_services.check_out_visit(visit=open_visits.pop(0), by=clerk)
        if minute == 140:
            rotation.mark_away(
                site=site, user=sales2, by=sales2, reason="Lunch", until=timezone.now() + timedelta(hours=1)
            )
        if minute % 49 == 0:
            # The owner's returning customer: not counted, unless passed on with a reason.
            press(site, clerk, channel=Channel.CALL, customer=returning, owner_fallback_reason="Owner with a client")
        elif minute % 55 == 0:
            visit = arrive()
            rotation.override(site=site, by=floor_manager, salesperson=sales3, reason="Key account", visit=visit)
            open_visits.append(visit)
        else:
            charged = _charged(site)
            present = [m.user.pk for m in rotation.members(sales_floor) if m.status == rotation.PRESENT]
            try:
                assignment = press(site, clerk, channel=Channel.CALL)
            except ReceptionError:
                assert not present
            else:
                assert charged[assignment.salesperson_id] == min(charged[pk] for pk in present)
    for visit in open_visits:
        visit_services.check_out_visit(visit=visit, by=clerk)
    for _ in range(3):
        press(site, clerk, channel=Channel.CALL)

    charged = _charged(site)
    counts = [charged[person.pk] for person in people]
    assert max(counts) - min(counts) <= 1, counts
    taken = Counter(Assignment.objects.filter(kind=AssignmentKind.TURN).values_list("salesperson_id", flat=True))
    # The two who were never away: their turns taken differ by at most one too.
    assert abs(taken[salesperson.pk] - taken[sales3.pk]) <= 1, taken
    assert Assignment.objects.filter(kind=AssignmentKind.OWNER).exists()
    assert Assignment.objects.filter(kind=AssignmentKind.OVERRIDE).exists()


EVENTS = st.lists(
    st.tuples(st.sampled_from(["press", "arrive", "leave", "away", "back"]), st.integers(min_value=0, max_value=2)),
    max_size=25,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS)
def test_no_sequence_of_events_ever_gives_a_customer_to_someone_busy_or_absent(
    events, sales_floor, site, clerk, salesperson, sales2, sales3, business, business_room
):
    Assignment.objects.all().delete()
    people = [salesperson, sales2, sales3]
    hosted = {}
    for event, who in events:
        person = people[who]
        if event == "arrive" and person.pk not in hosted:
            hosted[person.pk] = walk_in(category=business, room=business_room, by=clerk, name="Guest", host=person)
        elif event == "leave" and person.pk in hosted:
            visit_services.check_out_visit(visit=hosted.pop(person.pk), by=clerk)
        elif event == "away":
            try:
                rotation.mark_away(site=site, user=person, by=person, reason="Out")
            except ReceptionError:
                pass
        elif event == "back":
            mark = rotation.AwayMark.objects.filter(user=person).at(timezone.now()).first()
            if mark:
                rotation.end_away(mark=mark, by=person)
        elif event == "press":
            statuses = {member.user.pk: member.status for member in rotation.members(sales_floor)}
            try:
                assignment = press(site, clerk, channel=Channel.CALL)
            except ReceptionError as refusal:
                assert refusal.code == "nobody_free"
                assert rotation.PRESENT not in statuses.values()
            else:
                assert statuses[assignment.salesperson_id] == rotation.PRESENT
    for visit in hosted.values():
        visit_services.check_out_visit(visit=visit, by=clerk)
    rotation.AwayMark.objects.all().delete()


def test_a_customer_without_a_salesperson_becomes_the_one_served_in_turn(sales_floor, site, clerk, salesperson):
    newcomer = services.create_customer(site=site, by=clerk, name="Ana Lima")

    first = press(site, clerk, channel=Channel.CALL, customer=newcomer)
    again = press(site, clerk, channel=Channel.CALL, customer=newcomer)

    newcomer.refresh_from_db()
    assert newcomer.owner == salesperson
    assert (first.kind, again.kind, again.salesperson) == (AssignmentKind.TURN, AssignmentKind.OWNER, salesperson)
