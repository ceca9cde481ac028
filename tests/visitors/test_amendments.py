"""R6.4: a registration is corrected by amendment, never in place; the original
stays readable. The amendment keeps the reception rules (R1.3)."""

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from reception.errors import ReceptionError
from visitors import audit, services
from visitors.amendments import amend_visit, amend_visit_fields
from visitors.models import Amendment, AuditEvent, Visit, VisitEvent, Visitor, VisitSource, VisitStatus


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=False)


def register(*, category, room, by, name="Hans Müller", arrive_now=False, party_size=1, **extra):
    visit = Visit(category=category, room=room, purpose="Partnership talks", party_size=party_size, **extra)
    visitor = Visitor(full_name=name, company="Bergmann GmbH", phone="+49 30 1234567")
    return services.register_visit(visit=visit, visitor=visitor, by=by, arrive_now=arrive_now)


@pytest.fixture
def business_visit(clerk, business, business_room):
    return register(category=business, room=business_room, by=clerk)


def amend(visit, by, reason="Typed wrongly at the desk", **changes):
    return amend_visit_fields(visit=visit, changes=changes, reason=reason, by=by, client_address="10.0.0.7")


def unchanged(visit, **expected):
    visit.refresh_from_db()
    for name, value in expected.items():
        assert getattr(visit, name) == value, name
    assert not Amendment.objects.filter(visit=visit).exists()
    assert not AuditEvent.objects.filter(action="visit.amend").exists()
    return True


# --- the service -------------------------------------------------------------------


def test_a_room_correction_is_an_amendment_with_the_original_kept(clerk, business_visit, business_room, gm_office):
    amendment = amend_visit(
        visit=business_visit, field="room", new_value=gm_office, reason="Moved to the GM's office", by=clerk
    )

    business_visit.refresh_from_db()
    assert business_visit.room == gm_office
    assert (amendment.field, amendment.old_value, amendment.new_value) == ("room", "Business Room", gm_office.name)
    assert amendment.reason == "Moved to the GM's office" and amendment.by == clerk
    step = business_visit.events.get(kind=VisitEvent.Kind.AMENDED)
    assert step.by == clerk and step.note == "room"
    event = AuditEvent.objects.get(action="visit.amend")
    assert event.object_id == str(business_visit.pk) and event.actor == clerk
    assert event.changes["fields"] == {"room": {"old": "Business Room", "new": gm_office.name}}
    assert event.changes["amendments"] == [amendment.pk]
    assert audit.verify_chain(business_visit.site).intact


def test_the_desk_recategorises_a_kiosk_walk_in_with_its_new_room(clerk, ordinary, business, lounge, business_room):
    walk_in = register(category=ordinary, room=lounge, by=None, arrive_now=True, source=VisitSource.KIOSK)

    amendments = amend(
        walk_in, clerk, reason="A customer of Sales, not a walk-in", category=business, room=business_room
    )

    walk_in.refresh_from_db()
    assert (walk_in.category, walk_in.room, walk_in.status) == (business, business_room, VisitStatus.ON_SITE)
    assert {(a.field, a.old_value, a.new_value) for a in amendments} == {
        ("category", str(ordinary), str(business)),
        ("room", "Lounge", "Business Room"),
    }
    assert walk_in.events.filter(kind=VisitEvent.Kind.AMENDED).count() == 1


def test_a_category_the_room_does_not_receive_is_refused(clerk, ordinary, business, lounge, business_room):
    visit = register(category=ordinary, room=lounge, by=clerk)

    with pytest.raises(ReceptionError) as refusal:
        amend(visit, clerk, category=business)

    assert refusal.value.code == "room_not_allowed" and refusal.value.field == "category"
    assert "Business Room" in refusal.value.message and "Amend the room at the same time" in refusal.value.message
    assert unchanged(visit, category=ordinary, room=lounge)


