"""The visitor log at a million visits (issue #7).

- visit_site_day_idx, on both databases: the log's own order, (site, day DESC,
  id DESC) where the day is COALESCE(checked_in_at, expected_at,
  registered_at), exactly as visitors.models.log_day() spells it. A page of
  the newest visits, within a date range or not, is then read from the index
  instead of sorting the site's whole history.
- PostgreSQL only: a term of one or two characters (a Chinese name such as
  张伟, a surname such as 王) has no trigram, so the trigram indexes of 0005
  cannot serve it. lobby_grams(text) gives the characters and
  two-character pieces of UPPER(text), the fold that `icontains` uses;
  visitor_grams is a GIN index over the grams of a visitor's name, company and
  phone, queried with array containment (`@>`) and rechecked by `icontains`.
  A text that contains the term contains each of the term's grams, so the
  index drops no match. SQLite (one desk) needs none of it.
"""

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Coalesce

CREATE = [
    # Plain PL/pgSQL (no extension), IMMUTABLE so that it can be indexed:
    # UPPER depends only on the database's fixed character type, as the
    # trigram indexes' UPPER does. Repeated grams are left in: GIN keeps each
    # key once per row anyway.
    """
    CREATE OR REPLACE FUNCTION lobby_grams(value text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    DECLARE
        folded text := upper(value);
        grams text[] := string_to_array(folded, NULL);
    BEGIN
        FOR i IN 1 .. length(folded) - 1 LOOP
            grams := grams || substr(folded, i, 2);
        END LOOP;
        RETURN grams;
    END
    $$
    """,
    # A line break joins the fields: grams across two of them only add
    # candidates, and icontains checks each field on its own. Its search path
    # is fixed at creation: pg_restore rebuilds the index with an empty one,
    # where the unqualified lobby_grams would not be found.
    """
    CREATE OR REPLACE FUNCTION lobby_visitor_grams(full_name text, company text, phone text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path FROM CURRENT
    AS $$
        SELECT lobby_grams(coalesce(full_name, '') || E'\\n' || coalesce(company, '') || E'\\n' || coalesce(phone, ''))
    $$
    """,
    "CREATE INDEX IF NOT EXISTS visitor_grams ON visitors_visitor "
    "USING gin (lobby_visitor_grams(full_name, company, phone))",
]

DROP = [
    "DROP INDEX IF EXISTS visitor_grams",
    "DROP FUNCTION IF EXISTS lobby_visitor_grams(text, text, text)",
    "DROP FUNCTION IF EXISTS lobby_grams(text)",
]


def create_grams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in CREATE:
        schema_editor.execute(statement)


def drop_grams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("visitors", "0005_search_trigram_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(
                F("site"),
                Coalesce("checked_in_at", "expected_at", "registered_at").desc(),
                F("id").desc(),
                name="visit_site_day_idx",
            ),
        ),
        migrations.RunPython(create_grams, drop_grams),
    ]
