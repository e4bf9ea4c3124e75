"""A survey list imported through a real Celery worker on a real broker, including a retry of
an analysis that a dead worker left half-way."""

import datetime as dt

import pytest

from enrollment import imports, tasks
from enrollment.models import Enrollment, ImportApplyPart, ImportJob, Worker
from provinces.roles import Role
from tests.enrollment.survey_files import csv_bytes, row, upload
from tests.factories import CycleFactory, OrganisationFactory, make_user, province
from tests.production.conftest import wait_until

pytestmark = pytest.mark.production
J = ImportJob.Status


@pytest.fixture
def shared_media(settings, tmp_path, monkeypatch):
    """The worker process reads the uploaded file: both sides use the same media folder."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    monkeypatch.setenv("DJANGO_MEDIA_ROOT", str(media))
    return media


def status_of(job) -> str:
    return ImportJob.objects.get(pk=job.pk).status


def test_real_worker_analyses_then_applies_a_survey_list(start_worker, shared_media):
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    job = imports.create_import_job(
        by=officer, upload=upload(csv_bytes([row(n) for n in range(1, 41)] + [row(99, cbu="1")])), cycle=cycle
    )
    start_worker()
    tasks.analyse_import_job.delay(job.pk)
    wait_until(lambda: status_of(job) == J.READY)
    job.refresh_from_db()
    assert (job.valid_rows, job.error_rows, job.enrollments_to_create) == (40, 1, 40)
    imports.confirm_import(job=job, by=officer)
    tasks.apply_import_job.delay(job.pk)
    wait_until(lambda: status_of(job) == J.DONE)
    assert Enrollment.objects.filter(cycle=cycle).count() == 40
    assert wait_until(lambda: not job.rows.exists())  # staged rows purged after the commit


def test_real_worker_applies_a_long_list_in_chunks_from_two_sessions(start_worker, shared_media, monkeypatch):
    """The worker process counts 10 rows as a long list, written in chunks of 5 by its threads."""
    monkeypatch.setenv("SURVEY_LIST_PARALLEL_MIN_ROWS", "10")
    monkeypatch.setenv("SURVEY_LIST_APPLY_CHUNK_ROWS", "5")
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    job = imports.create_import_job(by=officer, upload=upload(csv_bytes([row(n) for n in range(1, 41)])), cycle=cycle)
    start_worker()
    tasks.analyse_import_job.delay(job.pk)
    wait_until(lambda: status_of(job) == J.READY)
    imports.confirm_import(job=ImportJob.objects.get(pk=job.pk), by=officer)
    tasks.apply_import_job.delay(job.pk)
    wait_until(lambda: status_of(job) == J.DONE)
    job.refresh_from_db()
    assert (job.created_workers, job.created_enrollments) == (40, 40)
    assert sorted(ImportApplyPart.objects.filter(job=job).values_list("part", "rows")) == [(k, 5) for k in range(8)]
    assert Enrollment.objects.filter(cycle=cycle).count() == 40


def test_analysis_left_half_way_is_finished_by_a_resumed_task(start_worker, shared_media):
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    job = imports.create_import_job(by=officer, upload=upload(csv_bytes([row(n) for n in range(1, 11)])), cycle=cycle)
    # As a worker that died after marking the job and before committing its analysis leaves it.
    ImportJob.objects.filter(pk=job.pk).update(status=J.ANALYSING, total_rows=10, processed_rows=5)
    start_worker()
    tasks.analyse_import_job.delay(job.pk)
    tasks.analyse_import_job.delay(job.pk)  # delivered twice: still one analysis
    wait_until(lambda: status_of(job) == J.READY)
    job.refresh_from_db()
    assert job.valid_rows == 10 and job.rows.count() == 10
    assert not Worker.objects.exists()
