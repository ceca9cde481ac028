"""The watchlist at the door (issue #19): who security wants to know about,
how a visitor is recognised, and security's decision on a visit it holds.

Every arrival goes through visitors.services (register_visit for a walk-in at
the desk or the kiosk, check_in_visit for an expected visit, by code or not),
which asks `match` once the arrival has passed the other rules: no path skips
it. A DENY match holds the visit as pending security (not on site, in no
room's count); an ALERT match lets it proceed. Either way security on duty is
told at once (visitors.escalation.security_notifications, sent through
notify.deliver). The visitor is never told why: the kiosk says "please see the
front desk", the desk that the visit waits for security.

Matching is one indexed query on WatchlistKey: a name or alias by its
normalised form (Unicode NFKC, so full-width letters are ordinary ones; case
folded; spaces removed), a phone by its last digits, an email ignoring case,
an ID number by its ending.
"""

import re
import unicodedata
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from reception.models import Site
from reception.validators import normalise_phone
from visitors.models import Visitor, WatchlistEntry, WatchlistKey, WatchlistLevel

# What the desk is told of a held visit: that it waits, never why (issue #19).
HELD_AT_DESK = gettext_lazy(
    "%(name)s is waiting for security: please ask them to wait at the front desk. Security on duty has been told."
)

# A phone is compared by its last digits, so "+86 138 0013 8000", "138-0013-8000"
# and "0086 13800138000" are one number; shorter numbers are not compared.
PHONE_DIGITS = 9
PHONE_MIN = 7
# An ID number is compared by its ending: at least this many characters.
ID_MIN = 4
_ALIAS_SEPARATORS = re.compile(r"[\n,;、]+")


def name_key(value: str) -> str:
    """A name as the watchlist compares it: NFKC (full-width → half-width),
    case folded, every space removed ("Li Wei", "LIWEI", "ｌｉ　ｗｅｉ" are one)."""
    return "".join(unicodedata.normalize("NFKC", value or "").casefold().split())


def phone_key(value: str) -> str:
    digits = normalise_phone(unicodedata.normalize("NFKC", value or ""))
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_MIN else ""


def email_key(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().casefold()


def id_key(value: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKC", value or "").upper() if char.isalnum())


def aliases_of(entry: WatchlistEntry) -> list[str]:
    return [alias.strip() for alias in _ALIAS_SEPARATORS.split(entry.aliases or "") if alias.strip()]


def entry_keys(entry: WatchlistEntry) -> set[str]:
    """Every key under which `entry` is found."""
    keys = {f"n:{name_key(name)}" for name in [entry.name, *aliases_of(entry)] if name_key(name)}
    if phone_key(entry.phone):
        keys.add(f"p:{phone_key(entry.phone)}")
    if email_key(entry.email):
        keys.add(f"e:{email_key(entry.email)}")
    if len(id_key(entry.id_fragment)) >= ID_MIN:
        keys.add(f"i:{id_key(entry.id_fragment)}")
    return keys


def visitor_keys(visitor: Visitor) -> set[str]:
    """The keys a visitor is looked up by: their name, phone, email, and each
    ending of their ID number that an entry may hold."""
    keys = {f"n:{name_key(visitor.full_name)}"} if name_key(visitor.full_name) else set()
    if phone_key(visitor.phone):
        keys.add(f"p:{phone_key(visitor.phone)}")
    if email_key(visitor.email):
        keys.add(f"e:{email_key(visitor.email)}")
    number = id_key(visitor.id_number)
    keys |= {f"i:{number[-length:]}" for length in range(ID_MIN, len(number) + 1)}
    return keys


@transaction.atomic
def index_entry(entry: WatchlistEntry) -> None:
    """Make `entry`'s keys match its fields now (after it is added or changed)."""
    wanted = entry_keys(entry)
    WatchlistKey.objects.filter(entry=entry).exclude(key__in=wanted).delete()
    have = set(WatchlistKey.objects.filter(entry=entry).values_list("key", flat=True))
    WatchlistKey.objects.bulk_create(WatchlistKey(entry=entry, site_id=entry.site_id, key=key) for key in wanted - have)


def match(site: Site, visitor: Visitor, *, at: datetime | None = None) -> WatchlistEntry | None:
    """The site's unexpired watchlist entry that `visitor` matches, a DENY
    entry before an ALERT one; None for no match. One indexed query."""
    at = at or timezone.now()
    keys = visitor_keys(visitor)
    if not keys:
        return None
    found = (
        WatchlistKey.objects.filter(site=site, key__in=keys)
        .filter(Q(entry__expires_at__isnull=True) | Q(entry__expires_at__gt=at))
        .select_related("entry")
        # "deny" sorts after "alert": descending puts a DENY entry first.
        .order_by("-entry__level", "entry_id")
        .first()
    )
    return found.entry if found is not None else None


def holds(entry: WatchlistEntry | None) -> bool:
    """Whether a match holds the arrival for security (DENY), rather than only alerting."""
    return entry is not None and entry.level == WatchlistLevel.DENY
