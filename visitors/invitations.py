"""The public side's workflows: invitations, the lobby kiosk and self-service.

Arrivals and departures go through visitors.services (register_visit,
check_in_visit, check_out_visit), so the reception rules hold here exactly as
at the desk: the room is allowed for the category and has space (R1.3), and
every change is audited (R6.4). What this module adds is the public part:
signed links that carry no personal data, the kiosk's device, its walk-in
category and room, privacy consent, and idempotent submissions.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import KioskDevice, Site, StaffProfile, VisitorCategory
from visitors import audit, services
from visitors.models import CODE_ALPHABET, Invitation, Visit, Visitor, VisitSource, VisitStatus
from visitors.selectors import rooms_with_space
from visitors.tasks import announce_invitation

INVITATION_SALT = "visitors.invitation"
# The link is refused after the invitation's own expires_at; this bounds the
# signature itself, for an invitation created far ahead.
INVITATION_LINK_MAX_AGE = timedelta(days=120)
HOST_SALT = "visitors.kiosk.host"
HOST_TOKEN_MAX_AGE = timedelta(hours=1)
KIOSK_COOKIE = "lobby_kiosk"
KIOSK_COOKIE_SALT = "visitors.kiosk.device"
# R1.2: a visitor who registers themself is an ordinary visitor; the desk may
# recategorise the visit afterwards.
KIOSK_CATEGORY_CODE = "C"
# A host is found by typing part of their name: at least three letters, or two
# Chinese characters (a two-character name is common, and each character says
# as much as a syllable). Never more than HOST_MATCHES labels are shown.
HOST_QUERY_MIN = 3
HOST_QUERY_MIN_CJK = 2
HOST_MATCHES = 5
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_DEVICE_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # admin.py makes them with secrets.token_urlsafe


# --- invitation links ---------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """A signed, timestamped token of the invitation's id: no personal data."""
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("public:invitation", args=[invitation_token(invitation)])


def invitation_for_token(token: str, *, at: datetime | None = None) -> Invitation:
    """The invitation a link points at; ReceptionError("bad_link") if the token
    is forged or too old, ("expired") once the invitation has expired."""
    try:
        pk = int(signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_LINK_MAX_AGE))
        invitation = Invitation.objects.select_related(
            "visit__site", "visit__visitor", "visit__category", "visit__room", "visit__host__profile__department"
        ).get(pk=pk)
    except (signing.BadSignature, TypeError, ValueError, Invitation.DoesNotExist):
        raise ReceptionError("bad_link", _("This invitation link is not valid.")) from None
    if (at or timezone.now()) >= invitation.expires_at:
        raise ReceptionError("expired", _("This invitation has expired. Please ask at the front desk."))
    return invitation


def invitation_expiry(site: Site, expected_at: datetime, expected_until: datetime | None) -> datetime:
    """An invitation is good until the end of the (local) day of the visit."""
    last = site.local(expected_until or expected_at)
    return last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def privacy_notice(site: Site, language: str) -> str:
    """The site's privacy notice in the visitor's language, falling back to the
    other language and then to a generic notice naming the retention period."""
    chinese = (language or "").lower().startswith("zh")
    en, zh = site.privacy_notice_en.strip(), site.privacy_notice_zh.strip()
    return ((zh or en) if chinese else (en or zh)) or _(
        "%(site)s records your name, company and phone number for the safety of everyone on site and to tell "
        "your host you have arrived. The record is kept for %(days)s days and is seen only by the reception staff."
    ) % {"site": site.name, "days": site.retention_days}


