"""R3.2 sweep: escalate arrivals past their acknowledgement deadline and retry
notifications whose backoff has passed; flag walk-ups whose host did not
answer in time for the desk (issue #19 A13).

The worker normally does both from tasks queued at check-in; this command is
the safety net for a lost task or a site without a worker. It is idempotent
(Notification.dedupe_key, the visit lock in escalation.escalate_visit, the claimed
attempt in notify.deliver), so cron may run it every minute:

    * * * * *  cd /srv/lobby && .venv/bin/python manage.py escalate_overdue
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from visitors import escalation, notify
from visitors.models import Notification


class Command(BaseCommand):
    help = "Escalate unacknowledged arrivals past their deadline (R3.2) and retry due notifications."

    def handle(self, *args, **options):
        now = timezone.now()
        visits = escalation.overdue_visits(now)
        created = []
        for visit in visits:
            created += escalation.escalate_visit(visit_id=visit.pk, at=now).notifications
        # Issue #19 (A13): walk-ups whose host did not answer in time go to the desk.
        unanswered = [
            pk for pk in escalation.unanswered_approvals(now) if escalation.host_did_not_answer(visit_id=pk, at=now)
        ]
        outgoing = {notification.pk for notification in created}
        outgoing |= {notification.pk for notification in notify.due_for_retry(now)}
        results = [notify.deliver(pk).status for pk in sorted(outgoing)]
        sent = results.count(Notification.Status.SENT)
        self.stdout.write(
            f"{len(visits)} overdue visit(s), {len(created)} escalation notice(s), "
            f"{len(unanswered)} walk-up(s) left to the desk; "
            f"{len(results)} delivery attempt(s): {sent} sent, {len(results) - sent} not delivered."
        )
