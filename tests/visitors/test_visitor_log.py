"""The visitor log: filters (date range, category, room, host, status), search
(name, company, phone), pagination, and the CSV export, streamed in constant
memory, with a UTF-8 BOM for Excel and formulas defused."""

import csv
import io
from datetime import date

import pytest

from tests.reception.night_shift import roster_night
from tests.visitors.desk import DAYTIME, expect, walk_in
from visitors import services
from visitors.dashboard import log_rows
from visitors.exports import safe_cell
from visitors.forms import in_log_order
from visitors.models import AuditEvent, Visit


@pytest.fixture(autouse=True)
def daytime(time_machine, settings):
    time_machine.move_to(DAYTIME, tick=False)


@pytest.fixture
def history(clerk, host, business, ordinary, vip, business_room, lounge, culture_pavilion, time_machine):
    """Three days of visits, each registered at the desk at 10:00 local time."""
    time_machine.move_to("2026-11-25 10:00:00+08:00", tick=False)
    old = walk_in(category=ordinary, room=lounge, by=clerk, name="Maria Rossi", company="Rossi Design")
    services.check_out_visit(visit=old, by=clerk)
    time_machine.move_to("2026-11-26 10:00:00+08:00", tick=False)
    zhou = walk_in(
        category=business, room=business_room, by=clerk, name="周杰", company="华信贸易", phone="13800138000", host=host
    )
    services.check_out_visit(visit=zhou, by=clerk)
    time_machine.move_to(DAYTIME, tick=False)
    hans = walk_in(category=vip, room=culture_pavilion, by=clerk, name="Hans Müller", company="Bergmann GmbH")
    later = expect(
        category=business, room=business_room, by=clerk, expected_at="2026-11-27 15:00:00+08:00", name="Later"
    )
    return {"old": old, "zhou": zhou, "hans": hans, "later": later}


def names(response) -> list[str]:
    return [row["name"] for row in response.context["page"]]


def test_it_lists_every_visit_of_the_site_newest_first(client, clerk, history):
    client.force_login(clerk)

    response = client.get("/desk/log/")

    assert response.status_code == 200
    assert names(response) == ["Later", "Hans Müller", "周杰", "Maria Rossi"]
    assert "4 visits" in response.content.decode()


def test_each_row_shows_the_visit_in_the_sites_time_zone_with_its_host_as_dept_name(
    client, clerk, host, business, business_room, time_machine
):
    """A row: the log day, arrival and departure in the site's time zone, the
    visitor (escaped) with the party size, company, category, room, the host as
    "Department-Name" (R3.1) and the status, in the clerk's language."""
    time_machine.move_to("2026-11-26 23:30:00+08:00", tick=False)
    roster_night(clerk.profile.site, clerk, date(2026, 11, 26))
    visit = walk_in(
        category=business,
        room=business_room,
        by=clerk,
        name="<b>Bold</b> & Co",
        party_size=3,
        company="A&B <Ltd>",
        host=host,
    )
    time_machine.move_to("2026-11-27 00:15:00+08:00", tick=False)
    services.check_out_visit(visit=visit, by=clerk)
    client.force_login(clerk)

    english = client.get("/desk/log/").content.decode()
    chinese = client.get("/desk/log/", headers={"accept-language": "zh-hans"}).content.decode()

    assert (
        f"<tr><td>2026-11-26</td><td>23:30</td><td>00:15</td>"
        f'<td><a href="/desk/visits/{visit.pk}/">&lt;b&gt;Bold&lt;/b&gt; &amp; Co</a> ×3</td>'
        f"<td>A&amp;B &lt;Ltd&gt;</td><td>B</td><td>Business Room</td><td>{host.profile.label}</td><td>Left</td></tr>"
    ) in english
    assert "<b>Bold</b>" not in english
    assert "<td>已离开</td>" in chinese


def test_a_row_names_its_host_room_and_category_even_when_the_filters_no_longer_list_them(
    client, clerk, host, business, business_room
):
    """The rows take their room, category and host names from the filters'
    lists (issue #24); a host who has since left is not in them and is read
    for the row, as "Department-Name" (R3.1) still."""
    visit = walk_in(category=business, room=business_room, by=clerk, name="Ada", host=host)
    services.check_out_visit(visit=visit, by=clerk)
    host.is_active = False
    host.save()
    client.force_login(clerk)

    response = client.get("/desk/log/")
    row = response.context["page"][0]

    assert (row["host"], row["room"], row["category"]) == (host.profile.label, "Business Room", "B")
    assert f'<option value="{host.pk}">' not in response.content.decode()


