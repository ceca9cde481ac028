"""R1.5, R6.8: staff read the roster by week in the site's time zone; the desk
shows who holds each duty now, tonight's night duty, and from 16:00 warns when
part of tonight has no night-duty officer."""

import re
from datetime import date, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from reception import registers
from reception.models import DutyCode
from reception.roster import duty_panel_context, time_range
from tests.reception.night_shift import leave, local, roster, roster_night, walk_in

THURSDAY = date(2026, 11, 26)


def _part(page: str, testid: str, tag: str = "div") -> str:
    """The text of the element marked data-testid, tags dropped and whitespace collapsed."""
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</{tag}>', page, re.S)
    assert match, f"{testid} not on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


@pytest.fixture
def week(site, clerk, security_guard, night_officer):
    """Clerk and security by day Monday to Sunday, night duty every night but Saturday."""
    monday = THURSDAY - timedelta(days=3)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        roster(site, DutyCode.CLERK, clerk, local(site, day, 8), local(site, day, 20))
        roster(site, DutyCode.SECURITY, security_guard, local(site, day, 8), local(site, day, 20), note="Gate")
        if day.weekday() != 5:
            roster_night(site, night_officer, day)
    return monday


# --- the roster week -----------------------------------------------------------------


def test_staff_read_the_week_in_the_sites_time_zone(client, clerk, week, time_machine, django_assert_max_num_queries):
    time_machine.move_to(local(clerk.profile.site, THURSDAY, 21), tick=False)
    client.force_login(clerk)

    # session, user, profile, site, user perms, group perms, navbar department,
    # the week's roster entries with duties and people, session save (3)
    with django_assert_max_num_queries(11):
        response = client.get("/desk/roster/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "23 Nov 2026 – 29 Nov 2026" in page
    assert "08:00–20:00 Front Desk-Zhang Wei" in page
    assert "(Gate)" in page
    assert "20:00 – 08:00 next day Front Desk-Liu Yang" in page  # the night runs into the next day
    assert '<div class="fw-bold" data-testid="shift">20:00 – 08:00 next day' in page  # on duty now
    assert '<th scope="col">Thu 26 Nov</th>' in page
    assert "Nobody 20:00–08:00" in page  # Saturday night is not covered
    assert page.count('data-testid="night-gap"') == 1


def test_any_day_shows_its_week_and_the_week_is_navigable(client, clerk, week):
    client.force_login(clerk)

    page = client.get("/desk/roster/?week=2026-11-26").content.decode()

    assert "23 Nov 2026 – 29 Nov 2026" in page
    assert "?week=2026-11-16" in page and "?week=2026-11-30" in page
    assert "Front Desk-Zhang Wei" in _part(page, "roster", "table")
    next_week = client.get("/desk/roster/?week=2026-11-30").content.decode()
    assert "Front Desk-Zhang Wei" not in _part(next_week, "roster", "table")


@pytest.mark.parametrize("value", ["next-tuesday", "2026-02-30", "9999-12-31", "0001-01-01", "2026\x00"])
def test_a_bad_week_shows_this_week_with_a_message(client, clerk, week, value, time_machine):
    time_machine.move_to(local(clerk.profile.site, THURSDAY, 12), tick=False)
    client.force_login(clerk)

    response = client.get("/desk/roster/", {"week": value})

    page = response.content.decode()
    assert response.status_code == 200
    assert "That is not a week we can show" in page
    assert "23 Nov 2026 – 29 Nov 2026" in page


def test_the_week_the_clocks_go_forward(client, site, clerk, night_officer):
    site.timezone = "Europe/Berlin"
    site.save()
    roster_night(site, night_officer, date(2026, 3, 28))
    client.force_login(clerk)

    page = client.get("/desk/roster/?week=2026-03-25").content.decode()

    assert "20:00 – 08:00 next day Front Desk-Liu Yang" in page
    assert "Europe/Berlin" in page


def test_a_night_from_the_week_before_shows_on_monday(client, site, clerk, night_officer):
    roster_night(site, night_officer, date(2026, 11, 22))  # Sunday night into Monday
    client.force_login(clerk)

    page = client.get("/desk/roster/?week=2026-11-23").content.decode()

    assert "Sun 22 Nov 20:00 – 08:00 next day Front Desk-Liu Yang" in page


def test_the_week_reads_as_a_chinese_timetable(client, clerk, week):
    client.cookies["django_language"] = "zh-hans"
    client.force_login(clerk)

    page = client.get("/desk/roster/?week=2026-11-26").content.decode()

    assert "2026年11月23日 – 2026年11月29日" in page
    assert '<th scope="col">11月26日 周四</th>' in page
    assert "08:00–20:00 Front Desk-Zhang Wei" in page
    assert "20:00–次日08:00" in page
    assert "星期" not in _part(page, "roster", "table")


def test_a_night_from_the_week_before_names_its_day_in_chinese(client, site, clerk, night_officer):
    roster_night(site, night_officer, date(2026, 11, 22))
    client.cookies["django_language"] = "zh-hans"
    client.force_login(clerk)

    page = client.get("/desk/roster/?week=2026-11-23").content.decode()

    assert "11月22日 周日 20:00–次日08:00" in page


@pytest.mark.parametrize(
    ("language", "starts", "ends", "expected"),
    [
        ("en", (5, 9), (5, 17), "09:00–17:00"),
        ("en", (5, 16), (6, 0), "16:00–24:00"),
        ("en", (5, 20), (6, 8), "20:00 – 08:00 next day"),
        ("en", (4, 20), (5, 8), "Fri 4 Dec 20:00 – 08:00 next day"),
        ("en", (5, 20), (7, 8), "20:00 – Mon 7 Dec 08:00"),
        ("zh-hans", (5, 20), (6, 8), "20:00–次日08:00"),
        ("zh-hans", (4, 20), (5, 8), "12月4日 周五 20:00–次日08:00"),
        ("zh-hans", (5, 20), (7, 8), "20:00–12月7日 周一 08:00"),
    ],
)
def test_a_time_range_reads_as_people_write_it(language, starts, ends, expected):
    def at(day_hour):
        return datetime(2026, 12, day_hour[0], day_hour[1])

    with translation.override(language):
        assert time_range(at(starts), at(ends), day=date(2026, 12, 5)) == expected


# --- the duty panel on the desk ----------------------------------------------------------


def test_the_desk_names_the_night_officer_at_night(client, site, clerk, night_officer, week, time_machine):
    time_machine.move_to(local(site, THURSDAY, 21), tick=False)
    client.force_login(night_officer)

    page = client.get("/desk/").content.decode()

    assert _part(page, "night-duty", "strong") == "Night duty: Front Desk-Liu Yang"
    panel = _part(page, "duty-panel", "section")
    assert "Night-duty officer: Front Desk-Liu Yang" in panel
    assert "Front-desk clerk" not in panel  # the day shift has ended


def test_by_day_the_desk_shows_each_duty_and_tonights_officer(client, site, clerk, week, time_machine):
    time_machine.move_to(local(site, THURSDAY, 16), tick=False)
    client.force_login(clerk)

    page = client.get("/desk/").content.decode()

    panel = _part(page, "duty-panel", "section")
    assert "Front-desk clerk: Front Desk-Zhang Wei" in panel
    assert "Security on duty: Security-Security" in panel
    assert _part(page, "night-duty", "strong") == "Tonight's night duty: Front Desk-Liu Yang"
    assert 'data-testid="night-warning"' not in page


@pytest.mark.parametrize(
    ("wall", "gap"),
    [((15, 59, 59), None), ((16, 0, 0), "20:00–08:00"), ((19, 59, 59), "20:00–08:00"), ((21, 0, 0), "21:00–08:00")],
)
def test_from_four_oclock_the_desk_warns_of_a_night_nobody_covers(client, site, clerk, week, time_machine, wall, gap):
    saturday = THURSDAY + timedelta(days=2)
    time_machine.move_to(local(site, saturday, *wall), tick=False)
    client.force_login(clerk)

    page = client.get("/desk/").content.decode()

    if gap is None:
        assert 'data-testid="night-warning"' not in page
    else:
        assert gap in _part(page, "night-warning")
        assert _part(page, "night-duty", "strong").endswith("nobody rostered")


def test_the_warning_names_the_uncovered_part_of_the_night(client, site, clerk, night_officer, time_machine):
    roster(site, DutyCode.NIGHT_OFFICER, night_officer, local(site, THURSDAY, 20), local(site, THURSDAY, 23, 59))
    time_machine.move_to(local(site, THURSDAY, 18), tick=False)
    client.force_login(clerk)

    warning = _part(client.get("/desk/").content.decode(), "night-warning")

    assert "23:59–08:00" in warning
    assert "20:00" not in warning


def test_an_unacknowledged_handover_stays_on_the_desk_until_acknowledged(client, site, clerk, night_officer, week):
    handover = registers.write_handover(
        site=site, by=night_officer, open_items="Engineer in the lounge", incidents="", keys_and_items=""
    )
    client.force_login(clerk)

    assert "Handover from Front Desk-Liu Yang" in client.get("/desk/").content.decode()
    assert "Handover from Front Desk-Liu Yang" in client.get("/desk/").content.decode()  # still there

    registers.acknowledge_handover(handover=handover, by=clerk)
    assert "Handover from" not in client.get("/desk/").content.decode()


def test_the_night_log_lists_the_nights_visits(client, site, night_officer, week, ordinary, lounge, time_machine):
    courier = walk_in(
        category=ordinary,
        room=lounge,
        by=night_officer,
        at=local(site, THURSDAY, 22),
        name="Night Courier",
    )
    leave(courier, by=night_officer, at=local(site, THURSDAY, 22, 40))
    time_machine.move_to(local(site, THURSDAY, 23), tick=False)
    client.force_login(night_officer)

    log = client.get("/desk/").content.decode().split('data-testid="night-log"')[1].split("</details>")[0]
    row = log.split("<tbody>")[1].split("</tr>")[0]

    # Visitor, arrived and left in the site's time, who signed them in (R3.1), no override.
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells == ["Night Courier", "22:00", "22:40", "Front Desk-Liu Yang", ""]
    assert "?date=2026-11-27" in log  # the morning report of this night


def test_the_panel_costs_three_queries_however_busy(
    site, clerk, night_officer, week, ordinary, lounge, time_machine, django_assert_num_queries
):
    for n in range(20):  # the lounge holds 20
        walk_in(category=ordinary, room=lounge, by=night_officer, at=local(site, THURSDAY, 21, n), name=f"Guest {n}")
        registers.write_handover(site=site, by=night_officer, open_items=f"Item {n}", incidents="", keys_and_items="")
    time_machine.move_to(local(site, THURSDAY, 23), tick=False)

    # roster entries now and tonight; the night's visits; waiting handovers
    with django_assert_num_queries(3):
        html = render_to_string("reception/_duty_panel.html", duty_panel_context(site))

    assert "Guest 0" in html
    assert html.count("Handover from") == 20


def test_the_panel_refreshes_itself_without_keeping_an_idle_desk_awake(client, site, clerk, week, time_machine):
    time_machine.move_to(local(site, THURSDAY + timedelta(days=2), 15, 59), tick=False)
    client.force_login(clerk)
    assert 'hx-get="/desk/roster/now/"' in client.get("/desk/").content.decode()

    time_machine.move_to(local(site, THURSDAY + timedelta(days=2), 16, 1), tick=False)
    panel = client.get("/desk/roster/now/", headers={"HX-Request": "true"}).content.decode()

    assert "20:00–08:00" in _part(panel, "night-warning")  # Saturday night: nobody
    assert panel.lstrip().startswith("<section")  # the panel alone, swapped in place


def test_the_polled_panel_does_not_count_as_activity(client, site, clerk, week, time_machine, settings):
    time_machine.move_to(local(site, THURSDAY, 10), tick=False)
    client.force_login(clerk)
    client.get("/desk/")

    for minutes in (10, 20, 30, 40):  # the panel polls, nobody touches the desk
        time_machine.move_to(local(site, THURSDAY, 10, minutes), tick=False)
        client.get("/desk/roster/now/", headers={"HX-Request": "true"})

    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
