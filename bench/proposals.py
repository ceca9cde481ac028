"""Indexes the benchmark proposes for the visitors app, to try before adopting.

Every index proposed here so far has been adopted: the trigram indexes and
visit_site_checked_out_idx (visitors migrations 0004, 0005), the log's
day-ordering index and the short-term grams index (0006). The list is empty
until the next proposal. With
BENCH_PROPOSED_INDEXES=1 the runner adds them to the run's own copy of the
database, so one run shows the numbers without them and the next with them.
Each is the SQL a migration would run; a proposal that is adopted becomes a
migration in its app.
"""

import psycopg

# why, SQL
INDEXES: list[tuple[str, str]] = []  # every proposal so far has been adopted


def apply(database_url: str) -> list[str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, statement in INDEXES:
            conn.execute(statement)
        conn.execute("ANALYZE visitors_visit")
        conn.execute("ANALYZE visitors_visitor")
    return [why for why, _ in INDEXES]