def test_log_rows_read_what_the_names_they_are_given_lack(clerk, host, business, business_room, site):
    visit = walk_in(category=business, room=business_room, by=clerk, name="Ada", host=host)
    page = in_log_order(Visit.objects.filter(pk=visit.pk))

    (row,) = log_rows(page, site, {"rooms": {}, "categories": {}, "hosts": {}})

    assert (row["host"], row["room"], row["category"]) == (host.profile.label, "Business Room", "B")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"date_from": "2026-11-26", "date_to": "2026-11-26"}, ["周杰"]),
        ({"date_from": "2026-11-26"}, ["Later", "Hans Müller", "周杰"]),
        ({"date_to": "2026-11-25"}, ["Maria Rossi"]),
        ({"status": "left"}, ["周杰", "Maria Rossi"]),
        ({"status": "expected"}, ["Later"]),
        ({"q": "rossi"}, ["Maria Rossi"]),
        ({"q": "华信"}, ["周杰"]),
        ({"q": "138001"}, ["周杰"]),
        ({"q": "bergmann"}, ["Hans Müller"]),
    ],
)
def test_it_filters_and_searches(client, clerk, history, params, expected):
    client.force_login(clerk)

    assert names(client.get("/desk/log/", params)) == expected


def test_it_filters_by_category_room_and_host(client, clerk, host, history, vip, business_room):
    client.force_login(clerk)

    assert names(client.get("/desk/log/", {"category": vip.pk})) == ["Hans Müller"]
    assert names(client.get("/desk/log/", {"room": business_room.pk})) == ["Later", "周杰"]
    assert names(client.get("/desk/log/", {"host": host.pk})) == ["周杰"]


def test_a_visit_late_in_the_evening_counts_on_its_local_day(
    client, night_officer, business, business_room, time_machine
):
    roster_night(business.site, night_officer, date(2026, 11, 26))
    time_machine.move_to("2026-11-26 23:30:00+08:00", tick=False)  # 15:30 UTC on the 26th
    walk_in(category=business, room=business_room, by=night_officer, name="Late Arrival")
    time_machine.move_to("2026-11-27 00:30:00+08:00", tick=False)  # 16:30 UTC on the 26th
    walk_in(category=business, room=business_room, by=night_officer, name="After Midnight")
    time_machine.move_to(DAYTIME, tick=False)
    client.force_login(night_officer)

    assert names(client.get("/desk/log/", {"date_from": "2026-11-27", "date_to": "2026-11-27"})) == ["After Midnight"]


def test_it_paginates_and_keeps_the_filters_in_the_page_links(client, clerk, ordinary, lounge):
    for number in range(55):
        visit = walk_in(category=ordinary, room=lounge, by=clerk, name=f"Guest {number:02}")
        services.check_out_visit(visit=visit, by=clerk)
    client.force_login(clerk)

    first = client.get("/desk/log/", {"q": "Guest"})
    second = client.get("/desk/log/", {"q": "Guest", "page": 2})

    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 5
    assert 'href="?q=Guest&amp;page=2"' in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()
    assert set(names(first)).isdisjoint(names(second))


def test_it_never_shows_another_sites_visits(client, clerk, other_clerk, other_site, history):
    from reception.models import ReceptionRoom, VisitorCategory

    river = VisitorCategory.objects.create(site=other_site, code="B", name="Business")
    room = ReceptionRoom.objects.create(site=other_site, name="River Room", capacity=5, any_category=True)
    walk_in(category=river, room=room, by=other_clerk, name="River Guest")
    client.force_login(clerk)

    response = client.get("/desk/log/", {"q": "River"})
    export = b"".join(client.get("/desk/log/export.csv").streaming_content).decode("utf-8-sig")

    assert names(response) == []
    assert "River Guest" not in export


def test_the_log_query_count_does_not_grow_with_visits(
    client, clerk, host, business, business_room, django_assert_max_num_queries
):
    business_room.capacity = 500
    business_room.save()
    for number in range(200):
        walk_in(category=business, room=business_room, by=clerk, name=f"Visitor {number}", host=host)
    client.force_login(clerk)

    # 1 session, 2 user, 3 profile, 4 site, 5 user permissions, 6 group
    # permissions, 7 the host filter's validation, 8 count (stops past 1,000),
    # 9 the matches' ids in log order, 10-12 the category, room and host
    # choices of the filter form, which also name the rows' (issue #24), 13
    # the page of visits by id (with their visitor), 14 the navbar's
    # department label, 15-17 session save (savepoint, update, release).
    with django_assert_max_num_queries(17):
        response = client.get("/desk/log/", {"host": host.pk, "status": "on_site"})
    assert len(response.context["page"]) == 50
    assert response.context["page"].paginator.count == 200


