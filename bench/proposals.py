"""Indexes the benchmark proposes for the visitors app, to try before adopting.

The trigram indexes and visit_site_checked_out_idx have since been adopted
(visitors migrations 0004 and 0005); their statements here are IF NOT EXISTS,
so they are no-ops on a database migrated past those. The day-ordering index
is still only a proposal (see README "Performance"). With
BENCH_PROPOSED_INDEXES=1 the runner adds them to the run's own copy of the
database, so one run shows the numbers without them and the next with them.
Each is what a migration would create; README "Performance" gives the Django
spelling.
"""

import psycopg

# why, SQL
INDEXES = [
    (
        "visitor log search by fragment (icontains → UPPER(col) LIKE '%…%'): trigram GIN on the same expression",
        "CREATE INDEX IF NOT EXISTS visitor_full_name_trgm ON visitors_visitor "
        "USING gin (upper(full_name::text) gin_trgm_ops)",
    ),
    (
        "visitor log search by company fragment",
        "CREATE INDEX IF NOT EXISTS visitor_company_trgm ON visitors_visitor "
        "USING gin (upper(company::text) gin_trgm_ops)",
    ),
    (
        "visitor log search by phone fragment",
        "CREATE INDEX IF NOT EXISTS visitor_phone_trgm ON visitors_visitor USING gin (upper(phone::text) gin_trgm_ops)",
    ),
    (
        "visitor log order (newest day first, per site) without sorting the site's whole history",
        "CREATE INDEX IF NOT EXISTS visit_site_day_idx ON visitors_visit "
        "(site_id, (COALESCE(checked_in_at, expected_at, registered_at)) DESC, id DESC)",
    ),
    (
        "dashboard: today's activity (registered OR checked in OR checked out today) and recently left",
        "CREATE INDEX IF NOT EXISTS visit_site_checked_out_idx ON visitors_visit (site_id, checked_out_at)",
    ),
]


def apply(database_url: str) -> list[str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, statement in INDEXES:
            conn.execute(statement)
        conn.execute("ANALYZE visitors_visit")
        conn.execute("ANALYZE visitors_visitor")
    return [why for why, _ in INDEXES]
