"""Who hears about a visit, and when (R3.2): the arrival notices, the
escalation chain of a visit nobody has acknowledged, and the acknowledgement
that stops it.

Each notice is a Notification row created here, once (its `dedupe_key`), and
sent by visitors.notify.deliver; visitors.tasks schedules the steps. The visit
is locked while a step is taken or an acknowledgement recorded, so however many
workers and sweeps run, a step is taken once and the first acknowledgement wins.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, IntegerField, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import Duty, DutyCode, NotificationChannel, WebhookEvent, on_duty, staff_label
from visitors import audit, webhooks
from visitors.models import ApprovalOutcome, HostApproval, Notification, Visit, VisitEvent, VisitStatus

Status = Notification.Status


# --- escalation chains ------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a category's escalation chain: who hears, and how long after
    the acknowledgement deadline."""

    position: int
    duty: str
    delay_minutes: int

    @property
    def label(self) -> str:
        return str(DutyCode(self.duty).label)


# Used for a category with no escalation steps of its own: at the deadline the
# host is reminded and the secretary told; a quarter of an hour later the
# office director (R1.5.6: overall responsibility for reception).
DEFAULT_CHAIN = (
    Step(1, DutyCode.HOST, 0),
    Step(2, DutyCode.SECRETARY, 0),
    Step(3, DutyCode.DIRECTOR, 15),
)


def escalation_chain(category) -> list[Step]:
    """The category's steps in order, or DEFAULT_CHAIN when it has none."""
    steps = [
        Step(step.position, step.duty.code, step.delay_minutes)
        for step in category.escalation_steps.select_related("duty").order_by("position")
    ]
    return steps or list(DEFAULT_CHAIN)


def step_due_at(visit: Visit, step: Step) -> datetime | None:
    deadline = visit.ack_deadline
    return None if deadline is None else deadline + timedelta(minutes=step.delay_minutes)


def awaiting_acknowledgement(visit: Visit) -> bool:
    return visit.status == VisitStatus.ON_SITE and visit.acknowledged_at is None and visit.checked_in_at is not None


def next_escalation_at(visit: Visit) -> datetime | None:
    """When the next step of the chain not yet taken is due; None when nothing
    is left to do (acknowledged, gone, or every step taken)."""
    if not awaiting_acknowledgement(visit):
        return None
    return _first_due(visit, escalation_chain(visit.category), _steps_taken(visit))


def _steps_taken(visit: Visit) -> set[int]:
    # A step counts as taken once it has any escalation notification.
    return set(
        Notification.objects.filter(visit=visit, kind=Notification.Kind.ESCALATION).values_list("step", flat=True)
    )


def _first_due(visit: Visit, chain: list[Step], taken: set[int]) -> datetime | None:
    due = [step_due_at(visit, step) for step in chain if step.position not in taken]
    return min(due) if due else None


# --- recipients ---------------------------------------------------------------


def duty_holders(visit: Visit, duty: str, at: datetime) -> list:
    """Who holds `duty` for this visit: the visit's own host for the host duty;
    otherwise whoever the roster has on duty, or, with nobody rostered, every
    active member of the duty's group at the site (someone must hear)."""
    if duty == DutyCode.HOST:
        return [visit.host] if visit.host_id and visit.host.is_active else []
    rostered = list(on_duty(visit.site, duty, at))
    if rostered:
        return rostered
    group = Duty.objects.filter(code=duty).values_list("group_id", flat=True).first()
    if group is None:
        return []
    return list(
        get_user_model()
        .objects.filter(groups=group, is_active=True, profile__site=visit.site)
        .select_related("profile__department")
        .order_by("pk")
    )


def _channels(visit: Visit, kind: str):
    channels = NotificationChannel.objects.filter(site=visit.site, active=True)
    if kind == Notification.Kind.SECURITY:
        # Issue #19: the channels that hear of escalations hear of a watchlist match.
        return channels.filter(on_escalation=True)
    if kind == Notification.Kind.ARRIVAL:
        return channels.filter(on_arrival=True)
    return channels.filter(on_escalation=True)


def _for_user(*, visit, kind, step, user, at) -> tuple[Notification, bool]:
    """The notification for one person, created once (dedupe_key)."""
    email = (user.email or "").strip()
    return Notification.objects.get_or_create(
        dedupe_key=f"{kind}:{visit.pk}:{step}:user:{user.pk}",
        defaults={
            "visit": visit,
            "site": visit.site,
            "kind": kind,
            "step": step,
            "recipient": user,
            "address": email,
            "created_at": at,
            # Nobody can be emailed without an address; say so at the desk.
            "status": Status.PENDING if email else Status.GAVE_UP,
            "last_error": "" if email else _("%(who)s has no email address.") % {"who": staff_label(user)},
        },
    )


