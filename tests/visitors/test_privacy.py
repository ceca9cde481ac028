"""R4.1 and storage limitation: identities are anonymised past retention or on
request, legal holds are respected, ID numbers are masked and each full view
is audited. Nothing personal reaches the audit trail."""

import json
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from reception.errors import ReceptionError
from reception.models import Handover
from visitors import audit, privacy, services
from visitors.amendments import amend_visit
from visitors.models import Amendment, AuditEvent, Invitation, Visit, Visitor, VisitStatus
from visitors.templatetags.privacy_tags import mask_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)
PERSONAL = ("Maria Rossi", "Rossi Design", "+39 06 5551234", "maria@rossi.example", "AB1234567", "Allergic to nuts")


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(NOW, tick=False)


def visit_on(day: datetime, *, category, room, by, visitor=None, leave=True, **extra) -> Visit:
    """A visit that came and (by default) left on `day`, at 10:00-11:00."""
    visitor = visitor or Visitor(
        full_name=PERSONAL[0],
        company=PERSONAL[1],
        phone=PERSONAL[2],
        email=PERSONAL[3],
        id_type="passport",
        id_number=PERSONAL[4],
        notes=PERSONAL[5],
    )
    if visitor.id_number and not category.site.collect_id_numbers:
        # An ID number is recorded only where the site records them (R4.1).
        category.site.collect_id_numbers = True
        category.site.save(update_fields=["collect_id_numbers"])
    visit = services.register_visit(
        visit=Visit(category=category, room=room, purpose="Job interview", **extra),
        visitor=visitor,
        by=by,
        arrive_now=True,
        at=day,
    )
    if leave:
        services.check_out_visit(visit=visit, by=by, at=day + timedelta(hours=1))
    return visit


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def old_visit(clerk, ordinary, lounge):
    return visit_on(days_ago(200), category=ordinary, room=lounge, by=clerk)


def purge():
    out = StringIO()
    call_command("purge_expired", stdout=out)
    return out.getvalue()


def assert_anonymised(visitor: Visitor):
    visitor.refresh_from_db()
    assert visitor.full_name == privacy.ANONYMISED_NAME
    assert (visitor.company, visitor.phone, visitor.email, visitor.id_type, visitor.id_number, visitor.notes) == (
        "",
        "",
        "",
        "",
        "",
        "",
    )
    assert visitor.anonymised_at is not None


def assert_identified(visitor: Visitor):
    visitor.refresh_from_db()
    assert (visitor.full_name, visitor.phone, visitor.anonymised_at) == (PERSONAL[0], PERSONAL[2], None)


def assert_no_personal_data_in_the_trail():
    trail = json.dumps(
        list(AuditEvent.objects.values("changes", "object_id", "actor_label", "action")), ensure_ascii=False
    )
    for value in PERSONAL:
        assert value not in trail


# --- retention --------------------------------------------------------------------


def test_a_visitor_past_retention_is_anonymised_and_the_skeleton_kept(old_visit, clerk, lounge, ordinary):
    output = purge()

    assert "1 visitor(s) past retention anonymised." in output
    assert_anonymised(old_visit.visitor)
    old_visit.refresh_from_db()
    assert (old_visit.category, old_visit.room, old_visit.registered_by, old_visit.status) == (
        ordinary,
        lounge,
        clerk,
        VisitStatus.LEFT,
    )
    assert old_visit.checked_in_at == days_ago(200) and old_visit.purpose == "Job interview"
    event = AuditEvent.objects.get(action="visitor.anonymise")
    assert event.actor is None and event.object_id == str(old_visit.visitor_id)
    assert event.changes == {
        "reason": "retention",
        "cleared": ["company", "email", "full_name", "id_number", "id_type", "notes", "phone"],
    }
    assert_no_personal_data_in_the_trail()
    assert audit.verify_chain(old_visit.site).intact


def test_the_purge_is_idempotent(old_visit):
    purge()
    events = AuditEvent.objects.count()

    output = purge()

    assert "0 visitor(s) past retention anonymised." in output
    assert AuditEvent.objects.count() == events


def test_a_visitor_within_retention_keeps_their_identity(clerk, ordinary, lounge):
    recent = visit_on(days_ago(179), category=ordinary, room=lounge, by=clerk)

    purge()

    assert_identified(recent.visitor)


def test_a_recent_visit_keeps_a_returning_visitor(old_visit, clerk, ordinary, lounge):
    visit_on(days_ago(10), category=ordinary, room=lounge, by=clerk, visitor=old_visit.visitor)

    purge()

    assert_identified(old_visit.visitor)


