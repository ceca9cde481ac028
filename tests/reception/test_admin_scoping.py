"""Issue #15 item 2, R1.1: an office manager's back office shows their own site
only; the superuser (installation administrator) sees every site.

Every model registered in the admin is asked about: another site's object is
not in the manager's list and its change page answers as for a missing object
(Django's admin redirects to its index). A newly registered model fails
`test_every_registered_model_is_scoped_or_listed_here` until it is scoped
(reception/backoffice.py SiteScopedAdmin, with a maker below) or listed as
global or administrator-only, with the reason.
"""

import secrets
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from customers import calls, complaints, followups, services
from customers.models import CareSettings, ComplaintHandler, RotationMember, RotationQueue
from reception import registers, rulebook
from reception.backoffice import SiteScopedAdmin
from reception.models import (
    ApiToken,
    Department,
    Duty,
    DutyCode,
    KioskDevice,
    NotificationChannel,
    ReceptionRoom,
    RosterEntry,
    RulesVersion,
    VisitorCategory,
)
from reception.roles import DUTY_GROUPS
from tests.visitors.desk import expect, walk_in
from visitors import agreements, watchlist
from visitors.models import (
    Agreement,
    AgreementKind,
    AuditEvent,
    Invitation,
    Notification,
    SecurityHold,
    SignedAgreement,
    WatchlistEntry,
)

# One list for every site: the manager reads them and cannot change them
# (reception/roles.py gives no change permission), except adding a department.
GLOBAL = {
    "auth.group": "roles are the same at every site",
    "reception.department": "one list of departments serves every site (R3.1 labels)",
    "reception.duty": "the duties of R1.5 are the same at every site",
}
# Only the installation administrator opens these: the manager holds no permission.
ADMINISTRATOR_ONLY = {
    "axes.accessattempt": "sign-in lockouts of every site",
    "axes.accesslog": "sign-ins of every site",
    "axes.accessfailurelog": "failed sign-ins of every site",
    "django_tasks_database.dbtaskresult": "the task queue serves every site",
}


@pytest.fixture
def river(daytime, other_site, other_clerk, make_staff):
    """River Branch with one of everything, made as its own staff would."""
    category = VisitorCategory.objects.create(site=other_site, code="C", name="Ordinary")
    room = ReceptionRoom.objects.create(site=other_site, name="River Lounge", capacity=10)
    room.categories.set([category])
    river_host = make_staff("river-host", DUTY_GROUPS[DutyCode.HOST], site=other_site, department="Sales")
    on_site = walk_in(category=category, room=room, by=other_clerk, name="Zhou Jie", host=river_host)
    expected = expect(
        category=category, room=room, by=other_clerk, expected_at=timezone.now() + timedelta(hours=2), host=river_host
    )
    river_sales = make_staff("river-sales", DUTY_GROUPS[DutyCode.SALESPERSON], site=other_site, department="Sales")
    river_queue = RotationQueue.objects.create(site=other_site)
    RotationMember.objects.create(queue=river_queue, position=1, user=river_sales)
    river_customer = services.create_customer(site=other_site, by=other_clerk, name="River Customer")
    river_call = calls.log_call(
        site=other_site, by=other_clerk, caller="River Caller", phone="", topic="enquiry", asked_for=river_sales
    )
    # Issue #18: the branch's customer care.
    river_department = river_host.profile.department
    river_handler = ComplaintHandler.objects.create(site=other_site, department=river_department, user=river_host)
    river_complaint = complaints.open_complaint(
        site=other_site, by=other_clerk, customer=river_customer, channel="phone", heard="Late delivery"
    )
    river_follow_up = followups.schedule_follow_up(customer=river_customer, by=other_clerk)
    river_feedback = followups.log_feedback(
        customer=river_customer,
        by=other_clerk,
        kind="after_sales",
        summary="Filter change",
        department=river_department,
        owner=river_host,
        due_on=timezone.localdate() + timedelta(days=3),
    )
    # Issue #19: the branch's watchlist and a visit it held.
    listed = WatchlistEntry.objects.create(site=other_site, name="Wang Qiang", reason="Threatened staff")
    watchlist.index_entry(listed)
    # Issue #19: the branch's NDA, signed by its visitor on site.
    river_nda = Agreement.objects.create(site=other_site, category=category, kind=AgreementKind.NDA)
    river_version = agreements.publish_version(
        agreement=river_nda, title_en="NDA", title_zh="保密协议", text_en="Secret.", text_zh="保密。", by=None
    )
    river_signed = SignedAgreement.objects.create(
        site=other_site, visit=on_site, visitor=on_site.visitor, version=river_version, signed_name="Zhou Jie"
    )
    return {
        "agreement": river_nda,
        "signedagreement": river_signed,
        "caresettings": CareSettings.objects.get_or_create(site=other_site)[0],
        "complainthandler": river_handler,
        "complaint": river_complaint,
        "followup": river_follow_up,
        "feedback": river_feedback,
        "watchlistentry": listed,
        "securityhold": SecurityHold.objects.create(visit=expected, site=other_site, entry=listed),
        "customer": river_customer,
        "rotationqueue": river_queue,
        "assignment": river_call.assignment,
        "call": river_call,
        "site": other_site,
        "user": other_clerk,
        "profile": other_clerk.profile,
        "category": category,
        "room": room,
        "visit": on_site,
        "visitor": on_site.visitor,
        "auditevent": AuditEvent.objects.filter(site=other_site).first(),
        "rosterentry": RosterEntry.objects.create(
            site=other_site,
            duty=Duty.objects.get(code=DutyCode.CLERK),
            user=other_clerk,
            starts_at=timezone.now(),
            ends_at=timezone.now() + timedelta(hours=8),
        ),
        "apitoken": ApiToken.objects.create(site=other_site, name="River doors", digest="0" * 64, prefix="lby_river"),
        "kiosk": KioskDevice.objects.create(site=other_site, name="River tablet", token=secrets.token_urlsafe(32)),
        "channel": NotificationChannel.objects.create(site=other_site, name="River chat", url="https://chat.example/h"),
        "handover": registers.write_handover(
            site=other_site, by=other_clerk, open_items="Keys", incidents="", keys_and_items=""
        ),
        "lostitem": registers.record_lost_item(
            site=other_site,
            by=other_clerk,
            description="Scarf",
            found_at=timezone.now(),
            found_where="Lounge",
            found_by="Desk",
            stored_where="Drawer",
        ),
        "incident": registers.report_incident(
            site=other_site,
            by=other_clerk,
            kind="damage",
            description="Cup",
            location="Lounge",
            occurred_at=timezone.now(),
        ),
        "notification": Notification.objects.create(
            site=other_site, visit=on_site, kind=Notification.Kind.ARRIVAL, dedupe_key="river-arrival"
        ),
        "rulesversion": rulebook.publish_rules_version(
            version=RulesVersion(site=other_site, effective_from=timezone.now().date(), body_en="River rules"),
            by=other_clerk,
        ),
        "invitation": Invitation.objects.create(
            visit=expected, email="guest@example.com", created_by=river_host, expires_at=timezone.now() + timedelta(1)
        ),
    }