def test_a_room_not_allowed_for_the_category_is_refused(clerk, business_visit, business_room, lounge):
    with pytest.raises(ReceptionError) as refusal:
        amend(business_visit, clerk, room=lounge)

    assert refusal.value.code == "room_not_allowed" and "R1.3" in refusal.value.message
    assert unchanged(business_visit, room=business_room)


def test_a_room_of_another_site_is_not_a_choice(clerk, business_visit, business_room, other_site):
    from reception.models import ReceptionRoom

    elsewhere = ReceptionRoom.objects.create(site=other_site, name="River Room", capacity=10, any_category=True)

    with pytest.raises(ReceptionError) as refusal:
        amend(business_visit, clerk, room=elsewhere.pk)

    assert refusal.value.code == "invalid_value" and refusal.value.field == "room"
    assert unchanged(business_visit, room=business_room)


def test_a_bigger_party_must_fit_the_room_it_is_in(clerk, business, business_room):
    on_site = register(category=business, room=business_room, by=clerk, arrive_now=True, party_size=6)
    register(category=business, room=business_room, by=clerk, arrive_now=True, party_size=1, name="Other")

    amend(on_site, clerk, party_size=7)  # 7 + 1 = 8: full, and not counted twice
    with pytest.raises(ReceptionError) as refusal:
        amend(on_site, clerk, party_size=8)

    assert refusal.value.code == "room_full" and "1 of 8" not in refusal.value.message
    on_site.refresh_from_db()
    assert on_site.party_size == 7
    assert Amendment.objects.filter(visit=on_site).count() == 1


def test_an_exclusive_room_taken_by_another_party_is_refused(clerk, vip, culture_pavilion, gm_office):
    register(category=vip, room=gm_office, by=clerk, arrive_now=True, name="In the GM's office")
    delegation = register(category=vip, room=culture_pavilion, by=clerk, arrive_now=True, name="Delegation")

    with pytest.raises(ReceptionError) as refusal:
        amend(delegation, clerk, room=gm_office)

    assert refusal.value.code == "room_full" and "exclusive" in refusal.value.message
    amend(delegation, clerk, party_size=3)  # its own exclusive room: no conflict with itself


@pytest.mark.parametrize(
    "field",
    ["status", "site", "registered_at", "registered_by", "source", "badge_code", "night_override_reason", "legal_hold"],
)
def test_fields_outside_the_registration_or_its_signature_are_not_amendable(clerk, business_visit, field):
    with pytest.raises(ReceptionError) as refusal:
        amend(business_visit, clerk, **{field: "x"})

    assert refusal.value.code == "not_amendable" and field in refusal.value.message
    assert unchanged(business_visit)


@pytest.mark.parametrize("reason", ["", "   ", "nul\x00", "x" * 301])
def test_a_reason_is_required(clerk, business_visit, gm_office, reason):
    with pytest.raises(ReceptionError) as refusal:
        amend(business_visit, clerk, reason=reason, room=gm_office)

    assert refusal.value.field == "reason"
    assert unchanged(business_visit)


def test_the_same_value_is_not_an_amendment(clerk, business_visit, business_room):
    with pytest.raises(ReceptionError) as refusal:
        amend(business_visit, clerk, room=business_room, purpose="Partnership talks")

    assert refusal.value.code == "no_change"
    assert unchanged(business_visit)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("party_size", 0),
        ("party_size", "many"),
        ("purpose", ""),
        ("purpose", "x" * 201),
        ("purpose", "Talks\x00"),
        ("id_sighted_type", "library_card"),
        ("category", "not-a-number"),
        ("visitor.full_name", ""),
        ("visitor.email", "not an address"),
        ("expected_at", "next Tuesday"),
    ],
)
def test_an_invalid_value_is_refused_with_its_field(clerk, business_visit, field, value):
    with pytest.raises(ReceptionError) as refusal:
        amend(business_visit, clerk, **{field: value})

    assert refusal.value.code == "invalid_value" and refusal.value.field == field
    assert unchanged(business_visit, party_size=1, purpose="Partnership talks")
    assert Visitor.objects.get().full_name == "Hans Müller"


