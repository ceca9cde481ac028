"""R6.6: the outgoing person writes the handover; the on-site list and the
shift's visits attach themselves; someone else, the incoming person,
acknowledges it."""

from datetime import date, timedelta

import pytest

from reception import registers
from reception.errors import ReceptionError
from reception.models import DutyCode, Handover
from tests.reception.night_shift import leave, local, roster, roster_night, walk_in
from visitors.models import AuditEvent

EVENING = date(2026, 11, 26)
MORNING = EVENING + timedelta(days=1)


@pytest.fixture
def night_shift(site, clerk, night_officer, ordinary, lounge):
    """A day visitor still on site, and a night with one visitor gone and one staying."""
    roster(site, DutyCode.CLERK, clerk, local(site, EVENING, 8), local(site, EVENING, 20))
    roster_night(site, night_officer, EVENING)
    day_guest = walk_in(category=ordinary, room=lounge, by=clerk, at=local(site, EVENING, 15), name="Day Guest")
    gone = walk_in(category=ordinary, room=lounge, by=night_officer, at=local(site, EVENING, 21), name="Night Courier")
    leave(gone, by=night_officer, at=local(site, EVENING, 22))
    staying = walk_in(
        category=ordinary, room=lounge, by=night_officer, at=local(site, EVENING, 23), name="Night Engineer"
    )
    return {"day_guest": day_guest, "gone": gone, "staying": staying}


def _write(site, by, at, **texts):
    return registers.write_handover(
        site=site,
        by=by,
        open_items=texts.get("open_items", "Engineer in the lounge until the morning"),
        incidents=texts.get("incidents", ""),
        keys_and_items=texts.get("keys_and_items", "Server room key, visitor badge box"),
        at=at,
    )


def test_the_handover_attaches_who_is_on_site_and_the_shifts_visits(site, night_officer, night_shift):
    handover = _write(site, night_officer, local(site, MORNING, 7, 55))

    assert handover.shift_started_at == local(site, EVENING, 20)
    assert set(handover.shift_visits.all()) == {night_shift["gone"], night_shift["staying"]}
    assert [row["visitor"] for row in handover.on_site_snapshot] == ["Day Guest", "Night Engineer"]
    assert handover.on_site_snapshot[1]["room"] == "Lounge"
    event = AuditEvent.objects.get(action="handover.write")
    assert event.object_id == str(handover.pk)
    assert event.changes["shift_visits"] == 2


def test_a_handover_written_just_after_the_shift_still_counts_from_its_start(site, night_officer, night_shift):
    handover = _write(site, night_officer, local(site, MORNING, 8, 30))

    assert handover.shift_started_at == local(site, EVENING, 20)


def test_without_a_roster_entry_the_shift_runs_from_the_last_handover(site, night_officer, security_guard):
    roster_night(site, night_officer, EVENING)
    first = _write(site, night_officer, local(site, MORNING, 8))

    second = _write(site, security_guard, local(site, MORNING, 14))

    assert second.shift_started_at == first.written_at


def test_without_roster_or_earlier_handover_the_shift_is_twelve_hours(site, security_guard):
    handover = _write(site, security_guard, local(site, MORNING, 14))

    assert handover.shift_started_at == local(site, MORNING, 2)


def test_sending_the_same_handover_twice_keeps_one(site, night_officer, night_shift):
    first = _write(site, night_officer, local(site, MORNING, 7, 55))
    again = _write(site, night_officer, local(site, MORNING, 7, 56))

    assert again == first
    assert Handover.objects.count() == 1
    assert AuditEvent.objects.filter(action="handover.write").count() == 1


def test_a_different_second_handover_in_the_shift_is_kept(site, night_officer, night_shift):
    _write(site, night_officer, local(site, MORNING, 7, 55))
    _write(site, night_officer, local(site, MORNING, 7, 58), open_items="Also: the lift is out of order")

    assert Handover.objects.count() == 2


def test_the_incoming_person_acknowledges(site, clerk, night_officer, night_shift):
    handover = _write(site, night_officer, local(site, MORNING, 7, 55))

    registers.acknowledge_handover(handover=handover, by=clerk, at=local(site, MORNING, 8, 2))

    handover.refresh_from_db()
    assert (handover.acknowledged_by, handover.acknowledged_at) == (clerk, local(site, MORNING, 8, 2))
    assert AuditEvent.objects.filter(action="handover.acknowledge", actor=clerk).count() == 1


def test_the_writer_cannot_acknowledge_their_own_handover(site, night_officer, night_shift):
    handover = _write(site, night_officer, local(site, MORNING, 7, 55))

    with pytest.raises(ReceptionError) as refusal:
        registers.acknowledge_handover(handover=handover, by=night_officer)

    assert refusal.value.code == "handover_own"
    handover.refresh_from_db()
    assert handover.acknowledged_at is None


