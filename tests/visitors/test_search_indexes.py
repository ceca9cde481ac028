"""Issue #7: the log's fragment search is served by trigram indexes on
PostgreSQL, on the very expression `icontains` compiles to; terms of one or
two characters by the grams index, which drops no match; and the log is read
in the order of its own index."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visitors.forms import LogFilterForm
from visitors.models import Visit, Visitor, text_contains

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Names as they come: any script, case pairs that fold oddly, no NUL (which
# PostgreSQL text cannot hold).
TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("column", ["full_name", "company", "phone"])
def test_fragment_search_has_a_trigram_index(column):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [f"visitor_{column}_trgm"])
        row = cursor.fetchone()

    assert row is not None
    assert "gin_trgm_ops" in row[0]
    # The indexed expression is the one the ORM's icontains produces.
    sql, _ = Visitor.objects.filter(**{f"{column}__icontains": "wei"}).query.sql_with_params()
    assert f'UPPER("visitors_visitor"."{column}"::text)' in sql
    assert f"upper(({column})::text)" in row[0]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("column", ["full_name", "company", "phone"])
def test_trigram_indexes_keep_a_fine_sample(column):
    """Migration 0008: with the default sample PostgreSQL expected 600 visitors
    to match "Jun" at a million visits, found 11,665, and sorted all their
    visits instead of walking the log's index (100 ms against 7 ms)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute WHERE attrelid = %s::regclass AND attnum = 1",
            [f"visitor_{column}_trgm"],
        )
        (target,) = cursor.fetchone()

    assert target == 1000


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("column", ["full_name", "company", "phone"])
def test_only_the_trigram_index_keeps_statistics_on_the_searched_expression(column):
    """Issue #24: a btree on UPPER(full_name), added for the kiosk's lookup,
    brought its own coarse statistics on the search's expression; PostgreSQL
    read those instead of the trigram index's fine sample, expected 130
    visitors to match "Xu" at a million visits, found 3,101, and scanned
    every visitor (150 ms) instead of walking the log's index. The kiosk's
    index is on LOWER(full_name) instead."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'visitors_visitor' AND indexdef LIKE %s",
            [f"%upper(({column})::text)%"],
        )
        indexes = [name for (name,) in cursor.fetchall()]

    assert indexes == [f"visitor_{column}_trgm"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_kiosks_name_lookup_is_served_by_its_own_index():
    from django.db.models import Value
    from django.db.models.functions import Lower

    lookup = Visitor.objects.alias(folded=Lower("full_name")).filter(folded=Lower(Value("Zhang Wei"))).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = lookup.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")

    assert "visitor_full_name_lower_idx" in plan


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_planner_uses_the_trigram_index_for_a_fragment():
    Visitor.objects.bulk_create(Visitor(full_name=f"Visitor {n:05d}", phone=f"1380000{n:04d}") for n in range(2000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE visitors_visitor")
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Visitor.objects.filter(phone__icontains="00123").order_by().query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())

    assert "visitor_phone_trgm" in plan


# --- issue #7 at a million visits: short terms and the log's order ------------

TRICKY = [
    "张伟明",
    "Straße",
    "STRASSE",
    "İstanbul",
    "ǅemal",
    "Ĳssel",
    "ﬁne",
    "e\u0301cole",
    "😀 smile",
    "100%_a\\b",
    "",
]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_short_term_is_served_by_the_grams_index():
    Visitor.objects.bulk_create(
        Visitor(full_name=f"{surname}{given}", company=f"Firm {n}", phone=f"1380000{n:04d}")
        for n, (surname, given) in enumerate(
            (s, g) for s in "王李张刘陈杨黄赵吴周" for g in "伟芳娜敏静丽强磊军洋" * 20
        )
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE visitors_visitor")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plans = {}
        for term in ("张伟", "伟", "zh"):
            sql, params = Visitor.objects.matching(term).order_by().values("pk").query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plans[term] = "\n".join(line for (line,) in cursor.fetchall())

    assert all("visitor_grams" in plan for plan in plans.values()), plans


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_grams_index_drops_no_match():
    """Whatever contains the term, as icontains sees it, is found through the
    index too: the grams are taken from UPPER, the fold icontains uses, even
    where upper-casing changes a character's length or meaning."""
    people = [Visitor(full_name=name, company=name.lower(), phone=name.upper()) for name in TRICKY]
    Visitor.objects.bulk_create(people)
    terms = {text[i : i + size] for text in TRICKY for i in range(len(text)) for size in (1, 2)}
    terms |= {term.swapcase() for term in terms}

    for term in sorted(terms):
        found = set(Visitor.objects.matching(term).values_list("pk", flat=True))
        assert found == set(Visitor.objects.filter(text_contains(term)).values_list("pk", flat=True)), term


@pytest.mark.postgres
@pytest.mark.django_db
@SETTINGS
@given(fields=st.tuples(TEXT, TEXT, TEXT), data=st.data())
def test_the_grams_of_a_visitor_hold_any_short_part(fields, data):
    """The short term is looked up as its own one gram (issue #24): what
    contains it, folded, holds it among its grams."""
    field = data.draw(st.sampled_from([f for f in fields if f]) if any(fields) else st.just("x"))
    start = data.draw(st.integers(0, max(len(field) - 1, 0)))
    term = field[start : start + data.draw(st.integers(1, 2))]
    term = data.draw(st.sampled_from([term, term.upper(), term.lower(), term.swapcase()]))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT strpos(upper(%s), upper(%s)) > 0 OR strpos(upper(%s), upper(%s)) > 0"
            " OR strpos(upper(%s), upper(%s)) > 0, lobby_visitor_grams(%s, %s, %s) @> ARRAY[upper(%s)]",
            [fields[0], term, fields[1], term, fields[2], term, *fields, term],
        )
        contains, held = cursor.fetchone()

    assert held or not contains


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_log_is_read_in_the_order_of_its_index(site):
    form = LogFilterForm({"date_from": "2026-11-01"}, site=site)
    visits = form.apply(Visit.objects.for_site(site), site=site)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        sql, params = visits.values_list("pk", flat=True)[50:100].query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())

    # The ORM's ordering expression is the indexed one: no sort is needed.
    assert "visit_site_day_idx" in plan and "Sort" not in plan, plan
