"""Issue #15: the times a person types into the registers and the roster lie
between 2000-01-01 and 2100-01-01 (reception.validators.EARLIEST/LATEST).

A row outside that range (say found_at 0001-01-01, stored before the forms
checked it) cannot be read back on a site's clock, and it would stop the
constraint being added. The first step names such rows and stops, so the
office corrects them knowingly (the dates are evidence in a register, not
something a migration should invent) rather than meeting a bare IntegrityError.
"""

import datetime

from django.db import migrations, models

EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)
CHECKED = [("reception_lostitem", "found_at"), ("reception_incident", "occurred_at"),
           ("reception_rosterentry", "starts_at"), ("reception_rosterentry", "ends_at")]


def refuse_rows_out_of_range(apps, schema_editor):
    connection = schema_editor.connection
    found = []
    with connection.cursor() as cursor:
        for table, column in CHECKED:
            # Only the ids are read: the times themselves may not load in Python.
            cursor.execute(
                f"SELECT id FROM {connection.ops.quote_name(table)} WHERE {column} < %s OR {column} >= %s",
                [EARLIEST, LATEST],
            )
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                found.append(f"{table}.{column} of id {', '.join(map(str, ids[:20]))}")
    if found:
        raise RuntimeError(
            "Issue #15: these rows hold a time before 2000-01-01 or from 2100-01-01 on; correct them, "
            "then migrate again: " + "; ".join(found)
        )


def in_range(field):
    return models.Q((f"{field}__gte", EARLIEST), (f"{field}__lt", LATEST))


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0006_roles_acknowledge_in_app"),
    ]

    operations = [
        migrations.RunPython(refuse_rows_out_of_range, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.CheckConstraint(condition=in_range("occurred_at"), name="incident_occurred_in_range"),
        ),
        migrations.AddConstraint(
            model_name="lostitem",
            constraint=models.CheckConstraint(condition=in_range("found_at"), name="lostitem_found_in_range"),
        ),
        migrations.AddConstraint(
            model_name="rosterentry",
            constraint=models.CheckConstraint(condition=in_range("starts_at"), name="roster_starts_in_range"),
        ),
        migrations.AddConstraint(
            model_name="rosterentry",
            constraint=models.CheckConstraint(condition=in_range("ends_at"), name="roster_ends_in_range"),
        ),
    ]
