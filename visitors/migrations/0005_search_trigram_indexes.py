"""Trigram indexes for the visitor log's fragment search (PostgreSQL only).

The log searches name, company and phone with `icontains`, which PostgreSQL
compiles to `UPPER(col::text) LIKE UPPER(%fragment%)`; a GIN trigram index on
exactly that expression serves it. SQLite (one desk) has no such index and
needs none at its size. Where the database role may not create the pg_trgm
extension, the indexes are skipped with a notice rather than failing the deploy.
"""

from django.db import migrations, transaction

COLUMNS = ["full_name", "company", "phone"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as error:  # noqa: BLE001 - any refusal means: no trigram indexes
        print(f"\n  pg_trgm is not available ({error}); the visitor log searches without trigram indexes.")
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS visitor_{column}_trgm ON visitors_visitor "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS visitor_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("visitors", "0004_visit_checked_out_index")]

    operations = [migrations.RunPython(create, drop)]