def test_each_site_counts_its_own_retention_period(site, other_site, old_visit, clerk, other_clerk, ordinary, lounge):
    from reception.models import ReceptionRoom, VisitorCategory

    site.retention_days = 30
    site.save()
    river_category = VisitorCategory.objects.create(site=other_site, code="C", name="Ordinary")
    river_room = ReceptionRoom.objects.create(site=other_site, name="River Lounge", capacity=5, any_category=True)
    visit_on(days_ago(60), category=river_category, room=river_room, by=other_clerk, visitor=old_visit.visitor)

    purge()  # 60 days ago at the river branch: within its 180 days
    assert_identified(old_visit.visitor)

    other_site.retention_days = 59
    other_site.save()
    purge()
    assert_anonymised(old_visit.visitor)
    assert sorted(AuditEvent.objects.filter(action="visitor.anonymise").values_list("site__slug", flat=True)) == [
        "hq",
        "river",
    ]


def test_a_short_retention_period_is_respected(site, clerk, ordinary, lounge):
    site.retention_days = 30
    site.save()
    expired = visit_on(days_ago(31), category=ordinary, room=lounge, by=clerk)
    kept = visit_on(days_ago(29), category=ordinary, room=lounge, by=clerk, visitor=Visitor(full_name="Kept"))

    purge()

    assert_anonymised(expired.visitor)
    kept.visitor.refresh_from_db()
    assert kept.visitor.full_name == "Kept"


def test_an_invitation_for_a_future_day_keeps_the_visitor(clerk, ordinary, lounge, time_machine):
    time_machine.move_to(days_ago(200), tick=False)
    invited = services.register_visit(
        visit=Visit(category=ordinary, room=lounge, purpose="Next month", expected_at=NOW + timedelta(days=30)),
        visitor=Visitor(full_name=PERSONAL[0], phone=PERSONAL[2]),
        by=clerk,
        arrive_now=False,
    )
    time_machine.move_to(NOW, tick=False)

    purge()

    assert_identified(invited.visitor)


def test_a_visitor_on_site_keeps_their_identity(clerk, ordinary, lounge):
    still_here = visit_on(days_ago(200), category=ordinary, room=lounge, by=clerk, leave=False)

    purge()

    assert_identified(still_here.visitor)


def test_a_legal_hold_keeps_the_identity_past_retention(old_visit, manager):
    privacy.set_legal_hold(visit=old_visit, hold=True, by=manager)

    output = purge()

    assert "0 visitor(s) past retention anonymised." in output
    assert "1 visitor(s) past retention kept: a visit is under legal hold." in output
    assert_identified(old_visit.visitor)
    assert AuditEvent.objects.filter(action="visit.legal_hold", actor=manager).exists()

    privacy.set_legal_hold(visit=old_visit, hold=False, by=manager)
    purge()
    assert_anonymised(old_visit.visitor)


def test_a_dry_run_changes_nothing(old_visit):
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)

    assert "1 visitor(s) past retention would be anonymised." in out.getvalue()
    assert_identified(old_visit.visitor)
    assert not DBTaskResult.objects.exists()


def test_copies_of_the_identity_are_cleared_too(old_visit, clerk):
    Invitation.objects.create(
        visit=old_visit, email=PERSONAL[3], created_by=clerk, expires_at=days_ago(199), created_at=days_ago(201)
    )
    amend_visit(
        visit=old_visit, field="visitor.phone", new_value="+39 06 5550000", reason="Typo", by=clerk, at=days_ago(199)
    )

    purge()

    assert Invitation.objects.get().email == ""
    amendment = Amendment.objects.get()
    assert (amendment.old_value, amendment.new_value, amendment.reason) == ("", "", "Typo")


def test_the_handover_copy_of_the_on_site_list_is_cleared_too(old_visit, clerk, lounge):
    """R6.6 handovers keep the on-site list by value; the purge reaches it."""
    someone_else = {"visit": old_visit.pk + 1000, "visitor": "Kept Guest", "company": "Kept Co", "room": "Lounge"}
    handover = Handover.objects.create(
        site=old_visit.site,
        written_by=clerk,
        written_at=days_ago(200) + timedelta(hours=1),
        shift_started_at=days_ago(200) - timedelta(hours=2),
        on_site_snapshot=[
            {"visit": old_visit.pk, "visitor": PERSONAL[0], "company": PERSONAL[1], "room": "Lounge"},
            someone_else,
        ],
    )

    purge()

    handover.refresh_from_db()
    assert handover.on_site_snapshot[0] == {
        "visit": old_visit.pk,
        "visitor": privacy.ANONYMISED_NAME,
        "company": "",
        "room": "Lounge",
    }
    assert handover.on_site_snapshot[1] == someone_else
    assert PERSONAL[0] not in json.dumps(handover.on_site_snapshot)


