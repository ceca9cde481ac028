"""What must still be true after the load, checked in the database.

    python -m bench.invariants snapshot                 # before the load: heads and counts
    python -m bench.invariants check SNAPSHOT PERFORMED # after it, both JSON

`check` compares what the load tool saw succeed (PERFORMED: {"walk_ins": n,
"in_flight": n, "exports": n}) with what the database holds afterwards:

- no visitor is on site twice at one site (the open-visit invariant);
- no duplicate visits: each walk-in POST (its own phone and one-time key) made
  at most one visit;
- one audit event per action: each new visit has exactly one event of each
  action its workflow records, events name only visits that exist, and there
  are as many new visits as walk-ins answered (plus at most those in flight
  when the load tool stopped);
- each site's hash chain continues intact from the head recorded before the run;
- the notification tasks queued during the run, per new visit.

Each check is {"ok": bool, …}; the process prints one JSON line.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from reception.models import Site  # noqa: E402
from visitors.audit import compute_hash  # noqa: E402
from visitors.models import AuditEvent, Visit, VisitStatus  # noqa: E402


def _tasks():
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return None
    return DBTaskResult


def snapshot() -> dict:
    heads = {}
    for site in Site.objects.order_by("pk"):
        last = AuditEvent.objects.filter(site=site).order_by("-seq").only("seq", "hash").first()
        heads[str(site.pk)] = {"seq": last.seq if last else 0, "hash": last.hash if last else ""}
    last_visit = Visit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    tasks = _tasks()
    return {
        "taken_at": timezone.now().isoformat(),
        "last_visit_id": last_visit,
        "audit_heads": heads,
        "tasks": tasks.objects.count() if tasks else None,
    }


def duplicate_open_visits() -> dict:
    duplicates = list(
        Visit.objects.filter(status=VisitStatus.ON_SITE)
        .values("site_id", "visitor_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("site_id", "visitor_id", "n")[:20]
    )
    on_site = Visit.objects.filter(status=VisitStatus.ON_SITE).count()
    return {"ok": not duplicates, "on_site": on_site, "duplicates": duplicates}


def chain_continues(heads: dict) -> dict:
    """Walk only the events appended since the snapshot, from the recorded head."""
    problems, appended = [], 0
    for site_id, head in heads.items():
        expected_seq, prev_hash = head["seq"] + 1, head["hash"]
        events = AuditEvent.objects.filter(site_id=int(site_id), seq__gt=head["seq"]).order_by("seq")
        for event in events.iterator(chunk_size=2000):
            if event.seq != expected_seq:
                problems.append(f"site {site_id}: #{event.seq} follows #{expected_seq - 1}")
            elif event.prev_hash != prev_hash:
                problems.append(f"site {site_id}: #{event.seq} does not link to the event before it")
            elif event.hash != compute_hash(event):
                problems.append(f"site {site_id}: #{event.seq} does not match its hash")
            if problems:
                break
            appended += 1
            expected_seq, prev_hash = event.seq + 1, event.hash
    return {"ok": not problems, "events_checked": appended, "problems": problems[:20]}


def new_audit_events(heads: dict):
    from django.db.models import Q

    condition = Q(pk__in=[])
    for site_id, head in heads.items():
        condition |= Q(site_id=int(site_id), seq__gt=head["seq"])
    return AuditEvent.objects.filter(condition)


def one_event_per_action(snap: dict, performed: dict) -> dict:
    """Every visit made during the run has exactly one audit event — a walk-in
    is one action, recorded as one `visit.register` naming its kiosk — and
    there are as many visits as walk-ins the server completed.

    wrk counts the responses it received before its clock ran out; requests
    still in flight then (at most one per client) are completed by the server
    but never counted, so up to `in_flight` more visits than counted successes
    are expected, and never more.
    """
    new_visits = Visit.objects.filter(pk__gt=snap["last_visit_id"])
    visits = new_visits.count()
    events = new_audit_events(snap["audit_heads"])
    by_action = dict(events.values_list("action").annotate(n=Count("pk")).order_by("action"))
    on_visits = events.filter(object_type="visitors.visit")
    per_pair = on_visits.values_list("object_id", "action").annotate(n=Count("pk"))
    new_ids = {str(pk) for pk in new_visits.values_list("pk", flat=True)}
    registered = {object_id for object_id, action, _ in per_pair if action == "visit.register"}
    per_visit: dict[str, int] = {}
    for object_id, _, n in per_pair:
        per_visit[object_id] = per_visit.get(object_id, 0) + n
    doubled = sorted({object_id for object_id in new_ids if per_visit.get(object_id, 0) > 1}, key=int)[:20]
    without = sorted(new_ids - registered, key=int)[:20]
    # Events about one visit name it; an event about the log as a whole (an
    # export) carries no id.
    strangers = sorted({object_id for object_id, _, _ in per_pair if object_id} - new_ids)[:20]
    walk_ins, in_flight = performed.get("walk_ins", 0), performed.get("in_flight", 0)
    counted = walk_ins <= visits <= walk_ins + in_flight
    exports = performed.get("exports", 0)
    export_events = sum(n for action, n in by_action.items() if "export" in action)
    # Whether an export is audited is the app's choice; if it is, once per export.
    exports_ok = export_events in (0, exports)
    ok = not without and not doubled and not strangers and counted and exports_ok
    return {
        "ok": ok,
        "walk_ins_answered": walk_ins,
        "requests_in_flight_at_stop_max": in_flight,
        "visits_created": visits,
        "events_by_action": by_action,
        "visits_without_register_event": without,
        "visits_with_more_than_one_event": doubled,
        "events_for_unknown_visits": strangers,
        "exports_performed": exports,
        "export_events": export_events if export_events else "exports are not audited",
    }


def no_duplicate_visits(snap: dict) -> dict:
    """Every walk-in POST carried its own phone number and one-time key: a
    phone that appears on two new visits is a submission that made two."""
    new_visits = Visit.objects.filter(pk__gt=snap["last_visit_id"])
    phones = new_visits.values("visitor__phone").annotate(n=Count("pk")).filter(n__gt=1)
    twice = list(phones.values_list("visitor__phone", "n")[:20])
    keys = new_visits.exclude(submission_key=None).values("submission_key").annotate(n=Count("pk")).filter(n__gt=1)
    return {"ok": not twice and not keys.exists(), "phones_on_two_visits": twice}


def tasks_queued(snap: dict) -> dict:
    tasks = _tasks()
    if tasks is None or snap.get("tasks") is None:
        return {"ok": True, "queued": None}
    new = tasks.objects.filter(enqueued_at__gte=snap["taken_at"])
    by_task = dict(new.values_list("task_path").annotate(n=Count("pk")).order_by("task_path"))
    visits = Visit.objects.filter(pk__gt=snap["last_visit_id"]).count()
    total = sum(by_task.values())
    per_visit = round(total / visits, 2) if visits else None
    # Every visit the run made arrived at once (kiosk walk-ins): each must have
    # queued its host notice exactly once (R3.2), which starts its escalation
    # watch on the worker.
    notices = by_task.get("visitors.tasks.notify_arrival", 0)
    return {"ok": notices == visits, "queued": total, "by_task": by_task, "per_new_visit": per_visit}


def check(snap: dict, performed: dict) -> dict:
    results = {
        "no_duplicate_open_visits": duplicate_open_visits(),
        "no_duplicate_visits": no_duplicate_visits(snap),
        "one_audit_event_per_action": one_event_per_action(snap, performed),
        "audit_chain_intact": chain_continues(snap["audit_heads"]),
        "notification_tasks": tasks_queued(snap),
    }
    results["ok"] = all(r["ok"] for r in results.values())
    return results


def main(argv: list[str]) -> None:
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL", file=sys.stderr)
    if argv[:1] == ["snapshot"]:
        print(json.dumps(snapshot()))
    elif argv[:1] == ["check"] and len(argv) == 3:
        print(json.dumps(check(json.loads(argv[1]), json.loads(argv[2])), default=str))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
