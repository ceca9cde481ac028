"""R6.4 in the database: registrations are not altered in place, amendments and
audit events are append-only. PostgreSQL only; on SQLite (a single desk) the
hash chain and the read-only admin are the protection.

- visitors_visit: an UPDATE that changes a registered fact is refused unless the
  amendment service switched on `lobby.amending` for its own transaction. The
  night facts (R6.8) may be written once, in the UPDATE that checks the visit in.
  Status, check-in/out, acknowledgement and legal hold stay with the workflow.
- visitors_amendment: no UPDATE or DELETE, except that the privacy service
  (`lobby.anonymising`) may blank the old and new values of an amendment.
- visitors_auditevent: no UPDATE or DELETE, ever.
- TRUNCATE of either log is refused unless the session deliberately sets
  `lobby.allow_truncate` (the test database does, so transactional tests can
  flush; production never does).

The column list is a frozen copy of visitors.audit.REGISTERED_FACTS; a later
migration that adds a registered fact re-creates the function.
"""

from django.db import migrations

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


FORWARD = f"""
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
        guarded := ARRAY(SELECT unnest(guarded) EXCEPT SELECT unnest({_array(ARRIVAL)}));
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

CREATE TRIGGER visitors_visit_registration_immutable
    BEFORE UPDATE ON visitors_visit
    FOR EACH ROW EXECUTE FUNCTION lobby_visit_registration_immutable();

CREATE OR REPLACE FUNCTION lobby_amendment_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND coalesce(current_setting('lobby.anonymising', true), '') = 'on'
       AND NEW.id = OLD.id AND NEW.visit_id = OLD.visit_id AND NEW.field = OLD.field
       AND NEW.reason = OLD.reason AND NEW.by_id = OLD.by_id AND NEW.at = OLD.at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'R6.4: amendments are append-only; % of amendment % refused', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER visitors_amendment_append_only
    BEFORE UPDATE OR DELETE ON visitors_amendment
    FOR EACH ROW EXECUTE FUNCTION lobby_amendment_append_only();

CREATE OR REPLACE FUNCTION lobby_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only; % of audit event % refused', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER visitors_auditevent_append_only
    BEFORE UPDATE OR DELETE ON visitors_auditevent
    FOR EACH ROW EXECUTE FUNCTION lobby_auditevent_append_only();

CREATE OR REPLACE FUNCTION lobby_log_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('lobby.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'TRUNCATE of % refused: the visitor log is append-only', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER visitors_auditevent_no_truncate
    BEFORE TRUNCATE ON visitors_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION lobby_log_no_truncate();

CREATE TRIGGER visitors_amendment_no_truncate
    BEFORE TRUNCATE ON visitors_amendment
    FOR EACH STATEMENT EXECUTE FUNCTION lobby_log_no_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS visitors_amendment_no_truncate ON visitors_amendment;
DROP TRIGGER IF EXISTS visitors_auditevent_no_truncate ON visitors_auditevent;
DROP FUNCTION IF EXISTS lobby_log_no_truncate();
DROP TRIGGER IF EXISTS visitors_auditevent_append_only ON visitors_auditevent;
DROP FUNCTION IF EXISTS lobby_auditevent_append_only();
DROP TRIGGER IF EXISTS visitors_amendment_append_only ON visitors_amendment;
DROP FUNCTION IF EXISTS lobby_amendment_append_only();
DROP TRIGGER IF EXISTS visitors_visit_registration_immutable ON visitors_visit;
DROP FUNCTION IF EXISTS lobby_visit_registration_immutable();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # No parameters: the plpgsql bodies use % for their own formatting.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("visitors", "0002_invitations_notifications"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
