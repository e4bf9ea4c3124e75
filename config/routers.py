"""Send the reads of dashboards and reports to a read replica, when one is configured.

Only code that opts in with ``reading_from_replica()`` reads from the replica: a request that
writes and then reads its own write must never see a lagging copy. Writes, migrations and every
other read go to ``default``. With no ``REPORTS_DATABASE_URL`` the router routes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars

from django.conf import settings

REPLICA = "replica"
_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("interzafra_use_replica", default=False)


def replica_alias() -> str:
    """The alias reports read from: the replica if configured, else ``default``."""
    return REPLICA if REPLICA in settings.DATABASES else "default"


@contextlib.contextmanager
def reading_from_replica():
    """Within this block, reads of every model go to the replica (if there is one)."""
    token = _use_replica.set(True)
    try:
        yield replica_alias()
    finally:
        _use_replica.reset(token)


class ReportsReplicaRouter:
    def db_for_read(self, model, **hints):
        if _use_replica.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of default: objects from either may be related

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
