"""A poison survey list reaches a real Celery worker, on RabbitMQ and on Redis: the job ends
failed with a clear message, the worker stays up and analyses a good list afterwards.

Two poisons: the 1.6 kB sheet that reaches XFD1048576, which the reader's limits refuse; and
the same sheet given to a worker whose limits are raised out of the way, so that calamine asks
for 550 GB and the worker's child process aborts (SIGABRT) — every time the broker delivers the
task again, until the job's attempt count stops it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import uuid
from urllib.parse import urlparse

import pytest

from config.celery import app as celery_app
from enrollment import imports, tasks
from enrollment.models import ImportJob
from provinces.roles import Role
from tests.enrollment.hostile_files import far_corner_xlsx
from tests.enrollment.survey_files import csv_bytes, row, upload
from tests.factories import CycleFactory, OrganisationFactory, make_user, province
from tests.production.conftest import wait_until

pytestmark = pytest.mark.production
J = ImportJob.Status

BROKERS = {
    "rabbitmq": os.environ.get("TEST_AMQP_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"),
    "redis": os.environ.get("TEST_REDIS_BROKER_URL", "redis://127.0.0.1:6379/15"),
}


def reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or {"amqp": 5672}.get(parsed.scheme, 6379)), 2).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=sorted(BROKERS))
def broker(request):
    """The broker's URL, and a queue of this test's own: other test runs may share the broker."""
    url = BROKERS[request.param]
    if not reachable(url):
        if os.environ.get("PRODUCTION_REQUIRE_BROKERS"):
            pytest.fail(f"{request.param} is not running at {url}")
        pytest.skip(f"{request.param} is not running at {url} (.ci/run starts it)")
    queue = f"poison-{uuid.uuid4().hex[:12]}"
    yield url, queue
    # (already gone with the worker, or the broker went away: nothing to clean)
    with celery_app.connection_for_write(url) as connection, contextlib.suppress(Exception):
        connection.default_channel.queue_delete(queue)


@pytest.fixture
def shared_media(settings, tmp_path, monkeypatch):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    monkeypatch.setenv("DJANGO_MEDIA_ROOT", str(media))
    return media


def send(task, job_id: int, broker: tuple[str, str]) -> None:
    url, queue = broker
    with celery_app.connection_for_write(url) as connection:
        task.apply_async(args=[job_id], connection=connection, queue=queue)


def job_for(officer, cycle, data: bytes, name: str) -> ImportJob:
    return imports.create_import_job(by=officer, upload=upload(data, name), cycle=cycle)


def finished(job: ImportJob):
    job.refresh_from_db()
    return job if job.status not in (J.QUEUED, J.ANALYSING) else None


@pytest.fixture
def officer_and_cycle(transactional_db):
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    return officer, CycleFactory(first_month=dt.date(2026, 5, 1))


def test_a_sheet_reaching_xfd1048576_fails_its_job_and_the_worker_goes_on(
    start_worker, broker, shared_media, officer_and_cycle
):
    officer, cycle = officer_and_cycle
    worker = start_worker("limits", queue=broker[1], CELERY_BROKER_URL=broker[0])
    poison = job_for(officer, cycle, far_corner_xlsx(), "padron.xlsx")
    send(tasks.analyse_import_job, poison.pk, broker)
    poison = wait_until(lambda: finished(poison), timeout=90)
    assert poison.status == J.FAILED and "máximo es 300.000 filas" in poison.error_message
    good = job_for(officer, cycle, csv_bytes([row(1), row(2)]), "padron.csv")
    send(tasks.analyse_import_job, good.pk, broker)
    assert wait_until(lambda: finished(good), timeout=90).status == J.READY
    assert worker.poll() is None


def test_a_file_that_kills_the_worker_process_fails_its_job_after_two_deliveries(
    start_worker, broker, shared_media, officer_and_cycle, tmp_path
):
    officer, cycle = officer_and_cycle
    # Limits raised out of the way: the reader then asks calamine for the whole sheet, and the
    # allocation of 550 GB aborts the process (this is what every delivery did before the limits).
    worker = start_worker(
        "killed",
        queue=broker[1],
        CELERY_BROKER_URL=broker[0],
        SURVEY_LIST_MAX_ROWS="2000000",
        SURVEY_LIST_MAX_COLUMNS="20000",
    )
    poison = job_for(officer, cycle, far_corner_xlsx(), "padron.xlsx")
    send(tasks.analyse_import_job, poison.pk, broker)
    poison = wait_until(lambda: finished(poison), timeout=180)
    assert poison.status == J.FAILED
    assert "falló 2 veces" in poison.error_message and "se interrumpió" in poison.error_message
    assert poison.analysis_attempts == 3  # two that died, the third that gave up without reading
    log = (tmp_path / "killed.log").read_text()
    assert "SIGABRT" in log or "signal 6" in log
    assert worker.poll() is None  # the main worker process is up: it replaced its child
    good = job_for(officer, cycle, csv_bytes([row(1), row(2)]), "padron.csv")
    send(tasks.analyse_import_job, good.pk, broker)
    assert wait_until(lambda: finished(good), timeout=90).status == J.READY
