"""Celery tasks for survey-list imports: thin, idempotent, safe to retry (see ``imports``)."""

from celery import shared_task
from django.db import OperationalError

from enrollment import imports


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def analyse_import_job(job_id: int) -> None:
    imports.analyse_import(job_id=job_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def apply_import_job(job_id: int) -> None:
    from enrollment.services import queue_screening

    job = imports.apply_import(job_id=job_id)
    imports.purge_staged_rows(job_id=job_id)
    queue_screening(enrollment_ids=imports.submitted_enrollment_ids(job=job))


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def screen_new_enrollments(enrollment_ids: list[int]) -> None:
    from enrollment import services

    services.screen_submitted(enrollment_ids=enrollment_ids)
