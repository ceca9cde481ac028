"""The watchlist at the door (issue #19): matching, every entry point held
in the services, the visitor told nothing, security told at once and
deciding, and the list visible to security and the office manager alone."""

import re

import pytest
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult

from tests.visitors.desk import expect, walk_in
from visitors import invitations, services, watchlist
from visitors.models import (
    AuditEvent,
    HoldOutcome,
    Notification,
    SecurityHold,
    Visit,
    Visitor,
    VisitStatus,
    WatchlistEntry,
    WatchlistLevel,
)
from visitors.selectors import room_occupancy
from visitors.tasks import deliver_notification, notify_security


def tell_security() -> None:
    """Run what the worker would: the queued security notices, then their delivery."""
    for queued in DBTaskResult.objects.filter(task_path="visitors.tasks.notify_security"):
        notify_security.call(*queued.args_kwargs["args"])
    for pk in Notification.objects.filter(kind=Notification.Kind.SECURITY).values_list("pk", flat=True):
        deliver_notification.call(pk)


@pytest.fixture
def listed(site):
    """Wang Qiang, alias 王强, barred from the site."""
    entry = WatchlistEntry.objects.create(
        site=site,
        name="Wang Qiang",
        aliases="王强\nQiang Wang",
        phone="+86 138 0013 8000",
        email="Wang.Qiang@Example.com",
        id_fragment="0011",
        reason="Threatened the reception staff",
        level=WatchlistLevel.DENY,
    )
    watchlist.index_entry(entry)
    return entry


def visitor(**fields) -> Visitor:
    return Visitor(**{"full_name": "Somebody Else", **fields})


# --- matching ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"full_name": "Wang Qiang"},
        {"full_name": "wang  qiang"},
        {"full_name": "WANGQIANG"},
        {"full_name": "ＷＡＮＧ　ＱＩＡＮＧ"},  # full-width letters and space
        {"full_name": "王强"},
        {"full_name": "王 强"},
        {"full_name": "Qiang Wang"},
        {"phone": "13800138000"},
        {"phone": "+86 (138) 0013-8000"},
        {"phone": "0086 138 0013 8000"},
        {"email": "wang.qiang@example.com "},
        {"id_number": "110101199003070011"},
    ],
)
def test_a_visitor_matches_by_name_alias_width_spacing_phone_email_or_id(site, listed, fields):
    assert watchlist.match(site, visitor(**fields)) == listed


@pytest.mark.parametrize(
    "fields",
    [{"full_name": "Wang Qian"}, {"phone": "13800138001"}, {"email": "qiang@example.com"}, {"id_number": "12345678"}],
)
def test_a_different_visitor_does_not_match(site, listed, fields):
    assert watchlist.match(site, visitor(**fields)) is None


def test_an_expired_entry_or_another_sites_does_not_match(site, other_site, listed, daytime):
    from django.utils import timezone

    listed.expires_at = timezone.now()
    listed.save()
    assert watchlist.match(site, visitor(full_name="Wang Qiang")) is None
    listed.expires_at = None
    listed.save()
    assert watchlist.match(other_site, visitor(full_name="Wang Qiang")) is None


def test_a_match_is_one_query(site, listed, django_assert_num_queries):
    with django_assert_num_queries(1):
        watchlist.match(site, visitor(full_name="王强", phone="13800138000", id_number="110101199003070011"))


# --- every entry point holds ---------------------------------------------------------


