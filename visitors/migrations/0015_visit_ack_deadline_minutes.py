"""R3.2: a visit keeps the acknowledgement deadline in force when it arrived
(issue #16). A manager who shortens a category's deadline made visitors already
waiting overdue at once; the deadline is now stored on the visit at check-in.

Visits already checked in get their category's current deadline, the one they
were being held to. On PostgreSQL the R6.4 trigger (0003_audit_triggers,
re-created by 0014) guards the new column as a registered fact that the arrival
writes once, in the UPDATE that checks the visit in, like the night facts.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# A frozen copy of visitors.audit.REGISTERED_FACTS and ARRIVAL_FACTS, as in 0014.
REGISTERED = [
    "site_id",
    "visitor_id",
    "category_id",
    "host_id",
    "department_id",
    "room_id",
    "purpose",
    "party_size",
    "expected_at",
    "expected_until",
    "source",
    "badge_code",
    "registered_at",
    "registered_by_id",
    "meals",
    "lodging",
    "refreshments",
    "hospitality_notes",
    "materials",
    "night_registration",
    "id_sighted",
    "id_sighted_type",
    "host_contacted",
    "night_override_reason",
]
ARRIVAL = ["night_registration", "id_sighted", "id_sighted_type", "host_contacted", "night_override_reason"]
DEADLINE = "ack_deadline_minutes"


def _array(names):
    return "ARRAY[" + ", ".join(f"'{name}'" for name in names) + "]::text[]"


def _function(deadline_at_arrival: bool) -> str:
    registered = [*REGISTERED, DEADLINE] if deadline_at_arrival else REGISTERED
    arrival = [*ARRIVAL, DEADLINE] if deadline_at_arrival else ARRIVAL
    return f"""
CREATE OR REPLACE FUNCTION lobby_visit_registration_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    guarded text[] := {_array(registered)};
    changed text[];
BEGIN
    IF coalesce(current_setting('lobby.amending', true), '') = 'on' THEN
        RETURN NEW;
    END IF;
    IF OLD.checked_in_at IS NULL AND NEW.checked_in_at IS NOT NULL THEN
        guarded := ARRAY(SELECT unnest(guarded) EXCEPT SELECT unnest({_array(arrival)}));
        IF OLD.room_id IS NULL THEN
            guarded := array_remove(guarded, 'room_id');
        END IF;
    END IF;
    SELECT array_agg(n.key ORDER BY n.key) INTO changed
      FROM jsonb_each(to_jsonb(NEW)) AS n
      JOIN jsonb_each(to_jsonb(OLD)) AS o ON o.key = n.key
     WHERE n.key = ANY (guarded) AND n.value IS DISTINCT FROM o.value;
    IF changed IS NOT NULL THEN
        RAISE EXCEPTION 'R6.4: visit % is a registration record; % cannot be changed in place, record an amendment',
            OLD.id, array_to_string(changed, ', ')
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # No parameters: the plpgsql body uses % for its own formatting.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


def keep_the_deadline_of_visits_already_in(apps, schema_editor):
    """Every visit checked in so far was held to its category's current deadline."""
    Visit = apps.get_model("visitors", "Visit")
    VisitorCategory = apps.get_model("reception", "VisitorCategory")
    minutes = VisitorCategory.objects.filter(pk=OuterRef("category_id")).values("ack_deadline_minutes")[:1]
    Visit.objects.filter(checked_in_at__isnull=False, ack_deadline_minutes__isnull=True).update(
        ack_deadline_minutes=Subquery(minutes)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reception", "0001_initial"),
        ("visitors", "0014_visit_on_site_has_room"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="ack_deadline_minutes",
            field=models.PositiveSmallIntegerField(
                blank=True, editable=False, null=True, verbose_name="host acknowledgement deadline (minutes)"
            ),
        ),
        # Before the trigger guards the column: these rows are checked in already.
        migrations.RunPython(keep_the_deadline_of_visits_already_in, migrations.RunPython.noop),
        migrations.RunPython(_on_postgresql(_function(True)), _on_postgresql(_function(False))),
    ]
