"""Issue #7: the visitor log's search at a million visits. The search looks in
the visitor table first, a broad result's count stops past a cap (the clerk is
told and can page on), and every path gives exactly the visits, in exactly the
order, that the log gave before."""

from datetime import datetime

import pytest
from django.db.models import Q
from django.db.models.functions import Coalesce

from tests.visitors.desk import DAYTIME, expect, walk_in
from visitors import services
from visitors.forms import LogFilterForm
from visitors.models import Visit
from visitors.privacy import anonymise_visitor

PEOPLE = [
    # name, company, phone
    ("张伟", "华信贸易有限公司", "13800138000"),
    ("张伟明", "", "139 0013 8000"),
    ("王芳", "长城科技有限公司", "13912345678"),
    ("Zhang Wei", "Zhang Consulting", "13700001111"),
    ("Hans Müller", "Bergmann GmbH", "+49 30 1234567"),
    ("HANS MÜLLER", "", ""),
    ("Maria Rossi", "Rossi Design", "+39 06 7654321"),
    ("100% Pure", "a_b Ltd", ""),
    ("Tanaka Kenji", "Tanaka K.K.", "+81 3 5550000"),
]

TERMS = [
    "张伟",
    "张",
    "伟明",
    "华信",
    "长城科技",
    "zh",
    "ZHANG",
    "wei",
    "müller",
    "MÜLLER",
    "ü",
    "138",
    "0013",
    "+49",
    "rossi",
    "%",
    "_",
    "a_b",
    "anonymised",
    "周杰",
    "nobody",
    "1",
]


@pytest.fixture
def crowd(clerk, other_clerk, other_site, ordinary, lounge, time_machine):
    """The people above, each seen at the desk on a day of the week before
    today, one visitor twice, one expected later today, one anonymised, and a
    namesake at another site."""
    visits = []
    for day, (name, company, phone) in enumerate(PEOPLE, start=18):
        time_machine.move_to(f"2026-11-{day:02d} 10:00:00+08:00", tick=False)
        visit = walk_in(category=ordinary, room=lounge, by=clerk, name=name, company=company, phone=phone)
        services.check_out_visit(visit=visit, by=clerk)
        visits.append(visit)
    again = Visit(category=ordinary, room=lounge, purpose="Talks")
    services.register_visit(visit=again, visitor=visits[0].visitor, by=clerk, arrive_now=True)
    time_machine.move_to("2026-11-20 11:00:00+08:00", tick=False)
    gone = walk_in(category=ordinary, room=lounge, by=clerk, name="周杰", company="周氏", phone="13600000000")
    services.check_out_visit(visit=gone, by=clerk)
    anonymise_visitor(visitor=gone.visitor, by=None, reason="retention")
    time_machine.move_to(DAYTIME, tick=False)
    expect(category=ordinary, room=lounge, by=clerk, expected_at="2026-11-27 15:00:00+08:00", name="张伟")
    from reception.models import ReceptionRoom, VisitorCategory

    river = VisitorCategory.objects.create(site=other_site, code="B", name="Business")
    room = ReceptionRoom.objects.create(site=other_site, name="River Room", capacity=5, any_category=True)
    walk_in(category=river, room=room, by=other_clerk, name="张伟", company="华信贸易有限公司", phone="13800138000")


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to(DAYTIME, tick=False)


def as_before(site, term: str, **filters) -> list[int]:
    """The log's search before issue #7: icontains over the joined visitor,
    ordered by the day, newest first, then by pk."""
    visits = (
        Visit.objects.filter(site=site)
        .annotate(day=Coalesce("checked_in_at", "expected_at", "registered_at"))
        .filter(**filters)
        .filter(
            Q(visitor__full_name__icontains=term)
            | Q(visitor__company__icontains=term)
            | Q(visitor__phone__icontains=term)
        )
        .order_by("-day", "-pk")
    )
    return list(visits.values_list("pk", flat=True))


