"""R2.1-R2.4: whose turn it is on the sales floor.

The rotation is the site's queue of salespeople in their set order. "Next"
gives a customer to the first salesperson, counting from the one after the
last turn, who is *present*: on the roster as a salesperson now (R4.2), not
marked away, and not busy with a customer (an open visit as host, or a walk-in
given to them who is still on site). Whoever is passed over is recorded with
the reason (a Skip). A salesperson passed over while away loses that turn like
one who took it; one passed over while serving a customer keeps it (R2.3: they
were not to leave their customer), so the next press reaches them first once
free. Over a day, the turns of those present differ by at most one.

A returning customer goes to their own salesperson first (R2.4); when that
salesperson is not present, the desk passes the customer to the rotation only
with a reason. The floor manager may give a customer out of turn, with a
reason (R2.3); salespeople cannot take one at all.

Every assignment locks the site's queue row first, so two desks pressing
"Next" at the same instant are served one after the other and never get the
same salesperson. Lock order: the queue, then the site row (visitors.audit).
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import (
    Assignment,
    AssignmentKind,
    AwayMark,
    Channel,
    Customer,
    RotationMember,
    RotationQueue,
    Skip,
    SkipReason,
)
from reception.errors import ReceptionError
from reception.models import DutyCode, RosterEntry, Site, staff_label
from visitors import audit
from visitors.models import Visit, VisitStatus

PRESENT = "present"
# Passed over for these, a salesperson loses the turn; for BUSY they keep it.
LOSES_TURN = {SkipReason.OFF_ROSTER, SkipReason.AWAY}


@dataclass
class Member:
    user: object
    position: int
    status: str  # PRESENT or a SkipReason
    away: AwayMark | None = None

    @property
    def label(self) -> str:
        return staff_label(self.user)


def _statuses(site: Site, user_ids: list[int], at: datetime) -> tuple[dict[int, str], dict[int, AwayMark]]:
    """Each user's status now: three queries (roster, away marks, busy)."""
    rostered = set(
        RosterEntry.objects.filter(
            site=site, duty__code=DutyCode.SALESPERSON, user_id__in=user_ids, user__is_active=True
        )
        .at(at)
        .values_list("user_id", flat=True)
    )
    away = {
        mark.user_id: mark
        for mark in AwayMark.objects.filter(site=site, user_id__in=user_ids).at(at).order_by("starts_at")
    }
    busy = set(
        Visit.objects.filter(site=site, status=VisitStatus.ON_SITE, host_id__in=user_ids).values_list(
            "host_id", flat=True
        )
    ) | set(
        Assignment.objects.filter(
            site=site, salesperson_id__in=user_ids, visit__status=VisitStatus.ON_SITE
        ).values_list("salesperson_id", flat=True)
    )
    statuses = {}
    for pk in user_ids:
        if pk not in rostered:
            statuses[pk] = SkipReason.OFF_ROSTER
        elif pk in away:
            statuses[pk] = SkipReason.AWAY
        elif pk in busy:
            statuses[pk] = SkipReason.BUSY
        else:
            statuses[pk] = PRESENT
    return statuses, away


def members(queue: RotationQueue, at: datetime | None = None) -> list[Member]:
    """The queue in its set order with each salesperson's status now."""
    at = at or timezone.now()
    rows = list(
        RotationMember.objects.filter(queue=queue).select_related("user__profile__department").order_by("position")
    )
    statuses, away = _statuses(queue.site, [row.user_id for row in rows], at)
    return [Member(row.user, row.position, statuses[row.user_id], away.get(row.user_id)) for row in rows]


def day_start(site: Site, at: datetime) -> datetime:
    local = site.local(at)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def turns_charged(site: Site, at: datetime) -> Counter:
    """Per salesperson today: turns taken plus turns lost while away."""
    start = day_start(site, at)
    charged: Counter = Counter()
    for pk in Assignment.objects.filter(site=site, kind=AssignmentKind.TURN, assigned_at__gte=start).values_list(
        "salesperson_id", flat=True
    ):
        charged[pk] += 1
    for pk in Skip.objects.filter(
        assignment__site=site, assignment__assigned_at__gte=start, reason__in=LOSES_TURN
    ).values_list("user_id", flat=True):
        charged[pk] += 1
    return charged


def in_turn_order(queue: RotationQueue, members_now: list[Member], at: datetime) -> list[Member]:
    """The members in the order the next turn looks at them: fewest turns
    charged today first; among equals, from the one after the last turn."""
    charged = turns_charged(queue.site, at)
    return sorted(members_now, key=lambda m: (charged[m.user.pk], m.position <= queue.last_position, m.position))


def _locked_queue(site: Site) -> RotationQueue:
    queue = RotationQueue.objects.select_for_update().select_related("site").filter(site=site).first()
    if queue is None:
        raise ReceptionError(
            "no_rotation", _("This site has no rotation queue yet; the office manager sets it up in the back office.")
        )
    return queue


