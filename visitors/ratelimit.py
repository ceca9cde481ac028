"""Rate limits for the public pages: per kiosk device and per client address;
and for the API, per token.

The counts live in Django's default cache, which every process shares (Redis
when REDIS_URL is set, else the `lobby_cache` database table), so the limits
hold however many app servers run.

The DatabaseCache's `incr` is a read then a write, which two processes can
interleave; so a request is admitted by claiming one numbered slot of the
current window with `cache.add`, which both caches perform atomically (Redis
SET NX; a primary-key insert in the table). A window has exactly `limit` slots,
so no interleaving admits more than `limit` requests. A hint of the next free
slot keeps a busy window from trying every slot in turn.

django-ratelimit is not used: its system check refuses the database cache
(E003), and keying on the address alone would throttle a kiosk that all walk-ins
share (see docs/dependencies.md).
"""

import hashlib
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from reception.security import client_ip


@dataclass(frozen=True)
class Limit:
    """At most `per_device` requests from one kiosk and `per_address` from one
    client address in any `window` seconds. None means no limit on that key."""

    per_device: int | None
    per_address: int | None
    window: int = 60


# A visitor at a kiosk makes two or three submissions; a tablet taking twenty a
# minute is being abused. Several kiosks may share one address behind a NAT,
# hence the higher per-address figures.
DEFAULT_LIMITS = {
    "kiosk": Limit(per_device=20, per_address=60),
    "lookup": Limit(per_device=60, per_address=120),
    "invitation": Limit(per_device=None, per_address=30),
    # The API (issue #21): `per_device` is per integration's token.
    "api": Limit(per_device=120, per_address=None),
}


def limit_for(scope: str) -> Limit:
    """The limit for a scope; settings.PUBLIC_RATE_LIMITS may override it."""
    return getattr(settings, "PUBLIC_RATE_LIMITS", {}).get(scope) or DEFAULT_LIMITS[scope]


def _bucket(scope: str, kind: str, ident: str) -> str:
    # Hashed: cache keys stay short and printable whatever the identifier holds.
    digest = hashlib.sha256(ident.encode()).hexdigest()[:24]
    return f"ratelimit:{scope}:{kind}:{digest}"


def take(bucket: str, limit: int, window: int, *, now: float | None = None) -> bool:
    """Claim one of the `limit` slots of the current `window` for `bucket`.

    True if a slot was free. Exact across processes (see the module docstring).
    """
    now = time.time() if now is None else now
    start = int(now // window) * window
    base = f"{bucket}:{start}"
    ttl = window + 5
    hint = cache.get(f"{base}:next", 0)
    for slot in range(max(0, hint), limit):
        if cache.add(f"{base}:{slot}", 1, timeout=ttl):
            cache.set(f"{base}:next", slot + 1, timeout=ttl)
            return True
    cache.set(f"{base}:next", limit, timeout=ttl)
    return False


def allow(request, scope: str) -> bool:
    """Count this request against its kiosk device and its client address."""
    limit = limit_for(scope)
    device = getattr(request, "kiosk", None)
    if device is not None and limit.per_device is not None:
        if not take(_bucket(scope, "device", str(device.pk)), limit.per_device, limit.window):
            return False
    address = client_ip(request)
    if limit.per_address is not None:
        # A request without a usable address shares one bucket with all others like it.
        if not take(_bucket(scope, "address", address or "unknown"), limit.per_address, limit.window):
            return False
    return True


def allow_token(token_id: int) -> bool:
    """Count one API request against its token (the "api" limit)."""
    limit = limit_for("api")
    if limit.per_device is None:
        return True
    return take(_bucket("api", "token", str(token_id)), limit.per_device, limit.window)


def rate_limited(scope: str, methods: tuple[str, ...] = ("POST",)):
    """View decorator: a request of one of `methods` over the limit gets a
    friendly 429 page and nothing else happens (no form is read, nothing is
    saved, nobody is notified). Other methods pass uncounted."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and not allow(request, scope):
                response = render(
                    request,
                    "visitors/kiosk/too_many.html",
                    {"kiosk": getattr(request, "kiosk", None), "retry_after": limit_for(scope).window},
                    status=429,
                )
                response["Retry-After"] = str(limit_for(scope).window)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
