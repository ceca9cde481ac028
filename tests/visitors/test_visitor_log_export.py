"""The visitor log's CSV export, cell by cell: what each column says for every
kind of visit (R3.1 labels, local times, formulas defused, translations),
that it streams in chunks rather than a line at a time, and that its
queries do not grow with the number of visits."""

import csv
import io
from datetime import date, datetime

import pytest
from django.contrib.auth import get_user_model

from reception.models import ReceptionRoom, StaffProfile, staff_label
from tests.reception.night_shift import roster_night
from tests.visitors.desk import DAYTIME, expect, walk_in
from visitors import exports, services
from visitors.models import VisitSource

HEADER = (
    "Badge code,Date,Arrived,Left,Status,Visitor,Company,Phone,Category,Room,Host,Party size,Purpose,"
    "Meals,Lodging,Refreshments,Hospitality notes,Materials handed out,Registered by,Registered at night\r\n"
)


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


def export(client, **params) -> str:
    response = client.get("/desk/log/export.csv", params)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM, once, for Excel
    return body.decode("utf-8-sig")


@pytest.fixture
def night_shift(night_officer, site):
    """Liu Yang holds the night duty from the 26th at 20:00 to the 27th at 08:00 (R6.8)."""
    return roster_night(site, night_officer, date(2026, 11, 26))


@pytest.fixture
def wang_fang(site):
    """A host with a staff profile but no department: R3.1 shows the name alone."""
    user = get_user_model().objects.create_user(username="wangfang", password="!")
    StaffProfile.objects.create(user=user, site=site, real_name="王芳", department=None)
    return user


