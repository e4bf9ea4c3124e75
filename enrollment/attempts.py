"""Survey-list tasks that cannot loop for ever on a poison file.

A list's analysis or apply runs in Celery with ``acks_late`` and ``reject_on_worker_lost``: a
worker that dies in the middle (SIGKILL, or SIGABRT from a native reader out of memory) leaves
the task queued, and the broker delivers it again. So each delivery first counts itself on the
job row (``analysis_attempts`` or ``apply_attempts``), in its own committed transaction, before
any dangerous work; a delivery that finds ``UPLOAD_TASK_MAX_ATTEMPTS`` attempts already started
marks the job failed instead of reading the file again. An error raised by the work is recorded
on the job (``last_failure``) and the task is retried once; the second failure marks it failed.
A transient database error (a lock timeout, a lost connection) does not count.

A job that is not in the stage's state any more (discarded, done, failed) is left alone: a task
that arrives late does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pghistory
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import ImportJob, ImportRow, ImportRowError

J = ImportJob.Status


@dataclass(frozen=True)
class Stage:
    field: str
    #: the states in which a delivery of this stage has work to do
    statuses: tuple[str, ...]
    #: what the stage is called in the messages
    name: str


def analysis() -> Stage:
    return Stage("analysis_attempts", (J.QUEUED, J.ANALYSING), _("El análisis del padrón"))


def applying() -> Stage:
    return Stage("apply_attempts", (J.CONFIRMED,), _("La importación del padrón"))


def max_attempts() -> int:
    return max(1, getattr(settings, "UPLOAD_TASK_MAX_ATTEMPTS", 2))


def start_attempt(*, job_id: int, stage: Stage) -> int | None:
    """Count one more delivery of ``stage`` on the job, committed at once. Returns the attempt's
    number, or None when the job has nothing to do in this stage (a late or discarded task).

    Past ``UPLOAD_TASK_MAX_ATTEMPTS`` the job is marked failed here and None is returned: earlier
    deliveries started and never finished (the worker died) or failed."""
    with transaction.atomic(durable=True):
        updated = ImportJob.objects.filter(pk=job_id, status__in=stage.statuses).update(
            **{stage.field: F(stage.field) + 1}
        )
        if not updated:
            return None
        job = ImportJob.objects.get(pk=job_id)
        attempt = getattr(job, stage.field)
        if attempt <= max_attempts():
            return attempt
        failure = job.last_failure or _(
            "el proceso se interrumpió sin terminar (el archivo agota la memoria o el tiempo del servidor)"
        )
        _mark_failed(
            job,
            _("%(stage)s falló %(n)s veces: %(failure)s. Revise el archivo o divídalo en partes.")
            % {"stage": stage.name, "n": attempt - 1, "failure": failure},
        )
    return None


def forget_attempt(*, job_id: int, stage: Stage) -> None:
    """A transient database error is not the file's fault: the delivery is not counted."""
    with transaction.atomic(durable=True):
        ImportJob.objects.filter(pk=job_id, **{f"{stage.field}__gt": 0}).update(**{stage.field: F(stage.field) - 1})


def record_failure(*, job_id: int, stage: Stage, attempt: int, error: BaseException) -> bool:
    """Keep the error on the job; at the last attempt, mark the job failed. Returns whether the
    task should be tried again."""
    failure = (str(error) or type(error).__name__)[:500]
    with transaction.atomic(durable=True):
        job = ImportJob.objects.select_for_update().filter(pk=job_id, status__in=stage.statuses).first()
        if job is None:
            return False
        ImportJob.objects.filter(pk=job_id).update(last_failure=failure)
        if attempt < max_attempts():
            return True
        _mark_failed(
            job,
            _("%(stage)s falló %(n)s veces: %(failure)s. Revise el archivo o divídalo en partes.")
            % {"stage": stage.name, "n": attempt, "failure": failure},
        )
    return False


def _mark_failed(job: ImportJob, message: str) -> None:
    """Failed with the message, as the page and the errors CSV show it; staged rows dropped."""
    ImportRow.objects.filter(job=job).delete()
    if job.status != J.CONFIRMED:
        # A confirmed job's errors are the analysis' (kept); an analysis' are replaced.
        ImportRowError.objects.filter(job=job).delete()
    ImportRowError.objects.create(job=job, row_number=0, column="", message=message)
    with pghistory.context(user=job.uploaded_by_id, reason=f"padrón {job.pk}: {J.FAILED.label}"):
        ImportJob.objects.filter(pk=job.pk).update(status=J.FAILED, error_message=message, finished_at=timezone.now())