def _for_channel(*, visit, kind, step, channel, at) -> tuple[Notification, bool]:
    return Notification.objects.get_or_create(
        dedupe_key=f"{kind}:{visit.pk}:{step}:channel:{channel.pk}",
        defaults={
            "visit": visit,
            "site": visit.site,
            "kind": kind,
            "step": step,
            "channel": channel,
            # The webhook URL carries the robot's key; the desk sees the channel's name.
            "address": channel.name,
            "created_at": at,
        },
    )


# --- what happens on arrival and at the deadline ------------------------------


@transaction.atomic
def arrival_notifications(*, visit: Visit, at: datetime | None = None) -> list[Notification]:
    """Create the arrival notices of a visit (read with its site, category and
    host): its host, the channels that hear arrivals, and for a category that
    asks for it (VIP) the office director at once. Returns the ones still to be
    sent. Safe to run twice."""
    at = at or timezone.now()
    if visit.checked_in_at is None:
        return []
    kind = Notification.Kind.ARRIVAL
    people = [visit.host] if visit.host_id and visit.host.is_active else []
    if visit.category.notify_director_on_arrival:
        people += [user for user in duty_holders(visit, DutyCode.DIRECTOR, at) if user.pk != visit.host_id]
    rows = [_for_user(visit=visit, kind=kind, step=0, user=user, at=at)[0] for user in people]
    rows += [_for_channel(visit=visit, kind=kind, step=0, channel=ch, at=at)[0] for ch in _channels(visit, kind)]
    return [row for row in rows if row.status in (Status.PENDING, Status.FAILED)]


# The steps of a security notice (issue #19): a match at the door, or one on
# an invitation confirmed ahead of the visit. Each is sent once per recipient.
SECURITY_AT_DOOR = 0
SECURITY_AHEAD = 1


@transaction.atomic
def security_notifications(*, visit: Visit, step: int = SECURITY_AT_DOOR, at: datetime | None = None):
    """Issue #19: the notices to security on duty (the roster's, else every
    member of the group at the site) and the channels that hear escalations,
    about a watchlist match on `visit`. Nobody on duty is recorded as a failed
    notice, visible at the desk. Returns the ones still to be sent. Safe to run twice."""
    at = at or timezone.now()
    kind = Notification.Kind.SECURITY
    people = duty_holders(visit, DutyCode.SECURITY, at)
    rows = [_for_user(visit=visit, kind=kind, step=step, user=user, at=at)[0] for user in people]
    if not people:
        label = str(DutyCode(DutyCode.SECURITY).label)
        rows.append(
            Notification.objects.get_or_create(
                dedupe_key=f"{kind}:{visit.pk}:{step}:nobody",
                defaults={
                    "visit": visit,
                    "site": visit.site,
                    "kind": kind,
                    "step": step,
                    "address": label,
                    "status": Status.GAVE_UP,
                    "created_at": at,
                    "last_error": _("Nobody holds the duty “%(duty)s”.") % {"duty": label},
                },
            )[0]
        )
    rows += [_for_channel(visit=visit, kind=kind, step=step, channel=ch, at=at)[0] for ch in _channels(visit, kind)]
    return [row for row in rows if row.status in (Status.PENDING, Status.FAILED)]


@transaction.atomic
def approval_notifications(*, visit: Visit, at: datetime | None = None) -> list[Notification]:
    """Issue #19 (A13): the request to the host of a walk-up waiting for
    their approval (the email carries signed approve and decline links), and
    the channels that hear arrivals. Nothing once the visit is no longer
    waiting. Returns the ones still to be sent. Safe to run twice."""
    at = at or timezone.now()
    if visit.status != VisitStatus.AWAITING_HOST:
        return []
    kind = Notification.Kind.APPROVAL
    people = [visit.host] if visit.host_id and visit.host.is_active else []
    rows = [_for_user(visit=visit, kind=kind, step=0, user=user, at=at)[0] for user in people]
    rows += [
        _for_channel(visit=visit, kind=kind, step=0, channel=ch, at=at)[0]
        for ch in _channels(visit, Notification.Kind.ARRIVAL)
    ]
    return [row for row in rows if row.status in (Status.PENDING, Status.FAILED)]


