"""Signed tokens and absolute links: the invitation link, the host's
acknowledge link, the host's approve/decline link for a walk-up (issue #19),
the kiosk's host choice, the kiosk's device cookie and its enrolment link.

Every token carries ids and a timestamp, never personal data, and each kind has
its own salt, so a token of one kind is never accepted as another. A delivery
module (visitors.notify) or the admin builds links from here and never imports
a workflow module to do it; this module imports no workflow module either.

The salts are part of every link already sent: changing one invalidates them.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from reception.models import KioskDevice, Site
from visitors.models import Invitation, Visit

INVITATION_SALT = "visitors.invitation"
# The link is refused after the invitation's own expires_at; this bounds the
# signature itself, for an invitation created far ahead.
INVITATION_LINK_MAX_AGE = timedelta(days=120)
ACK_SALT = "visitors.notify.acknowledge"
ACK_LINK_MAX_AGE = timedelta(days=2)
APPROVAL_SALT = "visitors.approvals.host"
APPROVAL_LINK_MAX_AGE = timedelta(days=1)
HOST_SALT = "visitors.kiosk.host"
HOST_TOKEN_MAX_AGE = timedelta(hours=1)
KIOSK_COOKIE = "lobby_kiosk"
KIOSK_COOKIE_SALT = "visitors.kiosk.device"
KIOSK_COOKIE_MAX_AGE = int(timedelta(days=365).total_seconds())


# --- invitations --------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """A signed, timestamped token of the invitation's id: no personal data."""
    return signing.dumps(invitation.pk, salt=INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("public:invitation", args=[invitation_token(invitation)])


def invitation_id(token: str) -> int | None:
    """The invitation id an invitation token carries; None when the token is
    forged, malformed or older than INVITATION_LINK_MAX_AGE."""
    try:
        return int(signing.loads(token, salt=INVITATION_SALT, max_age=INVITATION_LINK_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return None


# --- the host's acknowledgement (R3.2) ----------------------------------------


def ack_token(visit: Visit, user) -> str:
    """The signed token of a one-click acknowledge link for `user`. It carries
    two ids and no personal data."""
    return signing.dumps({"v": visit.pk, "u": user.pk}, salt=ACK_SALT)


def ack_url(visit: Visit, user) -> str:
    return settings.SITE_URL + reverse("public:acknowledge", args=[ack_token(visit, user)])


def read_ack_token(token: str) -> tuple[Visit, object]:
    """The visit and the person a link was sent to; ReceptionError("bad_link")
    when the token is forged, malformed or older than ACK_LINK_MAX_AGE, or the
    person is no longer active."""
    user_model = get_user_model()
    try:
        data = signing.loads(token, salt=ACK_SALT, max_age=ACK_LINK_MAX_AGE)
        visit = Visit.objects.select_related("site", "category", "room").get(pk=int(data["v"]))
        user = user_model.objects.get(pk=int(data["u"]), is_active=True)
    except (signing.BadSignature, KeyError, TypeError, ValueError, Visit.DoesNotExist, user_model.DoesNotExist):
        raise ReceptionError("bad_link", _("This link is not valid or has expired.")) from None
    return visit, user


# --- the host's approval of a walk-up (issue #19, A13) ------------------------


def approval_token(visit: Visit, user) -> str:
    """The signed token of the approve/decline link sent to `user` (the
    visit's host): two ids, no personal data."""
    return signing.dumps({"v": visit.pk, "u": user.pk}, salt=APPROVAL_SALT)


def approval_url(visit: Visit, user) -> str:
    return settings.SITE_URL + reverse("public:approve", args=[approval_token(visit, user)])


def read_approval_token(token: str) -> tuple[Visit, object]:
    """The visit and the person an approval link was sent to;
    ReceptionError("bad_link") when the token is forged, malformed or older
    than APPROVAL_LINK_MAX_AGE, or the person is no longer active."""
    user_model = get_user_model()
    try:
        data = signing.loads(token, salt=APPROVAL_SALT, max_age=APPROVAL_LINK_MAX_AGE)
        visit = Visit.objects.select_related("site", "category", "visitor").get(pk=int(data["v"]))
        user = user_model.objects.get(pk=int(data["u"]), is_active=True)
    except (signing.BadSignature, KeyError, TypeError, ValueError, Visit.DoesNotExist, user_model.DoesNotExist):
        raise ReceptionError("bad_link", _("This link is not valid or has expired.")) from None
    return visit, user


# --- the kiosk ----------------------------------------------------------------


def host_token(site: Site, user) -> str:
    """What the kiosk's host picker sends back instead of a user id: ids could
    be walked to enumerate staff; a signed token of this site cannot."""
    return signing.dumps([site.pk, user.pk], salt=HOST_SALT)


def host_id(site: Site, token: str) -> int | None:
    """The user id a host token names, if it was made for this site within
    HOST_TOKEN_MAX_AGE; None otherwise."""
    try:
        site_pk, user_pk = signing.loads(token, salt=HOST_SALT, max_age=HOST_TOKEN_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return user_pk if site_pk == site.pk else None


def kiosk_cookie_token(request) -> str | None:
    """The device token in the browser's kiosk cookie, if its signature holds."""
    return request.get_signed_cookie(KIOSK_COOKIE, default=None, salt=KIOSK_COOKIE_SALT)


def set_kiosk_cookie(response, device: KioskDevice) -> None:
    """Make the browser that gets `response` this kiosk (for a year)."""
    response.set_signed_cookie(
        KIOSK_COOKIE,
        device.token,
        salt=KIOSK_COOKIE_SALT,
        max_age=KIOSK_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def kiosk_enrolment_url(device: KioskDevice) -> str:
    """The link the office manager opens once on the tablet (admin)."""
    return settings.SITE_URL + reverse("public:kiosk_enrol", args=[device.token])


def security_holds_url() -> str:
    """The security desk's page of visits held by the watchlist (issue #19):
    a plain address, signed in and permission-checked, never a token."""
    return settings.SITE_URL + reverse("visitors:security_holds")
