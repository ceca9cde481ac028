"""Helpers for the front-desk page tests: visits made through the services,
as the desk would make them."""

from datetime import datetime

from visitors import services
from visitors.models import Visit, Visitor

DAYTIME = "2026-11-27 10:00:00+08:00"
# What the night officer records at a night arrival (R6.8); not recorded by day.
NIGHT_FACTS = services.NightFacts(id_sighted=True, id_sighted_type="national_id", host_contacted=True)

# Each test makes several staff accounts; a cheap hasher keeps hashing from
# dominating the run (these tests are not about passwords).
QUICK_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def walk_in(
    *, category, room, by, name="Walk-in Visitor", party_size=1, host=None, company="", phone="", at=None, **fields
):
    visit = Visit(category=category, room=room, party_size=party_size, host=host, **{"purpose": "Talks", **fields})
    visitor = Visitor(full_name=name, company=company, phone=phone)
    return services.register_visit(visit=visit, visitor=visitor, by=by, arrive_now=True, night_facts=NIGHT_FACTS, at=at)


def expect(*, category, room, by, expected_at: datetime | str, name="Expected Guest", host=None, company=""):
    if isinstance(expected_at, str):
        expected_at = datetime.fromisoformat(expected_at)
    visit = Visit(category=category, room=room, purpose="Meeting", host=host, expected_at=expected_at)
    visitor = Visitor(full_name=name, company=company)
    return services.register_visit(visit=visit, visitor=visitor, by=by, arrive_now=False)


# The browser tests import Playwright's `expect`; this name avoids the clash.
expect_visit = expect
