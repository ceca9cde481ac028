"""Bad input on every desk form (empty, overlong, script tags, emoji, NUL bytes,
right-to-left override): a form error or a 4xx with a reason, never a 500, and
nothing stored unescaped. Runs on SQLite and PostgreSQL (where NUL and
over-length text would raise DataError)."""

import pytest

from tests.visitors.desk import DAYTIME, walk_in
from visitors.models import AuditEvent, Visit, VisitEvent, Visitor


@pytest.fixture(autouse=True)
def daytime(time_machine, settings):
    time_machine.move_to(DAYTIME, tick=False)


def walk_in_form(category, room, /, **extra):
    data = {
        "full_name": "Li Na",
        "company": "",
        "phone": "",
        "email": "",
        "category": category.pk,
        "party_size": 1,
        "room": room.pk,
        "host": "",
        "purpose": "Inspection",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "", "This field is required."),
        ("full_name", "   ", "This field is required."),
        ("full_name", "x" * 121, "at most 120 characters"),
        ("full_name", "Li\x00Na", "Null characters are not allowed."),
        ("full_name", "Li Na\u202egnp.exe", "right-to-left override"),
        ("company", "Acme\x07", "control characters"),
        ("purpose", "", "This field is required."),
        ("purpose", "p" * 201, "at most 200 characters"),
        ("materials", "m" * 201, "at most 200 characters"),
        ("hospitality_notes", "\x00", "Null characters are not allowed."),
        ("phone", "=HYPERLINK(1)", "digits, spaces, brackets, dashes and a leading +"),
        ("phone", "1" * 41, "at most 40 characters"),
        ("email", "not-an-email", "Enter a valid email address."),
        ("party_size", "0", "greater than or equal to 1"),
        ("party_size", "many", "Enter a whole number."),
        ("party_size", "99999999999999999999", "less than or equal to 500"),
        ("category", "99999999999999999999", "Select a valid choice."),
        ("room", "abc", "Select a valid choice."),
        ("host", "\x00", "Null characters are not allowed."),
    ],
)
def test_bad_walk_in_input_is_a_form_error_and_nothing_is_stored(
    client, clerk, business, business_room, field, value, message
):
    client.force_login(clerk)

    response = client.post("/desk/register/", walk_in_form(business, business_room, **{field: value}))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get(field, []))
    assert not Visit.objects.exists() and not Visitor.objects.exists() and not AuditEvent.objects.exists()


def test_script_tags_and_emoji_are_stored_as_typed_and_shown_escaped(client, clerk, business, business_room):
    client.force_login(clerk)
    name = "<script>alert(1)</script> 🎉 王小明"

    response = client.post("/desk/register/", walk_in_form(business, business_room, full_name=name, purpose="<b>x</b>"))

    visit = Visit.objects.get()
    assert visit.visitor.full_name == name and visit.purpose == "<b>x</b>"
    for url in [response["Location"], "/desk/", "/desk/log/", f"/desk/visits/{visit.pk}/badge/", "/desk/on-site/"]:
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; 🎉 王小明" in page, url


def test_an_empty_walk_in_form_names_every_missing_field(client, clerk, business, business_room):
    client.force_login(clerk)

    response = client.post("/desk/register/", {})

    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"full_name", "category", "room", "purpose", "party_size"}
    assert not Visit.objects.exists()


def test_a_bad_step_note_is_refused_and_nothing_recorded(client, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk)
    client.force_login(clerk)

    for note in ["n" * 201, "a\x00b", "x\u202ey"]:
        response = client.post(f"/desk/visits/{visit.pk}/steps/", {"kind": "seated", "note": note}, follow=True)
        assert response.status_code == 200
        assert "alert-danger" in response.content.decode()
    unknown = client.post(f"/desk/visits/{visit.pk}/steps/", {"kind": "<script>"}, follow=True)

    assert "That is not a reception step." in unknown.content.decode()
    assert "<script>" not in unknown.content.decode().split("<main")[1].split("</main>")[0].replace("<script src", "")
    assert VisitEvent.objects.filter(visit=visit).count() == 2  # registered, arrived


def test_a_bad_night_override_reason_on_an_action_is_refused(client, clerk, business, business_room):
    visit = walk_in(category=business, room=business_room, by=clerk)
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{visit.pk}/check-out/", {"night_override_reason": "r" * 201}, follow=True)

    assert response.status_code == 200
    assert "too long" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == "on_site"


@pytest.mark.parametrize(
    "params",
    [
        {"q": "\x00"},
        {"q": "x" * 121},
        {"date_from": "yesterday"},
        {"date_from": "2026-13-45"},
        {"date_from": "2026-11-27", "date_to": "2026-11-01"},
        {"category": "99999999999999999999"},
        {"room": "abc"},
        {"host": "-1"},
        {"status": "<script>"},
        {"page": "many"},
        {"page": "99999"},
    ],
)
def test_bad_log_filters_are_reported_on_the_page_and_refused_by_the_export(
    client, clerk, business, business_room, params
):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie")
    client.force_login(clerk)

    page = client.get("/desk/log/", params)
    export = client.get("/desk/log/export.csv", params)

    assert page.status_code == 200
    if set(params) != {"page"}:
        assert page.context["form"].errors
        assert export.status_code == 400
        assert "The filters are not valid" in export.content.decode()
    else:
        assert "Zhou Jie" in page.content.decode()  # an odd page number shows a real page
        assert export.status_code == 200


def test_a_search_with_rtl_override_is_refused(client, clerk, db):
    client.force_login(clerk)

    page = client.get("/desk/log/", {"q": "abc\u202e"})

    assert "right-to-left override" in page.content.decode()


def test_lookups_with_odd_input_answer_without_error(client, clerk, business, business_room):
    walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", phone="13800138000")
    client.force_login(clerk)

    for params in [{"phone": "\x00\x00\x00"}, {"full_name": "😀😀"}, {"full_name": "x" * 5000}, {"phone": "1" * 500}]:
        assert client.get("/desk/register/returning/", params).status_code == 200
    for params in [{"host_search": "\x00"}, {"host_search": "y" * 5000}, {"host": "99999999999999999999"}]:
        assert client.get("/desk/register/hosts/", params).status_code == 200
    for params in [{"category": "\x00"}, {"category": "1", "party_size": "-5"}, {"party_size": "9" * 30}]:
        assert client.get("/desk/register/rooms/", params).status_code == 200
    assert client.get("/desk/register/", {"visitor": "abc"}).status_code == 404
    assert client.get("/desk/register/", {"visitor": "99999999999999999999"}).status_code == 404