def test_the_expected_window_must_end_after_it_starts(clerk, business_visit):
    with pytest.raises(ReceptionError) as refusal:
        amend(business_visit, clerk, expected_at="2026-11-28T15:00", expected_until="2026-11-28T14:00")

    assert refusal.value.code == "window_backwards"
    assert unchanged(business_visit, expected_at=None)


def test_an_expected_time_is_read_in_the_sites_time_zone(clerk, business_visit):
    (amendment,) = amend(business_visit, clerk, expected_at="2026-11-28T15:00")

    business_visit.refresh_from_db()
    assert business_visit.expected_at.isoformat() == "2026-11-28T07:00:00+00:00"
    assert (amendment.old_value, amendment.new_value) == ("", "2026-11-28T15:00+08:00")


def test_a_misspelt_name_is_corrected_and_the_audit_trail_holds_no_personal_data(clerk, business_visit):
    (amendment,) = amend(business_visit, clerk, **{"visitor.full_name": "Hans Mueller"})

    assert Visitor.objects.get().full_name == "Hans Mueller"
    assert (amendment.field, amendment.old_value, amendment.new_value) == (
        "visitor.full_name",
        "Hans Müller",
        "Hans Mueller",
    )
    trail = json.dumps(list(AuditEvent.objects.values("changes")), ensure_ascii=False)
    assert "Hans" not in trail
    assert AuditEvent.objects.get(action="visit.amend").changes["fields"] == {"visitor.full_name": None}


def test_an_anonymised_visitors_identity_cannot_be_amended(clerk, business_visit):
    Visitor.objects.update(full_name="Anonymised visitor", anonymised_at="2026-11-01T00:00:00Z")

    with pytest.raises(ReceptionError) as refusal:
        amend(business_visit, clerk, **{"visitor.full_name": "Hans Müller"})

    assert refusal.value.code == "anonymised"
    assert unchanged(business_visit)


def test_a_visit_moved_to_a_visitor_already_on_site_is_refused(clerk, business, business_room):
    first = register(category=business, room=business_room, by=clerk, arrive_now=True, name="First")
    second = register(category=business, room=business_room, by=clerk, arrive_now=True, name="Second")

    with pytest.raises(ReceptionError) as refusal:
        amend(second, clerk, visitor=first.visitor)

    assert refusal.value.code == "already_on_site"
    assert unchanged(second, visitor=second.visitor)


def test_a_visit_registered_under_the_wrong_returning_visitor_is_moved(clerk, business_visit):
    right = Visitor.objects.create(full_name="Hans Müller Jr.")

    (amendment,) = amend(business_visit, clerk, visitor=right.pk)

    business_visit.refresh_from_db()
    assert business_visit.visitor == right
    assert amendment.new_value == f"#{right.pk}"  # the name stays out of the amendment


# --- the amend page ----------------------------------------------------------------