def _check_visit(visit: Visit | None, site: Site) -> None:
    if visit is None:
        return
    if visit.site_id != site.pk or visit.status != VisitStatus.ON_SITE:
        raise ReceptionError("not_on_site", _("Only a customer who is on site can be given to a salesperson."))
    taken = Assignment.objects.filter(visit=visit).select_related("salesperson__profile__department").first()
    if taken is not None:
        raise ReceptionError(
            "already_assigned",
            _("This customer is already with %(name)s.") % {"name": staff_label(taken.salesperson)},
        )


def owner_status(customer: Customer | None, site: Site, at: datetime) -> str | None:
    """The returning customer's own salesperson's status now (R2.4); None without one."""
    if customer is None or customer.owner_id is None:
        return None
    statuses, _away = _statuses(site, [customer.owner_id], at)
    return statuses[customer.owner_id]


def _save(
    *, queue, by, salesperson, kind, channel, customer, visit, reason, skips, at, audit_action="rotation.assign"
) -> Assignment:
    assignment = Assignment.objects.create(
        site=queue.site,
        salesperson=salesperson,
        kind=kind,
        channel=channel,
        customer=customer,
        visit=visit,
        reason=reason,
        arrived_at=(visit.checked_in_at if visit is not None else None) or at,
        assigned_at=at,
        assigned_by=by,
    )
    Skip.objects.bulk_create(Skip(assignment=assignment, user_id=pk, reason=why) for pk, why in skips)
    if customer is not None and customer.owner_id is None and kind in (AssignmentKind.TURN, AssignmentKind.OVERRIDE):
        # R2.4: the salesperson who serves a customer first has the first claim next time.
        Customer.objects.filter(pk=customer.pk, owner__isnull=True).update(owner=salesperson)
        customer.owner = salesperson
    audit.record(
        site=queue.site,
        actor=by,
        action=audit_action,
        obj=assignment,
        changes={
            "salesperson": salesperson.pk,
            "kind": kind,
            "channel": channel,
            "customer": customer.pk if customer else None,
            "visit": visit.pk if visit else None,
            "skipped": [[pk, str(why)] for pk, why in skips],
            "reason_given": bool(reason),
        },
        at=at,
    )
    return assignment


@transaction.atomic
def next_salesperson(
    *,
    site: Site,
    by,
    channel: str = Channel.WALK_IN,
    visit: Visit | None = None,
    customer: Customer | None = None,
    owner_fallback_reason: str = "",
    at: datetime | None = None,
) -> Assignment:
    """Give a customer to the salesperson whose turn it is (R2.1), or to their
    own salesperson if they are returning (R2.4). Guarantees: the queue row
    is locked, so simultaneous presses are served in turn; nobody absent or
    busy is chosen; those passed over are recorded with the reason; only a
    turn moves the queue on. A returning customer whose salesperson is not
    present goes to the rotation only with `owner_fallback_reason`."""
    at = at or timezone.now()
    queue = _locked_queue(site)
    _check_visit(visit, site)
    skips: list[tuple[int, str]] = []
    reason = ""
    status = owner_status(customer, site, at)
    if status == PRESENT:
        return _save(
            queue=queue, by=by, salesperson=customer.owner, kind=AssignmentKind.OWNER, channel=channel,
            customer=customer, visit=visit, reason="", skips=[], at=at,
        )  # fmt: skip
    if status is not None:
        reason = " ".join(owner_fallback_reason.split())
        if not reason:
            raise ReceptionError(
                "owner_unavailable",
                _(
                    "Contact %(name)s first: this customer is theirs (R2.4). They are unavailable (%(status)s); to "
                    "pass the customer to the rotation, give the reason."
                )
                % {"name": staff_label(customer.owner), "status": SkipReason(status).label},
                field="reason",
            )
        skips.append((customer.owner_id, SkipReason.OWNER_UNAVAILABLE))
    chosen = None
    for member in in_turn_order(queue, members(queue, at), at):
        if member.status == PRESENT:
            chosen = member
            break
        skips.append((member.user.pk, member.status))
    if chosen is None:
        raise ReceptionError(
            "nobody_free", _("No salesperson is free: everyone in the rotation is away, off the roster or busy.")
        )
    queue.last_position = chosen.position
    queue.save(update_fields=["last_position"])
    return _save(
        queue=queue, by=by, salesperson=chosen.user, kind=AssignmentKind.TURN, channel=channel,
        customer=customer, visit=visit, reason=reason, skips=skips, at=at,
    )  # fmt: skip


