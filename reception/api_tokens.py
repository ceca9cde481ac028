"""The secrets of the API's tokens (issue #21): made here, stored only as a
SHA-256 digest, found again by that digest. The API's own authentication
(visitors.api.auth) and the back office's "add token" page both use these."""

import hashlib
import secrets

from django.utils import timezone

from reception.models import ApiToken

# Every token starts so, which lets secret scanners recognise a leaked one.
MARK = "lby_"
PREFIX_LENGTH = len(MARK) + 8


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(token: ApiToken) -> str:
    """Give `token` (not yet saved, or being re-keyed) a new secret and return
    it: the only time it exists outside the caller's hands."""
    secret = MARK + secrets.token_urlsafe(32)
    token.prefix = secret[:PREFIX_LENGTH]
    token.digest = digest_of(secret)
    return secret


def usable_token(secret: str) -> ApiToken | None:
    """The token whose secret this is, with its site, if it is neither revoked
    nor expired; None otherwise (one query). A secret that cannot be ours is
    refused before the database is asked."""
    if not secret.startswith(MARK) or len(secret) > 100:
        return None
    return ApiToken.objects.usable(timezone.now()).select_related("site").filter(digest=digest_of(secret)).first()
