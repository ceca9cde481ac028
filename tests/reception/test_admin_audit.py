"""Issue #15 item 13, R6.4: the office manager's changes to the rules a site runs
by — sites, categories and their escalation chains, rooms, the roster, channels
and kiosks — are events of the site's hash-chained audit trail, with the
changed fields before and after; secrets never enter the trail."""

import json
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reception.models import Duty, DutyCode, EscalationStep, KioskDevice, NotificationChannel, RosterEntry
from visitors import audit
from visitors.models import AuditEvent

SECRET = "SEC0123456789abcdef"
HOOK = "https://oapi.dingtalk.com/robot/send?access_token=abc123secret"


@pytest.fixture
def office(client, manager, daytime):
    client.force_login(manager)
    return client


def last_event(site) -> AuditEvent:
    return AuditEvent.objects.filter(site=site).order_by("-seq").first()


def events(site, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(site=site, action=action).order_by("seq"))


def assert_chain_intact(site):
    report = audit.verify_chain(site)
    assert report.intact, report.problem


def site_form(site, **fields) -> dict:
    data = {
        "name": site.name,
        "slug": site.slug,
        "address": site.address,
        "desk_phone": site.desk_phone,
        "timezone": site.timezone,
        "night_starts": site.night_starts.strftime("%H:%M:%S"),
        "night_ends": site.night_ends.strftime("%H:%M:%S"),
        "kiosk_mode": site.kiosk_mode,
        "kiosk_night_mode": site.kiosk_night_mode,
        "retention_days": str(site.retention_days),
        "host_approval_minutes": str(site.host_approval_minutes),
        "privacy_notice_en": "",
        "privacy_notice_zh": "",
    }
    return {**data, **fields}


def test_a_change_to_the_site_is_audited_with_before_and_after(office, manager, site):
    url = reverse("admin:reception_site_change", args=[site.pk])

    response = office.post(url, site_form(site, night_starts="21:00"))

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.night_starts == time(21)
    event = last_event(site)
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        "site.change",
        manager,
        "reception.site",
        str(site.pk),
    )
    assert event.changes == {"night_starts": {"before": "20:00:00", "after": "21:00:00"}}
    assert event.client_address == "127.0.0.1"
    assert_chain_intact(site)


def test_saving_an_unchanged_form_writes_no_event(office, site):
    office.post(reverse("admin:reception_site_change", args=[site.pk]), site_form(site))

    assert not AuditEvent.objects.filter(site=site).exists()


def escalation_inline(steps: list[tuple[int, str, int]], initial: list[EscalationStep] = ()) -> dict:
    data = {
        "escalation_steps-TOTAL_FORMS": str(len(steps)),
        "escalation_steps-INITIAL_FORMS": str(len(initial)),
        "escalation_steps-MIN_NUM_FORMS": "0",
        "escalation_steps-MAX_NUM_FORMS": "1000",
    }
    for i, (position, duty, delay) in enumerate(steps):
        data |= {
            f"escalation_steps-{i}-position": str(position),
            f"escalation_steps-{i}-duty": str(Duty.objects.get(code=duty).pk),
            f"escalation_steps-{i}-delay_minutes": str(delay),
        }
        if i < len(initial):
            data |= {f"escalation_steps-{i}-id": str(initial[i].pk), f"escalation_steps-{i}-category": ""}
    return data


def category_form(site, **fields) -> dict:
    return {
        "site": str(site.pk),
        "code": "A",
        "name": "VIP",
        "description": "",
        "ack_deadline_minutes": "30",
        "photo": "off",  # issue #19: the select always sends its choice
        **fields,
    }


def test_a_new_category_and_its_escalation_chain_are_audited(office, site):
    response = office.post(
        reverse("admin:reception_visitorcategory_add"),
        {**category_form(site), **escalation_inline([(1, DutyCode.HOST, 0), (2, DutyCode.DIRECTOR, 15)])},
    )

    assert response.status_code == 302
    event = last_event(site)
    assert event.action == "visitorcategory.add"
    assert event.changes["code"] == {"before": None, "after": "A"}
    assert event.changes["escalation_steps"] == {"before": None, "after": ["1. host +0 min", "2. director +15 min"]}
    assert_chain_intact(site)


def test_a_changed_escalation_step_is_audited_on_its_category(office, site, vip):
    step = EscalationStep.objects.create(category=vip, position=1, duty=Duty.objects.get(code=DutyCode.HOST))

    response = office.post(
        reverse("admin:reception_visitorcategory_change", args=[vip.pk]),
        {
            **category_form(site, escort_required="on", ack_deadline_minutes="10"),
            **escalation_inline([(1, DutyCode.SECRETARY, 5)], initial=[step]),
        },
    )

    assert response.status_code == 302
    assert EscalationStep.objects.get(pk=step.pk).duty.code == DutyCode.SECRETARY
    assert last_event(site).changes == {
        "ack_deadline_minutes": {"before": 30, "after": 10},
        "escalation_steps": {"before": ["1. host +0 min"], "after": ["1. secretary +5 min"]},
    }


def test_a_categorys_photo_rule_is_audited(office, site, vip):
    response = office.post(
        reverse("admin:reception_visitorcategory_change", args=[vip.pk]),
        {**category_form(site, escort_required="on", photo="required"), **escalation_inline([])},
    )

    assert response.status_code == 302
    vip.refresh_from_db()
    assert vip.photo == "required"
    assert last_event(site).changes == {"photo": {"before": "off", "after": "required"}}


