"""Bearer tokens (issue #21): each integration's token names its site and its
scopes; a revoked or expired one answers 401. Every request with a valid
token is counted against that token's rate limit (visitors.ratelimit's exact
slots), so one noisy integration cannot starve the desk."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from reception import api_tokens
from reception.models import ApiToken
from visitors import ratelimit
from visitors.api.errors import ApiRefusal

# last_used_at is a hint for the office manager, not a log: written at most
# once a minute per token, so reads cost no write each.
LAST_USED_GRAIN = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    """A valid token holding `scope`: 401 without one, 403 without the scope,
    decided before the request's input is read."""

    openapi_description = "An API token created by the office manager in the back office."

    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    def authenticate(self, request, token: str) -> ApiToken | None:
        found = api_tokens.usable_token(token)
        if found is None:
            return None
        if not ratelimit.allow_token(found.pk):
            raise ApiRefusal(429, "rate_limited", _("Too many requests with this token; try again in a minute."))
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_GRAIN:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        if not found.allows(self.scope):
            raise ApiRefusal(
                403, "scope_missing", _("This token does not have the %(scope)s scope.") % {"scope": self.scope}
            )
        return found


def audit_details(request) -> dict:
    """What every write's audit event says of who made it: the token (R6.4)."""
    return {"api_token": request.auth.pk}
