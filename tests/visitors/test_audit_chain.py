"""R6.4: the audit trail is append-only and hash-chained per site;
`verify_log` finds the first broken link."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from visitors import audit, services
from visitors.models import AuditEvent, Visit, Visitor


@pytest.fixture(autouse=True)
def daytime(time_machine):
    time_machine.move_to("2026-11-27 10:00:00+08:00", tick=False)


def walk_in(*, category, room, by, name="Walk-in Visitor"):
    visit = Visit(category=category, room=room, purpose="Talks")
    return services.register_visit(
        visit=visit, visitor=Visitor(full_name=name), by=by, arrive_now=True, client_address="10.0.0.7"
    )


def verify(*args):
    """Run verify_log; return (exit error or None, stdout, stderr)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("verify_log", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc, out.getvalue(), err.getvalue()
    return None, out.getvalue(), err.getvalue()


def tamper(sql, params=()):
    """Alter the log behind the application's back, as a database superuser
    would: on PostgreSQL with triggers switched off for this transaction only."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


@pytest.fixture
def busy_day(clerk, ordinary, lounge):
    first = walk_in(category=ordinary, room=lounge, by=clerk, name="First Guest")
    second = walk_in(category=ordinary, room=lounge, by=clerk, name="Second Guest")
    services.check_out_visit(visit=first, by=clerk, client_address="10.0.0.7")
    services.check_out_visit(visit=second, by=clerk, client_address="10.0.0.7")
    return [first, second]


def test_an_intact_chain_is_reported_with_its_counts(busy_day, site):
    error, out, err = verify()

    assert error is None
    assert "hq: 4 events, chain intact (head #4 " in out
    assert "OK: 1 site(s), 4 events, every chain intact." in out
    assert err == ""


def test_each_site_has_its_own_chain(busy_day, other_site, other_clerk):
    with transaction.atomic():
        audit.record(site=other_site, actor=other_clerk, action="test.note", object_type="test")

    error, out, _ = verify()

    assert error is None
    assert "hq: 4 events" in out and "river: 1 events" in out
    assert list(AuditEvent.objects.filter(site=other_site).values_list("seq", "prev_hash")) == [(1, "")]


def test_an_altered_row_is_named(busy_day):
    event = AuditEvent.objects.get(seq=2)
    tamper("UPDATE visitors_auditevent SET action = 'visit.cancelled' WHERE id = %s", [event.pk])

    error, out, err = verify()

    assert error is not None
    assert f"hq: BROKEN at event #2 (audit event id {event.pk})" in err
    assert "the row was altered" in err
    assert "1 events before it are intact" in err


def test_an_altered_client_address_is_found(busy_day):
    event = AuditEvent.objects.get(seq=3)
    tamper("UPDATE visitors_auditevent SET client_address = '10.0.0.8' WHERE id = %s", [event.pk])

    error, _, err = verify()

    assert error is not None and "BROKEN at event #3" in err


def test_a_deleted_row_is_found(busy_day):
    tamper("DELETE FROM visitors_auditevent WHERE seq = 2")

    error, _, err = verify()

    assert error is not None
    assert "BROKEN at event #3" in err
    assert "from #1 to #3: events are missing" in err


def test_a_rewritten_row_with_a_fresh_hash_breaks_the_next_link(busy_day):
    # A forger who recomputes the altered row's own hash still breaks the chain.
    event = AuditEvent.objects.get(seq=2)
    event.action = "visit.cancelled"
    forged = audit.compute_hash(event)
    tamper(
        "UPDATE visitors_auditevent SET action = 'visit.cancelled', hash = %s WHERE id = %s",
        [forged, event.pk],
    )

    error, _, err = verify()

    assert error is not None
    assert "BROKEN at event #3" in err and "previous-hash does not match" in err


def test_one_site_can_be_checked_alone(busy_day, other_site):
    error, out, _ = verify("--site", "river")

    assert error is None
    assert "river: 0 events, chain intact (no events yet)" in out and "hq:" not in out


def test_an_unknown_site_is_an_error(busy_day):
    error, _, _ = verify("--site", "nowhere")

    assert error is not None and "nowhere" in str(error)


def test_the_hash_survives_the_round_trip_through_the_database(site, clerk):
    # Local time, unsorted and nested keys, non-ASCII, a NUL and an IPv6 address
    # in upper case: what the database hands back must hash the same.
    local = datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    with transaction.atomic():
        written = audit.record(
            site=site,
            actor=clerk,
            action="test.round_trip",
            object_type="test",
            changes={"z": 1, "a": {"y": [3, 1.5, None], "b": "周杰\x00"}, "m": True},
            client_address="2001:DB8:0:0::1",
            at=local,
        )
        audit.record(site=site, actor=None, action="test.mapped", object_type="test", client_address="::ffff:10.1.2.3")

    stored = AuditEvent.objects.get(pk=written.pk)
    assert stored.hash == audit.compute_hash(stored) == written.hash
    assert stored.client_address == "2001:db8::1"
    assert stored.changes["a"]["b"] == "周杰\ufffd"
    assert AuditEvent.objects.get(seq=2).client_address == "10.1.2.3"
    assert verify()[0] is None


def test_an_unusable_client_address_is_dropped_not_fatal(site, clerk):
    with transaction.atomic():
        event = audit.record(site=site, actor=clerk, action="test.x", object_type="test", client_address="unknown")

    event.refresh_from_db()
    assert event.client_address is None


@pytest.mark.postgres
def test_the_database_refuses_to_update_an_audit_event(busy_day):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="visit.cancelled")

    assert AuditEvent.objects.get(seq=1).action == "visit.register"


@pytest.mark.postgres
def test_the_database_refuses_to_delete_an_audit_event(busy_day):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM visitors_auditevent WHERE seq = 4")

    assert AuditEvent.objects.count() == 4


@pytest.mark.postgres
def test_the_database_refuses_to_truncate_the_audit_trail(busy_day):
    with pytest.raises(IntegrityError, match="TRUNCATE"), transaction.atomic():
        with connection.cursor() as cursor:
            # The test database allows it for flushing; production never sets it.
            cursor.execute("SET LOCAL lobby.allow_truncate = 'off'")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the pending foreign-key checks
            cursor.execute("TRUNCATE visitors_auditevent CASCADE")

    assert AuditEvent.objects.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_still_flush_the_log(site, clerk):
    # The flush after this test TRUNCATEs the log; the test database allows it.
    with transaction.atomic():
        audit.record(site=site, actor=clerk, action="test.x", object_type="test")

    assert AuditEvent.objects.count() == 1


def test_an_export_is_audited_without_the_search_text(site, clerk, lounge):
    from datetime import date

    event = audit.record_export(
        site=site,
        actor=clerk,
        export="visitor_log.csv",
        filters={"q": "13800138000", "date_from": date(2026, 11, 1), "room": lounge, "status": "", "host": None},
        client_address="10.0.0.7",
    )

    event.refresh_from_db()
    assert (event.action, event.actor, event.client_address) == ("log.export", clerk, "10.0.0.7")
    assert event.changes == {
        "export": "visitor_log.csv",
        "filters": {"q": "(given)", "date_from": "2026-11-01", "room": lounge.pk},
    }
    assert audit.verify_chain(site).intact
