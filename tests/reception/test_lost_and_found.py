"""R6.2: items visitors leave behind are recorded at once — what, where and when
found, by whom, where stored — and returned with who took them and when."""

from datetime import UTC, date, datetime

import pytest

from reception import registers
from reception.errors import ReceptionError
from reception.models import LostItem
from tests.reception.night_shift import local
from visitors.models import AuditEvent

DAY = date(2026, 11, 26)


@pytest.fixture
def umbrella(site, night_officer):
    return registers.record_lost_item(
        site=site,
        by=night_officer,
        description="Black umbrella",
        found_at=local(site, DAY, 21, 40),
        found_where="Lounge, by the window",
        found_by="Cleaner Wu",
        stored_where="Desk drawer 2",
        at=local(site, DAY, 21, 45),
    )


def test_recording_an_item_keeps_the_trail(site, night_officer, umbrella):
    umbrella.refresh_from_db()
    assert (umbrella.recorded_by, umbrella.recorded_at) == (night_officer, local(site, DAY, 21, 45))
    event = AuditEvent.objects.get(action="lostitem.record")
    assert (event.actor, event.object_id) == (night_officer, str(umbrella.pk))
    assert event.changes["stored_where"] == "Desk drawer 2"


def test_an_item_found_in_the_future_is_refused(site, clerk):
    with pytest.raises(ReceptionError) as refusal:
        registers.record_lost_item(
            site=site,
            by=clerk,
            description="Phone",
            found_at=local(site, DAY, 12),
            found_where="Lobby",
            found_by="Clerk",
            stored_where="Safe",
            at=local(site, DAY, 11),
        )

    assert (refusal.value.code, refusal.value.field) == ("in_future", "found_at")
    assert not LostItem.objects.exists()


@pytest.mark.parametrize(
    "found_at",
    [
        datetime(1, 1, 1, tzinfo=UTC),  # PostgreSQL stored it; no page could read it back (issue #15)
        datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2025, 11, 20, 12, tzinfo=UTC),  # more than a year before it was recorded
    ],
)
def test_the_service_refuses_a_find_out_of_range_passed_directly(site, clerk, found_at):
    with pytest.raises(ReceptionError) as refusal:
        registers.record_lost_item(
            site=site,
            by=clerk,
            description="Phone",
            found_at=found_at,
            found_where="Lobby",
            found_by="Clerk",
            stored_where="Safe",
            at=local(site, DAY, 11),
        )

    assert (refusal.value.code, refusal.value.field) == ("date_out_of_range", "found_at")
    assert "more than a year ago" in refusal.value.message
    assert not LostItem.objects.exists()


def test_returning_records_to_whom_by_whom_and_when(site, clerk, umbrella):
    registers.return_lost_item(item=umbrella, by=clerk, returned_to="Maria Rossi", at=local(site, DAY, 22))

    umbrella.refresh_from_db()
    assert (umbrella.returned_to, umbrella.returned_by, umbrella.returned_at) == (
        "Maria Rossi",
        clerk,
        local(site, DAY, 22),
    )
    assert AuditEvent.objects.filter(action="lostitem.return", actor=clerk).count() == 1


def test_an_item_is_returned_once(site, clerk, director, umbrella):
    registers.return_lost_item(item=umbrella, by=clerk, returned_to="Maria Rossi", at=local(site, DAY, 22))

    with pytest.raises(ReceptionError) as refusal:
        registers.return_lost_item(item=umbrella, by=director, returned_to="Someone Else")

    assert refusal.value.code == "already_returned"
    assert "Maria Rossi" in refusal.value.message
    umbrella.refresh_from_db()
    assert (umbrella.returned_to, umbrella.returned_by) == ("Maria Rossi", clerk)


# --- the pages ---------------------------------------------------------------------


def test_the_night_officer_records_an_item_on_the_page(client, site, night_officer, time_machine):
    time_machine.move_to(local(site, DAY, 22, 10), tick=False)
    client.force_login(night_officer)

    form = client.get("/desk/lost-found/new/").content.decode()
    assert 'value="2026-11-26T22:10"' in form  # now, on the site's clock
    assert "Front Desk-Liu Yang" in form  # found by: the person at the desk, to change if need be

    response = client.post(
        "/desk/lost-found/new/",
        {
            "description": "Blue scarf",
            "found_at": "2026-11-26T21:50",
            "found_where": "Business Room",
            "found_by": "Security Chen",
            "stored_where": "Lost-property cupboard",
        },
    )

    item = LostItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/lost-found/{item.pk}/"
    assert item.found_at == local(site, DAY, 21, 50)  # read on the site's wall clock
    assert (item.recorded_by, item.found_by, item.site) == (night_officer, "Security Chen", site)


