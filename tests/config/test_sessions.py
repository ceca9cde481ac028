"""config.sessions: Django's cached_db sessions, whose update of an existing
session is one UPDATE outside a transaction (issue #24: no BEGIN and COMMIT
around it on every kiosk submission)."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from config.sessions import SessionStore


@pytest.fixture
def cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_an_update_is_one_statement_and_reaches_the_database_and_the_cache(cache):
    session = SessionStore()
    session["kiosk_key"] = "first"
    session.save()  # created: Django's own path

    session["kiosk_key"] = "second"
    with CaptureQueriesContext(connection) as captured:
        session.save()

    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["UPDATE"]
    stored = Session.objects.get(session_key=session.session_key)
    assert SessionStore().decode(stored.session_data)["kiosk_key"] == "second"
    cache.clear()  # read back from the database alone
    assert SessionStore(session.session_key)["kiosk_key"] == "second"


@pytest.mark.django_db(transaction=True)
def test_an_update_of_a_session_deleted_meanwhile_is_refused_as_django_refuses_it(cache):
    session = SessionStore()
    session["kiosk_key"] = "first"
    session.save()
    Session.objects.filter(session_key=session.session_key).delete()

    session["kiosk_key"] = "second"
    with pytest.raises(UpdateError):
        session.save()


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_save_is_djangos(cache):
    session = SessionStore()
    session.save()
    session["kiosk_key"] = "x"
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        session.save()
    assert any("SAVEPOINT" in q["sql"] for q in captured.captured_queries)