@pytest.fixture
def contractor(db):
    """A host with no staff profile: shown by full name."""
    return get_user_model().objects.create_user(username="contractor", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def auditor(db):
    """A host with neither a staff profile nor a name: shown by username."""
    return get_user_model().objects.create_user(username="auditor")


def test_every_column_of_every_kind_of_visit(
    client,
    clerk,
    night_officer,
    night_shift,
    host,
    wang_fang,
    contractor,
    auditor,
    business,
    ordinary,
    business_room,
    lounge,
    time_machine,
):
    # Arrived at 23:30 on the 26th (15:30 UTC), left after midnight, registered
    # at night by the night-duty officer, every field filled, a company that a
    # spreadsheet would run, a phone starting with "+".
    time_machine.move_to("2026-11-26 23:30:00+08:00", tick=False)
    late = walk_in(
        category=business,
        room=business_room,
        by=night_officer,
        name="周杰",
        company="=cmd|' /C calc'!A0",
        phone="+86 138 0013 8000",
        host=host,
        party_size=3,
        purpose="合同谈判",
        meals=True,
        lodging=True,
        refreshments=True,
        hospitality_notes="素食, no pork",
        materials='Guest Wi-Fi card, "NDA"',
        badge_code="LATE0001",
    )
    services.check_out_visit(visit=late, by=night_officer, at=at("2026-11-27 00:40:00+08:00"))
    # Arrived at 00:30 on the 27th: still the 26th in UTC (16:30), the 27th here.
    time_machine.move_to("2026-11-27 00:30:00+08:00", tick=False)
    walk_in(category=ordinary, room=lounge, by=night_officer, name="李娜", host=wang_fang, badge_code="NIGHT001")
    # In the day: a host without a staff profile, then one without a name.
    time_machine.move_to(DAYTIME, tick=False)
    walk_in(category=ordinary, room=lounge, by=clerk, name="Maria Rossi", host=contractor, badge_code="DAYTIME1")
    walk_in(category=ordinary, room=lounge, by=clerk, name="-Hans-", host=auditor, badge_code="DAYTIME2")
    # Expected at 07:00 on the 28th (23:00 UTC on the 27th), not yet arrived, its
    # room to be decided on arrival (only an expected visit has none, R1.3).
    expect(category=business, room=None, by=clerk, expected_at="2026-11-28 07:00:00+08:00", name="Kenji")
    # Registered at the kiosk: nobody at the desk registered it, and the log says so (issue #16).
    walk_in(category=ordinary, room=lounge, by=None, name="Walk-in", source=VisitSource.KIOSK, badge_code="KIOSK001")
    client.force_login(clerk)

    body = export(client)

    code_of_kenji = body.splitlines()[1].split(",")[0]
    assert body == HEADER + (
        f"{code_of_kenji},2026-11-28,,,Expected,Kenji,,,Business,,,1,Meeting,no,no,no,,,"
        "Front Desk-Zhang Wei,no\r\n"
        "KIOSK001,2026-11-27,10:00,,On site,Walk-in,,,Ordinary,Lounge,,1,Talks,no,no,no,,,Kiosk,no\r\n"
        "DAYTIME2,2026-11-27,10:00,,On site,'-Hans-,,,Ordinary,Lounge,auditor,1,Talks,no,no,no,,,"
        "Front Desk-Zhang Wei,no\r\n"
        "DAYTIME1,2026-11-27,10:00,,On site,Maria Rossi,,,Ordinary,Lounge,Ada Lovelace,1,Talks,no,no,no,,,"
        "Front Desk-Zhang Wei,no\r\n"
        "NIGHT001,2026-11-27,00:30,,On site,李娜,,,Ordinary,Lounge,王芳,1,Talks,no,no,no,,,Front Desk-Liu Yang,yes\r\n"
        "LATE0001,2026-11-26,23:30,00:40,Left,周杰,'=cmd|' /C calc'!A0,'+86 138 0013 8000,Business,"
        'Business Room,Sales-Sun Li,3,合同谈判,yes,yes,yes,"素食, no pork","Guest Wi-Fi card, ""NDA""",'
        "Front Desk-Liu Yang,yes\r\n"
    )


# OWASP's starts of a formula, line feed, and the full-width and small forms of
# = + - @ that spreadsheets in Chinese and Japanese locales also run (issue #15).
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫"]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_text_column_is_defused(client, clerk, site, ordinary, time_machine, start):
    """Each text column a visitor, a clerk or the office manager can fill is
    prefixed with an apostrophe when it starts like a formula (R6.4 records
    leave the building as data, never as something a spreadsheet runs)."""
    ordinary.name = f"{start}Category"
    ordinary.save()
    room = ReceptionRoom.objects.create(site=site, name=f"{start}Room", capacity=5)
    room.categories.set([ordinary])
    time_machine.move_to(DAYTIME, tick=False)
    walk_in(
        category=ordinary,
        room=room,
        by=clerk,
        name=f"{start}Name",
        company=f"{start}Company",
        phone=f"{start}123",
        purpose=f"{start}Purpose",
        hospitality_notes=f"{start}Notes",
        materials=f"{start}Materials",
        badge_code=f"{start}BADGE",
    )
    client.force_login(clerk)

    row = next(csv.reader(io.StringIO(export(client).split("\r\n", 1)[1])))

    texts = [row[0], *row[5:10], row[12], row[16], row[17]]
    assert texts == [
        f"'{start}{text}"
        for text in ("BADGE", "Name", "Company", "123", "Category", "Room", "Purpose", "Notes", "Materials")
    ]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        *((f"{start}SUM(A1:A9)", f"'{start}SUM(A1:A9)") for start in FORMULA_STARTS),
        ("\x00=1+1", "'\x00=1+1"),  # OWASP ASVS 1.2.10 lists NUL too
        ("Zhang Wei", "Zhang Wei"),
        ("张伟", "张伟"),
        ("1+1", "1+1"),  # a formula character later in the cell is harmless
        ("", ""),
    ],
)
def test_a_cell_that_starts_like_a_formula_is_defused(value, cell):
    assert exports.safe_cell(value) == cell


