"""One validator per kind of input, shared by the desk, kiosk, admin and API
forms, so the rules cannot drift apart again (issue #14): free text, phone
numbers, and dates and times with a sane range (issue #15).

Free text refuses what would corrupt a register, an export or a log line, or
what PostgreSQL rejects where SQLite silently stores it: control characters,
unpaired surrogates, and the invisible direction overrides that make "Zhang"
display as "gnahZ". NUL is left to Django's own ProhibitNullCharactersValidator,
which every CharField already has, so it is reported once. Lengths are each
field's max_length, no longer than its column.

A webhook URL is one the server itself fetches: it must not lead the server
to itself or to the local network (issue #15 item 8).
"""

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reception.errors import ReceptionError

# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Allowed only where the widget lets a person type them: a textarea.
LINE_BREAKS = frozenset("\t\n\r")

# An optional leading +, then digits with spaces, brackets and dashes between:
# what a phone number looks like on a card, and nothing a spreadsheet would
# run as a formula ("=HYPERLINK(...)").
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,38}$")


def _check_text(value: str, *, multiline: bool) -> None:
    for char in value or "":
        if char in DIRECTION_CONTROLS:
            raise ValidationError(
                _("Remove the invisible text-direction characters (such as right-to-left override)."), code="bidi"
            )
        if char in LINE_BREAKS:
            if multiline:
                continue
            raise ValidationError(_("Please remove special characters such as tabs or line breaks."), code="control")
        if char != "\x00" and unicodedata.category(char) in {"Cc", "Cs"}:
            raise ValidationError(_("Remove the control characters from this text."), code="control")


def validate_line_of_text(value: str) -> None:
    """Free text typed on one line: a name, a company, a place."""
    _check_text(value, multiline=False)


def validate_text(value: str) -> None:
    """Free text that may run over several lines (a note, a description)."""
    _check_text(value, multiline=True)


def validate_phone(value: str) -> None:
    """A phone number as people write one; blank is for the field's `required` to judge."""
    if value and not PHONE.match(value):
        raise ValidationError(
            _("Enter a phone number: digits, spaces, brackets, dashes and a leading +."), code="phone"
        )


def normalise_phone(value: str) -> str:
    """A phone number as it is compared: its digits only, so "+86 138-0013 8000"
    and "8613800138000" are one number (the kiosk's returning visitor, R2.4,
    and the sales floor's customer match, R10.1)."""
    return "".join(char for char in value or "" if char.isdigit())


def comparable_text(value: str) -> str:
    """A name or company as it is compared: one person's name typed twice is
    the same whatever its Unicode form, spacing or case."""
    return " ".join(unicodedata.normalize("NFKC", value or "").split()).casefold()