def every_page(client, params) -> list[int]:
    shown, number = [], 1
    while True:
        page = client.get("/desk/log/", {**params, "page": number}).context["page"]
        shown += [row["pk"] for row in page]
        if not page.has_next():
            return shown
        number += 1


# Each way through: few visitors (their visits sorted whole), a broad search
# counted in full, and a broad search whose count stops at the cap (the log is
# then read in order, page by page).
PATHS = {"few visitors": (3000, 1000), "broad, counted": (0, 1000), "broad, capped": (0, 2)}


@pytest.fixture(params=PATHS.values(), ids=PATHS.keys())
def path(request, monkeypatch):
    few, cap = request.param
    monkeypatch.setattr("visitors.forms.FEW_VISITORS", few)
    monkeypatch.setattr("visitors.paging.COUNT_CAP", cap)
    monkeypatch.setattr("visitors.views.LOG_PAGE_SIZE", 2)


@pytest.mark.parametrize("term", TERMS)
def test_a_search_shows_what_it_showed_before(client, clerk, site, crowd, path, term):
    client.force_login(clerk)

    assert every_page(client, {"q": term}) == as_before(site, term)


def test_the_searches_find_what_a_clerk_expects(client, clerk, site, crowd):
    client.force_login(clerk)

    def names(term):
        return [row["name"] for row in client.get("/desk/log/", {"q": term}).context["page"]]

    # expected this afternoon, back on the 26th, the 19th, first on the 18th
    assert names("张伟") == ["张伟", "张伟", "张伟明", "张伟"]
    assert names("hans") == ["HANS MÜLLER", "Hans Müller"]
    assert names("0013 8") == ["张伟明"]
    assert names("%") == ["100% Pure"]
    assert names("anonymised") == ["Anonymised visitor"]
    assert names("周杰") == []  # an erased name is found no more


LOCAL = "2026-11-{:02d} 00:00:00+08:00"


@pytest.mark.parametrize(
    ("filters", "before"),
    [
        ({"status": "left"}, {"status": "left"}),
        (
            {"date_from": "2026-11-19", "date_to": "2026-11-26"},
            {"day__gte": LOCAL.format(19), "day__lt": LOCAL.format(27)},
        ),
        ({"date_to": "2026-11-18"}, {"day__lt": LOCAL.format(19)}),
        ({"date_from": "2026-11-27"}, {"day__gte": LOCAL.format(27)}),
    ],
)
def test_a_search_with_filters_shows_what_it_showed_before(client, clerk, site, crowd, path, filters, before):
    client.force_login(clerk)
    expected = as_before(site, "张伟", **before)

    assert every_page(client, {"q": "张伟", **filters}) == expected
    assert expected  # each case finds something


@pytest.mark.parametrize("few", [3000, 0])
@pytest.mark.parametrize("term", ["张伟", "zh", "138", "rossi", "x"])
def test_the_export_filter_keeps_its_contract(site, crowd, monkeypatch, few, term):
    """LogFilterForm.apply (the CSV export's query) returns the same visits in
    log order, whichever way it searches."""
    monkeypatch.setattr("visitors.forms.FEW_VISITORS", few)
    form = LogFilterForm({"q": term}, site=site)

    visits = form.apply(Visit.objects.for_site(site), site=site)

    assert list(visits.values_list("pk", flat=True)) == as_before(site, term)