def test_the_labels_are_those_of_the_pages(
    client, clerk, host, wang_fang, contractor, auditor, ordinary, lounge, time_machine
):
    """The export reads staff as columns; the pages read StaffProfile.label
    through staff_label. Both give the same R3.1 label for every kind of user."""
    time_machine.move_to(DAYTIME, tick=False)
    for number, person in enumerate([host, wang_fang, contractor, auditor]):
        walk_in(category=ordinary, room=lounge, by=clerk, name=f"Visitor {number}", host=person)
    client.force_login(clerk)

    rows = export(client).splitlines()[1:]

    hosts = [row.split(",")[10] for row in reversed(rows)]
    assert hosts == [staff_label(person) for person in [host, wang_fang, contractor, auditor]]
    assert hosts == ["Sales-Sun Li", "王芳", "Ada Lovelace", "auditor"]


def test_the_export_speaks_chinese_cell_by_cell(client, clerk, host, business, business_room, time_machine):
    time_machine.move_to(DAYTIME, tick=False)
    walk_in(category=business, room=business_room, by=clerk, name="周杰", host=host, meals=True, badge_code="ZH000001")
    client.force_login(clerk)
    client.cookies["django_language"] = "zh-hans"

    header, row = export(client).splitlines()

    assert header.startswith("访客证代码,")
    assert header.endswith(",夜间登记")
    assert row == (
        "ZH000001,2026-11-27,10:00,,在场,周杰,,,Business,Business Room,Sales-Sun Li,1,Talks,"
        "是,否,否,,,Front Desk-Zhang Wei,否"
    )


@pytest.fixture
def three_hundred_visits(clerk, host, wang_fang, contractor, business, time_machine):
    """300 walk-ins on the 27th, their hosts taking turns among three kinds of user."""
    time_machine.move_to(DAYTIME, tick=False)
    hall = ReceptionRoom.objects.create(site=business.site, name="Hall", capacity=500, any_category=True)
    hosts = [host, wang_fang, contractor]
    for number in range(300):
        walk_in(category=business, room=hall, by=clerk, name=f"Visitor {number}", host=hosts[number % 3])


def test_the_export_streams_in_chunks_not_a_line_at_a_time(client, clerk, three_hundred_visits, monkeypatch):
    # Small chunks, so that a few hundred rows make several.
    monkeypatch.setattr(exports, "CHUNK_CHARS", 4096)
    client.force_login(clerk)

    chunks = list(client.get("/desk/log/export.csv").streaming_content)

    header, *rows = chunks
    assert header.decode("utf-8-sig") == HEADER  # at once, before the query runs
    assert 3 <= len(rows) < 300 / 10
    assert all(len(chunk.decode()) >= 4096 for chunk in rows[:-1])
    assert len(b"".join(rows).decode().splitlines()) == 300


def test_the_proxy_is_asked_not_to_spool_the_export_to_disk(client, clerk):
    # nginx would otherwise write a large log, personal data and all, into its
    # temporary files on the way to the browser (deploy/nginx/lobby.conf).
    client.force_login(clerk)

    response = client.get("/desk/log/export.csv")

    assert response.status_code == 200
    assert response["X-Accel-Buffering"] == "no"


def test_the_export_reads_a_chunk_of_visits_and_each_user_once(
    client, clerk, three_hundred_visits, monkeypatch, django_assert_max_num_queries
):
    # Three chunks of visits: still a single query for the staff labels.
    monkeypatch.setattr(exports, "CHUNK", 100)
    client.force_login(clerk)

    # The request: 1 session, 2 user, 3 profile, 4 site, 5-6 the user's and
    # groups' permissions; the audit event of the export: 7 savepoint, 8 lock
    # the site's chain, 9 its last event, 10 the actor's groups, 11 insert,
    # 12 release; 13-15 session save (savepoint, update, release); then the
    # export itself: 16 the visits, read in chunks from one cursor, and 17 the
    # labels of the clerk and the three hosts.
    with django_assert_max_num_queries(17):
        response = client.get("/desk/log/export.csv")
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 301
