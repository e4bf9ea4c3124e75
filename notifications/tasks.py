"""Thin Celery tasks of the outbox: safe to run twice or at once on several workers."""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_due_messages_task() -> dict[str, int]:
    """Send the pending messages that are due (also run by beat every minute for retries)."""
    return services.send_due_messages()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def queue_payment_events_task() -> int:
    """Queue the held and payment-ready messages not yet queued."""
    return services.queue_payment_events()