def form_data(visit, **overrides):
    data = {
        "visitor_full_name": visit.visitor.full_name,
        "visitor_company": visit.visitor.company,
        "visitor_phone": visit.visitor.phone,
        "visitor_email": visit.visitor.email,
        "category": visit.category_id,
        "room": visit.room_id or "",
        "host": visit.host_id or "",
        "department": visit.department_id or "",
        "purpose": visit.purpose,
        "party_size": visit.party_size,
        "expected_at": "",
        "expected_until": "",
        "hospitality_notes": visit.hospitality_notes,
        "materials": visit.materials,
        "reason": "Corrected at the visitor's request",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_clerk_amends_a_registration_on_its_page(client, clerk, business_visit, gm_office):
    client.force_login(clerk)
    url = reverse("visitors:amend", args=[business_visit.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert 'value="Partnership talks"' in page.content.decode()

    response = client.post(url, form_data(business_visit, room=gm_office.pk, materials="Brochure"))

    assert response.status_code == 302 and response["Location"] == reverse("visitors:visit", args=[business_visit.pk])
    business_visit.refresh_from_db()
    assert (business_visit.room, business_visit.materials) == (gm_office, "Brochure")
    assert sorted(Amendment.objects.values_list("field", flat=True)) == ["materials", "room"]
    assert set(Amendment.objects.values_list("reason", flat=True)) == {"Corrected at the visitor's request"}
    assert AuditEvent.objects.get(action="visit.amend").client_address == "127.0.0.1"


def test_the_page_shows_the_original_next_to_the_amendment(client, clerk, business_visit, gm_office):
    amend(business_visit, clerk, room=gm_office, reason="Room swap")
    client.force_login(clerk)

    html = client.get(reverse("visitors:amend", args=[business_visit.pk])).content.decode()

    assert "<del>Business Room</del>" in html and "General Manager&#x27;s Office" in html and "Room swap" in html


def test_a_refused_amendment_is_explained_on_the_form(client, clerk, business_visit, business_room, lounge):
    client.force_login(clerk)

    response = client.post(
        reverse("visitors:amend", args=[business_visit.pk]), form_data(business_visit, room=lounge.pk)
    )

    assert response.status_code == 400
    assert "may not be received in Lounge" in response.content.decode()
    assert unchanged(business_visit, room=business_room)


def test_the_form_asks_for_a_reason_and_a_change(client, clerk, business_visit, gm_office):
    client.force_login(clerk)
    url = reverse("visitors:amend", args=[business_visit.pk])

    no_reason = client.post(url, form_data(business_visit, room=gm_office.pk, reason=""))
    no_change = client.post(url, form_data(business_visit))

    assert no_reason.status_code == 400 and no_change.status_code == 400
    assert "Change at least one value" in no_change.content.decode()
    assert unchanged(business_visit)


def test_a_tampered_choice_is_a_form_error_not_a_crash(client, clerk, business_visit, other_site):
    from reception.models import VisitorCategory

    foreign = VisitorCategory.objects.create(site=other_site, code="B", name="River business")
    client.force_login(clerk)

    response = client.post(
        reverse("visitors:amend", args=[business_visit.pk]), form_data(business_visit, category=foreign.pk)
    )

    assert response.status_code == 400
    assert unchanged(business_visit)


@pytest.mark.parametrize("person", ["security_guard", "host", "secretary", "manager"])
def test_roles_without_the_amend_permission_are_refused(request, client, business_visit, gm_office, person):
    client.force_login(request.getfixturevalue(person))
    url = reverse("visitors:amend", args=[business_visit.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, form_data(business_visit, room=gm_office.pk)).status_code == 403
    assert unchanged(business_visit)


@pytest.mark.parametrize("person", ["night_officer", "director"])
def test_the_night_officer_and_the_director_may_amend(request, client, business_visit, gm_office, person):
    client.force_login(request.getfixturevalue(person))

    response = client.post(
        reverse("visitors:amend", args=[business_visit.pk]), form_data(business_visit, room=gm_office.pk)
    )

    assert response.status_code == 302
    assert Amendment.objects.get().by.username == request.getfixturevalue(person).username


def test_a_visit_of_another_site_is_not_found(client, other_clerk, business_visit, gm_office):
    client.force_login(other_clerk)

    response = client.post(
        reverse("visitors:amend", args=[business_visit.pk]), form_data(business_visit, room=gm_office.pk)
    )

    assert response.status_code == 404
    assert unchanged(business_visit)


def test_anonymous_users_are_sent_to_sign_in(client, business_visit):
    response = client.get(reverse("visitors:amend", args=[business_visit.pk]))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_visit_page_shows_its_amendments(client, clerk, business_visit, gm_office):
    amend(business_visit, clerk, room=gm_office, reason="Room swap")
    client.force_login(clerk)

    html = client.get(reverse("visitors:visit", args=[business_visit.pk])).content.decode()

    assert 'data-testid="amendments"' in html
    assert "<del>Business Room</del>" in html and "Room swap" in html
    assert reverse("visitors:amend", args=[business_visit.pk]) in html


def test_the_form_reads_times_on_the_sites_clock_and_ignores_unseen_seconds(client, clerk, business, business_room):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    expected = datetime(2026, 11, 28, 9, 30, 42, tzinfo=ZoneInfo("Asia/Shanghai"))
    visit = register(category=business, room=business_room, by=clerk, expected_at=expected)
    client.force_login(clerk)
    url = reverse("visitors:amend", args=[visit.pk])
    assert 'value="2026-11-28T09:30"' in client.get(url).content.decode()

    unchanged_time = client.post(url, form_data(visit, expected_at="2026-11-28T09:30", purpose="Order review"))
    assert unchanged_time.status_code == 302
    assert list(Amendment.objects.values_list("field", flat=True)) == ["purpose"]

    client.post(url, form_data(visit, expected_at="2026-11-28T11:00", purpose="Order review"))
    visit.refresh_from_db()
    assert visit.expected_at == datetime(2026, 11, 28, 3, 0, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize("phone", ["call me maybe", "+86 138\u202e0000", "138/0000.1234"])
def test_an_amended_phone_follows_the_same_rule_as_the_desk_and_the_kiosk(client, clerk, business_visit, phone):
    client.force_login(clerk)

    response = client.post(
        reverse("visitors:amend", args=[business_visit.pk]), form_data(business_visit, visitor_phone=phone)
    )

    assert response.status_code == 400
    assert unchanged(business_visit)
    assert not Amendment.objects.exists()


# --- impossible dates (issue #15) ---------------------------------------------------


OUT_OF_RANGE = "Enter a date and time between 2000-01-01 and 2099-12-31."
TOO_FAR_AHEAD = "A visit is expected at most a year ahead; check the year."


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("0001-01-01T00:00", OUT_OF_RANGE),  # on PostgreSQL it was stored and no page could read the visit back
        ("1999-12-31T23:59", OUT_OF_RANGE),
        ("9999-12-31T23:59", TOO_FAR_AHEAD),
        ("2028-01-01T10:00", TOO_FAR_AHEAD),  # more than a year after 2026-11-27
    ],
)
def test_an_impossible_expected_time_is_a_form_error_and_nothing_is_stored(client, clerk, business_visit, value, error):
    client.force_login(clerk)
    url = reverse("visitors:amend", args=[business_visit.pk])

    response = client.post(url, form_data(business_visit, expected_at=value))

    assert response.status_code == 400
    assert error in response.content.decode()
    assert unchanged(business_visit, expected_at=None)
    assert client.get(reverse("visitors:visit", args=[business_visit.pk])).status_code == 200
    assert client.get(url).status_code == 200


def test_an_impossible_end_of_the_window_is_a_form_error(client, clerk, business_visit):
    client.force_login(clerk)

    response = client.post(
        reverse("visitors:amend", args=[business_visit.pk]),
        form_data(business_visit, expected_at="2026-11-28T09:00", expected_until="9999-12-31T23:59"),
    )

    assert response.status_code == 400
    assert TOO_FAR_AHEAD in response.content.decode()
    assert unchanged(business_visit, expected_at=None, expected_until=None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expected_at", "0001-01-01T00:00"),
        ("expected_at", datetime(1, 1, 1, tzinfo=UTC)),
        ("expected_at", datetime(1999, 12, 31, 23, 59, tzinfo=UTC)),
        ("expected_at", "9999-12-31T23:59"),
        ("expected_at", "2027-11-29T10:00"),  # a year and two days ahead
        ("expected_until", "9999-12-31T23:59"),
    ],
)
def test_the_service_refuses_an_impossible_expected_time_passed_directly(clerk, business_visit, field, value):
    with pytest.raises(ReceptionError) as refusal:
        amend(business_visit, clerk, **{field: value})

    assert (refusal.value.code, refusal.value.field) == ("date_out_of_range", field)
    assert unchanged(business_visit, expected_at=None, expected_until=None)


def test_a_visit_of_years_ago_may_still_be_corrected(clerk, business_visit):
    (amendment,) = amend(business_visit, clerk, expected_at="2003-05-06T10:00")

    assert amendment.new_value == "2003-05-06T10:00+08:00"