def test_walk_up_approval_on_a_category_is_audited(office, site, vip):
    """Issue #19 (A13): the office manager turns host approval on for a category."""
    response = office.post(
        reverse("admin:reception_visitorcategory_change", args=[vip.pk]),
        {
            **category_form(site, escort_required="on", walk_ups_need_approval="on", host_approval_minutes="5"),
            **escalation_inline([]),
        },
    )

    assert response.status_code == 302
    vip.refresh_from_db()
    assert vip.walk_ups_need_approval and vip.host_approval_minutes == 5
    assert last_event(site).changes == {
        "walk_ups_need_approval": {"before": False, "after": True},
        "host_approval_minutes": {"before": None, "after": 5},
    }
    assert_chain_intact(site)


def test_a_rooms_categories_are_audited_as_ids(office, site, lounge, ordinary, business):
    response = office.post(
        reverse("admin:reception_receptionroom_change", args=[lounge.pk]),
        {
            "site": str(site.pk),
            "name": "Lounge",
            "capacity": "25",
            "categories": [ordinary.pk, business.pk],
            "active": "on",
            "sort_order": "0",
        },
    )

    assert response.status_code == 302
    event = last_event(site)
    assert event.action == "receptionroom.change"
    assert event.changes == {
        "capacity": {"before": 20, "after": 25},
        "categories": {"before": [ordinary.pk], "after": sorted([ordinary.pk, business.pk])},
    }


def test_a_roster_entry_added_and_deleted_is_audited(office, site, night_officer):
    added = office.post(
        reverse("admin:reception_rosterentry_add"),
        {
            "site": site.pk,
            "duty": Duty.objects.get(code=DutyCode.NIGHT_OFFICER).pk,
            "user": night_officer.pk,
            "starts_at_0": "2026-11-27",
            "starts_at_1": "20:00:00",
            "ends_at_0": "2026-11-28",
            "ends_at_1": "08:00:00",
            "note": "",
        },
    )
    entry = RosterEntry.objects.get()
    deleted = office.post(reverse("admin:reception_rosterentry_delete", args=[entry.pk]), {"post": "yes"})

    assert (added.status_code, deleted.status_code) == (302, 302)
    assert not RosterEntry.objects.exists()
    add, delete = events(site, "rosterentry.add") + events(site, "rosterentry.delete")
    assert add.changes["user"] == {"before": None, "after": night_officer.pk}
    assert delete.object_id == add.object_id == str(entry.pk)
    assert delete.changes["user"] == {"before": night_officer.pk, "after": None}
    assert_chain_intact(site)


def test_a_channels_url_and_secret_are_masked(office, site):
    form = {"site": str(site.pk), "name": "Desk chat", "kind": "dingtalk", "url": HOOK, "secret": SECRET}
    office.post(reverse("admin:reception_notificationchannel_add"), {**form, "on_arrival": "on", "active": "on"})
    channel = NotificationChannel.objects.get()
    office.post(
        reverse("admin:reception_notificationchannel_change", args=[channel.pk]),
        {**form, "secret": SECRET + "x", "on_arrival": "on", "active": "on"},
    )

    add, change = events(site, "notificationchannel.add") + events(site, "notificationchannel.change")
    assert add.changes["url"] == {"before": "", "after": "https://oapi.dingtalk.com/(hidden)"}
    assert change.changes == {"secret": {"before": "(hidden)", "after": "(hidden) (changed)"}}
    written = json.dumps([add.changes, change.changes])
    assert SECRET not in written and "abc123secret" not in written


def test_a_new_kiosk_is_audited_without_its_token(office, site):
    response = office.post(
        reverse("admin:reception_kioskdevice_add"),
        {"site": str(site.pk), "name": "Lobby tablet", "revoked_at_0": "", "revoked_at_1": ""},
    )

    assert response.status_code == 302
    kiosk = KioskDevice.objects.get()
    event = last_event(site)
    assert event.action == "kioskdevice.add"
    assert event.changes["token"] == {"before": "", "after": "(hidden)"}
    assert kiosk.token not in json.dumps(event.changes)


def test_revoking_a_kiosk_is_audited(office, manager, site, lobby_kiosk):
    response = office.post(
        reverse("admin:reception_kioskdevice_changelist"), {"action": "revoke", "_selected_action": [lobby_kiosk.pk]}
    )

    assert response.status_code == 302
    lobby_kiosk.refresh_from_db()
    assert lobby_kiosk.revoked_at is not None
    (event,) = events(site, "kioskdevice.revoke")
    assert (event.actor, event.object_id) == (manager, str(lobby_kiosk.pk))
    assert event.changes["revoked_at"]["before"] is None
    assert event.changes["revoked_at"]["after"].startswith("2026-11-27")
    assert_chain_intact(site)


def test_revoking_a_revoked_kiosk_again_writes_nothing(office, site, lobby_kiosk):
    payload = {"action": "revoke", "_selected_action": [lobby_kiosk.pk]}
    office.post(reverse("admin:reception_kioskdevice_changelist"), payload)
    office.post(reverse("admin:reception_kioskdevice_changelist"), payload)

    assert len(events(site, "kioskdevice.revoke")) == 1


def test_deleting_roster_entries_in_bulk_writes_one_event_each(office, site, clerk, night_officer):
    clerk_duty = Duty.objects.get(code=DutyCode.CLERK)
    starts = timezone.now()
    entries = [
        RosterEntry.objects.create(
            site=site, duty=clerk_duty, user=user, starts_at=starts, ends_at=starts + timedelta(hours=8)
        )
        for user in (clerk, night_officer)
    ]

    response = office.post(
        reverse("admin:reception_rosterentry_changelist"),
        {"action": "delete_selected", "post": "yes", "_selected_action": [e.pk for e in entries]},
    )

    assert response.status_code == 302
    assert not RosterEntry.objects.exists()
    assert sorted(e.object_id for e in events(site, "rosterentry.delete")) == sorted(str(e.pk) for e in entries)
    assert_chain_intact(site)
