"""R6.8: from 20:00 to 08:00 registration, check-in and check-out are done and
signed by the officer on night duty per the roster; the office director may
stand in with a reason that is recorded; anyone else is refused with a message
naming who is on night duty. Checked with the clock frozen on both edges of the
window, in Shanghai and on the nights the clocks change in Berlin and New York."""

from datetime import date, datetime, time, timedelta

import pytest

from reception.errors import ReceptionError
from reception.models import Duty, DutyCode, RosterEntry
from visitors import services
from visitors.models import AuditEvent, Visit, VisitEvent, Visitor, VisitStatus

# (time zone, the evening the night starts); the Berlin and New York evenings
# are the nights the clocks go forward and back.
NIGHTS = [
    pytest.param("Asia/Shanghai", date(2026, 11, 26), id="shanghai"),
    pytest.param("Europe/Berlin", date(2026, 3, 28), id="berlin-spring-forward"),
    pytest.param("Europe/Berlin", date(2026, 10, 24), id="berlin-fall-back"),
    pytest.param("America/New_York", date(2026, 3, 7), id="new-york-spring-forward"),
    pytest.param("America/New_York", date(2026, 10, 31), id="new-york-fall-back"),
]
# Local wall-clock moments: (days after the evening, time).
INSIDE = [pytest.param((0, time(20, 0, 0)), id="20:00:00"), pytest.param((1, time(7, 59, 59)), id="07:59:59")]
OUTSIDE = [pytest.param((0, time(19, 59, 59)), id="19:59:59"), pytest.param((1, time(8, 0, 0)), id="08:00:00")]
ACTIONS = ["register", "check_in", "check_out"]
# What the officer records at a night arrival (R6.8); given by day too, where it is not recorded.
FACTS = services.NightFacts(id_sighted=True, id_sighted_type="passport", host_contacted=True)


def _roster(site, duty: str, user, starts: datetime, ends: datetime) -> RosterEntry:
    return RosterEntry.objects.create(
        site=site, duty=Duty.objects.get(code=duty), user=user, starts_at=starts, ends_at=ends
    )


@pytest.fixture
def night_at(site, clerk, time_machine):
    """Put the site in the zone under test, roster the clerk by day, and freeze
    the clock at noon of the evening. Returns a function of a moment."""

    def arrange(tz: str, evening: date):
        site.timezone = tz
        site.save()
        for day in (evening, evening + timedelta(days=1)):
            _roster(
                site,
                DutyCode.CLERK,
                clerk,
                datetime.combine(day, time(8), tzinfo=site.tzinfo),
                datetime.combine(day, time(20), tzinfo=site.tzinfo),
            )
        time_machine.move_to(datetime.combine(evening, time(12), tzinfo=site.tzinfo), tick=False)

        def at(moment) -> datetime:
            offset, wall = moment
            return datetime.combine(evening + timedelta(days=offset), wall, tzinfo=site.tzinfo)

        return at

    return arrange


@pytest.fixture
def rostered_officer(site, night_officer):
    def roster(evening: date):
        return _roster(
            site,
            DutyCode.NIGHT_OFFICER,
            night_officer,
            datetime.combine(evening, time(20), tzinfo=site.tzinfo),
            datetime.combine(evening + timedelta(days=1), time(8), tzinfo=site.tzinfo),
        )

    return roster


@pytest.fixture
def prepare(clerk, ordinary, lounge):
    """Prepare now (by day) the visit an action needs; return the action to run later.

    The action returns the visit; `state()` reads what the database holds now.
    """

    def make(action: str):
        if action == "register":

            def do(by, reason=""):
                visit = Visit(category=ordinary, room=lounge, purpose="Delivery after hours")
                return services.register_visit(
                    visit=visit,
                    visitor=Visitor(full_name="Late Courier"),
                    by=by,
                    arrive_now=True,
                    override_reason=reason,
                    night_facts=FACTS,
                )

            return do
        visit = Visit(category=ordinary, room=lounge, purpose="Talks")
        services.register_visit(
            visit=visit, visitor=Visitor(full_name="Day Guest"), by=clerk, arrive_now=action == "check_out"
        )
        if action == "check_in":
            return lambda by, reason="": services.check_in_visit(
                visit=visit, by=by, override_reason=reason, night_facts=FACTS
            )
        return lambda by, reason="": services.check_out_visit(visit=visit, by=by, override_reason=reason)

    return make


