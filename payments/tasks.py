"""Thin Celery tasks: each calls a service that is idempotent and stores its progress. The tasks
over files count their deliveries and give up after ``UPLOAD_TASK_MAX_ATTEMPTS``
(``payments.attempts``)."""

from __future__ import annotations

from collections.abc import Callable

from celery import shared_task

from payments import attempts, bank_files, batches, lifecycle, returns
from payments.models import BankFile, ReturnFile

#: seconds before the second try of a task whose work raised an error
RETRY_DELAY = 5


def _guarded(task, model: attempts.FileModel, pk: int, work: Callable[[], object]) -> None:
    attempt = attempts.start_attempt(model, pk)
    if attempt is None:
        return
    try:
        work()
    except Exception as error:
        if attempts.record_failure(model, pk, attempt=attempt, error=error):
            raise task.retry(exc=error, countdown=RETRY_DELAY) from error


@shared_task(acks_late=True, reject_on_worker_lost=True)
def build_batch_task(batch_id: int) -> None:
    """Build (or resume building) a monthly batch; running it again is harmless."""
    batches.build_batch(batch_id=batch_id, screen=batches.monthly_screening())


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def apply_return_file_task(self, return_file_id: int) -> None:
    """Apply a bank return file; a file already processed is left as it is."""
    _guarded(self, ReturnFile, return_file_id, lambda: returns.apply_return_file(return_file_id=return_file_id))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def write_bank_file_task(self, bank_file_id: int) -> None:
    """Write a requested bank file; a file already written is left as it is."""
    _guarded(self, BankFile, bank_file_id, lambda: bank_files.write_bank_file(bank_file_id=bank_file_id))


@shared_task(acks_late=True, reject_on_worker_lost=True)
def follow_paid_installments_task() -> dict[str, int]:
    """Daily (Celery beat): approved enrollments that were paid become active and active ones
    with nothing left to pay are completed; running it again moves nothing."""
    return lifecycle.follow_paid_installments()
