"""R3.2 is a promise made at arrival (issue #16): a visitor due by 10:30 stays
due by 10:30 when the manager shortens the category's deadline at 10:15. The
arrival stores the deadline in force on the visit; the visit page, the desk,
the emails and the escalation sweep all read it from there."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.visitors.desk import DAYTIME, expect, walk_in
from visitors import audit, escalation, notify, services
from visitors.models import Notification, Visit, VisitStatus


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(DAYTIME, tick=False)
    return time_machine


@pytest.fixture
def waiting(clerk, host, business, business_room):
    """Hans Müller arrives at 10:00 for Sales-Sun Li; the Business deadline is 30 minutes."""
    business.ack_deadline_minutes = 30
    business.save()
    return walk_in(category=business, room=business_room, by=clerk, name="Hans Müller", host=host)


def shorten(category, minutes: int) -> None:
    category.ack_deadline_minutes = minutes
    category.save()


def test_the_arrival_keeps_the_deadline_in_force_when_it_arrived(waiting, business, daytime):
    daytime.move_to("2026-11-27 10:15:00+08:00", tick=False)
    shorten(business, 10)

    visit = Visit.objects.select_related("category").get(pk=waiting.pk)

    assert visit.ack_deadline_minutes == 30
    assert timezone.localtime(visit.ack_deadline).strftime("%H:%M") == "10:30"
    assert not visit.is_ack_overdue()


def test_a_visit_arriving_after_the_change_gets_the_new_deadline(waiting, clerk, business, business_room, daytime):
    daytime.move_to("2026-11-27 10:15:00+08:00", tick=False)
    shorten(business, 10)

    later = walk_in(category=business, room=business_room, by=clerk, name="Later Guest")

    later.refresh_from_db()
    assert later.ack_deadline_minutes == 10
    assert timezone.localtime(later.ack_deadline).strftime("%H:%M") == "10:25"


def test_an_expected_visit_checked_in_keeps_the_deadline_of_its_arrival(clerk, host, business, business_room, daytime):
    shorten(business, 30)
    expected = expect(category=business, room=business_room, by=clerk, expected_at=DAYTIME, host=host)
    assert Visit.objects.get(pk=expected.pk).ack_deadline_minutes is None  # not arrived: no promise yet

    services.check_in_visit(visit=expected, by=clerk)
    shorten(business, 5)

    expected.refresh_from_db()
    assert expected.ack_deadline_minutes == 30


def test_the_desk_still_shows_the_deadline_given_at_arrival(client, clerk, waiting, business, daytime):
    daytime.move_to("2026-11-27 10:21:00+08:00", tick=False)
    shorten(business, 20)  # would be "overdue since 10:20"
    client.force_login(clerk)

    desk = client.get("/desk/").content.decode()
    page = client.get(f"/desk/visits/{waiting.pk}/").content.decode()

    assert "Waiting, due by 10:30" in desk and "Overdue since" not in desk
    assert "Waiting, due by 10:30" in page and "Overdue since" not in page


def test_the_escalation_waits_for_the_deadline_given_at_arrival(waiting, business, daytime, mailoutbox):
    daytime.move_to("2026-11-27 10:21:00+08:00", tick=False)
    shorten(business, 20)

    assert escalation.overdue_visits() == []
    assert escalation.next_escalation_at(Visit.objects.get(pk=waiting.pk)) == waiting.checked_in_at + timedelta(
        minutes=30
    )
    escalation.escalate_visit(visit_id=waiting.pk)
    assert not Notification.objects.filter(kind=Notification.Kind.ESCALATION).exists()

    daytime.move_to("2026-11-27 10:30:00+08:00", tick=False)
    assert [visit.pk for visit in escalation.overdue_visits()] == [waiting.pk]


def test_the_arrival_email_names_the_deadline_given_at_arrival(waiting, business, daytime):
    shorten(business, 5)
    visit = Visit.objects.select_related("site", "category", "host", "visitor", "room").get(pk=waiting.pk)
    (arrival,) = escalation.arrival_notifications(visit=visit)

    _subject, text, _html = notify.render_message(arrival)

    assert "10:30" in text and "10:05" not in text


def test_the_migration_gives_visits_already_in_their_categorys_deadline(clerk, waiting, business, business_room):
    expected = expect(category=business, room=business_room, by=clerk, expected_at=DAYTIME)
    with transaction.atomic(), audit.sanctioned("lobby.amending"):  # as before the migration
        Visit.objects.filter(pk=waiting.pk).update(ack_deadline_minutes=None)
    migration = importlib.import_module("visitors.migrations.0015_visit_ack_deadline_minutes")

    with transaction.atomic(), audit.sanctioned("lobby.amending"):  # it runs before the trigger guards the column
        migration.keep_the_deadline_of_visits_already_in(apps, None)

    assert Visit.objects.get(pk=waiting.pk).ack_deadline_minutes == 30
    assert Visit.objects.get(pk=expected.pk).ack_deadline_minutes is None


@pytest.mark.postgres
def test_the_deadline_is_written_once_at_arrival_and_fixed_after(clerk, business, business_room):
    # R6.4: the registration-record trigger lets the check-in UPDATE write it, and nothing after.
    expected = expect(category=business, room=business_room, by=clerk, expected_at=DAYTIME)

    services.check_in_visit(visit=expected, by=clerk)

    with pytest.raises(IntegrityError, match="ack_deadline_minutes"), transaction.atomic():
        Visit.objects.filter(pk=expected.pk).update(ack_deadline_minutes=5)
    expected.refresh_from_db()
    assert (expected.status, expected.ack_deadline_minutes) == (VisitStatus.ON_SITE, 30)
