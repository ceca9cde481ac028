"""R1.3 in the database: a visit on site has a room (issue #15 item 10).

Until now an invitation could be checked in with its room still "decided on
arrival", so a database may hold visitors on site without a room. This
migration refuses to run while there are any, naming them: give each its room
(the visit page: Amend the registration → Room) or check it out, then migrate
again. Adding the constraint over them would fail with a less helpful error.

Checking in now places such an invitation's visitor in a room, in the UPDATE
that checks the visit in; on PostgreSQL the R6.4 trigger (0003_audit_triggers)
is re-created to allow exactly that: room_id written once, from empty, at
arrival, as the night facts are. Any other change of the room is an amendment.
"""

from django.db import migrations, models
from django.db.models import Q

# A frozen copy of visitors.audit.REGISTERED_FACTS and ARRIVAL_FACTS, as in 0003.
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


def _array(names):
    return "ARRAY[" + ", ".join(f"'{name}'" for name in names) + "]::text[]"


def _function(room_placed_at_arrival: bool) -> str:
    placed = (
        """
        IF OLD.room_id IS NULL THEN
            guarded := array_remove(guarded, 'room_id');
        END IF;"""
        if room_placed_at_arrival
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION lobby_visit_registration_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    guarded text[] := {_array(REGISTERED)};
    changed text[];
BEGIN
    IF coalesce(current_setting('lobby.amending', true), '') = 'on' THEN
        RETURN NEW;
    END IF;
    IF OLD.checked_in_at IS NULL AND NEW.checked_in_at IS NOT NULL THEN
        guarded := ARRAY(SELECT unnest(guarded) EXCEPT SELECT unnest({_array(ARRIVAL)}));{placed}
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


def refuse_visitors_on_site_without_a_room(apps, schema_editor):
    Visit = apps.get_model("visitors", "Visit")
    stranded = list(
        Visit.objects.filter(status="on_site", room__isnull=True).order_by("pk").values_list("pk", flat=True)[:50]
    )
    if stranded:
        raise RuntimeError(
            "R1.3: these visits are on site without a room (ids, at most 50 shown): "
            f"{', '.join(map(str, stranded))}. Give each its room (visit page: Amend the registration → Room) "
            "or check it out, then run the migration again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0013_hospitality_served"),
    ]

    operations = [
        migrations.RunPython(refuse_visitors_on_site_without_a_room, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=~Q(status="on_site") | Q(room__isnull=False), name="visit_on_site_has_room"
            ),
        ),
        migrations.RunPython(_on_postgresql(_function(True)), _on_postgresql(_function(False))),
    ]