@transaction.atomic
def host_did_not_answer(*, visit_id: int, at: datetime | None = None) -> bool:
    """Issue #19 (A13): once a walk-up's host approval is past due and
    unanswered, flag it for the desk (HostApproval.unanswered_at, a NO_ANSWER
    step, an audit event). Locks the visit: flagged once however many tasks
    and sweeps run. Returns whether this call flagged it."""
    at = at or timezone.now()
    visit = Visit.objects.select_for_update(of=("self",)).select_related("site").get(pk=visit_id)
    approval = HostApproval.objects.filter(visit=visit).first()
    if (
        visit.status != VisitStatus.AWAITING_HOST
        or approval is None
        or approval.outcome != ApprovalOutcome.WAITING
        or approval.unanswered_at is not None
        or at < approval.due_at
    ):
        return False
    approval.unanswered_at = at
    approval.save(update_fields=["unanswered_at"])
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.NO_ANSWER, at=at)
    audit.record(
        site=visit.site,
        actor=None,
        action="visit.host_no_answer",
        obj=visit,
        changes={"host": visit.host_id, "due_at": approval.due_at.isoformat()},
        at=at,
    )
    return True


def unanswered_approvals(at: datetime | None = None) -> list[int]:
    """The visits, at any site, whose host approval is past due and not yet
    flagged for the desk (for the escalate_overdue sweep). One query."""
    at = at or timezone.now()
    return list(
        HostApproval.objects.filter(
            outcome=ApprovalOutcome.WAITING,
            unanswered_at__isnull=True,
            due_at__lte=at,
            visit__status=VisitStatus.AWAITING_HOST,
        )
        .order_by("due_at", "pk")
        .values_list("visit_id", flat=True)
    )


@dataclass(frozen=True)
class Escalation:
    """What escalate_visit did: the notifications still to be sent, and when
    the next step not yet taken falls due (None: nothing is left to do)."""

    notifications: list[Notification]
    next_at: datetime | None


@transaction.atomic
def escalate_visit(*, visit_id: int, at: datetime | None = None) -> Escalation:
    """R3.2: take every step of the chain that is due and not yet taken.

    Locks the visit, so a step is taken once however many workers and sweeps
    run; a step counts as taken once it has any escalation notification. Each
    step is recorded on the timeline (ESCALATED) and in the audit trail. A step
    whose duty nobody holds is recorded as a failed notification, visible at
    the desk. Returns the notifications still to be sent and, read under the
    same lock, when the next step is due.
    """
    at = at or timezone.now()
    visit = Visit.objects.select_for_update(of=("self",)).select_related("site", "category", "host").get(pk=visit_id)
    if not awaiting_acknowledgement(visit):
        return Escalation(notifications=[], next_at=None)
    taken = _steps_taken(visit)
    chain = escalation_chain(visit.category)
    kind = Notification.Kind.ESCALATION
    outgoing = []
    for step in chain:
        if step.position in taken or at < step_due_at(visit, step):
            continue
        people = duty_holders(visit, step.duty, at)
        rows = [_for_user(visit=visit, kind=kind, step=step.position, user=user, at=at)[0] for user in people]
        if not people:
            rows.append(
                Notification.objects.create(
                    visit=visit,
                    site=visit.site,
                    kind=kind,
                    step=step.position,
                    address=step.label,
                    dedupe_key=f"{kind}:{visit.pk}:{step.position}:nobody",
                    status=Status.GAVE_UP,
                    created_at=at,
                    last_error=_("Nobody holds the duty “%(duty)s”.") % {"duty": step.label},
                )
            )
        if not taken:
            # Channels hear of an escalation once, at its first step.
            channels = _channels(visit, kind)
            rows += [_for_channel(visit=visit, kind=kind, step=step.position, channel=ch, at=at)[0] for ch in channels]
        taken.add(step.position)
        VisitEvent.objects.create(
            visit=visit,
            kind=VisitEvent.Kind.ESCALATED,
            at=at,
            note=_("Step %(position)s: %(duty)s") % {"position": step.position, "duty": step.label},
        )
        audit.record(
            site=visit.site,
            actor=None,
            action="visit.escalate",
            obj=visit,
            changes={"step": step.position, "duty": step.duty, "recipients": [user.pk for user in people]},
            at=at,
        )
        webhooks.emit(visit, WebhookEvent.ESCALATED, at=at, step=step.position)  # issue #21
        outgoing += [row for row in rows if row.status in (Status.PENDING, Status.FAILED)]
    return Escalation(notifications=outgoing, next_at=_first_due(visit, chain, taken))


def overdue_visits(at: datetime | None = None) -> list[Visit]:
    """On-site visits not acknowledged whose deadline (Visit.ack_deadline: the
    arrival plus the minutes in force when it arrived) has passed, at any site.
    One query: the deadline is computed by the database, not per row in Python."""
    at = at or timezone.now()
    # The minutes stored at arrival (models.ack_minutes: the category's only
    # for a row made outside the arrival service), widened to a plain integer
    # so that both SQLite and PostgreSQL accept multiplying it by an interval.
    minutes = Cast(Coalesce("ack_deadline_minutes", "category__ack_deadline_minutes"), IntegerField())
    wait = ExpressionWrapper(minutes * Value(timedelta(minutes=1)), output_field=DurationField())
    deadline = ExpressionWrapper(F("checked_in_at") + wait, output_field=DateTimeField())
    return list(
        Visit.objects.filter(status=VisitStatus.ON_SITE, acknowledged_at__isnull=True, checked_in_at__isnull=False)
        .alias(ack_deadline_at=deadline)
        .filter(ack_deadline_at__lte=at)
        .select_related("category")
    )