# --- the daily schedule -------------------------------------------------------------


def queued():
    return DBTaskResult.objects.filter(task_path=privacy.purge_expired_daily.module_path, status=TaskResultStatus.READY)


def test_the_purge_command_queues_one_daily_run(old_visit):
    output = purge()
    purge()

    (task,) = queued()
    assert task.run_after == datetime(2026, 11, 28, 3, 0, tzinfo=SHANGHAI)
    assert "Next daily purge queued for 2026-11-28 03:00" in output


@pytest.mark.django_db(transaction=True)  # the worker closes its connection between tasks
def test_the_worker_runs_the_purge_and_queues_the_next_day(old_visit, time_machine):
    privacy.schedule_daily_purge()
    time_machine.move_to(datetime(2026, 11, 28, 3, 0, 1, tzinfo=SHANGHAI), tick=False)

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())

    assert_anonymised(old_visit.visitor)
    ran = DBTaskResult.objects.get(
        task_path=privacy.purge_expired_daily.module_path, status=TaskResultStatus.SUCCESSFUL
    )
    assert ran.return_value == 1
    (next_run,) = queued()
    assert next_run.run_after == datetime(2026, 11, 29, 3, 0, tzinfo=SHANGHAI)


# --- erasure on request --------------------------------------------------------------


def test_the_office_manager_erases_a_visitor_on_request(client, manager, clerk, ordinary, lounge):
    recent = visit_on(days_ago(3), category=ordinary, room=lounge, by=clerk)
    client.force_login(manager)
    url = reverse("visitors:erase", args=[recent.visitor_id])

    page = client.get(url)
    assert page.status_code == 200 and PERSONAL[0] in page.content.decode()

    response = client.post(url, {"confirm": "on"})

    assert response.status_code == 302 and response["Location"] == url
    assert_anonymised(recent.visitor)
    event = AuditEvent.objects.get(action="visitor.anonymise")
    assert (event.actor, event.changes["reason"], event.client_address) == (manager, "erasure", "127.0.0.1")
    assert_no_personal_data_in_the_trail()
    after = client.get(url).content.decode()
    assert 'data-testid="erased"' in after and PERSONAL[0] not in after


def test_erasure_needs_the_confirmation(client, manager, old_visit):
    client.force_login(manager)

    response = client.post(reverse("visitors:erase", args=[old_visit.visitor_id]), {})

    assert response.status_code == 400
    assert_identified(old_visit.visitor)


def test_erasure_is_refused_under_legal_hold(client, manager, old_visit):
    privacy.set_legal_hold(visit=old_visit, hold=True, by=manager)
    client.force_login(manager)
    url = reverse("visitors:erase", args=[old_visit.visitor_id])

    assert 'data-testid="legal-hold"' in client.get(url).content.decode()
    response = client.post(url, {"confirm": "on"}, follow=True)

    assert "under legal hold" in response.content.decode()
    assert_identified(old_visit.visitor)
    assert not AuditEvent.objects.filter(action="visitor.anonymise").exists()


def test_a_visitor_on_site_is_not_erased(clerk, manager, ordinary, lounge):
    still_here = visit_on(days_ago(0), category=ordinary, room=lounge, by=clerk, leave=False)

    with pytest.raises(ReceptionError) as refusal:
        privacy.erase_visitor(visitor=still_here.visitor, by=manager)

    assert refusal.value.code == "on_site"
    assert_identified(still_here.visitor)


def test_erasing_twice_writes_nothing_twice(manager, old_visit):
    assert privacy.erase_visitor(visitor=old_visit.visitor, by=manager) is True
    assert privacy.erase_visitor(visitor=old_visit.visitor, by=manager) is False

    assert AuditEvent.objects.filter(action="visitor.anonymise").count() == 1


@pytest.mark.parametrize("person", ["clerk", "security_guard", "director", "night_officer", "secretary"])
def test_only_the_office_manager_erases(request, client, old_visit, person):
    client.force_login(request.getfixturevalue(person))
    url = reverse("visitors:erase", args=[old_visit.visitor_id])

    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": "on"}).status_code == 403
    assert_identified(old_visit.visitor)


def test_a_visitor_never_seen_at_the_managers_site_is_not_found(client, make_staff, other_site, old_visit):
    from reception.roles import OFFICE_MANAGER

    river_manager = make_staff("river-manager", OFFICE_MANAGER, site=other_site, is_staff=True)
    client.force_login(river_manager)

    response = client.post(reverse("visitors:erase", args=[old_visit.visitor_id]), {"confirm": "on"})

    assert response.status_code == 404
    assert_identified(old_visit.visitor)


