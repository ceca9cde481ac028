"""Issue #21: the office manager creates an integration's API token in the back
office. The secret is shown once, in the message after saving; only its
digest is kept; creating and revoking are audit events (R6.4) that never hold
the secret; the token works at once and stops when revoked."""

import json
import re

import pytest
from django.urls import reverse

from reception.models import ApiScope, ApiToken
from tests.visitors.api_tokens import bearer
from visitors import audit
from visitors.models import AuditEvent


@pytest.fixture
def office(client, manager, daytime):
    client.force_login(manager)
    return client


def add_token(office, site, **fields):
    return office.post(
        reverse("admin:reception_apitoken_add"),
        {"site": site.pk, "name": "Door system", "scopes": [ApiScope.ON_SITE_LIST], "expires_at_0": "", **fields},
        follow=True,
    )


def shown_secret(response) -> str:
    texts = [str(message) for message in response.context["messages"]]
    found = [re.search(r"(lby_\S+)", text) for text in texts]
    return next(match.group(1) for match in found if match)


def test_a_new_token_is_shown_once_and_stored_as_its_digest(office, site, manager):
    response = add_token(office, site)

    secret = shown_secret(response)
    token = ApiToken.objects.get()
    assert token.scopes == [ApiScope.ON_SITE_LIST] and token.created_by == manager
    assert secret.startswith(token.prefix) and secret not in json.dumps([token.digest, token.prefix])
    change_page = office.get(reverse("admin:reception_apitoken_change", args=[token.pk])).content.decode()
    assert secret not in change_page


def test_the_new_token_opens_its_scope_at_once(office, client, site):
    secret = shown_secret(add_token(office, site))
    office.logout()

    assert client.get("/api/v1/on-site", **bearer(secret)).status_code == 200
    assert client.get("/api/v1/visits", **bearer(secret)).status_code == 403


def test_creating_and_revoking_a_token_are_audited_without_the_secret(office, client, site):
    secret = shown_secret(add_token(office, site))
    token = ApiToken.objects.get()

    office.post(
        reverse("admin:reception_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    events = AuditEvent.objects.filter(site=site, object_type="reception.apitoken")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["apitoken.add", "apitoken.revoke"]
    trail = json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert secret not in trail and token.digest not in trail
    assert audit.verify_chain(site).intact
    assert client.get("/api/v1/on-site", **bearer(secret)).status_code == 401