def test_a_handover_is_acknowledged_once(site, clerk, director, night_officer, night_shift):
    handover = _write(site, night_officer, local(site, MORNING, 7, 55))
    registers.acknowledge_handover(handover=handover, by=clerk, at=local(site, MORNING, 8, 2))

    with pytest.raises(ReceptionError) as refusal:
        registers.acknowledge_handover(handover=handover, by=director)

    assert refusal.value.code == "handover_acknowledged"
    assert "Front Desk-Zhang Wei" in refusal.value.message
    handover.refresh_from_db()
    assert handover.acknowledged_by == clerk


# --- the pages ---------------------------------------------------------------------


def test_the_night_officer_writes_the_handover_on_the_page(client, site, night_officer, night_shift, time_machine):
    time_machine.move_to(local(site, MORNING, 7, 55), tick=False)
    client.force_login(night_officer)

    form = client.get("/desk/handover/new/")
    assert form.status_code == 200
    assert "Night Engineer" in form.content.decode()  # the on-site list it will attach

    response = client.post(
        "/desk/handover/new/",
        {"open_items": "Engineer stays until 09:00", "incidents": "", "keys_and_items": "Server room key"},
    )

    handover = Handover.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/handover/{handover.pk}/"
    assert (handover.written_by, handover.open_items, handover.keys_and_items) == (
        night_officer,
        "Engineer stays until 09:00",
        "Server room key",
    )
    page = client.get(response["Location"]).content.decode()
    assert "Engineer stays until 09:00" in page
    assert "Night Courier" in page  # a visit of the shift
    assert "I have read it" not in page  # not for the writer


def test_the_morning_clerk_acknowledges_on_the_page(client, site, clerk, night_officer, night_shift):
    handover = _write(site, night_officer, local(site, MORNING, 7, 55))
    client.force_login(clerk)

    page = client.get(f"/desk/handover/{handover.pk}/").content.decode()
    assert "I have read it and take the shift over" in page
    response = client.post(f"/desk/handover/{handover.pk}/acknowledge/", follow=True)

    assert response.status_code == 200
    assert "Handover acknowledged" in response.content.decode()
    assert 'data-action="handover.acknowledge"' in response.content.decode()  # the trail
    handover.refresh_from_db()
    assert handover.acknowledged_by == clerk


def test_the_writer_acknowledging_gets_a_message_and_nothing_changes(client, site, night_officer, night_shift):
    handover = _write(site, night_officer, local(site, MORNING, 7, 55))
    client.force_login(night_officer)

    response = client.post(f"/desk/handover/{handover.pk}/acknowledge/", follow=True)

    assert response.status_code == 200
    assert "not the person who wrote it" in response.content.decode()
    handover.refresh_from_db()
    assert handover.acknowledged_at is None


def test_acknowledging_needs_a_post(client, site, clerk, night_officer, night_shift):
    handover = _write(site, night_officer, local(site, MORNING, 7, 55))
    client.force_login(clerk)

    assert client.get(f"/desk/handover/{handover.pk}/acknowledge/").status_code == 405
    handover.refresh_from_db()
    assert handover.acknowledged_at is None


def test_the_handover_list_shows_waiting_and_acknowledged(
    client, site, clerk, night_officer, night_shift, django_assert_max_num_queries
):
    done = _write(site, night_officer, local(site, MORNING, 7, 55))
    registers.acknowledge_handover(handover=done, by=clerk, at=local(site, MORNING, 8))
    _write(site, clerk, local(site, MORNING, 20), open_items="Evening: boardroom booked")
    for day in range(2, 22):  # earlier shifts: the query count must not grow with them
        Handover.objects.create(
            site=site,
            written_by=night_officer,
            written_at=local(site, EVENING - timedelta(days=day), 8),
            shift_started_at=local(site, EVENING - timedelta(days=day + 1), 20),
            acknowledged_by=clerk,
            acknowledged_at=local(site, EVENING - timedelta(days=day), 8, 5),
        )
    client.force_login(clerk)

    # session, user, profile, site, user perms, group perms, navbar department,
    # count, the page of handovers with writers and acknowledgers, session save (3)
    with django_assert_max_num_queries(12):
        response = client.get("/desk/handover/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("/desk/handover/") >= 3
    assert "Waiting" in page
    assert "Front Desk-Zhang Wei" in page


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("open_items", "Key\x00", "Null characters are not allowed"),
        ("open_items", "x" * 4001, "Ensure this value has at most 4000 characters"),
        ("keys_and_items", "\u202eyek moor revres", "text-direction characters"),
        ("incidents", "bell\x07", "control characters"),
    ],
)
def test_bad_text_is_refused_with_a_message_and_nothing_is_stored(client, night_officer, field, value, error):
    client.force_login(night_officer)
    data = {"open_items": "", "incidents": "", "keys_and_items": "", field: value}

    response = client.post("/desk/handover/new/", data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Handover.objects.exists()


def test_a_script_in_a_handover_is_shown_as_text(client, clerk, night_officer, site):
    handover = _write(site, night_officer, local(site, MORNING, 7, 55), open_items="<script>alert(1)</script>")
    client.force_login(clerk)

    page = client.get(f"/desk/handover/{handover.pk}/").content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