# Which of River Branch's things stands for each scoped model.
RIVER_OBJECT = {
    "auth.user": "user",
    "reception.site": "site",
    "reception.staffprofile": "profile",
    "reception.visitorcategory": "category",
    "reception.receptionroom": "room",
    "reception.rosterentry": "rosterentry",
    "reception.kioskdevice": "kiosk",
    "reception.apitoken": "apitoken",
    "reception.notificationchannel": "channel",
    "reception.handover": "handover",
    "reception.lostitem": "lostitem",
    "reception.incident": "incident",
    "reception.rulesversion": "rulesversion",
    "visitors.visit": "visit",
    "visitors.visitor": "visitor",
    "visitors.auditevent": "auditevent",
    "visitors.notification": "notification",
    "visitors.invitation": "invitation",
    "visitors.watchlistentry": "watchlistentry",
    "visitors.securityhold": "securityhold",
    "visitors.agreement": "agreement",
    "visitors.signedagreement": "signedagreement",
    "customers.customer": "customer",
    "customers.rotationqueue": "rotationqueue",
    "customers.assignment": "assignment",
    "customers.call": "call",
    "customers.caresettings": "caresettings",
    "customers.complainthandler": "complainthandler",
    "customers.complaint": "complaint",
    "customers.followup": "followup",
    "customers.feedback": "feedback",
}


def registered() -> list[str]:
    return sorted(model._meta.label_lower for model in admin.site._registry)


def model_admin(label: str):
    return next(ma for model, ma in admin.site._registry.items() if model._meta.label_lower == label)


def admin_url(label: str, view: str, *args) -> str:
    app_label, model_name = label.split(".")
    return reverse(f"admin:{app_label}_{model_name}_{view}", args=args)


def test_every_registered_model_is_scoped_or_listed_here():
    unscoped = [
        label
        for label in registered()
        if label not in GLOBAL
        and label not in ADMINISTRATOR_ONLY
        and not (isinstance(model_admin(label), SiteScopedAdmin) and label in RIVER_OBJECT)
    ]

    assert unscoped == [], "scope these to the manager's site (SiteScopedAdmin and RIVER_OBJECT) or list them"