def test_a_desk_walk_in_on_the_list_is_held_out_of_the_room(
    daytime, site, clerk, security_guard, business, business_room, listed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = walk_in(category=business, room=business_room, by=clerk, name="Wang Qiang")
    tell_security()

    visit.refresh_from_db()
    assert visit.status == VisitStatus.PENDING_SECURITY
    assert visit.checked_in_at is None
    assert room_occupancy(business_room) == (0, 0)
    assert SecurityHold.objects.get(visit=visit).entry == listed
    assert AuditEvent.objects.filter(action="visit.hold", object_id=str(visit.pk)).exists()
    # Security on duty is told at once, and the host is not told of an arrival.
    sent = [message for message in mail.outbox if security_guard.email in message.to]
    assert len(sent) == 1 and "Wang Qiang" in sent[0].subject
    assert "Threatened" not in sent[0].body  # the reason stays behind the security page
    assert not Notification.objects.filter(visit=visit, kind=Notification.Kind.ARRIVAL).exists()


def test_the_desk_is_told_to_wait_for_security_not_why(client, daytime, clerk, business, business_room, listed):
    client.force_login(clerk)
    response = client.post(
        "/desk/register/",
        {
            "full_name": "王强",
            "category": business.pk,
            "party_size": 1,
            "room": business_room.pk,
            "purpose": "Talks",
        },
        follow=True,
    )

    visit = Visit.objects.get(visitor__full_name="王强")
    assert visit.status == VisitStatus.PENDING_SECURITY
    page = response.content.decode()
    assert "waiting for security" in page
    assert "Threatened" not in page


def test_check_in_of_an_expected_visit_on_the_list_is_held(daytime, clerk, business, business_room, listed):
    visit = expect(category=business, room=business_room, by=clerk, expected_at="2026-11-27 10:30+08:00")
    Visitor.objects.filter(pk=visit.visitor_id).update(phone="138-0013-8000")

    held = services.check_in_visit(visit=visit, by=clerk)

    held.refresh_from_db()
    assert held.status == VisitStatus.PENDING_SECURITY and held.checked_in_at is None
    assert room_occupancy(business_room) == (0, 0)


def test_check_in_by_code_at_the_kiosk_says_only_see_the_front_desk(kiosk_client, invitation, listed):
    Visitor.objects.filter(pk=invitation.visit.visitor_id).update(email="wang.qiang@example.com")
    page = kiosk_client.get("/kiosk/code/").content.decode()
    key = re.search(r'name="submission_key" value="([^"]*)"', page).group(1)

    response = kiosk_client.post(
        "/kiosk/code/", {"code": invitation.code, "accept_privacy": "on", "submission_key": key}, follow=True
    )

    text = response.content.decode()
    assert "Please see the front desk." in text
    assert "watchlist" not in text.lower() and "Threatened" not in text and "security" not in text.lower()
    assert Visit.objects.get(pk=invitation.visit_id).status == VisitStatus.PENDING_SECURITY


def test_a_kiosk_walk_in_on_the_list_is_held_and_told_nothing(kiosk_client, host, lounge, daytime, site, listed):
    from tests.visitors.test_kiosk import hidden, host_choice

    page = kiosk_client.get("/kiosk/walk-in/")
    form = {
        "full_name": "Ｗａｎｇ Ｑｉａｎｇ",
        "company": "",
        "phone": "+44 20 7946 0958",
        "party_size": "1",
        "host": host_choice(kiosk_client, "Sun"),
        "accept_privacy": "on",
        "submission_key": hidden(page, "submission_key"),
    }

    response = kiosk_client.post("/kiosk/walk-in/", form, follow=True)

    text = response.content.decode()
    assert "Please see the front desk." in text
    assert "Threatened" not in text and "watchlist" not in text.lower()
    visit = Visit.objects.get(site=site)
    assert visit.status == VisitStatus.PENDING_SECURITY
    assert visit.badge_code not in text  # no badge for a visitor not checked in
    assert room_occupancy(lounge) == (0, 0)


def test_confirming_an_invitation_on_the_list_tells_security_ahead(
    invitation, security_guard, listed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitations.confirm_invitation(
            invitation=invitation, full_name="Wang Qiang", company="", phone="", accept_privacy=True
        )
    tell_security()

    assert Visit.objects.get(pk=invitation.visit_id).status == VisitStatus.EXPECTED
    assert Notification.objects.filter(
        visit=invitation.visit, kind=Notification.Kind.SECURITY, recipient=security_guard
    ).exists()


def test_an_alert_entry_lets_the_walk_in_in_and_tells_security(
    daytime, site, clerk, security_guard, business, business_room, listed, django_capture_on_commit_callbacks
):
    listed.level = WatchlistLevel.ALERT
    listed.save()

    with django_capture_on_commit_callbacks(execute=True):
        visit = walk_in(category=business, room=business_room, by=clerk, name="Wang Qiang")
    tell_security()

    assert visit.status == VisitStatus.ON_SITE
    assert Notification.objects.filter(visit=visit, kind=Notification.Kind.SECURITY).exists()


# --- security decides ----------------------------------------------------------------------


@pytest.fixture
def held(daytime, clerk, business, business_room, listed):
    return walk_in(category=business, room=business_room, by=clerk, name="Wang Qiang", host=None)


def test_security_sees_the_held_visit_and_why(client, security_guard, held):
    client.force_login(security_guard)

    page = client.get("/desk/security/").content.decode()

    assert "Wang Qiang" in page and "Threatened the reception staff" in page


def test_security_clears_a_held_visit_into_its_room(client, security_guard, held, business_room):
    client.force_login(security_guard)

    response = client.post(f"/desk/security/{held.pk}/clear/", {"reason": "Known to the host"})

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == VisitStatus.ON_SITE and held.checked_in_by == security_guard
    assert room_occupancy(business_room) == (1, 1)
    hold = SecurityHold.objects.get(visit=held)
    assert (hold.outcome, hold.decided_by, hold.reason) == (HoldOutcome.CLEARED, security_guard, "Known to the host")
    assert AuditEvent.objects.filter(action="visit.clear", object_id=str(held.pk)).exists()


def test_security_refuses_a_held_visit_with_a_reason(client, security_guard, held):
    client.force_login(security_guard)

    without = client.post(f"/desk/security/{held.pk}/refuse/", {"reason": ""})
    held.refresh_from_db()
    assert without.status_code == 302 and held.status == VisitStatus.PENDING_SECURITY

    client.post(f"/desk/security/{held.pk}/refuse/", {"reason": "On the deny list"})

    held.refresh_from_db()
    assert held.status == VisitStatus.REFUSED
    event = AuditEvent.objects.get(action="visit.refuse", object_id=str(held.pk))
    assert event.changes["reason"] == "On the deny list"


def test_a_cleared_visit_cannot_be_cleared_again(security_guard, held):
    services.clear_hold(visit=held, by=security_guard)

    with pytest.raises(services.ReceptionError) as refusal:
        services.refuse_hold(visit=held, by=security_guard, reason="Too late")

    assert refusal.value.code == "not_held"


# --- who sees the watchlist ------------------------------------------------------------------


@pytest.mark.parametrize("person", ["clerk", "host", "secretary", "director", "night_officer"])
def test_nobody_but_security_opens_the_security_page(request, person, held):
    client = Client()
    client.force_login(request.getfixturevalue(person))

    assert client.get("/desk/security/").status_code == 403
    assert client.post(f"/desk/security/{held.pk}/clear/").status_code == 403
    held.refresh_from_db()
    assert held.status == VisitStatus.PENDING_SECURITY


@pytest.mark.parametrize("person", ["clerk", "host", "night_officer", "director"])
def test_the_watchlist_is_no_permission_of_the_desk_or_hosts(request, person):
    user = request.getfixturevalue(person)

    assert not user.has_perm("visitors.view_watchlistentry")


def test_the_office_manager_keeps_the_watchlist_in_the_back_office(client, manager, site):
    client.force_login(manager)

    response = client.post(
        "/admin/visitors/watchlistentry/add/",
        {"site": site.pk, "name": "Li Lei", "aliases": "李雷", "reason": "Trespass", "level": "deny"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = WatchlistEntry.objects.get(name="Li Lei")
    assert entry.added_by == manager
    assert watchlist.match(site, visitor(full_name="李 雷")) == entry
    assert AuditEvent.objects.filter(action="watchlistentry.add").exists()
