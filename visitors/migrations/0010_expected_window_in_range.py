"""Issue #15: a visit's expected window lies between 2000-01-01 and
2100-01-01 (reception.validators.EARLIEST/LATEST), or is empty.

A visit expected at 0001-01-01 (amended so before the forms checked it) cannot
be read back on a site's clock, and would stop the constraint being added. The
first step names such visits and stops: the expected time is a registered fact
(R6.4, migration 0003), so a person corrects it as an amendment, not a migration.
Adding a CHECK constraint is a schema change; the append-only triggers do not
see it.
"""

import datetime

from django.db import migrations, models

EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


def refuse_visits_out_of_range(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        # Only the ids are read: the times themselves may not load in Python.
        cursor.execute(
            "SELECT id FROM visitors_visit WHERE expected_at < %s OR expected_at >= %s "
            "OR expected_until < %s OR expected_until >= %s ORDER BY id",
            [EARLIEST, LATEST, EARLIEST, LATEST],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        raise RuntimeError(
            "Issue #15: these visits are expected before 2000-01-01 or from 2100-01-01 on. Their pages cannot "
            "load them, so correct the expected times in SQL as an amendment would (R6.4: in one transaction, "
            "SET LOCAL lobby.amending = 'on', update the visit and insert a visitors_amendment row with the "
            "reason), then migrate again. Visit id " + ", ".join(map(str, ids[:20]))
        )


def in_range_or_empty(field):
    return models.Q((f"{field}__isnull", True)) | models.Q((f"{field}__gte", EARLIEST), (f"{field}__lt", LATEST))


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0009_notification_report_day"),
    ]

    operations = [
        migrations.RunPython(refuse_visits_out_of_range, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=in_range_or_empty("expected_at"), name="visit_expected_at_in_range"
            ),
        ),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=in_range_or_empty("expected_until"), name="visit_expected_until_in_range"
            ),
        ),
    ]
