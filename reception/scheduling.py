"""Queueing tasks: `enqueue`, deferred when the backend can defer; and a
recurring task queued once: the morning report (reception.tasks) and the daily
purge (visitors.privacy) each keep one run waiting on the database queue, and
each run queues the next.
"""

import logging
from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


def enqueue(task_obj, *args, run_after: datetime | None = None) -> None:
    """Queue a task, deferred when the backend can defer. A backend that runs
    tasks at once (tests, TASKS_BACKEND=immediate) cannot wait: deferred work is
    then left to the sweeps (escalate_overdue retries due deliveries)."""
    backend = task_obj.get_backend()
    if run_after is not None and run_after > timezone.now():
        if not backend.supports_defer:
            return
        task_obj = task_obj.using(run_after=run_after)
    task_obj.enqueue(*args)


class Queued(NamedTuple):
    run_after: datetime  # when the waiting run is due
    new: bool  # whether this call queued it (False: one was waiting already)


def schedule_once(task, *, run_after: datetime) -> Queued | None:
    """Make sure one run of `task` is waiting on the database queue; queue one
    for `run_after` if none is.

    The waiting runs are read under a row lock inside a transaction, so a
    command and a finishing run that schedule at once queue one run, not two.
    Returns the waiting run, or None when the task backend is not
    django_tasks_db: only that queue can be asked what is waiting, and an
    immediate backend would run the task at once, recursing.
    """
    if not isinstance(task.get_backend(), DatabaseBackend):
        logger.warning("%s not scheduled: the task backend is not django_tasks_db", task.module_path)
        return None
    with transaction.atomic():
        waiting = (
            DBTaskResult.objects.select_for_update()
            .filter(task_path=task.module_path, status=TaskResultStatus.READY)
            .order_by("run_after")
            .first()
        )
        if waiting is not None:
            return Queued(waiting.run_after, new=False)
        task.using(run_after=run_after).enqueue()
        return Queued(run_after, new=True)
