"""R3.2 without the email (issue #15 item 11): the host acknowledges an arrival
signed in, and the desk records that the host came down and met the visitor.
Both stop the escalation, write the timeline and the audit trail, and change
nothing the second time."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reception.models import DutyCode
from reception.roles import DUTY_GROUPS
from tests.visitors.desk import walk_in
from visitors import escalation, services
from visitors.models import AuditEvent, Notification, Visit, VisitEvent, Visitor


@pytest.fixture
def arrival(daytime, clerk, host, secretary, director, business, business_room):
    """Hans Müller arrives for Sales-Sun Li at 10:00; the deadline is 10:30."""
    visit = Visit(category=business, room=business_room, host=host, purpose="Talks")
    return services.register_visit(
        visit=visit, visitor=Visitor(full_name="Hans Müller", company="Bergmann GmbH"), by=clerk, arrive_now=True
    )


def acknowledge_url(visit) -> str:
    return reverse("visitors:acknowledge", args=[visit.pk])


def host_met_url(visit) -> str:
    return reverse("visitors:host_met", args=[visit.pk])


def escalations():
    return Notification.objects.filter(kind=Notification.Kind.ESCALATION)


# --- the host, signed in -----------------------------------------------------------


def test_the_host_acknowledges_in_the_app_and_the_escalation_stops(client, arrival, host, daytime):
    daytime.shift(timedelta(minutes=7))
    client.force_login(host)

    response = client.post(acknowledge_url(arrival))

    # A host has no desk pages (visitors.view_visit); they land on their invitations.
    assert response.status_code == 302 and response["Location"] == reverse("public:invite")
    visit = Visit.objects.get(pk=arrival.pk)
    assert visit.acknowledged_at == timezone.now() and visit.acknowledged_by == host
    assert visit.events.filter(kind=VisitEvent.Kind.ACKNOWLEDGED, by=host).count() == 1
    event = AuditEvent.objects.get(action="visit.acknowledge")
    assert event.actor == host and event.changes == {"via": "app", "minutes_waiting": 7, "overdue": False}
    daytime.shift(timedelta(hours=1))
    assert escalation.escalate_visit(visit_id=arrival.pk).notifications == []
    assert not escalations().exists()


def test_a_host_without_an_email_address_can_acknowledge(client, arrival, host, daytime):
    host.email = ""
    host.save(update_fields=["email"])
    client.force_login(host)

    client.post(acknowledge_url(arrival))

    assert Visit.objects.get(pk=arrival.pk).acknowledged_by == host


def test_acknowledging_twice_changes_nothing(client, arrival, host, daytime):
    client.force_login(host)
    client.post(acknowledge_url(arrival))
    daytime.shift(timedelta(minutes=3))

    response = client.post(acknowledge_url(arrival), follow=True)

    assert "This arrival was already acknowledged." in response.content.decode()
    visit = Visit.objects.get(pk=arrival.pk)
    assert visit.acknowledged_at == timezone.now() - timedelta(minutes=3)
    assert visit.events.filter(kind=VisitEvent.Kind.ACKNOWLEDGED).count() == 1
    assert AuditEvent.objects.filter(action="visit.acknowledge").count() == 1


def test_a_secretary_the_escalation_reached_acknowledges_from_the_visit_page(client, arrival, secretary, daytime):
    daytime.shift(timedelta(minutes=31))
    escalation.escalate_visit(visit_id=arrival.pk)  # host reminded, secretary told
    client.force_login(secretary)

    page = client.get(reverse("visitors:visit", args=[arrival.pk])).content.decode()
    response = client.post(acknowledge_url(arrival), {"next": reverse("visitors:visit", args=[arrival.pk])})

    assert 'data-testid="acknowledge"' in page
    assert response.status_code == 302 and response["Location"] == reverse("visitors:visit", args=[arrival.pk])
    visit = Visit.objects.get(pk=arrival.pk)
    assert visit.acknowledged_by == secretary
    assert AuditEvent.objects.get(action="visit.acknowledge").changes["overdue"] is True


def test_a_secretary_nobody_told_about_the_visit_is_refused(client, arrival, secretary, daytime):
    client.force_login(secretary)

    page = client.get(reverse("visitors:visit", args=[arrival.pk])).content.decode()
    response = client.post(acknowledge_url(arrival))

    assert 'data-testid="acknowledge"' not in page
    assert response.status_code == 403
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None
    assert not AuditEvent.objects.filter(action="visit.acknowledge").exists()


def test_another_host_is_refused(client, arrival, make_staff, site, daytime):
    colleague = make_staff("colleague", DUTY_GROUPS[DutyCode.HOST], site=site, department="Sales")
    client.force_login(colleague)

    response = client.post(acknowledge_url(arrival))

    assert response.status_code == 403
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None


def test_the_permission_is_checked_even_for_the_host(client, clerk, security_guard, business, business_room, daytime):
    """Security may be named host, but holds no visitors.acknowledge_visit."""
    visit = walk_in(category=business, room=business_room, by=clerk, host=security_guard)
    client.force_login(security_guard)

    response = client.post(acknowledge_url(visit))

    assert response.status_code == 403
    assert Visit.objects.get(pk=visit.pk).acknowledged_at is None


def test_a_host_of_another_site_gets_404(client, arrival, make_staff, other_site):
    river_host = make_staff("river-host", DUTY_GROUPS[DutyCode.HOST], site=other_site)
    client.force_login(river_host)

    response = client.post(acknowledge_url(arrival))

    assert response.status_code == 404
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None


def test_acknowledging_is_post_only(client, arrival, host):
    client.force_login(host)

    assert client.get(acknowledge_url(arrival)).status_code == 405
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None


def test_a_visitor_who_left_cannot_be_acknowledged(client, arrival, host, clerk, daytime):
    services.check_out_visit(visit=arrival, by=clerk)
    client.force_login(host)

    response = client.post(acknowledge_url(arrival), follow=True)

    assert "This visitor is no longer waiting: the visit is left." in response.content.decode()
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None


# --- the desk: the host came down ----------------------------------------------------


def test_the_desk_records_that_the_host_met_the_visitor(client, arrival, clerk, host, daytime):
    daytime.shift(timedelta(minutes=40))
    client.force_login(clerk)
    page = client.get(reverse("visitors:visit", args=[arrival.pk])).content.decode()

    response = client.post(host_met_url(arrival))

    assert 'data-testid="host-met"' in page and 'data-testid="acknowledge"' not in page
    assert response.status_code == 302 and response["Location"] == reverse("visitors:visit", args=[arrival.pk])
    visit = Visit.objects.get(pk=arrival.pk)
    # The acknowledgement is the host's; who recorded it is the clerk.
    assert visit.acknowledged_at == timezone.now() and visit.acknowledged_by == host
    step = visit.events.get(kind=VisitEvent.Kind.ACKNOWLEDGED)
    assert step.by == clerk and step.note == "The host met the visitor; recorded at the desk."
    event = AuditEvent.objects.get(action="visit.acknowledge")
    assert event.actor == clerk
    assert event.changes == {"via": "desk", "host": host.pk, "minutes_waiting": 40, "overdue": True}
    assert escalation.escalate_visit(visit_id=arrival.pk).notifications == []
    assert not escalations().exists()
    shown = client.get(reverse("visitors:visit", args=[arrival.pk])).content.decode()
    assert 'data-testid="host-met"' not in shown and "Acknowledged 10:40 by Sales-Sun Li" in shown


def test_the_night_officer_records_it_too_and_twice_changes_nothing(client, arrival, night_officer, daytime):
    client.force_login(night_officer)

    client.post(host_met_url(arrival))
    response = client.post(host_met_url(arrival), follow=True)

    assert "This arrival was already acknowledged." in response.content.decode()
    assert Visit.objects.get(pk=arrival.pk).events.filter(kind=VisitEvent.Kind.ACKNOWLEDGED).count() == 1
    assert AuditEvent.objects.filter(action="visit.acknowledge").count() == 1


def test_a_host_cannot_record_at_the_desk(client, arrival, host):
    client.force_login(host)

    assert client.post(host_met_url(arrival)).status_code == 403
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None


def test_the_desk_cannot_record_it_for_a_visitor_who_left(client, arrival, clerk, daytime):
    services.check_out_visit(visit=arrival, by=clerk)
    client.force_login(clerk)

    response = client.post(host_met_url(arrival), follow=True)

    assert "This visitor is no longer waiting: the visit is left." in response.content.decode()
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None


def test_the_desk_action_is_post_only_and_for_this_site(client, arrival, clerk, other_clerk):
    client.force_login(clerk)
    assert client.get(host_met_url(arrival)).status_code == 405

    client.force_login(other_clerk)
    assert client.post(host_met_url(arrival)).status_code == 404
    assert Visit.objects.get(pk=arrival.pk).acknowledged_at is None


def test_while_the_arrival_waits_the_only_host_met_button_is_the_one_that_acknowledges(client, arrival, clerk, daytime):
    client.force_login(clerk)
    host_met_step = f'name="kind" value="{VisitEvent.Kind.HOST_MET}"'

    waiting = client.get(reverse("visitors:visit", args=[arrival.pk])).content.decode()
    client.post(host_met_url(arrival))
    acknowledged = client.get(reverse("visitors:visit", args=[arrival.pk])).content.decode()

    assert 'data-testid="host-met"' in waiting and host_met_step not in waiting  # R3.2
    assert 'data-testid="host-met"' not in acknowledged and host_met_step in acknowledged  # R1.4 step again