@transaction.atomic
def override(
    *,
    site: Site,
    by,
    salesperson,
    reason: str,
    visit: Visit | None = None,
    customer: Customer | None = None,
    at: datetime | None = None,
) -> Assignment:
    """R2.3: the floor manager gives a customer out of turn, with a reason,
    shown as an override everywhere. The queue does not move."""
    at = at or timezone.now()
    if not by.has_perm("customers.override_turn"):
        raise ReceptionError("not_allowed", _("Only the floor manager gives a customer out of turn."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReceptionError("reason_required", _("Give the reason for going out of turn."), field="reason")
    queue = _locked_queue(site)
    _check_visit(visit, site)
    if not RotationMember.objects.filter(queue=queue, user=salesperson).exists():
        raise ReceptionError("not_in_rotation", _("Choose a salesperson of this site's rotation."), field="salesperson")
    return _save(
        queue=queue, by=by, salesperson=salesperson, kind=AssignmentKind.OVERRIDE, channel=Channel.WALK_IN,
        customer=customer, visit=visit, reason=reason, skips=[], at=at,
    )  # fmt: skip


@transaction.atomic
def asked_for(
    *, site: Site, by, salesperson, customer: Customer | None = None, at: datetime | None = None
) -> Assignment:
    """R2.5: a caller asked for this salesperson by name; the queue does not move."""
    at = at or timezone.now()
    queue = _locked_queue(site)
    if not RotationMember.objects.filter(queue=queue, user=salesperson).exists():
        raise ReceptionError("not_in_rotation", _("Choose a salesperson of this site's rotation."), field="asked_for")
    return _save(
        queue=queue, by=by, salesperson=salesperson, kind=AssignmentKind.ASKED_FOR, channel=Channel.CALL,
        customer=customer, visit=None, reason="", skips=[], at=at,
    )  # fmt: skip


@transaction.atomic
def greet(*, assignment: Assignment, by, at: datetime | None = None) -> Assignment:
    """R2.2: the salesperson met the customer (recorded by them or the desk)."""
    at = at or timezone.now()
    assignment = Assignment.objects.select_for_update().select_related("site").get(pk=assignment.pk)
    if by.pk != assignment.salesperson_id and not by.has_perm("customers.assign_turn"):
        raise ReceptionError(
            "not_yours", _("Only the salesperson given this customer, or the desk, records the greeting.")
        )
    if assignment.greeted_at is not None:
        raise ReceptionError("already_greeted", _("This customer's greeting is already recorded."))
    assignment.greeted_at, assignment.greeted_by = at, by
    assignment.save(update_fields=["greeted_at", "greeted_by"])
    audit.record(site=assignment.site, actor=by, action="rotation.greet", obj=assignment, changes={}, at=at)
    return assignment


@transaction.atomic
def mark_away(
    *, site: Site, user, by, reason: str, until: datetime | None = None, at: datetime | None = None
) -> AwayMark:
    """R2.1: `user` is away from the floor from now (until `until`, or until
    marked back), passed over meanwhile. A salesperson marks themself; the
    floor manager may mark anyone of the rotation."""
    at = at or timezone.now()
    if by.pk != user.pk and not by.has_perm("customers.mark_others_away"):
        raise ReceptionError("not_allowed", _("Only the floor manager marks another salesperson away."))
    queue = _locked_queue(site)
    if not RotationMember.objects.filter(queue=queue, user=user).exists():
        raise ReceptionError("not_in_rotation", _("Choose a salesperson of this site's rotation."), field="user")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReceptionError("reason_required", _("Give the reason for being away."), field="reason")
    if until is not None and until <= at:
        raise ReceptionError("until_past", _("The end of the absence must be later than now."), field="until")
    if AwayMark.objects.filter(site=site, user=user).at(at).exists():
        raise ReceptionError("already_away", _("%(name)s is already marked away.") % {"name": staff_label(user)})
    mark = AwayMark.objects.create(site=site, user=user, reason=reason, starts_at=at, ends_at=until, marked_by=by)
    audit.record(site=site, actor=by, action="rotation.away", obj=mark, changes={"user": user.pk}, at=at)
    return mark


@transaction.atomic
def end_away(*, mark: AwayMark, by, at: datetime | None = None) -> AwayMark:
    """The salesperson is back on the floor now."""
    at = at or timezone.now()
    mark = AwayMark.objects.select_for_update().select_related("site").get(pk=mark.pk)
    if by.pk != mark.user_id and not by.has_perm("customers.mark_others_away"):
        raise ReceptionError("not_allowed", _("Only the floor manager marks another salesperson back."))
    if mark.ends_at is not None and mark.ends_at <= at:
        raise ReceptionError("not_away", _("This absence has already ended."))
    mark.ends_at = max(at, mark.starts_at + timedelta(seconds=1))
    mark.save(update_fields=["ends_at"])
    audit.record(site=mark.site, actor=by, action="rotation.back", obj=mark, changes={"user": mark.user_id}, at=at)
    return mark


def rotation_users(site: Site):
    """The salespeople of the site's rotation, in order (for forms)."""
    return (
        get_user_model()
        .objects.filter(rotation_memberships__queue__site=site)
        .select_related("profile__department")
        .order_by("rotation_memberships__position")
    )
