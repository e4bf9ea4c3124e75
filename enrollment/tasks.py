"""Celery tasks for survey-list imports: thin, idempotent, safe to retry (see ``imports``).

Each delivery counts itself on the job before working and gives up after
``UPLOAD_TASK_MAX_ATTEMPTS`` (``attempts``): a poison file fails its job instead of killing
workers for ever.
"""

from collections.abc import Callable

from celery import shared_task
from django.db import OperationalError

from enrollment import attempts, imports
from enrollment.models import ImportJob

#: seconds before the second try of a task whose work raised an error
RETRY_DELAY = 5


def _guarded(task, job_id: int, stage: attempts.Stage, work: Callable[[], object]) -> bool:
    """Run ``work`` as one counted attempt; False when the job had nothing to do in the stage."""
    attempt = attempts.start_attempt(job_id=job_id, stage=stage)
    if attempt is None:
        return False
    try:
        work()
    except OperationalError:
        attempts.forget_attempt(job_id=job_id, stage=stage)
        raise  # retried by autoretry_for, not counted
    except Exception as error:
        if attempts.record_failure(job_id=job_id, stage=stage, attempt=attempt, error=error):
            raise task.retry(exc=error, countdown=RETRY_DELAY) from error
    return True


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def analyse_import_job(self, job_id: int) -> None:
    _guarded(self, job_id, attempts.analysis(), lambda: imports.analyse_import(job_id=job_id))


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def apply_import_job(self, job_id: int) -> None:
    _guarded(self, job_id, attempts.applying(), lambda: imports.apply_import(job_id=job_id))
    # Also when delivered again after the apply committed (the worker died before this):
    # purging and queueing the screening again is harmless.
    _after_apply(job_id)


def _after_apply(job_id: int) -> None:
    from enrollment.services import queue_screening

    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.DONE:
        return
    imports.purge_staged_rows(job_id=job_id)
    queue_screening(enrollment_ids=imports.submitted_enrollment_ids(job=job))


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def screen_new_enrollments(self, enrollment_ids: list[int]) -> None:
    """Screen new enrollments. When it gives up (an error, or its retries of a database error
    spent) the error is noted on them, and the sweeper queues them once more
    (``enrollment.screening.sweep``)."""
    from enrollment import services
    from enrollment.screening import sweep

    try:
        services.screen_submitted(enrollment_ids=enrollment_ids)
    except Exception as error:
        if not isinstance(error, OperationalError) or self.request.retries >= (self.max_retries or 0):
            sweep.record_failure(enrollment_ids=enrollment_ids, error=error)
        raise
