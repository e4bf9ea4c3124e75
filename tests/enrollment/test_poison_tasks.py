"""A survey-list task that fails twice — an error, or the worker process dying — fails its job
with a clear message and is not run again."""

import datetime as dt

import pytest
from celery.exceptions import Retry
from django.db import OperationalError, connections

from enrollment import attempts, imports, tasks
from enrollment.models import ImportJob
from provinces.roles import Role
from tests.enrollment.survey_files import csv_bytes, row, upload
from tests.factories import CycleFactory, OrganisationFactory, make_user, province

J = ImportJob.Status


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


@pytest.fixture
def job(officer):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    return imports.create_import_job(by=officer, upload=upload(csv_bytes([row(1), row(2)])), cycle=cycle)


@pytest.fixture
def calls(monkeypatch):
    """Counts the analyses and applies that ran; each raises what ``fail`` holds, if anything."""
    seen = {"analyse": 0, "apply": 0, "fail": None}
    real_analyse, real_apply = imports.analyse_import, imports.apply_import

    def analyse(*, job_id):
        seen["analyse"] += 1
        if seen["fail"] is not None:
            raise seen["fail"]
        return real_analyse(job_id=job_id)

    def apply(*, job_id):
        seen["apply"] += 1
        if seen["fail"] is not None:
            raise seen["fail"]
        return real_apply(job_id=job_id)

    monkeypatch.setattr(imports, "analyse_import", analyse)
    monkeypatch.setattr(imports, "apply_import", apply)
    return seen


@pytest.mark.django_db
def test_an_analysis_that_raises_twice_fails_the_job_with_the_error(job, calls):
    calls["fail"] = ValueError("celda imposible")
    with pytest.raises(Retry):  # the first failure asks the broker for another try
        tasks.analyse_import_job.delay(job.pk)
    job.refresh_from_db()
    assert job.status == J.QUEUED and job.last_failure == "celda imposible"
    tasks.analyse_import_job.delay(job.pk)  # the retry
    job.refresh_from_db()
    assert calls["analyse"] == 2
    assert job.status == J.FAILED
    assert "falló 2 veces: celda imposible" in job.error_message
    assert job.errors.get().message == job.error_message
    tasks.analyse_import_job.delay(job.pk)  # delivered once more: nothing runs
    assert calls["analyse"] == 2


@pytest.mark.django_db
def test_a_delivery_after_two_deliveries_that_never_finished_fails_without_reading(job, calls):
    # What a worker killed twice while reading the file leaves behind.
    ImportJob.objects.filter(pk=job.pk).update(status=J.ANALYSING, analysis_attempts=2)
    tasks.analyse_import_job.delay(job.pk)
    job.refresh_from_db()
    assert calls["analyse"] == 0
    assert job.status == J.FAILED and "se interrumpió" in job.error_message
    assert "2 veces" in job.error_message


@pytest.mark.django_db
def test_one_delivery_that_died_is_tried_again(job, calls):
    ImportJob.objects.filter(pk=job.pk).update(status=J.ANALYSING, analysis_attempts=1)
    tasks.analyse_import_job.delay(job.pk)
    job.refresh_from_db()
    assert calls["analyse"] == 1 and job.status == J.READY


@pytest.mark.django_db
def test_a_transient_database_error_is_not_counted(job, calls):
    calls["fail"] = OperationalError("lock timeout")
    with pytest.raises(OperationalError):
        tasks.analyse_import_job.apply(args=[job.pk], throw=True, retries=5)
    job.refresh_from_db()
    assert job.analysis_attempts == 0 and job.status == J.QUEUED


@pytest.mark.django_db
def test_an_apply_that_raises_twice_fails_the_job(officer, job, calls):
    tasks.analyse_import_job.delay(job.pk)
    imports.confirm_import(job=ImportJob.objects.get(pk=job.pk), by=officer)
    calls["fail"] = RuntimeError("disco lleno")
    with pytest.raises(Retry):
        tasks.apply_import_job.delay(job.pk)
    tasks.apply_import_job.delay(job.pk)
    job.refresh_from_db()
    assert calls["apply"] == 2 and job.status == J.FAILED
    assert "La importación del padrón falló 2 veces: disco lleno" in job.error_message


@pytest.mark.django_db
def test_a_discarded_jobs_task_does_nothing(officer, job, calls):
    imports.cancel_import(job=job, by=officer)
    tasks.analyse_import_job.delay(job.pk)
    job.refresh_from_db()
    assert calls["analyse"] == 0 and job.status == J.CANCELLED and job.analysis_attempts == 0


@pytest.mark.django_db(transaction=True)
def test_the_attempt_is_committed_before_the_file_is_read(job, monkeypatch):
    """A worker that dies while reading loses its transaction: the count must already be saved."""
    seen = []

    def analyse(*, job_id):
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT analysis_attempts FROM enrollment_importjob WHERE id = %s", [job_id])
                seen.append(cursor.fetchone()[0])
        finally:
            other.close()

    monkeypatch.setattr(imports, "analyse_import", analyse)
    tasks.analyse_import_job.delay(job.pk)
    assert seen == [1]


def test_at_least_one_attempt_whatever_the_setting(settings):
    settings.UPLOAD_TASK_MAX_ATTEMPTS = 0
    assert attempts.max_attempts() == 1
