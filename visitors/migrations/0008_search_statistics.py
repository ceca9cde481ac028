"""Finer statistics on the search's trigram indexes (PostgreSQL only, issue #7).

A broad fragment such as "Jun" is in about one visitor name in forty. With the
default statistics target PostgreSQL samples a hundred values per column, sees
the fragment in almost none of them and expects some 600 matching visitors at
a million visits, where there are 11,665. So it fetched every match and sorted
their 23,000 visits (100 ms) instead of walking the log's own index until the
page was full (7 ms). With a thousand values per column the estimate comes out
near the truth and the walk is chosen.

ANALYZE reads the new sample at once (about 9 s for 450,000 visitors, without
blocking writes); autovacuum keeps it fresh afterwards. Where migration 0005
skipped the indexes (no pg_trgm), there is nothing to tune.
"""

from django.db import migrations

INDEXES = ["visitor_full_name_trgm", "visitor_company_trgm", "visitor_phone_trgm"]
TARGET = 1000


def _existing(schema_editor) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [INDEXES])
        return sorted(name for (name,) in cursor.fetchall())


def _set_target(schema_editor, target: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    indexes = _existing(schema_editor)
    for index in indexes:
        # The statistics target is set by column number on an expression index.
        schema_editor.execute(f"ALTER INDEX {index} ALTER COLUMN 1 SET STATISTICS {int(target)}")
    if indexes:
        schema_editor.execute("ANALYZE visitors_visitor")


def finer(apps, schema_editor):
    _set_target(schema_editor, TARGET)


def default(apps, schema_editor):
    _set_target(schema_editor, -1)


class Migration(migrations.Migration):
    dependencies = [("visitors", "0007_room_occupancy_index")]

    operations = [migrations.RunPython(finer, default)]
