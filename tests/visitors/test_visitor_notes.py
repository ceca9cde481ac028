"""Notes about a visitor (issue #15 item 14): shown on the visit page, edited
by desk staff, each edit audited without the text itself (R4.1)."""

import pytest
from django.urls import reverse

from reception.errors import ReceptionError
from tests.visitors.desk import DAYTIME, walk_in
from visitors import notes, privacy, services
from visitors.models import AuditEvent


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def visit(clerk, business, business_room):
    return walk_in(category=business, room=business_room, by=clerk, name="Hans Müller")


def test_the_desk_writes_notes_about_the_visitor_and_the_edit_is_audited(client, clerk, visit):
    client.force_login(clerk)

    response = client.post(reverse("visitors:visitor_notes", args=[visit.pk]), {"notes": "Prefers green tea"})

    assert response.status_code == 302 and response["Location"] == f"/desk/visits/{visit.pk}/"
    visit.visitor.refresh_from_db()
    assert visit.visitor.notes == "Prefers green tea"
    event = AuditEvent.objects.get(action="visitor.notes")
    assert (event.actor, event.object_id, event.changes) == (
        clerk,
        str(visit.visitor_id),
        {"visit": visit.pk, "notes": "changed"},
    )
    assert "green tea" not in str(event.changes)
    page = client.get(response["Location"]).content.decode()
    assert "Notes about this visitor" in page and "Prefers green tea" in page


def test_the_notes_are_read_only_for_security(client, security_guard, visit, clerk):
    notes.edit_visitor_notes(visit=visit, notes="Uses a wheelchair", by=clerk)
    client.force_login(security_guard)

    page = client.get(reverse("visitors:visit", args=[visit.pk])).content.decode()
    refused = client.post(reverse("visitors:visitor_notes", args=[visit.pk]), {"notes": "Changed"})

    assert refused.status_code == 403
    assert reverse("visitors:visitor_notes", args=[visit.pk]) not in page
    visit.visitor.refresh_from_db()
    assert visit.visitor.notes == "Uses a wheelchair"


def test_notes_with_control_characters_are_refused_with_a_message(client, clerk, visit):
    client.force_login(clerk)

    response = client.post(
        reverse("visitors:visitor_notes", args=[visit.pk]), {"notes": "Tea\u202e please"}, follow=True
    )

    assert "Remove the invisible text-direction characters" in response.content.decode()
    visit.visitor.refresh_from_db()
    assert visit.visitor.notes == ""
    assert not AuditEvent.objects.filter(action="visitor.notes").exists()


def test_an_unchanged_text_writes_nothing(clerk, visit):
    notes.edit_visitor_notes(visit=visit, notes="Prefers green tea", by=clerk)

    notes.edit_visitor_notes(visit=visit, notes="Prefers green tea ", by=clerk)

    assert AuditEvent.objects.filter(action="visitor.notes").count() == 1


def test_an_anonymised_visitor_gets_no_notes(clerk, manager, visit):
    services.check_out_visit(visit=visit, by=clerk)
    privacy.erase_visitor(visitor=visit.visitor, by=manager)

    with pytest.raises(ReceptionError) as refusal:
        notes.edit_visitor_notes(visit=visit, notes="Came back", by=clerk)

    assert refusal.value.code == "anonymised"
    visit.visitor.refresh_from_db()
    assert visit.visitor.notes == ""


def test_another_sites_visit_is_not_found(client, other_clerk, visit):
    client.force_login(other_clerk)

    response = client.post(reverse("visitors:visitor_notes", args=[visit.pk]), {"notes": "Snooping"})

    assert response.status_code == 404
    visit.visitor.refresh_from_db()
    assert visit.visitor.notes == ""
