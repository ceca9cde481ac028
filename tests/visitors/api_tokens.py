"""Helpers for the API tests (issue #21): tokens made as the back office makes them."""

from datetime import datetime

from reception import api_tokens
from reception.models import ApiScope, ApiToken

ALL_SCOPES = [scope.value for scope in ApiScope]


def make_token(*, site, by=None, scopes=ALL_SCOPES, name="Access control", expires_at: datetime | None = None) -> str:
    """A saved token of `site` with `scopes`; returns its secret."""
    token = ApiToken(site=site, name=name, scopes=list(scopes), created_by=by, expires_at=expires_at)
    secret = api_tokens.issue(token)
    token.save()
    return secret


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
