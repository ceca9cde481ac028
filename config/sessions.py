"""Django's cached_db sessions, updating a session's row in one statement.

Django's database store wraps every save in transaction.atomic, so outside a
transaction an update is BEGIN, UPDATE, COMMIT: three round trips where the
UPDATE alone is atomic already (issue #24: every kiosk submission updates its
session). Creating a session, and any save inside a transaction, are Django's.
"""

import logging

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore
from django.db import DatabaseError, IntegrityError, connections, router

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(CachedDbSessionStore):
    def save(self, must_create=False):
        if must_create or self.session_key is None:
            return super().save(must_create)
        obj = self.create_model_instance(self._get_session())
        using = router.db_for_write(self.model, instance=obj)
        if connections[using].in_atomic_block:
            return super().save(must_create)
        try:
            obj.save(force_update=True, using=using)  # one UPDATE: autocommit makes it its own transaction
        except IntegrityError:
            raise
        except DatabaseError:
            raise UpdateError from None
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except Exception:
            logger.exception("Error saving to cache (%s)", self._cache)