# --- acknowledgement (R3.2) ---------------------------------------------------
#
# Three ways in, one record. Each sets acknowledged_at/by under the visit's lock
# (so the escalation stops: awaiting_acknowledgement turns false), writes one
# ACKNOWLEDGED timeline step and one "visit.acknowledge" audit event whose
# changes say which way it came ("via"):
# - "link": the one-click link in an arrival or escalation email (public_views);
# - "app": the host, or someone the app told about the visit, signed in;
# - "desk": the desk records that the host came down and met the visitor.


def may_acknowledge(visit: Visit, user) -> bool:
    """Who may acknowledge a visit in the app: its host, or someone the app
    told about it (an arrival or escalation notice addressed to them, the
    people whose email carries an acknowledge link), with or without an email
    address. Anyone else answers "no", whatever permission they hold."""
    if visit.host_id is not None and visit.host_id == user.pk:
        return True
    return Notification.objects.filter(visit=visit, recipient=user).exists()


@transaction.atomic
def acknowledge_visit(
    *, visit: Visit, by, via: str = "link", client_address: str | None = None, at: datetime | None = None
) -> Visit:
    """R3.2: the host (or whoever the escalation reached) has seen the arrival.

    `via` is "link" (the emailed link) or "app" (signed in); who may is the
    caller's to decide (the link's signature, or may_acknowledge). Locks the
    visit; the first acknowledgement wins and a repeat changes nothing. Records
    the time and person, an ACKNOWLEDGED timeline step and an audit event.
    Escalation stops from here on. A visit no longer on site is refused
    (ReceptionError "not_on_site").
    """
    return _acknowledge(
        visit=visit, person=by, actor=by, changes={"via": via}, note="", client_address=client_address, at=at
    )


@transaction.atomic
def record_host_met(*, visit: Visit, by, client_address: str | None = None, at: datetime | None = None) -> Visit:
    """R3.2 at the desk: the host came down and met the visitor, so the arrival
    is acknowledged on the host's behalf (the host who never saw the email, or
    has no address, answered in person).

    The acknowledgement is the host's: acknowledged_by is the visit's host (the
    recorder, for a visit without one). Who recorded it is kept apart: the
    timeline step is by the recorder, with a note saying so, and the audit
    event's actor is the recorder, its changes {"via": "desk", "host": <host
    id or None>, ...}. Otherwise exactly acknowledge_visit: locked, first one
    wins, a repeat changes nothing, a visit no longer on site is refused.
    """
    return _acknowledge(
        visit=visit,
        person=None,
        actor=by,
        changes={"via": "desk"},
        note=_("The host met the visitor; recorded at the desk."),
        client_address=client_address,
        at=at,
    )


def _acknowledge(*, visit: Visit, person, actor, changes: dict, note: str, client_address, at) -> Visit:
    """The one acknowledgement write. `person` is who acknowledged; None means
    the visit's host (the actor, for a visit without one). The timeline step
    is by the actor, who did it."""
    at = at or timezone.now()
    visit = Visit.objects.select_for_update(of=("self",)).select_related("site", "category").get(pk=visit.pk)
    if visit.acknowledged_at is not None:
        return visit
    if visit.status != VisitStatus.ON_SITE:
        raise ReceptionError(
            "not_on_site",
            _("This visitor is no longer waiting: the visit is %(status)s.")
            % {"status": visit.get_status_display().lower()},
        )
    overdue = visit.is_ack_overdue(at)
    visit.acknowledged_at = at
    if person is None:
        visit.acknowledged_by_id = visit.host_id or actor.pk
        changes = {**changes, "host": visit.host_id}
    else:
        visit.acknowledged_by = person
    visit.save(update_fields=["acknowledged_at", "acknowledged_by"])
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.ACKNOWLEDGED, at=at, by=actor, note=note)
    audit.record(
        site=visit.site,
        actor=actor,
        action="visit.acknowledge",
        obj=visit,
        changes={**changes, "minutes_waiting": visit.minutes_waiting(at), "overdue": overdue},
        client_address=client_address,
        at=at,
    )
    webhooks.emit(visit, WebhookEvent.ACKNOWLEDGED, at=at)  # issue #21
    return visit
