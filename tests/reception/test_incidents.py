"""R6.3 damage and R6.5 rest-area problems: recorded with category, place and
time, followed up with signed notes, and closed — each step in the trail."""

from datetime import UTC, date, datetime

import pytest

from reception import registers
from reception.errors import ReceptionError
from reception.models import Incident, IncidentKind
from tests.reception.night_shift import local
from visitors.models import AuditEvent

DAY = date(2026, 11, 26)


@pytest.fixture
def smoking(site, security_guard):
    return registers.report_incident(
        site=site,
        by=security_guard,
        kind=IncidentKind.REST_AREA,
        description="Visitor smoking in the rest area",
        location="Rest area, 1st floor",
        occurred_at=local(site, DAY, 23, 10),
        at=local(site, DAY, 23, 15),
    )


def test_reporting_keeps_who_and_when(site, security_guard, smoking):
    smoking.refresh_from_db()
    assert (smoking.reported_by, smoking.reported_at, smoking.kind) == (
        security_guard,
        local(site, DAY, 23, 15),
        "rest_area",
    )
    assert AuditEvent.objects.get(action="incident.report").changes["kind"] == "rest_area"


@pytest.mark.parametrize(
    ("occurred_at", "code"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), "date_out_of_range"),  # stored on PostgreSQL, then unreadable (issue #15)
        (datetime(2025, 11, 20, 12, tzinfo=UTC), "date_out_of_range"),
        (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), "in_future"),
    ],
)
def test_the_service_refuses_an_incident_out_of_range_passed_directly(site, clerk, occurred_at, code):
    with pytest.raises(ReceptionError) as refusal:
        registers.report_incident(
            site=site,
            by=clerk,
            kind=IncidentKind.DAMAGE,
            description="Chair broken",
            location="Lounge",
            occurred_at=occurred_at,
            at=local(site, DAY, 12),
        )

    assert (refusal.value.code, refusal.value.field) == (code, "occurred_at")
    assert not Incident.objects.exists()


def test_follow_ups_are_appended_signed_and_dated(site, night_officer, clerk, smoking):
    registers.follow_up_incident(
        incident=smoking, by=night_officer, note="Asked him to stop", at=local(site, DAY, 23, 20)
    )
    registers.follow_up_incident(incident=smoking, by=clerk, note="Sign ordered", at=local(site, DAY, 23, 50))

    smoking.refresh_from_db()
    assert smoking.follow_up.splitlines() == [
        "[2026-11-26 23:20 Front Desk-Liu Yang] Asked him to stop",
        "[2026-11-26 23:50 Front Desk-Zhang Wei] Sign ordered",
    ]
    assert AuditEvent.objects.filter(action="incident.follow_up").count() == 2


def test_closing_records_who_and_when_and_the_last_note(site, director, smoking):
    registers.close_incident(incident=smoking, by=director, note="No repeat", at=local(site, DAY, 23, 59))

    smoking.refresh_from_db()
    assert (smoking.closed_by, smoking.closed_at) == (director, local(site, DAY, 23, 59))
    assert smoking.follow_up.endswith("No repeat")


def test_a_closed_incident_takes_no_more_notes(site, director, clerk, smoking):
    registers.close_incident(incident=smoking, by=director, at=local(site, DAY, 23, 59))

    for change in (
        lambda: registers.follow_up_incident(incident=smoking, by=clerk, note="Late note"),
        lambda: registers.close_incident(incident=smoking, by=clerk),
    ):
        with pytest.raises(ReceptionError) as refusal:
            change()
        assert refusal.value.code == "incident_closed"

    smoking.refresh_from_db()
    assert smoking.closed_by == director
    assert "Late note" not in smoking.follow_up


# --- the pages ---------------------------------------------------------------------


