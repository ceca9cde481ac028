"""One validator per kind of input, shared by the desk, kiosk, admin and API
forms, so the rules cannot drift apart again (issue #14).

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
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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
