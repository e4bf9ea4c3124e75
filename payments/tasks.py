"""Thin Celery tasks: each calls a service that is idempotent and stores its progress."""

from __future__ import annotations

from celery import shared_task

from payments import bank_files, batches, returns


@shared_task(acks_late=True, reject_on_worker_lost=True)
def build_batch_task(batch_id: int) -> None:
    """Build (or resume building) a monthly batch; running it again is harmless."""
    batches.build_batch(batch_id=batch_id, screen=batches.monthly_screening())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def apply_return_file_task(return_file_id: int) -> None:
    """Apply a bank return file; a file already processed is left as it is."""
    returns.apply_return_file(return_file_id=return_file_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def write_bank_file_task(bank_file_id: int) -> None:
    """Write a requested bank file; a file already written is left as it is."""
    bank_files.write_bank_file(bank_file_id=bank_file_id)
