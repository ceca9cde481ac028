"""Invitations: a visit pre-registered by its host or the desk, the email that
invites the visitor, the visitor confirming their details on their phone, and
checking in by the invitation's short code (at the desk or the kiosk).

Arrivals go through visitors.services (register_visit, check_in_visit), so the
reception rules hold here exactly as for a walk-in: the room is allowed for the
category and has space (R1.3), and every change is audited (R6.4). The signed
link itself is built and read in visitors.links; the kiosk's own workflows are
in visitors.kiosk.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from reception import rulebook
from reception.errors import ReceptionError
from reception.models import KioskDevice, ReceptionRoom, Site, StaffProfile, VisitorCategory
from reception.validators import EXPECTED_VISIT
from visitors import agreements, audit, links, privacy, services, watchlist
from visitors.models import (
    CODE_ALPHABET,
    ConsentWay,
    Invitation,
    Visit,
    Visitor,
    VisitSource,
    VisitStatus,
    log_day,
)
from visitors.tasks import announce_invitation, announce_to_security


def invitation_for_token(token: str, *, at: datetime | None = None) -> Invitation:
    """The invitation a link points at; ReceptionError("bad_link") if the token
    is forged or too old, ("expired") once the invitation has expired."""
    pk = links.invitation_id(token)
    invitation = (
        None
        if pk is None
        else Invitation.objects.select_related(
            "visit__site", "visit__visitor", "visit__category", "visit__room", "visit__host__profile__department"
        )
        .filter(pk=pk)
        .first()
    )
    if invitation is None:
        raise ReceptionError("bad_link", _("This invitation link is not valid."))
    if (at or timezone.now()) >= invitation.expires_at:
        raise ReceptionError("expired", _("This invitation has expired. Please ask at the front desk."))
    return invitation


def invitation_expiry(site: Site, expected_at: datetime, expected_until: datetime | None) -> datetime:
    """An invitation is good until the end of the (local) day of the visit."""
    last = site.local(expected_until or expected_at)
    return last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def privacy_notice(site: Site, language: str) -> str:
    """The privacy notice in the visitor's language: that of the written rules
    in force (issue #22) when they have one, else the site's own, falling back
    to the other language and then to a generic notice naming the retention
    period."""
    version = rulebook.current_version(site)
    if version is not None:
        text = rulebook.localized_text(version.privacy_notice_en, version.privacy_notice_zh, language)
        if text:
            return text
    return rulebook.localized_text(site.privacy_notice_en, site.privacy_notice_zh, language) or _(
        "%(site)s records your name, company and phone number for the safety of everyone on site and to tell "
        "your host you have arrived. The record is kept for %(days)s days and is seen only by the reception staff."
    ) % {"site": site.display_name, "days": site.retention_days}


# --- invitations --------------------------------------------------------------

# The visits that take a place in a day's capacity: all but those that ended
# without the visitor coming in (cancelled, no-show, refused, declined).
DAY_PLACES = (
    VisitStatus.EXPECTED,
    VisitStatus.ON_SITE,
    VisitStatus.LEFT,
    VisitStatus.PENDING_SECURITY,
    VisitStatus.AWAITING_HOST,
)


def check_day_capacity(
    *, site: Site, expected_at: datetime, party_size: int, category: VisitorCategory | None = None
) -> None:
    """Issue #19 (A13): refuse an invitation whose party would take the site's
    local day of `expected_at` past its maximum visitors a day ("day_full"),
    or past `category`'s own maximum a day for its visitors
    ("category_day_full"); each optional (people, not visits: each visit
    counts its party). Counted in one SQL query over the visits of that day
    (log_day: arrival, else expected time, else registration), both sums at
    once. The caller holds the site row locked, so two invitations cannot
    both take the last places."""
    site_limit = site.max_visitors_per_day
    category_limit = category.max_visitors_per_day if category is not None else None
    if site_limit is None and category_limit is None:
        return
    start = site.local(expected_at).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)  # wall-clock arithmetic: the next local midnight
    sums = {"people": Sum("party_size")}
    if category_limit is not None:
        sums["of_category"] = Sum("party_size", filter=Q(category=category))
    booked = (
        Visit.objects.annotate(day=log_day())
        .filter(site=site, status__in=DAY_PLACES, day__gte=start, day__lt=end)
        .aggregate(**sums)
    )
    day = formats.date_format(start, "DATE_FORMAT")
    people = booked["people"] or 0
    if site_limit is not None and people + party_size > site_limit:
        raise ReceptionError(
            "day_full",
            _(
                "%(day)s is full: this site receives at most %(limit)s visitors a day and %(booked)s are "
                "already expected. Choose another day."
            )
            % {"day": day, "limit": site_limit, "booked": people},
            field="expected_at",
        )
    of_category = booked.get("of_category") or 0
    if category_limit is not None and of_category + party_size > category_limit:
        raise ReceptionError(
            "category_day_full",
            _(
                "%(day)s is full for %(category)s visitors: this site receives at most %(limit)s of them a "
                "day and %(booked)s are already expected. Choose another day."
            )
            % {"day": day, "category": category.display_name, "limit": category_limit, "booked": of_category},
            field="expected_at",
        )


def create_invitation(
    *,
    site: Site,
    by,
    email: str,
    full_name: str,
    company: str = "",
    category: VisitorCategory,
    host,
    purpose: str,
    party_size: int = 1,
    expected_at: datetime,
    expected_until: datetime | None = None,
    room=None,
    client_address: str | None = None,
    at: datetime | None = None,
    audit_details: dict | None = None,
) -> Invitation:
    """Pre-register an expected visit and invite the visitor by email.

    The visit goes through services.register_visit (R1.3 room rule, audit);
    the invitation email, with its link and QR code, is queued once the
    transaction commits. Raises ReceptionError naming the field at fault.
    An invitation that no member of staff made (`by` None: an integration,
    whose token `audit_details` name) is sent in the host's name.
    """
    at = at or timezone.now()
    if category.site_id != site.pk:
        raise ReceptionError("wrong_site", _("Choose a category of this site."), field="category")
    profile = StaffProfile.objects.filter(user=host, site=site, user__is_active=True).first()
    if profile is None:
        raise ReceptionError("wrong_host", _("Choose a host who works at this site."), field="host")
    if expected_at < at - timedelta(hours=1):
        raise ReceptionError("in_the_past", _("The visit cannot start in the past."), field="expected_at")
    if expected_until is not None and expected_until <= expected_at:
        raise ReceptionError("bad_window", _("The visit must end after it starts."), field="expected_until")
    # The form checks the same range; a caller that skips the form (the API,
    # a script) must not store a moment the pages cannot show (issue #15).
    EXPECTED_VISIT.check(expected_at, at=at, field="expected_at")
    if expected_until is not None:
        EXPECTED_VISIT.check(expected_until, at=at, field="expected_until")
    with transaction.atomic():
        check_day_capacity(
            site=Site.objects.select_for_update().get(pk=site.pk),
            expected_at=expected_at,
            party_size=party_size,
            category=category,
        )
        visit = Visit(
            category=category,
            host=host,
            department=profile.department,
            room=room,
            purpose=purpose,
            party_size=party_size,
            expected_at=expected_at,
            expected_until=expected_until,
            source=VisitSource.INVITATION,
        )
        visitor = Visitor(full_name=full_name, company=company, email=email)
        services.register_visit(
            visit=visit,
            visitor=visitor,
            by=by,
            arrive_now=False,
            client_address=client_address,
            at=at,
            audit_details=audit_details,
        )
        invitation = Invitation.objects.create(
            visit=visit,
            email=email,
            created_by=by or host,
            created_at=at,
            expires_at=invitation_expiry(site, expected_at, expected_until),
        )
        audit.record(
            site=site,
            actor=by,
            action="invitation.create",
            obj=invitation,
            changes={"visit": visit.pk, "expires_at": invitation.expires_at, **(audit_details or {})},
            client_address=client_address,
            at=at,
        )
        announce_invitation(invitation)
    return invitation


def _check_usable(invitation: Invitation, at: datetime) -> None:
    if at >= invitation.expires_at:
        raise ReceptionError("expired", _("This invitation has expired. Please ask at the front desk."))
    status = invitation.visit.status
    if status == VisitStatus.ON_SITE:
        raise ReceptionError("already_checked_in", _("This invitation has already been used to check in."))
    if status != VisitStatus.EXPECTED:
        raise ReceptionError("not_expected", _("This visit is no longer expected. Please ask at the front desk."))


@transaction.atomic
def confirm_invitation(
    *,
    invitation: Invitation,
    full_name: str,
    company: str,
    phone: str,
    accept_privacy: bool,
    client_address: str | None = None,
    at: datetime | None = None,
    signing: agreements.Signing | None = None,
) -> Invitation:
    """The visitor confirms or completes their details and accepts the privacy
    notice, on their phone, before the visit; and signs the agreements of the
    visit's category they have still to sign (issue #19), or nothing is saved.

    Only while the visit is still expected. The audit event names the fields
    that changed, not their values: the trail is kept longer than the identity.
    Details that match the watchlist (issue #19) tell security now, ahead of
    the visit, and the visitor nothing; the arrival is matched again, and
    held, at the door (services.check_in_visit).
    """
    at = at or timezone.now()
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("visit__site").get(pk=invitation.pk)
    _check_usable(invitation, at)
    if not accept_privacy:
        raise ReceptionError(
            "privacy_required", _("Please read and accept the privacy notice."), field="accept_privacy"
        )
    visitor = Visitor.objects.select_for_update().get(pk=invitation.visit.visitor_id)
    needed = agreements.to_sign(
        agreements.current_versions(invitation.visit.category), visitor, at, visit=invitation.visit
    )
    agreements.refuse_unsigned(needed, signing)
    wanted = {"full_name": full_name, "company": company, "phone": phone}
    changed = sorted(name for name, value in wanted.items() if getattr(visitor, name) != value)
    for name in changed:
        setattr(visitor, name, wanted[name])
    if changed:
        visitor.save(update_fields=changed)
    invitation.confirmed_at = at
    invitation.privacy_accepted_at = invitation.privacy_accepted_at or at
    invitation.save(update_fields=["confirmed_at", "privacy_accepted_at"])
    privacy.record_consent(visit=invitation.visit, way=ConsentWay.INVITATION, at=invitation.privacy_accepted_at)
    if needed:
        invitation.visit.visitor = visitor
        agreements.sign(visit=invitation.visit, versions=needed, signing=signing, client_address=client_address, at=at)
    audit.record(
        site=invitation.visit.site,
        actor=None,
        action="invitation.confirm",
        obj=invitation,
        changes={"fields": changed, "privacy_accepted": True},
        client_address=client_address,
        at=at,
    )
    listed = watchlist.match(invitation.visit.site, visitor, at=at)
    if listed is not None:
        audit.record(
            site=invitation.visit.site,
            actor=None,
            action="visit.watchlist_alert",
            obj=invitation.visit,
            changes={"watchlist_entry": listed.pk, "level": listed.level, "at": "invitation"},
            client_address=client_address,
            at=at,
        )
        announce_to_security(invitation.visit, ahead=True)
    return invitation


def normalise_code(raw: str) -> str | None:
    """A typed or scanned short code in canonical form, or None if it cannot
    be one (wrong letters or length): such input never reaches the database."""
    code = "".join((raw or "").split()).replace("-", "").upper()
    if not 6 <= len(code) <= 12 or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def refuse_self_service_at_night(site: Site, at: datetime) -> None:
    """R6.8: from 20:00 to 08:00 visitors are registered by the night-duty
    officer, so nobody checks themself in at night (the kiosk's walk-in, and a
    kiosk check-in by code). Raises ReceptionError("night_duty")."""
    if site.in_night_window(at):
        raise ReceptionError(
            "night_duty",
            _("It is night-duty time. Please ring the night-duty officer: %(phone)s.")
            % {"phone": site.desk_phone or _("ask security")},
        )


def invited_visit(site: Site, code: str) -> Visit | None:
    """The visit an invitation code names at the site, or None: a read, for
    asking what its check-in needs (the room, R1.3). check_in_by_code checks
    whether the invitation can be used."""
    normal = normalise_code(code)
    if normal is None:
        return None
    invitation = Invitation.objects.select_related("visit__category").filter(code=normal, visit__site=site).first()
    return invitation.visit if invitation is not None else None


def check_in_by_code(
    *,
    site: Site,
    code: str,
    by=None,
    kiosk: KioskDevice | None = None,
    room: ReceptionRoom | None = None,
    override_reason: str = "",
    night_facts: services.NightFacts | None = None,
    accept_privacy: bool = False,
    submission_key: str | None = None,
    client_address: str | None = None,
    at: datetime | None = None,
) -> Visit:
    """Check an invited visitor in by the short code of their invitation (typed,
    or scanned from the QR code), at a kiosk (`kiosk`) or at the desk (`by`).
    An invitation that left the room open is received in `room` (R1.3); a
    night arrival needs the desk's `night_facts` (R6.8), so the kiosk never
    checks anyone in at night.

    Locks the invitation row, then services.check_in_visit locks the visit: the
    same invitation checked in at the kiosk and the desk at once gives one
    arrival and one refusal. At the kiosk, a visitor who has not yet accepted
    the privacy notice must accept it here, and a repeat of the same submission
    (`submission_key`) returns the visit it checked in instead of an error.
    """
    at = at or timezone.now()
    if submission_key:
        earlier = Visit.objects.filter(submission_key=submission_key, site=site).first()
        if earlier is not None:
            return earlier
    normal = normalise_code(code)
    unknown = ReceptionError(
        "unknown_code",
        _("We could not find an invitation with that code. Please check it, or ask at the front desk."),
        field="code",
    )
    if normal is None:
        raise unknown
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("visit__site")
            .filter(code=normal, visit__site=site)
            .first()
        )
        if invitation is None:
            raise unknown
        _check_usable(invitation, at)
        expected_day = site.local(invitation.visit.expected_at).date()
        if site.local(at).date() < expected_day:
            raise ReceptionError(
                "too_early",
                _("Your invitation is for %(day)s. Please come back then, or ask at the front desk.")
                % {"day": formats.date_format(expected_day, "DATE_FORMAT")},
                field="code",
            )
        if kiosk is not None:
            refuse_self_service_at_night(site, at)
            if invitation.privacy_accepted_at is None and not accept_privacy:
                raise ReceptionError(
                    "privacy_required", _("Please read and accept the privacy notice."), field="accept_privacy"
                )
        # R4.1: at the kiosk the visitor accepts the notice on screen; at the desk the clerk shows it.
        consent = (ConsentWay.KIOSK if accept_privacy else None) if kiosk is not None else ConsentWay.DESK
        visit = services.check_in_visit(
            visit=invitation.visit,
            by=by,
            room=room,
            override_reason=override_reason,
            night_facts=night_facts,
            client_address=client_address,
            at=at,
            consent=consent,
        )
        if invitation.privacy_accepted_at is None and accept_privacy:
            invitation.privacy_accepted_at = at
            invitation.save(update_fields=["privacy_accepted_at"])
        if submission_key:
            Visit.objects.filter(pk=visit.pk).update(submission_key=submission_key)
        audit.record(
            site=site,
            actor=by,
            action="invitation.check_in",
            obj=invitation,
            changes={"visit": visit.pk, "kiosk": kiosk.pk if kiosk else None},
            client_address=client_address,
            at=at,
        )
    return visit