SCOPED = [label for label in registered() if label in RIVER_OBJECT]


@pytest.mark.parametrize("label", SCOPED)
def test_another_sites_object_is_not_in_the_managers_back_office(label, client, manager, river):
    obj = river[RIVER_OBJECT[label]]
    client.force_login(manager)

    listing = client.get(admin_url(label, "changelist"))
    change = client.get(admin_url(label, "change", obj.pk))

    assert listing.status_code == 200
    assert obj.pk not in {row.pk for row in listing.context["cl"].queryset}
    assert "River" not in listing.content.decode()  # nor in a filter's choices
    assert (change.status_code, change["Location"]) == (302, reverse("admin:index"))
    assert "doesn’t exist" in str(list(change.wsgi_request._messages)[0])


@pytest.mark.parametrize("label", SCOPED)
def test_the_administrator_opens_every_sites_object(label, client, admin_user, river):
    obj = river[RIVER_OBJECT[label]]
    client.force_login(admin_user)

    listing = client.get(admin_url(label, "changelist"))
    change = client.get(admin_url(label, "change", obj.pk))

    assert obj.pk in {row.pk for row in listing.context["cl"].queryset}
    assert change.status_code == 200


@pytest.mark.parametrize("label", sorted(ADMINISTRATOR_ONLY))
def test_the_manager_cannot_open_the_administrators_lists(label, client, manager):
    client.force_login(manager)

    assert client.get(admin_url(label, "changelist")).status_code == 403


def test_the_manager_reads_the_global_lists_but_does_not_change_them(client, manager, clerk):
    sales = Department.objects.get(name="Front Desk")
    clerks = Group.objects.get(name=DUTY_GROUPS[DutyCode.CLERK])
    duty = Duty.objects.get(code=DutyCode.CLERK)
    client.force_login(manager)

    answers = [
        client.post(admin_url("reception.department", "change", sales.pk), {"name": "Renamed"}).status_code,
        client.post(admin_url("auth.group", "change", clerks.pk), {"name": "Anything", "permissions": []}).status_code,
        client.post(admin_url("reception.duty", "change", duty.pk), {"description": "Other"}).status_code,
    ]

    assert answers == [403, 403, 403]
    assert Department.objects.get(pk=sales.pk).name == "Front Desk"
    assert Group.objects.get(pk=clerks.pk).name == DUTY_GROUPS[DutyCode.CLERK]
    assert clerks.permissions.exists()
    assert Duty.objects.get(pk=duty.pk).description == duty.description


def test_the_managers_form_choices_are_their_own_sites(client, manager, site, ordinary, river):
    client.force_login(manager)

    form = client.get(admin_url("reception.receptionroom", "add")).context["adminform"].form

    assert list(form.fields["site"].queryset) == [site]
    assert list(form.fields["categories"].queryset) == [ordinary]


def test_a_room_cannot_be_put_at_another_site_or_given_its_categories(client, manager, site, river):
    client.force_login(manager)

    at_river = client.post(
        admin_url("reception.receptionroom", "add"),
        {"site": river["site"].pk, "name": "Annex", "capacity": "4", "sort_order": "0"},
    )
    river_category = client.post(
        admin_url("reception.receptionroom", "add"),
        {"site": site.pk, "name": "Annex", "capacity": "4", "sort_order": "0", "categories": [river["category"].pk]},
    )

    assert at_river.status_code == river_category.status_code == 200
    assert "Select a valid choice" in at_river.content.decode()
    assert "Select a valid choice" in river_category.content.decode()
    assert not ReceptionRoom.objects.filter(name="Annex").exists()


def test_the_revoke_action_does_not_reach_another_sites_kiosk(client, manager, lobby_kiosk, river):
    client.force_login(manager)

    response = client.post(
        admin_url("reception.kioskdevice", "changelist"),
        {"action": "revoke", "_selected_action": [river["kiosk"].pk]},
    )

    assert response.status_code in (200, 302)
    river["kiosk"].refresh_from_db()
    assert river["kiosk"].revoked_at is None


def test_the_manager_cannot_add_a_site(client, manager):
    client.force_login(manager)

    response = client.post(admin_url("reception.site", "add"), {"name": "Annex", "slug": "annex"})

    assert response.status_code == 403
    assert not manager.has_perm("reception.add_site")


def test_an_account_without_a_site_sees_no_sites_objects(client, manager, site, lounge):
    manager.profile.delete()
    client.force_login(manager)

    listing = client.get(admin_url("reception.receptionroom", "changelist"))

    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == []
