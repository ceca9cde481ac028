"""The lobby kiosk: the tablet enrolled as a device, the host picker, a
walk-in registering themself, and a visitor checking themself out.

Arrivals and departures go through visitors.services (register_visit,
check_out_visit), so the reception rules hold here exactly as at the desk
(R1.3, R6.4). What this module adds is the kiosk's part: its device, its
walk-in category and room, privacy consent, and idempotent submissions. An
invited visitor checking in by code at the kiosk goes through
invitations.check_in_by_code, which the desk uses too.
"""

import hashlib
import re
import secrets
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import KioskDevice, KioskMode, PhotoPolicy, Site, StaffProfile, VisitorCategory
from reception.validators import comparable_text, normalise_phone
from visitors import agreements, audit, invitations, links, photos, services
from visitors.invitations import normalise_code, refuse_self_service_at_night
from visitors.models import ConsentWay, Visit, Visitor, VisitSource, VisitStatus

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


def kiosk_for_token(token: str) -> KioskDevice | None:
    """The device an enrolment link or cookie names (revoked ones too: the
    caller shows those as locked)."""
    if not token or not _DEVICE_TOKEN.fullmatch(token):
        return None  # never send a NUL or other junk to the database
    # The token is unique: ordered by pk, not by the model's site name (a join).
    return KioskDevice.objects.select_related("site").filter(token=token).order_by("pk").first()


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


def kiosk_refusal(site: Site, at: datetime | None = None, *, walk_in: bool) -> str | None:
    """What the kiosk's mode at `at` (by day or by night) refuses: "kiosk_closed",
    "walk_in_unavailable" (invitations only, for a walk-in), or None when the
    page is open. The kiosk's pages and the rule tester both ask this."""
    mode = site.current_kiosk_mode(at)
    if mode == KioskMode.CLOSED:
        return "kiosk_closed"
    if walk_in and mode != KioskMode.OPEN:
        return "walk_in_unavailable"
    return None


def host_query_ok(query: str) -> bool:
    query = (query or "").strip()
    if len(_CJK.findall(query)) >= HOST_QUERY_MIN_CJK:
        return True
    return len([char for char in query if char.isalnum()]) >= HOST_QUERY_MIN


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
    return [(links.host_token(site, profile.user), profile.label) for profile in shown], len(profiles) > HOST_MATCHES


def host_from_token(site: Site, token: str):
    """The host a kiosk form chose, or None if the token is not a valid one for
    an active staff member of this site."""
    user_pk = links.host_id(site, token)
    if user_pk is None:
        return None
    return (
        get_user_model()
        .objects.filter(pk=user_pk, is_active=True, profile__site=site)
        .select_related("profile__department")
        .first()
    )


def walk_in_rooms(category: VisitorCategory, party_size: int) -> list:
    """The rooms a visitor who registers themself is placed in, in order: the
    category's own rooms with space (R1.3), never the general manager's
    office (R1.3's one exception). The rule tester asks the same."""
    return [room for room in services.rooms_with_space(category, party_size) if not room.any_category]


def returning_visitor(site: Site, *, full_name: str, company: str, phone: str) -> Visitor | None:
    """R2.4 at the kiosk: the visitor record of someone who registers themself
    again, so that their history and previous host follow them; None means a
    new record.

    A phone alone would let anyone register under another person's identity, so
    a match needs the same phone (its digits), the same name and the same
    company (ignoring case and spacing), as the desk reuses a returning visitor
    only with unchanged details (WalkInForm.build_visitor). Only this site's
    visitors (R4.1), never an anonymised one, and never one on site now: the
    service would refuse that one by name ("already on site"), which would tell
    the person at the kiosk about them. Nothing of the record is shown back:
    the kiosk's pages do not name the visitor.
    """
    digits = normalise_phone(phone)
    if not digits or not full_name.strip():
        return None
    on_site = Visit.objects.filter(site=site, visitor=OuterRef("pk"), status=VisitStatus.ON_SITE)
    candidates = (
        Visitor.objects.for_site(site)
        .identified()
        # Folded by the database on both sides, as the name index is (Visitor.Meta).
        .alias(folded_name=Lower("full_name"))
        .filter(folded_name=Lower(Value(" ".join(full_name.split()))))
        .exclude(Exists(on_site))
        .order_by("-pk")[:20]
    )
    wanted = (comparable_text(full_name), comparable_text(company), digits)
    for visitor in candidates:
        found = (comparable_text(visitor.full_name), comparable_text(visitor.company), normalise_phone(visitor.phone))
        if found == wanted:
            return visitor
    return None


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
    photo: bytes | None = None,
    signing: agreements.Signing | None = None,
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
            photo=photo,
            signing=signing,
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
    *,
    kiosk,
    visitor: dict,
    host,
    party_size,
    accept_privacy,
    submission_key,
    client_address,
    at,
    photo=None,
    signing=None,
) -> Visit:
    site = kiosk.site
    if not accept_privacy:
        raise ReceptionError(
            "privacy_required", _("Please read and accept the privacy notice."), field="accept_privacy"
        )
    refuse_self_service_at_night(site, at)
    category = walk_in_category(site)
    if category is None:
        raise ReceptionError("no_category", _("Please register at the front desk."))
    category.site = site  # the kiosk's site, already loaded
    photos.refuse_missing_photo(category, photo)  # issue #19: before anything is written
    if category.photo == PhotoPolicy.OFF:
        photo = None  # a category that takes no photo keeps none, whatever was sent
    profile = host.profile
    returning = returning_visitor(site, **visitor)
    # Issue #19: the agreements this visitor has still to sign (no query when
    # the category has none); nothing is written without their signature.
    needed = (
        agreements.to_sign(agreements.current_versions(category), returning, at) if category.asks_agreements else []
    )
    agreements.refuse_unsigned(needed, signing)
    for room in walk_in_rooms(category, party_size):
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
        # The photo and the signatures with the visit, or none of them; with
        # neither, register_visit's own transaction is the walk-in's (no
        # savepoint: a room_full refusal rolls the whole attempt back).
        together = transaction.atomic() if photo is not None or needed else nullcontext()
        try:
            with together:
                visit = services.register_visit(
                    visit=visit,
                    visitor=returning or Visitor(**visitor),
                    by=None,
                    arrive_now=True,
                    client_address=client_address,
                    at=at,
                    audit_details={"kiosk": kiosk.pk, "returning": returning is not None},
                    consent=ConsentWay.KIOSK,
                )
                if photo is not None:
                    photos.take_photo(
                        visit=visit, photo=photo, by=None, via="kiosk", client_address=client_address, at=at
                    )
                if needed:
                    agreements.sign(visit=visit, versions=needed, signing=signing, client_address=client_address, at=at)
                return visit
        except ReceptionError as error:
            if error.code != "room_full":
                raise
            # Someone took the last seats meanwhile: try the next room.
    raise ReceptionError("room_full", _("All our visitor rooms are full right now. Please ask at the front desk."))


def walk_in_category(site: Site) -> VisitorCategory | None:
    """The category of a visitor who registers themself (R1.2), for what the
    walk-in page asks of them (issue #19: a photo, agreements to sign), with
    `asks_agreements` in the same query."""
    return (
        VisitorCategory.objects.filter(site=site, code=KIOSK_CATEGORY_CODE)
        .annotate(asks_agreements=agreements.asks_agreements())
        .order_by("pk")  # one per site and code: no join for the model's ordering by site name
        .first()
    )


def kiosk_check_in_by_code(
    *,
    kiosk: KioskDevice,
    code: str,
    accept_privacy: bool,
    submission_key: str | None,
    client_address: str | None = None,
    at: datetime | None = None,
) -> Visit:
    """An invited visitor checks themself in by their invitation's code.

    Through invitations.check_in_by_code, as at the desk. An invitation that
    left the room to be decided on arrival is placed as a walk-in would be: in
    a room allowed for its category with space, never the general manager's
    office (R1.3); when none has space, the visitor is sent to the front desk
    and nothing changes. At night the kiosk checks nobody in (R6.8).
    """
    at = at or timezone.now()
    site = kiosk.site
    arrival = {
        "site": site,
        "code": code,
        "kiosk": kiosk,
        "accept_privacy": accept_privacy,
        "submission_key": submission_key,
        "client_address": client_address,
        "at": at,
    }
    refuse_self_service_at_night(site, at)
    pending = invitations.invited_visit(site, code)
    if pending is not None and pending.room_id is None and pending.status == VisitStatus.EXPECTED:
        for room in walk_in_rooms(pending.category, pending.party_size):
            try:
                return invitations.check_in_by_code(room=room, **arrival)
            except ReceptionError as error:
                if error.code != "room_full":
                    raise
                # Someone took the last seats meanwhile: try the next room.
    try:
        # Every other check of the invitation, and the refusals that go with them.
        return invitations.check_in_by_code(**arrival)
    except ReceptionError as error:
        if error.code != "room_required":
            raise
        raise ReceptionError(
            "room_full", _("All our visitor rooms are full right now. Please see the front desk.")
        ) from error


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