# --- ID numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "shown"),
    [("110105194912310021", "••••••••••••••0021"), ("AB1234567", "•••••4567"), ("123456", "••••••"), ("", "")],
)
def test_an_id_number_is_masked_but_for_its_last_four(number, shown):
    assert mask_id(number) == shown
    assert Template("{% load privacy_tags %}{{ n|mask_id }}").render(Context({"n": number})) == shown


@pytest.fixture
def id_visit(site, clerk, ordinary, lounge):
    site.collect_id_numbers = True
    site.save()
    return visit_on(days_ago(0), category=ordinary, room=lounge, by=clerk, leave=False)


def test_security_reveals_a_full_id_number_and_the_view_is_audited(client, security_guard, id_visit):
    client.force_login(security_guard)

    response = client.post(reverse("visitors:reveal_id_number", args=[id_visit.pk]))

    assert response.status_code == 200
    assert PERSONAL[4] in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="visitor.view_id_number")
    assert (event.actor, event.object_id, event.changes) == (
        security_guard,
        str(id_visit.visitor_id),
        {"visit": id_visit.pk},
    )
    assert_no_personal_data_in_the_trail()


def test_the_id_number_panel_masks_it_and_offers_security_the_reveal(security_guard, clerk, id_visit):
    template = Template('{% include "visitors/includes/id_number.html" %}')

    def panel(user):
        from django.contrib.auth.context_processors import PermWrapper

        return template.render(Context({"visit": id_visit, "perms": PermWrapper(user), "csrf_token": "x"}))

    for_security, for_clerk = panel(security_guard), panel(clerk)

    assert "•••••4567" in for_security and "•••••4567" in for_clerk
    assert PERSONAL[4] not in for_security and PERSONAL[4] not in for_clerk
    assert reverse("visitors:reveal_id_number", args=[id_visit.pk]) in for_security
    assert reverse("visitors:reveal_id_number", args=[id_visit.pk]) not in for_clerk


@pytest.mark.parametrize("person", ["clerk", "manager", "director", "host"])
def test_no_other_role_reveals_an_id_number(request, client, id_visit, person):
    client.force_login(request.getfixturevalue(person))

    response = client.post(reverse("visitors:reveal_id_number", args=[id_visit.pk]))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="visitor.view_id_number").exists()


def test_revealing_takes_a_post(client, security_guard, id_visit):
    client.force_login(security_guard)

    response = client.get(reverse("visitors:reveal_id_number", args=[id_visit.pk]))

    assert response.status_code == 405
    assert not AuditEvent.objects.filter(action="visitor.view_id_number").exists()


def test_an_id_number_of_another_site_is_not_found(client, make_staff, other_site, id_visit):
    from reception.models import DutyCode
    from reception.roles import DUTY_GROUPS

    river_guard = make_staff("river-security", DUTY_GROUPS[DutyCode.SECURITY], site=other_site)
    client.force_login(river_guard)

    assert client.post(reverse("visitors:reveal_id_number", args=[id_visit.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="visitor.view_id_number").exists()


def test_a_visitor_without_an_id_number_has_nothing_to_reveal(client, security_guard, clerk, ordinary, lounge):
    plain = visit_on(days_ago(0), category=ordinary, room=lounge, by=clerk, visitor=Visitor(full_name="No ID"))
    client.force_login(security_guard)

    response = client.post(reverse("visitors:reveal_id_number", args=[plain.pk]), follow=True)

    assert "No ID number is recorded" in response.content.decode()
    assert not AuditEvent.objects.filter(action="visitor.view_id_number").exists()


# --- the back office ---------------------------------------------------------------


def test_the_office_manager_places_and_releases_a_legal_hold_in_the_admin(client, manager, old_visit):
    client.force_login(manager)
    url = reverse("admin:visitors_visit_changelist")

    response = client.post(url, {"action": "place_legal_hold", "_selected_action": [old_visit.pk]})

    assert response.status_code == 302
    old_visit.refresh_from_db()
    assert old_visit.legal_hold
    assert AuditEvent.objects.get(action="visit.legal_hold").actor == manager
    client.post(url, {"action": "release_legal_hold", "_selected_action": [old_visit.pk]})
    old_visit.refresh_from_db()
    assert not old_visit.legal_hold


def test_the_visitor_admin_page_links_to_erasure(client, manager, old_visit):
    client.force_login(manager)

    html = client.get(reverse("admin:visitors_visitor_change", args=[old_visit.visitor_id])).content.decode()

    assert reverse("visitors:erase", args=[old_visit.visitor_id]) in html
    assert PERSONAL[4] not in html  # the ID number is not in the admin at all