def test_a_future_find_on_the_page_is_a_form_error(client, site, clerk, time_machine):
    time_machine.move_to(local(site, DAY, 10), tick=False)
    client.force_login(clerk)

    response = client.post(
        "/desk/lost-found/new/",
        {
            "description": "Keys",
            "found_at": "2026-11-26T18:00",
            "found_where": "Lobby",
            "found_by": "Clerk",
            "stored_where": "Desk",
        },
    )

    assert response.status_code == 200
    assert "This time is in the future." in response.content.decode()
    assert not LostItem.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("description", "", "This field is required."),
        ("description", "x" * 201, "at most 200 characters"),
        ("found_where", "Lobby\x00", "Null characters are not allowed"),
        ("stored_where", "\u202eSafe", "text-direction characters"),
        ("found_at", "yesterday-ish", "Enter a valid date/time."),
        ("found_at", "9999-12-31T23:59", "This time is in the future."),
        # Stored before issue #15, then unreadable on every register page.
        ("found_at", "0001-01-01T00:00", "more than a year ago"),
        ("found_at", "1999-12-31T23:59", "more than a year ago"),
        ("found_at", "2025-11-25T10:00", "more than a year ago"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_stored(client, site, clerk, field, value, error, time_machine):
    time_machine.move_to(local(site, DAY, 12), tick=False)
    client.force_login(clerk)
    data = {
        "description": "Keys",
        "found_at": "2026-11-26T10:00",
        "found_where": "Lobby",
        "found_by": "Clerk",
        "stored_where": "Desk",
        field: value,
    }

    response = client.post("/desk/lost-found/new/", data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not LostItem.objects.exists()


def test_marking_an_item_returned_on_the_page(client, site, clerk, umbrella):
    client.force_login(clerk)

    response = client.post(
        f"/desk/lost-found/{umbrella.pk}/return/", {"returned_to": "Maria Rossi, passport"}, follow=True
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Marked as returned." in page
    assert "Maria Rossi, passport" in page
    assert 'data-action="lostitem.return"' in page and "Returned to its owner" in page  # the trail
    umbrella.refresh_from_db()
    assert (umbrella.returned_to, umbrella.returned_by) == ("Maria Rossi, passport", clerk)


def test_returning_without_a_name_is_refused_on_the_page(client, clerk, umbrella):
    client.force_login(clerk)

    response = client.post(f"/desk/lost-found/{umbrella.pk}/return/", {"returned_to": "  "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    umbrella.refresh_from_db()
    assert umbrella.returned_at is None


def test_returning_twice_on_the_page_says_so(client, site, clerk, umbrella):
    registers.return_lost_item(item=umbrella, by=clerk, returned_to="Maria Rossi", at=local(site, DAY, 22))
    client.force_login(clerk)

    response = client.post(f"/desk/lost-found/{umbrella.pk}/return/", {"returned_to": "Impostor"}, follow=True)

    assert "already returned to Maria Rossi" in response.content.decode()
    umbrella.refresh_from_db()
    assert umbrella.returned_to == "Maria Rossi"


def test_the_list_shows_open_items_first_and_filters(
    client, site, clerk, night_officer, umbrella, django_assert_max_num_queries
):
    returned = registers.record_lost_item(
        site=site,
        by=night_officer,
        description="Reading glasses",
        found_at=local(site, DAY, 9),
        found_where="Lobby",
        found_by="Clerk",
        stored_where="Desk",
        at=local(site, DAY, 9, 5),
    )
    registers.return_lost_item(item=returned, by=clerk, returned_to="Hans Müller", at=local(site, DAY, 10))
    for n in range(30):  # more items must not mean more queries
        LostItem.objects.create(
            site=site,
            description=f"Pen {n}",
            found_at=local(site, DAY, 8),
            found_where="Lobby",
            found_by="Clerk",
            stored_where="Desk",
            recorded_by=night_officer,
        )
    client.force_login(clerk)

    # session, user, profile, site, user perms, group perms, navbar department,
    # count, the page of items with recorders and returners, session save (3)
    with django_assert_max_num_queries(12):
        open_page = client.get("/desk/lost-found/").content.decode()

    assert "Black umbrella" in open_page and "Reading glasses" not in open_page
    returned_page = client.get("/desk/lost-found/?show=returned").content.decode()
    assert "Reading glasses" in returned_page and "Black umbrella" not in returned_page
    all_page = client.get("/desk/lost-found/?show=nonsense").content.decode()
    assert "Reading glasses" in all_page and "Black umbrella" in all_page