def test_a_broad_result_says_more_than_the_cap_and_pages_on(client, clerk, ordinary, lounge, monkeypatch):
    monkeypatch.setattr("visitors.forms.FEW_VISITORS", 5)
    monkeypatch.setattr("visitors.paging.COUNT_CAP", 10)
    monkeypatch.setattr("visitors.views.LOG_PAGE_SIZE", 5)
    for minute in range(23):
        visit = walk_in(
            category=ordinary,
            room=lounge,
            by=clerk,
            name=f"Guest {minute:02}",
            at=datetime.fromisoformat(f"2026-11-27 09:{minute:02}:00+08:00"),
        )
        services.check_out_visit(visit=visit, by=clerk)
    client.force_login(clerk)

    first = client.get("/desk/log/", {"q": "guest"})
    third = client.get("/desk/log/", {"q": "guest", "page": 3})
    last = client.get("/desk/log/", {"q": "guest", "page": 5})

    body = first.content.decode()
    assert "More than 10 visits match — add a date or narrow the search." in body
    assert "Page 1<" in body and "Page 1 of" not in body
    assert 'href="?q=guest&amp;page=2"' in body
    assert [row["name"] for row in first.context["page"]] == [
        "Guest 22",
        "Guest 21",
        "Guest 20",
        "Guest 19",
        "Guest 18",
    ]
    # Paging on counts further: the clerk is never stopped at the cap.
    assert "More than 15 visits match" in third.content.decode()
    assert 'href="?q=guest&amp;page=4"' in third.content.decode()
    # Near the end the count is exact again.
    assert "23 visits" in last.content.decode() and "Page 5 of 5" in last.content.decode()
    assert [row["name"] for row in last.context["page"]] == ["Guest 02", "Guest 01", "Guest 00"]
    assert not last.context["page"].has_next()
    # Beyond the last page, or a page that is no number, the log answers as Django's paginator does.
    assert client.get("/desk/log/", {"q": "guest", "page": 99}).context["page"].number == 5
    assert client.get("/desk/log/", {"q": "guest", "page": "x"}).context["page"].number == 1
    # While the count is capped the last page is unknown: a page below 1 is the first.
    assert client.get("/desk/log/", {"q": "guest", "page": -1}).context["page"].number == 1


def test_an_unfiltered_log_is_capped_too_and_every_visit_is_reachable(client, clerk, ordinary, lounge, monkeypatch):
    monkeypatch.setattr("visitors.paging.COUNT_CAP", 4)
    monkeypatch.setattr("visitors.views.LOG_PAGE_SIZE", 2)
    made = []
    for minute in range(7):
        at = datetime.fromisoformat(f"2026-11-27 09:{minute:02}:00+08:00")
        made.append(walk_in(category=ordinary, room=lounge, by=clerk, name=f"Guest {minute}", at=at).pk)
    client.force_login(clerk)

    assert "More than 4 visits match" in client.get("/desk/log/").content.decode()
    assert every_page(client, {}) == made[::-1]


def test_the_search_page_query_count_does_not_grow_with_matches(
    client, clerk, ordinary, lounge, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("visitors.paging.COUNT_CAP", 10)
    monkeypatch.setattr("visitors.views.LOG_PAGE_SIZE", 5)
    for number in range(30):
        visit = walk_in(category=ordinary, room=lounge, by=clerk, name=f"Visitor {number}")
        services.check_out_visit(visit=visit, by=clerk)
    client.force_login(clerk)

    # 1 session, 2 user, 3 profile, 4 site, 5 user permissions, 6 group
    # permissions, 7 the matching visitors' ids, 8 their visits' ids in log
    # order, 9 the page of visits by id (people joined), 10-12 the category,
    # room and host choices of the filter form, 13 the navbar's department
    # label, 14-16 session save (savepoint, update, release).
    with django_assert_max_num_queries(16):
        few = client.get("/desk/log/", {"q": "visitor"})
    assert few.context["page"].paginator.count == 30

    monkeypatch.setattr("visitors.forms.FEW_VISITORS", 12)
    # A broad search: 1-7 as above, 8 the count of the first visitors'
    # visits, which already passes the cap, 9 the page's ids read in log
    # order, 10 the page of visits by id, 11-17 as 10-16 above.
    with django_assert_max_num_queries(17):
        broad = client.get("/desk/log/", {"q": "visitor"})
    assert broad.context["page"].paginator.capped
    assert [row["pk"] for row in broad.context["page"]] == [row["pk"] for row in few.context["page"]]
