"""Production-like tests: a real Celery worker process on a real broker, against the database
the test run created (the system PostgreSQL in CI). Run with ``make test-production``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Overrides the suite-wide eager mode: here tasks go through the broker."""
    if not os.environ.get("CELERY_BROKER_URL", "").startswith(("redis://", "amqp://")):
        pytest.skip("production-like tests need CELERY_BROKER_URL pointing at Redis or RabbitMQ")
    celery_app.conf.task_always_eager = False
    yield


def _test_database_url() -> str:
    s = connection.settings_dict
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{s.get('USER') or 'postgres'}@{host}:{port}/{s['NAME']}"


def wait_until(predicate, timeout: float = 60, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start (and, on teardown, stop) real `celery worker` processes on the test database."""
    procs: list[subprocess.Popen] = []
    celery_app.control.purge()

    def start(name: str = "w1", concurrency: int = 1, queue: str | None = None, **environ: str) -> subprocess.Popen:
        """``queue``: consume only that queue; ``environ``: more environment for the worker (another
        broker, other settings)."""
        env = dict(os.environ, DATABASE_URL=_test_database_url(), CELERY_TASK_ALWAYS_EAGER="0", **environ)
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-n",
                f"{name}@%h",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                *(["--queues", queue] if queue else []),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        wait_until(lambda: "ready" in (tmp_path / f"{name}.log").read_text(), timeout=60)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    celery_app.control.purge()