@pytest.mark.parametrize(
    "dates",
    [
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},  # issue #15: a 500 on both databases
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
    ],
)
def test_dates_far_out_of_range_are_clamped_not_a_crash(client, clerk, history, dates):
    client.force_login(clerk)

    log = client.get("/desk/log/", dates)
    export = client.get("/desk/log/export.csv", dates)

    assert log.status_code == 200
    assert names(log) == ["Later", "Hans Müller", "周杰", "Maria Rossi"]
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [row["Visitor"] for row in rows] == ["Later", "Hans Müller", "周杰", "Maria Rossi"]
    # The audit records the range that was applied.
    clamped = {"date_from": "2000-01-01", "date_to": "2099-12-31"}
    assert AuditEvent.objects.get(action="log.export").changes["filters"] == {name: clamped[name] for name in dates}


def test_a_clamped_range_still_filters(client, clerk, history):
    client.force_login(clerk)

    response = client.get("/desk/log/", {"date_from": "0001-01-01", "date_to": "2026-11-25"})

    assert response.status_code == 200
    assert names(response) == ["Maria Rossi"]


def test_the_export_is_the_filtered_log_as_csv_that_excel_reads(client, clerk, history):
    client.force_login(clerk)

    response = client.get("/desk/log/export.csv", {"date_from": "2026-11-26"})

    assert response.status_code == 200
    assert response.streaming  # written row by row, never held whole in memory
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="visitor-log-hq-2026-11-27.csv"'
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel opens the Chinese correctly
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["Visitor"] for row in rows] == ["Later", "Hans Müller", "周杰"]
    zhou = rows[2]
    assert zhou["Company"] == "华信贸易"
    assert zhou["Date"] == "2026-11-26" and zhou["Arrived"] == "10:00" and zhou["Left"] == "10:00"
    assert zhou["Host"] == "Sales-Sun Li" and zhou["Room"] == "Business Room" and zhou["Status"] == "Left"
    assert zhou["Registered by"] == "Front Desk-Zhang Wei"


def test_the_export_is_audited_without_the_search_text(client, clerk, history):
    """R6.4/R4.1: taking the log out is recorded: who, when, which filters, but
    never the searched name or phone itself."""
    client.force_login(clerk)

    response = client.get("/desk/log/export.csv", {"date_from": "2026-11-26", "q": "13800138000"})
    b"".join(response.streaming_content)

    event = AuditEvent.objects.get(action="log.export")
    assert event.actor == clerk
    assert event.changes["export"] == "visitor_log.csv"
    assert event.changes["filters"]["date_from"] == "2026-11-26"
    assert event.changes["filters"]["q"] == "(given)"
    assert "13800138000" not in str(event.changes)


def test_the_export_defuses_spreadsheet_formulas(client, clerk, ordinary, lounge):
    walk_in(
        category=ordinary,
        room=lounge,
        by=clerk,
        name='=HYPERLINK("http://x")',
        company="@SUM(A1)",
        purpose="+cmd|' /C calc'!A0",
        materials="-2+3",
    )
    client.force_login(clerk)

    body = b"".join(client.get("/desk/log/export.csv").streaming_content).decode("utf-8-sig")

    row = next(csv.DictReader(io.StringIO(body)))
    assert row["Visitor"] == '\'=HYPERLINK("http://x")'
    assert row["Company"] == "'@SUM(A1)"
    assert row["Purpose"] == "'+cmd|' /C calc'!A0"
    assert row["Materials handed out"] == "'-2+3"


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+86 10", "'+86 10"), ("-x", "'-x"), ("@a", "'@a"), ("\tx", "'\tx"), ("王", "王"), (3, "3")],
)
def test_safe_cell_prefixes_what_a_spreadsheet_would_run(value, cell):
    assert safe_cell(value) == cell


def test_the_export_reads_the_database_in_chunks_with_constant_queries(
    client, clerk, host, business, business_room, django_assert_max_num_queries
):
    business_room.capacity = 500
    business_room.save()
    for number in range(120):
        walk_in(category=business, room=business_room, by=clerk, name=f"Visitor {number}", host=host)
    client.force_login(clerk)

    # the request (session, user, profile, site, two permission queries, the
    # filter choices are not read, session save: savepoint, update, release),
    # the export's audit event (savepoint, lock the site row, last event of the
    # chain, the actor's groups, insert, release), then the visits (one cursor,
    # read in chunks of 2,000) and the staff labels of the clerk and the host:
    # nothing per visit.
    with django_assert_max_num_queries(17):
        response = client.get("/desk/log/export.csv")
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 121


def test_the_export_speaks_chinese_when_the_clerk_does(client, clerk, history):
    client.force_login(clerk)
    client.cookies["django_language"] = "zh-hans"

    response = client.get("/desk/log/export.csv")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")
