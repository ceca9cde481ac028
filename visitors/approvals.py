"""Walk-ups that wait for their host (issue #19, A13): who may decide, and
the decision, approve or decline.

A walk-up (kiosk or desk walk-in) of a category or site that needs the
host's approval is registered by visitors.services.register_visit as
"waiting for the host" (not on site, in no room's count), with its
HostApproval; the host is asked at once (visitors.escalation
.approval_notifications, through notify.deliver: email with a signed link
from visitors.links, and the channels), and when the host's time is up
(Site.approval_minutes) the timeout task flags it for the desk
(escalation.host_did_not_answer). The decision is made here:

- the host, from the emailed link ("link") or signed in ("app"), at any time
  while it waits;
- the desk (who may check visitors in), once the host's time is up ("desk"),
  with a reason either way.

Approving checks the visitor in through services.admit, so the R1.3 room
rule and the R6.8 night rules hold as at any check-in; a refusal (no room
with space, the night-duty officer's hours) leaves the visit waiting, and
the desk decides. Declining ends the visit as declined, with the reason.
Every decision is a timeline step and an audit event.
"""

from datetime import datetime

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reception.errors import ReceptionError
from visitors import audit, services
from visitors.models import ApprovalOutcome, HostApproval, Visit, VisitEvent, VisitStatus
from visitors.tasks import announce_arrival

VIA_LINK, VIA_APP, VIA_DESK = "link", "app", "desk"

# What the desk is told of a walk-up left waiting for the host.
AWAITING_AT_DESK = gettext_lazy(
    "%(name)s waits for their host's approval: please ask them to take a seat. The host has been asked."
)


def desk_may_decide(approval: HostApproval | None, at: datetime | None = None) -> bool:
    """Whether the host's time is up, so that the desk decides."""
    at = at or timezone.now()
    return approval is not None and (approval.unanswered_at is not None or at >= approval.due_at)


def may_decide(visit: Visit, approval: HostApproval | None, user, at: datetime | None = None) -> bool:
    """Who may approve or decline a waiting walk-up in the app: its host at
    any time, or someone who may check visitors in once the host's time is up."""
    if approval is None or visit.status != VisitStatus.AWAITING_HOST:
        return False
    if visit.host_id is not None and visit.host_id == user.pk:
        return True
    return user.has_perm("visitors.check_in_visit") and desk_may_decide(approval, at)


def _lock(visit: Visit) -> tuple[Visit, HostApproval]:
    visit = Visit.objects.select_for_update().select_related("site", "category", "visitor").get(pk=visit.pk)
    approval = HostApproval.objects.select_for_update().filter(visit=visit).first()
    if visit.status != VisitStatus.AWAITING_HOST or approval is None or approval.outcome != ApprovalOutcome.WAITING:
        raise ReceptionError(
            "not_awaiting_host",
            _("This visit is %(status)s; only visits waiting for the host can be approved or declined.")
            % {"status": visit.get_status_display().lower()},
        )
    return visit, approval


def _check_who(*, visit: Visit, approval: HostApproval, by, via: str, at: datetime) -> None:
    if via in (VIA_LINK, VIA_APP):
        if visit.host_id is None or by is None or by.pk != visit.host_id:
            raise ReceptionError("not_the_host", _("Only the visitor's host can answer this request."))
        return
    if via != VIA_DESK:
        raise ValueError(via)
    if not by.has_perm("visitors.check_in_visit"):
        raise ReceptionError("not_the_host", _("Only the visitor's host can answer this request."))
    if not desk_may_decide(approval, at):
        raise ReceptionError(
            "host_still_deciding",
            _("The host has until %(time)s to answer; the front desk decides after that.")
            % {"time": formats.time_format(visit.site.local(approval.due_at), "H:i")},
        )


def _decided(approval: HostApproval, *, outcome: str, by, via: str, reason: str, at: datetime) -> None:
    approval.outcome, approval.decided_at, approval.decided_by = outcome, at, by
    approval.decided_via, approval.reason = via, reason
    approval.save(update_fields=["outcome", "decided_at", "decided_by", "decided_via", "reason"])


@transaction.atomic
def approve_walk_up(
    *, visit: Visit, by, via: str, reason: str = "", client_address: str | None = None, at: datetime | None = None
) -> Visit:
    """The host (or, once their time is up, the desk with a reason) approves
    a walk-up waiting for them: it is checked in, in its registered room, by
    the rules of every check-in (R1.3 space, R6.8 night duty: the approver
    must be the night-duty officer at night), with the night facts recorded
    at registration. Locks the visit and its approval; a visit no longer
    waiting is refused ("not_awaiting_host"). The host is told of the arrival
    as for any check-in (R3.2)."""
    at = at or timezone.now()
    reason = (reason or "").strip()
    visit, approval = _lock(visit)
    _check_who(visit=visit, approval=approval, by=by, via=via, at=at)
    if via == VIA_DESK and not reason:
        raise ReceptionError("reason_required", _("Say why the front desk lets the visitor in."), field="reason")
    changes = services.admit(visit=visit, by=by, at=at, night_facts=services.registered_night_facts(visit))
    _decided(approval, outcome=ApprovalOutcome.APPROVED, by=by, via=via, reason=reason, at=at)
    VisitEvent.objects.bulk_create(
        [
            VisitEvent(visit=visit, kind=VisitEvent.Kind.APPROVED, at=at, by=by, note=reason),
            VisitEvent(visit=visit, kind=VisitEvent.Kind.ARRIVED, at=at, by=by),
        ]
    )
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.approve",
        obj=visit,
        changes={**changes, "via": via, "reason": reason},
        client_address=client_address,
        at=at,
    )
    announce_arrival(visit)  # R3.2: the host is told once this commits
    return visit


@transaction.atomic
def decline_walk_up(
    *, visit: Visit, by, via: str, reason: str, client_address: str | None = None, at: datetime | None = None
) -> Visit:
    """The host (or, once their time is up, the desk) declines a walk-up
    waiting for them, with a reason, kept on the approval, the timeline (for
    the desk to tell the visitor) and the audit trail. The visit ends as
    declined. Locks the visit and its approval."""
    at = at or timezone.now()
    reason = (reason or "").strip()
    visit, approval = _lock(visit)
    _check_who(visit=visit, approval=approval, by=by, via=via, at=at)
    if not reason:
        raise ReceptionError("reason_required", _("Say why the visitor is declined."), field="reason")
    visit.status = VisitStatus.DECLINED
    visit.save(update_fields=["status"])
    _decided(approval, outcome=ApprovalOutcome.DECLINED, by=by, via=via, reason=reason, at=at)
    VisitEvent.objects.create(visit=visit, kind=VisitEvent.Kind.DECLINED, at=at, by=by, note=reason)
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.decline",
        obj=visit,
        changes={"status": visit.status, "via": via, "reason": reason},
        client_address=client_address,
        at=at,
    )
    return visit


def approval_of(visit: Visit) -> HostApproval | None:
    """The walk-up's approval request, if it had one. One query."""
    return HostApproval.objects.filter(visit=visit).first()