def test_recording_damage_on_the_page(client, site, night_officer, time_machine):
    time_machine.move_to(local(site, DAY, 22), tick=False)
    client.force_login(night_officer)

    response = client.post(
        "/desk/incidents/new/",
        {
            "kind": "damage",
            "description": "Glass door of the Business Room cracked",
            "location": "Business Room",
            "occurred_at": "2026-11-26T21:30",
        },
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/incidents/{incident.pk}/"
    assert (incident.kind, incident.reported_by, incident.occurred_at) == (
        "damage",
        night_officer,
        local(site, DAY, 21, 30),
    )


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("kind", "arson", "Select a valid choice."),
        ("description", "", "This field is required."),
        ("description", "x" * 4001, "at most 4000 characters"),
        ("description", "Broken\x00", "Null characters are not allowed"),
        ("location", "x" * 121, "at most 120 characters"),
        ("occurred_at", "2026-13-45T25:00", "Enter a valid date/time."),
        ("occurred_at", "2099-01-01T00:00", "This time is in the future."),
        # Stored before issue #15, then unreadable on every register page.
        ("occurred_at", "0001-01-01T00:00", "more than a year ago"),
        ("occurred_at", "1999-12-31T23:59", "more than a year ago"),
        ("occurred_at", "2025-11-25T10:00", "more than a year ago"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_stored(client, site, clerk, field, value, error, time_machine):
    time_machine.move_to(local(site, DAY, 12), tick=False)
    client.force_login(clerk)
    data = {"kind": "damage", "description": "Chair broken", "location": "Lounge", "occurred_at": "2026-11-26T10:00"}
    data[field] = value

    response = client.post("/desk/incidents/new/", data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Incident.objects.exists()


def test_following_up_and_closing_on_the_page(client, site, clerk, smoking):
    client.force_login(clerk)

    client.post(f"/desk/incidents/{smoking.pk}/follow-up/", {"note": "Cleaner informed"})
    response = client.post(f"/desk/incidents/{smoking.pk}/close/", {"note": "Done"}, follow=True)

    page = response.content.decode()
    assert "Incident closed." in page
    assert "Cleaner informed" in page
    assert 'data-action="incident.close"' in page  # the trail
    smoking.refresh_from_db()
    assert smoking.closed_by == clerk
    assert "Cleaner informed" in smoking.follow_up


def test_an_empty_follow_up_is_refused_on_the_page(client, clerk, smoking):
    client.force_login(clerk)

    response = client.post(f"/desk/incidents/{smoking.pk}/follow-up/", {"note": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    smoking.refresh_from_db()
    assert smoking.follow_up == ""


def test_a_note_on_a_closed_incident_says_so_on_the_page(client, site, clerk, director, smoking):
    registers.close_incident(incident=smoking, by=director, at=local(site, DAY, 23, 59))
    client.force_login(clerk)

    response = client.post(f"/desk/incidents/{smoking.pk}/follow-up/", {"note": "Late"}, follow=True)

    assert "This incident was closed by" in response.content.decode()
    smoking.refresh_from_db()
    assert "Late" not in smoking.follow_up


def test_the_list_filters_open_and_closed(
    client, site, clerk, director, security_guard, smoking, django_assert_max_num_queries
):
    closed = registers.report_incident(
        site=site,
        by=security_guard,
        kind=IncidentKind.DAMAGE,
        description="Broken chair",
        location="Lounge",
        occurred_at=local(site, DAY, 10),
        at=local(site, DAY, 10),
    )
    registers.close_incident(incident=closed, by=director, at=local(site, DAY, 11))
    for n in range(30):  # more incidents must not mean more queries
        Incident.objects.create(
            site=site,
            kind=IncidentKind.OTHER,
            description=f"Note {n}",
            occurred_at=local(site, DAY, 9),
            reported_by=security_guard,
        )
    client.force_login(clerk)

    # session, user, profile, site, user perms, group perms, navbar department,
    # count, the page of incidents with reporters and closers, session save (3)
    with django_assert_max_num_queries(12):
        open_page = client.get("/desk/incidents/").content.decode()

    assert "Visitor smoking" in open_page and "Broken chair" not in open_page
    closed_page = client.get("/desk/incidents/?show=closed").content.decode()
    assert "Broken chair" in closed_page and "Visitor smoking" not in closed_page
