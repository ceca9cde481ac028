"""Issue #7: the log's fragment search is served by trigram indexes on
PostgreSQL, on the very expression `icontains` compiles to."""

import pytest
from django.db import connection

from visitors.models import Visitor


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
def test_the_planner_uses_the_trigram_index_for_a_fragment():
    Visitor.objects.bulk_create(Visitor(full_name=f"Visitor {n:05d}", phone=f"1380000{n:04d}") for n in range(2000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE visitors_visitor")
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Visitor.objects.filter(phone__icontains="00123").order_by().query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())

    assert "visitor_phone_trgm" in plan
