"""Celery tasks for survey-list imports: thin, idempotent, safe to retry (see ``imports``)."""

from celery import shared_task
from django.db import OperationalError

from enrollment import imports


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def analyse_import_job(job_id: int) -> None:
    imports.analyse_import(job_id=job_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def apply_import_job(job_id: int) -> None:
    imports.apply_import(job_id=job_id)
    imports.purge_staged_rows(job_id=job_id)