# Names that mean this machine or a network that is not the internet (RFC 6761,
# RFC 6762, RFC 8375, ICANN's .internal), refused without asking a resolver.
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})
LOCAL_SUFFIXES = (".localhost", ".localdomain", ".local", ".internal", ".home.arpa")
# NAT64's well-known prefix (RFC 6052) carries an IPv4 address in its last 32 bits.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def forbidden_address(address: str) -> bool:
    """Whether a webhook must not be sent to this IP address: anything that is
    not publicly routable (private, loopback, link-local such as the cloud
    metadata service, shared, reserved, unspecified) or is multicast, also
    when an IPv4 address hides inside an IPv6 one (mapped, 6to4, NAT64)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("%eth0") is no part of the address
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and forbidden_address(str(embedded)):
            return True
    return not ip.is_global or ip.is_multicast


def private_webhooks_allowed() -> bool:
    """LOBBY_ALLOW_PRIVATE_WEBHOOKS: the installation has a receiver on its own
    network (or plain http), and lifts the checks below on purpose."""
    return settings.LOBBY_ALLOW_PRIVATE_WEBHOOKS


def validate_webhook_url(value: str) -> None:
    """A webhook or chat-robot URL: https, to a host that is not an address of
    this machine or a private network, nor a name that means one. Names are
    not resolved here (the office may be offline when it saves); the sender
    resolves them and checks every address before it connects."""
    if not value or private_webhooks_allowed():
        return
    parts = urlsplit(value)
    if parts.scheme.lower() != "https":
        raise ValidationError(
            _("Use an https:// address: a webhook carries visitors' names, which must not travel unencrypted."),
            code="webhook_scheme",
        )
    host = (parts.hostname or "").rstrip(".")
    if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES):
        raise ValidationError(
            _("%(host)s names this machine or a local network; Lobby sends webhooks only to public addresses."),
            code="webhook_private",
            params={"host": host},
        )
    try:
        is_forbidden = forbidden_address(host)
    except ValueError:
        return  # a name, resolved and checked when a message is sent
    if is_forbidden:
        raise ValidationError(
            _(
                "%(host)s is a private, loopback, link-local or reserved address; Lobby sends webhooks only to "
                "public addresses."
            ),
            code="webhook_private",
            params={"host": host},
        )


# --- dates and times a person types -----------------------------------------------
#
# Nothing the desk records happened before 2000 or will happen after 2099: outside
# that range a value is a slip of the keyboard ("0001-01-01", "9999-12-31"), and
# near the ends of what Python and PostgreSQL hold, turning it to a site's clock
# overflows, so every page that shows it failed for everyone (issue #15).
# Each kind of moment is also held to a window around now that fits how the desk
# uses it (Moments below).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # the first moment out of range
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
# How far a "found at" or "occurred at" may run ahead of the server clock (a
# desk PC a little fast); beyond that it is a typing mistake.
CLOCK_SKEW = timedelta(minutes=5)
A_YEAR = timedelta(days=366)


@dataclass(frozen=True)
class Moments:
    """Where one kind of typed moment may lie: between EARLIEST and LATEST, at
    most `ahead` after now and, unless `back` is None, at most `back` before it.

    Called with a value, it is a form field's validator (ValidationError);
    `check` is the service's re-check of the same rule (ReceptionError, whose
    code is "date_out_of_range", or `late_code` for a moment too far ahead)."""

    ahead: timedelta
    back: timedelta | None
    too_late: str
    too_early: str = ""
    late_code: str = "date_out_of_range"

    def __call__(self, value: datetime, *, now: datetime | None = None) -> None:
        # Aware datetimes compare without arithmetic, so year 1 or 9999 does not overflow here.
        now = now or timezone.now()
        if value > now + self.ahead:
            raise ValidationError(self.too_late, code=self.late_code)
        if self.back is not None and value < now - self.back:
            raise ValidationError(self.too_early, code="date_out_of_range")
        if not EARLIEST <= value < LATEST:
            raise ValidationError(
                _("Enter a date and time between %(first)s and %(last)s.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
                code="date_out_of_range",
            )

    def check(self, value: datetime, *, at: datetime, field: str) -> None:
        try:
            self(value, now=at)
        except ValidationError as error:
            raise ReceptionError(error.code, error.messages[0], field=field) from None


# An expected visit (an invitation, an amendment of one): the desk plans at
# most a year ahead. No lower bound but EARLIEST: an amendment may correct a
# visit of years ago, and an invitation refuses the past on its own.
EXPECTED_VISIT = Moments(
    ahead=A_YEAR,
    back=None,
    too_late=_("A visit is expected at most a year ahead; check the year."),
)
# A find or an incident (R6.2, R6.3) is recorded the day it happens, or late
# after a holiday; a year back covers any honest delay, and the future only
# as far as a fast desk clock.
REGISTER_ENTRY = Moments(
    ahead=CLOCK_SKEW,
    back=A_YEAR,
    too_late=_("This time is in the future."),
    too_early=_("This is more than a year ago; check the year."),
    late_code="in_future",
)
# A roster entry (the office manager's admin): planned at most a year ahead;
# past entries may be corrected back to EARLIEST.
ROSTER_SHIFT = Moments(
    ahead=A_YEAR,
    back=None,
    too_late=_("The roster is planned at most a year ahead; check the year."),
)


# ID documents (R4.1: recorded only where the site turns it on). Keyed by
# visitors.models.IdType's values; this module sits below visitors, so the
# codes are spelled out here. Numbers are compared in their normal form
# (normalise_id_number): capitals, no spaces.
ID_NUMBER_FORMATS = {
    # Resident identity card of the PRC: 17 digits and a check character.
    "national_id": re.compile(r"^[0-9]{17}[0-9X]$"),
    "passport": re.compile(r"^[A-Z0-9]{5,20}$"),
    "driving_licence": re.compile(r"^[A-Z0-9-]{5,20}$"),
    "other": re.compile(r"^[A-Z0-9-]{4,40}$"),
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_id_number(value: str) -> str:
    """An ID number as it is stored: capitals, without spaces."""
    return "".join((value or "").split()).upper()


def validate_id_number(value: str, id_type: str) -> None:
    """An ID number in the form its document type uses (`value` normalised);
    a resident ID card's number must also carry its check character."""
    pattern = ID_NUMBER_FORMATS.get(id_type)
    if pattern is None:
        raise ValidationError(_("Choose the kind of ID document."), code="id_type")
    if not pattern.match(value):
        raise ValidationError(
            {
                "national_id": _("A resident ID card number has 18 characters: 17 digits, then a digit or X."),
                "passport": _("A passport number has 5 to 20 letters and digits."),
                "driving_licence": _("A driving licence number has 5 to 20 letters, digits and dashes."),
                "other": _("An ID number has 4 to 40 letters, digits and dashes."),
            }[id_type],
            code="id_number",
        )
    if id_type == "national_id":
        check = _ID_CHECK[sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True)) % 11]
        if value[-1] != check:
            raise ValidationError(
                _("This resident ID card number does not add up; please check it against the card."),
                code="id_checksum",
            )