# --- invitations --------------------------------------------------------------


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
) -> Invitation:
    """Pre-register an expected visit and invite the visitor by email.

    The visit goes through services.register_visit (R1.3 room rule, audit);
    the invitation email, with its link and QR code, is queued once the
    transaction commits. Raises ReceptionError naming the field at fault.
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
    with transaction.atomic():
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
            visit=visit, visitor=visitor, by=by, arrive_now=False, client_address=client_address, at=at
        )
        invitation = Invitation.objects.create(
            visit=visit,
            email=email,
            created_by=by,
            created_at=at,
            expires_at=invitation_expiry(site, expected_at, expected_until),
        )
        audit.record(
            site=site,
            actor=by,
            action="invitation.create",
            obj=invitation,
            changes={"visit": visit.pk, "expires_at": invitation.expires_at},
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
) -> Invitation:
    """The visitor confirms or completes their details and accepts the privacy
    notice, on their phone, before the visit.

    Only while the visit is still expected. The audit event names the fields
    that changed, not their values: the trail is kept longer than the identity.
    """
    at = at or timezone.now()
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("visit__site").get(pk=invitation.pk)
    _check_usable(invitation, at)
    if not accept_privacy:
        raise ReceptionError(
            "privacy_required", _("Please read and accept the privacy notice."), field="accept_privacy"
        )
    visitor = Visitor.objects.select_for_update().get(pk=invitation.visit.visitor_id)
    wanted = {"full_name": full_name, "company": company, "phone": phone}
    changed = sorted(name for name, value in wanted.items() if getattr(visitor, name) != value)
    for name in changed:
        setattr(visitor, name, wanted[name])
    if changed:
        visitor.save(update_fields=changed)
    invitation.confirmed_at = at
    invitation.privacy_accepted_at = invitation.privacy_accepted_at or at
    invitation.save(update_fields=["confirmed_at", "privacy_accepted_at"])
    audit.record(
        site=invitation.visit.site,
        actor=None,
        action="invitation.confirm",
        obj=invitation,
        changes={"fields": changed, "privacy_accepted": True},
        client_address=client_address,
        at=at,
    )
    return invitation


def normalise_code(raw: str) -> str | None:
    """A typed or scanned short code in canonical form, or None if it cannot
    be one (wrong letters or length): such input never reaches the database."""
    code = "".join((raw or "").split()).replace("-", "").upper()
    if not 6 <= len(code) <= 12 or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def _refuse_self_service_at_night(site: Site, at: datetime) -> None:
    """R6.8: from 20:00 to 08:00 visitors are registered by the night-duty
    officer, so nobody checks themself in at night."""
    if site.in_night_window(at):
        raise ReceptionError(
            "night_duty",
            _("It is night-duty time. Please ring the night-duty officer: %(phone)s.")
            % {"phone": site.desk_phone or _("ask security")},
        )


def check_in_by_code(
    *,
    site: Site,
    code: str,
    by=None,
    kiosk: KioskDevice | None = None,
    accept_privacy: bool = False,
    submission_key: str | None = None,
    client_address: str | None = None,
    at: datetime | None = None,
) -> Visit:
    """Check an invited visitor in by the short code of their invitation (typed,
    or scanned from the QR code), at a kiosk (`kiosk`) or at the desk (`by`).

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
            _refuse_self_service_at_night(site, at)
            if invitation.privacy_accepted_at is None and not accept_privacy:
                raise ReceptionError(
                    "privacy_required", _("Please read and accept the privacy notice."), field="accept_privacy"
                )
        visit = services.check_in_visit(visit=invitation.visit, by=by, client_address=client_address, at=at)
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


# --- the kiosk ----------------------------------------------------------------


def kiosk_for_token(token: str) -> KioskDevice | None:
    """The device an enrolment link or cookie names (revoked ones too: the
    caller shows those as locked)."""
    if not token or not _DEVICE_TOKEN.fullmatch(token):
        return None  # never send a NUL or other junk to the database
    return KioskDevice.objects.select_related("site").filter(token=token).first()


@transaction.atomic
def enrol_kiosk(*, device: KioskDevice, client_address: str | None = None, at: datetime | None = None) -> KioskDevice:
    """Record that a browser was enrolled as this kiosk."""
    at = at or timezone.now()
    device = KioskDevice.objects.select_for_update(of=("self",)).select_related("site").get(pk=device.pk)
    if not device.active:
        raise ReceptionError("kiosk_revoked", _("This kiosk has been switched off by the office manager."))
    device.last_seen_at = at
    device.save(update_fields=["last_seen_at"])
    audit.record(
        site=device.site,
        actor=None,
        action="kiosk.enrol",
        obj=device,
        changes={"name": device.name},
        client_address=client_address,
        at=at,
    )
    return device


def seen(device: KioskDevice, at: datetime | None = None) -> None:
    """Note that the kiosk is in use, at most once a minute (no write per page)."""
    at = at or timezone.now()
    if device.last_seen_at is None or at - device.last_seen_at > timedelta(minutes=1):
        KioskDevice.objects.filter(pk=device.pk).update(last_seen_at=at)


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def scoped_submission_key(device: KioskDevice, key: str, form: str) -> str | None:
    """The Visit.submission_key for a form's one-time key at this kiosk; None
    for anything malformed. Scoped by the device's secret and the form, so a key
    seen on one kiosk finds nothing from another, nor one form from another."""
    if not key or not _SUBMISSION_KEY.fullmatch(key):
        return None
    return "k" + hashlib.sha256(f"{device.token}:{form}:{key}".encode()).hexdigest()[:60]


def host_query_ok(query: str) -> bool:
    query = (query or "").strip()
    if len(_CJK.findall(query)) >= HOST_QUERY_MIN_CJK:
        return True
    return len([char for char in query if char.isalnum()]) >= HOST_QUERY_MIN


def host_token(site: Site, user) -> str:
    return signing.dumps([site.pk, user.pk], salt=HOST_SALT)


