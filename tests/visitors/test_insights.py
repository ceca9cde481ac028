"""Issue #20: the insights page's figures, pinned on a small hand-made month
at a site in Asia/Shanghai (UTC+8), each computed by hand in the comments;
the page's permissions, its CSV, and its query count.

The month is November 2026, seen on 5 December 2026 ("last month"); the
period compared is October 2026. Categories: A VIP (deadline 30 min), B
Business (30), C Ordinary (10). Visits, local times:

  V1 B Business Room, 2 people, desk,      host Sun Li   Mon 2 Nov 09:10–10:40 (90 min), ack 09:20 (10 min)
  V2 B Business Room, 1,        kiosk,     host Sun Li   Mon 2 Nov 10:30–10:58 (28 min), ack 10:55 (25 min)
  V3 C Lounge,        1,        invitation, host director Wed 4 Nov 14:00–15:00 (60 min), ack 14:25 (25 min)
  V4 C Lounge,        3,        desk,      host Sun Li   Sat 28 Nov 23:30–Sun 00:30 (60 min), never acknowledged,
        registered at night by the director standing in ("Night officer at the gate")
  V5 A Culture Pav.,  4,        invitation, host Sun Li   Sun 1 Nov 00:30–02:30 (120 min), ack 01:10 (40 min),
        registered at night by the night officer; escalated: step 1 (host and a channel), step 2
  V6 B Business Room, 1,        desk,      host Sun Li   Mon 30 Nov 16:00, still on site, never acknowledged;
        escalated step 1
  V7 C Lounge,        1,        desk,      host Sun Li   Thu 15 Oct 10:00–10:20 (20 min), ack 10:05 (previous period)
  V8 C Lounge,        1,        desk,      host Sun Li   Tue 1 Dec 00:10–00:40 (not November locally, though
        16:10 UTC on 30 Nov)
  V9  B invited for Fri 20 Nov 10:00, confirmed 19 Nov, never came (no-show)
  V10 B invited for Sat 21 Nov 10:00, cancelled (not due)
Invitations: V3 (confirmed 3 Nov), V5 (not confirmed), V9, V10.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from reception.models import NotificationChannel
from visitors import audit
from visitors.insights import Period, build_insights, preset_period
from visitors.insights_views import LIVE_FIGURES_SECONDS
from visitors.models import Invitation, Notification, Visit, Visitor, VisitSource, VisitStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI)
NOVEMBER = Period(date(2026, 11, 1), date(2026, 12, 1), months_back=1)


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def shanghai_site(site):
    site.timezone = "Asia/Shanghai"
    site.save(update_fields=["timezone"])
    return site


@pytest.fixture
def fast_ordinary(ordinary):
    ordinary.ack_deadline_minutes = 10
    ordinary.save(update_fields=["ack_deadline_minutes"])
    return ordinary


def _visit(site, *, category, room, party=1, source=VisitSource.DESK, host, arrived, left=None, ack=None, **extra):
    visitor = Visitor.objects.create(full_name=f"Visitor {Visitor.objects.count() + 1}")
    return Visit.objects.create(
        site=site,
        visitor=visitor,
        category=category,
        room=room,
        party_size=party,
        source=source,
        host=host,
        purpose="Talks",
        registered_at=arrived,
        checked_in_at=arrived,
        checked_out_at=left,
        acknowledged_at=ack,
        status=VisitStatus.LEFT if left else VisitStatus.ON_SITE,
        **extra,
    )


def _invited(site, *, category, host, expected, by, confirmed=None, status=VisitStatus.EXPECTED, visit=None):
    if visit is None:
        visitor = Visitor.objects.create(full_name=f"Guest {Visitor.objects.count() + 1}")
        visit = Visit.objects.create(
            site=site,
            visitor=visitor,
            category=category,
            host=host,
            purpose="Meeting",
            expected_at=expected,
            status=status,
            source=VisitSource.INVITATION,
            registered_at=expected - timedelta(days=3),
        )
    return Invitation.objects.create(
        visit=visit,
        email="guest@example.com",
        created_by=by,
        created_at=expected - timedelta(days=3),
        expires_at=expected + timedelta(days=1),
        confirmed_at=confirmed,
    )


@pytest.fixture
def november(now, shanghai_site, vip, business, fast_ordinary, rooms, host, director, night_officer, culture_pavilion):
    site = shanghai_site
    business_room, lounge = rooms[1], rooms[2]
    v = {}
    v[1] = _visit(
        site, category=business, room=business_room, party=2, host=host,
        arrived=at(11, 2, 9, 10), left=at(11, 2, 10, 40), ack=at(11, 2, 9, 20),
    )  # fmt: skip
    v[2] = _visit(
        site, category=business, room=business_room, source=VisitSource.KIOSK, host=host,
        arrived=at(11, 2, 10, 30), left=at(11, 2, 10, 58), ack=at(11, 2, 10, 55),
    )  # fmt: skip
    v[3] = _visit(
        site, category=fast_ordinary, room=lounge, source=VisitSource.INVITATION, host=director,
        arrived=at(11, 4, 14), left=at(11, 4, 15), ack=at(11, 4, 14, 25), expected_at=at(11, 4, 14),
    )  # fmt: skip
    v[4] = _visit(
        site, category=fast_ordinary, room=lounge, party=3, host=host,
        arrived=at(11, 28, 23, 30), left=at(11, 29, 0, 30),
        night_registration=True, registered_by=director, night_override_reason="Night officer at the gate",
    )  # fmt: skip
    v[5] = _visit(
        site, category=vip, room=culture_pavilion, party=4, source=VisitSource.INVITATION, host=host,
        arrived=at(11, 1, 0, 30), left=at(11, 1, 2, 30), ack=at(11, 1, 1, 10),
        night_registration=True, registered_by=night_officer, expected_at=at(11, 1, 0, 15),
    )  # fmt: skip
    v[6] = _visit(site, category=business, room=business_room, host=host, arrived=at(11, 30, 16))
    v[7] = _visit(
        site, category=fast_ordinary, room=lounge, host=host,
        arrived=at(10, 15, 10), left=at(10, 15, 10, 20), ack=at(10, 15, 10, 5),
    )  # fmt: skip
    v[8] = _visit(site, category=fast_ordinary, room=lounge, host=host, arrived=at(12, 1, 0, 10), left=at(12, 1, 0, 40))
    channel = NotificationChannel.objects.create(site=site, name="Reception group", url="https://example.com/hook")
    for visit, step, extra in ((v[5], 1, {"recipient": host}), (v[5], 1, {"channel": channel}), (v[5], 2, {})):
        Notification.objects.create(
            visit=visit, site=site, kind=Notification.Kind.ESCALATION, step=step,
            dedupe_key=f"escalation:{visit.pk}:{step}:{len(extra) and list(extra)[0]}", **extra,
        )  # fmt: skip
    Notification.objects.create(
        visit=v[6], site=site, kind=Notification.Kind.ESCALATION, step=1, dedupe_key="escalation:v6:1"
    )
    _invited(site, category=business, host=host, expected=at(11, 4, 14), by=host, confirmed=at(11, 3, 9), visit=v[3])
    _invited(site, category=vip, host=host, expected=at(11, 1, 0, 15), by=host, visit=v[5])
    _invited(site, category=business, host=host, expected=at(11, 20, 10), by=host, confirmed=at(11, 19, 18))
    _invited(site, category=business, host=host, expected=at(11, 21, 10), by=host, status=VisitStatus.CANCELLED)
    return v


def _rows(figures, slug):
    return figures.table(slug).rows


def test_last_month_is_november_compared_with_october():
    period = preset_period("last_month", date(2026, 12, 5))

    assert (period.start, period.end) == (date(2026, 11, 1), date(2026, 12, 1))
    assert (period.previous().start, period.previous().end) == (date(2026, 10, 1), date(2026, 11, 1))


def test_presets_cover_the_local_days_asked_for():
    today = date(2026, 3, 31)

    # this month to date against the same days of February (28 of them, clipped)
    this_month = preset_period("this_month", today)
    assert (this_month.start, this_month.end) == (date(2026, 3, 1), date(2026, 4, 1))
    assert (this_month.previous().start, this_month.previous().end) == (date(2026, 2, 1), date(2026, 3, 1))
    # the last 7 days are today and the six before, against the seven before them
    week = preset_period("last_7_days", today)
    assert (week.start, week.end, week.previous().start) == (date(2026, 3, 25), date(2026, 4, 1), date(2026, 3, 18))
    # this year to date against the same days of last year
    year = preset_period("this_year", today)
    assert (year.previous().start, year.previous().end) == (date(2025, 1, 1), date(2025, 4, 1))


def test_the_summary_counts_arrivals_stays_and_late_acknowledgements(november):
    figures = build_insights(site=november[1].site, period=NOVEMBER)

    assert _rows(figures, "summary") == [
        # V1–V6 arrived in November (V8 arrived on 1 Dec local time); V7 in October
        ("Arrivals", 6, 1, 5),
        # V1–V5 have left; V6 is still on site
        ("Visits that have left", 5, 1, 4),
        # (90 + 28 + 60 + 60 + 120) / 5 = 71.6 minutes; October: V7's 20
        ("Average minutes on site", 71.6, 20.0, 51.6),
        # nearest rank ceil(0.9 × 5) = 5th shortest of 28, 60, 60, 90, 120
        ("p90 minutes on site", 120.0, 20.0, 100.0),
        # V3 (25 > 10), V4 (never, left after its deadline), V5 (40 > 30), V6 (on site past it)
        ("Late acknowledgements", 4, 0, 4),
        # 4 / 6
        ("Late acknowledgements, share of arrivals (%)", 66.7, 0.0, 66.7),
        # V3, V5 and V9 were due; V10 was cancelled; none in October
        ("Invitations due", 3, 0, 3),
        # V9 never came: 1 / 3
        ("No-show rate, %", 33.3, None, None),
        # V3 and V9 confirmed before their time: 2 / 3
        ("Confirmed in advance, %", 66.7, None, None),
    ]


def test_days_and_hours_are_the_sites_local_ones(november):
    figures = build_insights(site=november[1].site, period=NOVEMBER)

    daily = {row[0]: row[1:] for row in _rows(figures, "daily")}
    assert len(daily) == 30
    # columns: VIP, Business, Ordinary, Total. V5 at 00:30 on 1 Nov local time
    # (16:30 UTC on 31 Oct) counts on 1 Nov; V4 at 23:30 on 28 Nov on the 28th.
    assert daily["2026-11-01"] == (1, 0, 0, 1)
    assert daily["2026-11-02"] == (0, 2, 0, 2)
    assert daily["2026-11-04"] == (0, 0, 1, 1)
    assert daily["2026-11-28"] == (0, 0, 1, 1)
    assert daily["2026-11-29"] == (0, 0, 0, 0)
    # V6; V8 (00:10 on 1 Dec local, 30 Nov in UTC) is not November's
    assert daily["2026-11-30"] == (0, 1, 0, 1)
    assert sum(row[-1] for row in daily.values()) == 6
    assert _rows(figures, "weekly") == [
        ("2026-W44", 1, 0, 0, 1),  # Sun 1 Nov
        ("2026-W45", 0, 2, 1, 3),  # 2 and 4 Nov
        ("2026-W46", 0, 0, 0, 0),
        ("2026-W47", 0, 0, 0, 0),
        ("2026-W48", 0, 0, 1, 1),  # Sat 28 Nov
        ("2026-W49", 0, 1, 0, 1),  # Mon 30 Nov
    ]
    heat = {row[0]: row[1:] for row in _rows(figures, "arrivals_by_hour")}
    # weekday columns Mon..Sun
    assert heat["00:00"] == (0, 0, 0, 0, 0, 0, 1)  # V5, Sunday
    assert heat["09:00"] == (1, 0, 0, 0, 0, 0, 0)  # V1, Monday
    assert heat["10:00"] == (1, 0, 0, 0, 0, 0, 0)  # V2
    assert heat["14:00"] == (0, 0, 1, 0, 0, 0, 0)  # V3, Wednesday
    assert heat["16:00"] == (1, 0, 0, 0, 0, 0, 0)  # V6, Monday 30 Nov
    assert heat["23:00"] == (0, 0, 0, 0, 0, 1, 0)  # V4, Saturday 23:30 local
    assert sum(sum(row) for row in heat.values()) == 6


def test_acknowledgements_are_bucketed_against_each_categorys_deadline(november):
    figures = build_insights(site=november[1].site, period=NOVEMBER)

    assert _rows(figures, "acknowledgement") == [
        # category, deadline, ≤ d/2, ≤ d, ≤ 2d, later, never
        ("VIP", 30, 0, 0, 1, 0, 0),  # V5: 40 min, between 30 and 60
        ("Business", 30, 1, 1, 0, 0, 1),  # V1: 10 ≤ 15; V2: 25 ≤ 30; V6 never
        ("Ordinary", 10, 0, 0, 0, 1, 1),  # V3: 25 > 20; V4 never
    ]
    assert _rows(figures, "escalation") == [
        ("Step 1", 2, 33.3),  # V5 (twice: host and channel, one visit) and V6: 2 / 6
        ("Step 2", 1, 16.7),  # V5: 1 / 6
    ]
    # Late: V4, V5, V6 hosted by Sun Li (Sales), V3 by the director (Administration)
    assert _rows(figures, "late_hosts") == [("Sales-Sun Li", 3), ("Administration-Director", 1)]
    assert _rows(figures, "late_departments") == [("Sales", 3), ("Administration", 1)]


def test_rooms_are_used_by_the_hours_their_visitors_touched(november):
    figures = build_insights(site=november[1].site, period=NOVEMBER)
    rooms = {row[0]: row[1:] for row in _rows(figures, "rooms")}

    def share(people, capacity):  # people over capacity × 30 days, in %
        return round(100 * people / (capacity * 30), 1)

    pavilion = rooms["Culture Pavilion"]  # capacity 12; V5 (4 people) 00:30–02:30: hours 0, 1, 2
    assert pavilion[0] == 12
    assert pavilion[1:4] == (share(4, 12),) * 3 and sum(pavilion[4:]) == 0
    business = rooms["Business Room"]  # capacity 8
    # V6 (1) still on site since 16:00 on 30 Nov: until midnight, and from
    # midnight to now (10:00), across the night
    assert business[1 + 16] == business[1 + 23] == share(1, 8)
    assert business[1 + 0] == business[1 + 8] == share(1, 8)
    assert business[1 + 9] == share(3, 8)  # V1 (2 people) 09:10–10:40, and V6
    assert business[1 + 10] == share(4, 8)  # V1, V2 (1) 10:30–10:58, and V6
    assert business[1 + 11] == business[1 + 15] == 0
    lounge = rooms["Lounge"]  # capacity 20; V3 (1) 14:00–15:00; V4 (3) 23:30–00:30
    assert lounge[1 + 14] == lounge[1 + 15] == share(1, 20)
    assert lounge[1 + 23] == lounge[1 + 0] == share(3, 20)
    assert "not recorded" in figures.table("rooms").note


def test_sources_and_nights(november):
    figures = build_insights(site=november[1].site, period=NOVEMBER)

    assert _rows(figures, "sources") == [
        ("Front desk", 3, 50.0),  # V1, V4, V6 of 6
        ("Invitation", 2, 33.3),  # V3, V5
        ("Kiosk", 1, 16.7),  # V2
    ]
    # V5 at 00:30 on 1 Nov is in the night that ended on 1 Nov; V4 at 23:30 on
    # 28 Nov in the night that ended on the 29th, registered by a stand-in
    assert _rows(figures, "nights") == [("2026-11-01", 1, 0), ("2026-11-29", 1, 1)]
    assert _rows(figures, "stand_ins") == [("2026-11-28 23:30", "Administration-Director", "Night officer at the gate")]


def test_the_number_of_queries_does_not_grow_with_the_history(
    november, django_assert_num_queries, business, rooms, host
):
    site = november[1].site

    def read():
        # 1 categories, 2 summary, 3–4 p90 now and before, 5 invitations,
        # 6 per day, 7 per hour, 8 acknowledgement buckets, 9 escalation steps,
        # 10 late hosts, 11 their labels, 12 late departments, 13 rooms,
        # 14 room hours, 15 nights, 16 stand-ins, 17 their labels
        with django_assert_num_queries(17):
            build_insights(site=site, period=NOVEMBER)

    read()
    for day in range(3, 27):
        _visit(site, category=business, room=rooms[1], host=host, arrived=at(11, day, 11), left=at(11, day, 12))
    read()


# --- the page ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["clerk", "host", "security_guard", "night_officer", "secretary"])
def test_the_desk_may_not_see_insights(role, request, client, november):
    client.force_login(request.getfixturevalue(role))

    assert client.get(reverse("visitors:insights")).status_code == 403
    assert client.get(reverse("visitors:insights_csv", kwargs={"table": "summary"})).status_code == 403


@pytest.mark.parametrize("role", ["director", "manager"])
def test_the_director_and_the_manager_see_their_sites_insights(role, request, client, november):
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse("visitors:insights"), {"preset": "last_month"})

    assert response.status_code == 200
    assert response.context["insights"].period == NOVEMBER
    page = response.content.decode()
    assert 'data-testid="insight-daily"' in page and "<svg" in page
    assert "not recorded" in page
    assert Visit.objects.count() == 10  # a read: nothing written (V1–V10)


def test_another_sites_insights_answer_404(client, november, director, other_site):
    client.force_login(director)

    assert client.get(reverse("visitors:insights"), {"site": other_site.slug}).status_code == 404


def test_a_superuser_chooses_the_site(client, november, make_staff, other_site):
    admin = make_staff("root", None, site=other_site)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client.force_login(admin)

    response = client.get(reverse("visitors:insights"), {"site": november[1].site.slug, "preset": "last_month"})

    assert response.status_code == 200
    assert response.context["site"] == november[1].site
    assert response.context["insights"].table("summary").rows[0][1] == 6


def custom(start, end):
    return {"preset": "custom", "start": start, "end": end}


def test_a_bad_range_is_reported_and_this_month_shown(client, november, director):
    client.force_login(director)

    response = client.get(reverse("visitors:insights"), custom("2026-11-30", "2026-11-01"))

    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert response.context["insights"].period.start == date(2026, 12, 1)


def test_a_range_longer_than_a_year_is_refused(client, november, director):
    client.force_login(director)

    response = client.get(reverse("visitors:insights"), custom("2020-01-01", "2026-11-01"))

    assert "A range is at most 366 days" in response.content.decode()


def test_a_custom_range_includes_both_days(client, november, director):
    client.force_login(director)

    response = client.get(reverse("visitors:insights"), custom("2026-11-01", "2026-11-02"))

    # V5 on the 1st, V1 and V2 on the 2nd
    assert response.context["insights"].table("summary").rows[0][1] == 3


def test_each_table_downloads_as_csv_with_its_numbers(client, november, director):
    client.force_login(director)

    response = client.get(reverse("visitors:insights_csv", kwargs={"table": "sources"}), {"preset": "last_month"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="insights-sources-hq-2026-11-01-2026-11-30.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "Registered via,Visits,Share of arrivals (%)",
        "Front desk,3,50.0",
        "Invitation,2,33.3",
        "Kiosk,1,16.7",
    ]


def test_a_csv_cell_that_looks_like_a_formula_is_defused(client, november, director, fast_ordinary, rooms, host):
    _visit(
        november[1].site, category=fast_ordinary, room=rooms[2], host=host, arrived=at(11, 27, 22),
        left=at(11, 27, 23), night_registration=True, registered_by=director, night_override_reason="=HYPERLINK(1)",
    )  # fmt: skip
    client.force_login(director)

    response = client.get(reverse("visitors:insights_csv", kwargs={"table": "stand_ins"}), {"preset": "last_month"})

    assert "'=HYPERLINK(1)" in response.content.decode("utf-8-sig")


def test_an_unknown_table_answers_404(client, november, director):
    client.force_login(director)

    assert client.get(reverse("visitors:insights_csv", kwargs={"table": "nothing"})).status_code == 404


def test_the_page_is_in_chinese_too(client, november, director):
    client.force_login(director)
    client.cookies["django_language"] = "zh-hans"

    page = client.get(reverse("visitors:insights"), {"preset": "last_month"}).content.decode()

    assert "洞察" in page


# --- drawn once per change ------------------------------------------------------


def _summary_arrivals(response) -> int:
    return response.context["insights"].table("summary").rows[0][1]


def test_a_reload_with_nothing_changed_reads_the_drawn_figures(
    client, november, director, django_assert_max_num_queries
):
    client.force_login(director)
    url = reverse("visitors:insights")
    first = client.get(url, {"preset": "last_month"})

    # 1 session, 2 user, 3 its profile and site, 4–5 permissions (groups and the
    # user's own), 6 the audit chain's head, 7 the drawn figures from the cache
    # table; none of the 17 aggregate reads (test above).
    with django_assert_max_num_queries(8):
        again = client.get(url, {"preset": "last_month"})

    figures = 'data-testid="insights-range"'  # after it: every chart and table
    assert again.content.decode().split(figures)[1] == first.content.decode().split(figures)[1]


def test_any_change_in_the_sites_audit_chain_draws_the_figures_again(client, november, director, business, rooms, host):
    client.force_login(director)
    url = reverse("visitors:insights")
    before = _summary_arrivals(client.get(url, {"preset": "last_month"}))
    late = _visit(
        november[1].site, category=business, room=rooms[1], host=host, arrived=at(11, 20, 9), left=at(11, 20, 10)
    )

    unchanged = _summary_arrivals(client.get(url, {"preset": "last_month"}))  # written outside the rules: not seen
    audit.record(site=late.site, actor=None, action="visit.register", obj=late, changes={})
    after = _summary_arrivals(client.get(url, {"preset": "last_month"}))

    assert (unchanged, after) == (before, before + 1)


def test_a_period_reaching_today_is_drawn_again_after_a_few_minutes(
    client, november, director, business, rooms, host, time_machine
):
    client.force_login(director)
    url = reverse("visitors:insights")
    before = _summary_arrivals(client.get(url, {"preset": "this_month"}))
    _visit(november[1].site, category=business, room=rooms[1], host=host, arrived=NOW - timedelta(hours=1))

    time_machine.move_to(NOW + timedelta(seconds=LIVE_FIGURES_SECONDS), tick=False)

    assert _summary_arrivals(client.get(url, {"preset": "this_month"})) == before + 1


def test_each_language_has_its_own_drawing_and_each_request_its_own_csv_links(client, november, director):
    client.force_login(director)
    url = reverse("visitors:insights")
    client.get(url, {"preset": "last_month"})
    client.cookies["django_language"] = "zh-hans"

    page = client.get(url, {"preset": "last_month", "x": "<b>&"}).content.decode()

    assert "洞察" in page and "CSV of" not in page
    assert "?preset=last_month&amp;x=%3Cb%3E%26" in page and "<b>&" not in page