def _snapshot():
    """What the refused action must not change."""
    return (
        list(Visit.objects.order_by("pk").values_list("pk", "status", "checked_in_by", "checked_out_by")),
        VisitEvent.objects.count(),
        AuditEvent.objects.count(),
        Visitor.objects.count(),
    )


def _assert_signed(visit, action, user, at):
    visit.refresh_from_db()
    if action == "check_out":
        assert (visit.status, visit.checked_out_by, visit.checked_out_at) == (VisitStatus.LEFT, user, at)
    else:
        assert (visit.status, visit.checked_in_by, visit.checked_in_at) == (VisitStatus.ON_SITE, user, at)
        assert visit.night_registration is True


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_the_rostered_night_officer_does_it_at_night(
    night_at, rostered_officer, prepare, night_officer, time_machine, tz, evening, moment, action
):
    at = night_at(tz, evening)
    rostered_officer(evening)
    do = prepare(action)
    time_machine.move_to(at(moment), tick=False)

    visit = do(night_officer)

    _assert_signed(visit, action, night_officer, at(moment))
    assert visit.night_override_reason == ""


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_a_clerk_is_refused_at_night_and_told_who_is_on_night_duty(
    night_at, rostered_officer, prepare, clerk, time_machine, tz, evening, moment, action
):
    at = night_at(tz, evening)
    rostered_officer(evening)
    do = prepare(action)
    before = _snapshot()
    time_machine.move_to(at(moment), tick=False)

    with pytest.raises(ReceptionError) as refusal:
        do(clerk)

    assert refusal.value.code == "night_duty"
    assert "Front Desk-Liu Yang" in refusal.value.message
    assert "20:00" in refusal.value.message and "08:00" in refusal.value.message
    assert _snapshot() == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("moment", OUTSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_a_clerk_does_it_just_outside_the_night(
    night_at, rostered_officer, prepare, clerk, time_machine, tz, evening, moment, action
):
    at = night_at(tz, evening)
    rostered_officer(evening)
    do = prepare(action)
    time_machine.move_to(at(moment), tick=False)

    visit = do(clerk)

    visit.refresh_from_db()
    if action == "check_out":
        assert (visit.status, visit.checked_out_by) == (VisitStatus.LEFT, clerk)
    else:
        assert (visit.status, visit.checked_in_by, visit.night_registration) == (VisitStatus.ON_SITE, clerk, False)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_the_director_stands_in_with_a_reason_that_is_recorded(
    night_at, rostered_officer, prepare, director, time_machine, tz, evening, moment, action
):
    at = night_at(tz, evening)
    rostered_officer(evening)
    do = prepare(action)
    time_machine.move_to(at(moment), tick=False)

    visit = do(director, reason="Night officer at the hospital with a guest")

    _assert_signed(visit, action, director, at(moment))
    if action == "check_out":
        left = visit.events.get(kind=VisitEvent.Kind.LEFT)
        assert left.note == "Night officer at the hospital with a guest"
        audit = AuditEvent.objects.get(action="visit.check_out", object_id=str(visit.pk))
        assert audit.changes["night_override_reason"] == "Night officer at the hospital with a guest"
    else:
        assert visit.night_override_reason == "Night officer at the hospital with a guest"


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_the_director_without_a_reason_is_asked_for_one(
    night_at, rostered_officer, prepare, director, time_machine, tz, evening, moment, action
):
    at = night_at(tz, evening)
    rostered_officer(evening)
    do = prepare(action)
    before = _snapshot()
    time_machine.move_to(at(moment), tick=False)

    with pytest.raises(ReceptionError) as refusal:
        do(director, reason="   ")

    assert refusal.value.code == "night_override_reason"
    assert refusal.value.field == "night_override_reason"
    assert _snapshot() == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_with_nobody_rostered_even_a_night_officer_is_refused_clearly(
    night_at, prepare, clerk, night_officer, time_machine, tz, evening, moment, action
):
    at = night_at(tz, evening)
    do = prepare(action)
    before = _snapshot()
    time_machine.move_to(at(moment), tick=False)

    for user in (clerk, night_officer):
        with pytest.raises(ReceptionError) as refusal:
            do(user)
        assert refusal.value.code == "night_duty"
        assert "nobody is rostered" in refusal.value.message

    assert _snapshot() == before


def test_an_officer_rostered_for_another_night_is_refused(
    night_at, rostered_officer, prepare, night_officer, time_machine
):
    at = night_at("Asia/Shanghai", date(2026, 11, 26))
    rostered_officer(date(2026, 11, 27))  # tomorrow night, not tonight
    do = prepare("register")
    time_machine.move_to(at((0, time(21))), tick=False)

    with pytest.raises(ReceptionError) as refusal:
        do(night_officer)

    assert refusal.value.code == "night_duty"
    assert not Visit.objects.exists()


# --- the night facts at every night arrival (issue #15 item 12) ----------------------


@pytest.fixture
def arrive(clerk, ordinary, lounge):
    """Prepare now (by day) an arrival of either kind; return it to run later
    with the night facts given (or not)."""

    def make(action: str):
        if action == "register":
            return lambda by, facts: services.register_visit(
                visit=Visit(category=ordinary, room=lounge, purpose="Late delivery"),
                visitor=Visitor(full_name="Late Courier"),
                by=by,
                arrive_now=True,
                night_facts=facts,
            )
        visit = Visit(category=ordinary, room=lounge, purpose="Talks")
        services.register_visit(visit=visit, visitor=Visitor(full_name="Day Guest"), by=clerk, arrive_now=False)
        return lambda by, facts: services.check_in_visit(visit=visit, by=by, night_facts=facts)

    return make


@pytest.mark.parametrize("action", ["register", "check_in"])
@pytest.mark.parametrize("moment", INSIDE)
@pytest.mark.parametrize(("tz", "evening"), NIGHTS)
def test_a_night_arrival_without_the_night_facts_is_refused(
    night_at, rostered_officer, arrive, night_officer, time_machine, tz, evening, moment, action
):
    at = night_at(tz, evening)
    rostered_officer(evening)
    do = arrive(action)
    before = _snapshot()
    time_machine.move_to(at(moment), tick=False)

    with pytest.raises(ReceptionError) as refusal:
        do(night_officer, None)

    assert (refusal.value.code, refusal.value.field) == ("night_facts_required", "id_sighted")
    assert "whether the visitor's ID was sighted" in refusal.value.message
    assert _snapshot() == before


@pytest.mark.parametrize("action", ["register", "check_in"])
def test_an_id_sighted_must_say_which(night_at, rostered_officer, arrive, night_officer, time_machine, action):
    at = night_at("Asia/Shanghai", date(2026, 11, 26))
    rostered_officer(date(2026, 11, 26))
    do = arrive(action)
    before = _snapshot()
    time_machine.move_to(at((0, time(22))), tick=False)

    with pytest.raises(ReceptionError) as refusal:
        do(night_officer, services.NightFacts(id_sighted=True, host_contacted=False))

    assert (refusal.value.code, refusal.value.field) == ("id_type_required", "id_sighted_type")
    assert _snapshot() == before


@pytest.mark.parametrize("action", ["register", "check_in"])
@pytest.mark.parametrize("moment", INSIDE)
def test_a_night_arrival_records_the_night_facts(
    night_at, rostered_officer, arrive, night_officer, time_machine, moment, action
):
    at = night_at("Asia/Shanghai", date(2026, 11, 26))
    rostered_officer(date(2026, 11, 26))
    do = arrive(action)
    time_machine.move_to(at(moment), tick=False)

    visit = do(night_officer, services.NightFacts(id_sighted=True, id_sighted_type="passport", host_contacted=False))

    visit.refresh_from_db()
    assert (visit.status, visit.night_registration) == (VisitStatus.ON_SITE, True)
    assert (visit.id_sighted, visit.id_sighted_type, visit.host_contacted) == (True, "passport", False)
    audit = AuditEvent.objects.filter(object_id=str(visit.pk)).latest("pk")
    assert (audit.changes["id_sighted"], audit.changes["id_sighted_type"], audit.changes["host_contacted"]) == (
        True,
        "passport",
        False,
    )


@pytest.mark.parametrize("action", ["register", "check_in"])
@pytest.mark.parametrize("moment", OUTSIDE)
def test_a_day_arrival_needs_no_night_facts_and_records_none(night_at, arrive, clerk, time_machine, moment, action):
    at = night_at("Asia/Shanghai", date(2026, 11, 26))
    do = arrive(action)
    time_machine.move_to(at(moment), tick=False)

    without = do(clerk, None)
    given = arrive(action)(clerk, FACTS)  # facts given by day are not recorded

    for visit in (without, given):
        visit.refresh_from_db()
        assert (visit.status, visit.night_registration, visit.id_sighted, visit.host_contacted) == (
            VisitStatus.ON_SITE,
            False,
            False,
            False,
        )