def find_hosts(site: Site, query: str) -> tuple[list[tuple[str, str]], bool]:
    """Staff of the site whose name contains `query`, as (token, "Dept-Name")
    pairs (R3.1), and whether more matched than are shown.

    Never an email or phone, and only after HOST_QUERY_MIN letters, so the
    kiosk cannot list the staff directory (R4.1). The token, not the user's id,
    is what the form sends back: ids could be walked to enumerate staff.
    """
    query = (query or "").strip()
    if not host_query_ok(query) or len(query) > 40 or "\x00" in query:
        return [], False
    profiles = list(
        StaffProfile.objects.filter(site=site, user__is_active=True, real_name__icontains=query)
        .select_related("department", "user")
        .order_by("department__name", "real_name")[: HOST_MATCHES + 1]
    )
    shown = profiles[:HOST_MATCHES]
    return [(host_token(site, profile.user), profile.label) for profile in shown], len(profiles) > HOST_MATCHES


def host_from_token(site: Site, token: str):
    """The host a kiosk form chose, or None if the token is not a valid one for
    an active staff member of this site."""
    try:
        site_pk, user_pk = signing.loads(token, salt=HOST_SALT, max_age=HOST_TOKEN_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if site_pk != site.pk:
        return None
    return (
        get_user_model()
        .objects.filter(pk=user_pk, is_active=True, profile__site=site)
        .select_related("profile__department")
        .first()
    )


def _walk_in_rooms(category: VisitorCategory, party_size: int) -> list:
    # The category's own rooms first; the general manager's office (R1.3's one
    # exception) is never chosen for a visitor who registered themself.
    return [room for room in rooms_with_space(category, party_size) if not room.any_category]


def kiosk_walk_in(
    *,
    kiosk: KioskDevice,
    full_name: str,
    company: str,
    phone: str,
    host,
    party_size: int = 1,
    accept_privacy: bool,
    submission_key: str,
    client_address: str | None = None,
    at: datetime | None = None,
) -> Visit:
    """A walk-in registers themself at the kiosk and is checked in at once.

    The visit is category C (R1.2) in a room allowed for it with space (R1.3),
    registered through services.register_visit. `submission_key` (already
    scoped to the kiosk) makes it idempotent: a double tap, a retry or the back
    button returns the visit the first submission made, even when the two
    submissions race (the unique key lets one insert win).
    """
    at = at or timezone.now()
    try:
        return _register_walk_in(
            kiosk=kiosk,
            visitor={"full_name": full_name, "company": company, "phone": phone},
            host=host,
            party_size=party_size,
            accept_privacy=accept_privacy,
            submission_key=submission_key,
            client_address=client_address,
            at=at,
        )
    except (ReceptionError, IntegrityError):
        # A double tap, a retry or the back button: the first submission made
        # the visit (or raced this one and won the unique key). Looked up only
        # here, so the morning rush's first submissions pay no query for it.
        earlier = Visit.objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            return earlier
        raise


def _register_walk_in(
    *, kiosk, visitor: dict, host, party_size, accept_privacy, submission_key, client_address, at
) -> Visit:
    site = kiosk.site
    if not accept_privacy:
        raise ReceptionError(
            "privacy_required", _("Please read and accept the privacy notice."), field="accept_privacy"
        )
    _refuse_self_service_at_night(site, at)
    category = VisitorCategory.objects.filter(site=site, code=KIOSK_CATEGORY_CODE).first()
    if category is None:
        raise ReceptionError("no_category", _("Please register at the front desk."))
    category.site = site  # the kiosk's site, already loaded
    profile = host.profile
    for room in _walk_in_rooms(category, party_size):
        visit = Visit(
            category=category,
            host=host,
            department=profile.department,
            room=room,
            purpose=_("Registered at the kiosk"),
            party_size=party_size,
            source=VisitSource.KIOSK,
            submission_key=submission_key,
        )
        try:
            return services.register_visit(
                visit=visit,
                visitor=Visitor(**visitor),
                by=None,
                arrive_now=True,
                client_address=client_address,
                at=at,
                audit_details={"kiosk": kiosk.pk},
            )
        except ReceptionError as error:
            if error.code != "room_full":
                raise
            # Someone took the last seats meanwhile: try the next room.
    raise ReceptionError("room_full", _("All our visitor rooms are full right now. Please ask at the front desk."))


def kiosk_check_out(
    *, kiosk: KioskDevice, badge_code: str, client_address: str | None = None, at: datetime | None = None
) -> Visit:
    """A visitor checks themself out by the code on their badge.

    The same message answers an unknown code and one already used, so the kiosk
    says nothing about other visitors; a repeat within two minutes of a kiosk
    check-out (a double tap) is answered as the success it was.
    """
    at = at or timezone.now()
    normal = normalise_code(badge_code)
    visit = Visit.objects.filter(site=kiosk.site, badge_code=normal).first() if normal else None
    if visit is not None and visit.status == VisitStatus.LEFT and visit.checked_out_by_id is None:
        if timedelta(0) <= at - visit.checked_out_at <= timedelta(minutes=2):
            return visit
    if visit is None or visit.status != VisitStatus.ON_SITE:
        raise ReceptionError(
            "unknown_badge",
            _("We could not find a visitor on site with that badge code. Please check it, or ask at the front desk."),
            field="badge_code",
        )
    return services.check_out_visit(visit=visit, by=None, client_address=client_address, at=at)
