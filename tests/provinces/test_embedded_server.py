"""The embedded PostgreSQL is configured for bulk work, not left on the defaults."""

from __future__ import annotations

import pytest
from django.db import connection

from config import embedded

GB = 1024**3


def test_shared_buffers_scale_with_memory_and_are_capped():
    assert embedded.server_settings(memory=512 * 1024**2)["shared_buffers"] == "128MB"
    assert embedded.server_settings(memory=4 * GB)["shared_buffers"] == "512MB"
    assert embedded.server_settings(memory=64 * GB)["shared_buffers"] == "1024MB"
    assert embedded.server_settings(memory=64 * GB)["effective_cache_size"] == f"{32 * 1024}MB"


@pytest.mark.django_db
def test_the_embedded_server_runs_with_the_settings():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('data_directory')")
        if cursor.fetchone()[0] != str(embedded.PGDATA):
            pytest.skip("the tests run against a server given by DATABASE_URL")
    wanted = embedded.server_settings()
    with connection.cursor() as cursor:
        for name in ("shared_buffers", "max_wal_size", "work_mem"):
            cursor.execute("SELECT pg_size_bytes(current_setting(%s)) = pg_size_bytes(%s)", [name, wanted[name]])
            assert cursor.fetchone()[0], name
        cursor.execute("SELECT current_setting('jit'), bool_or(pending_restart) FROM pg_settings")
        assert cursor.fetchone() == ("off", False)
