from celery import shared_task

from provinces import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def close_registration_for_ended_cycles() -> int:
    """Daily (Celery beat): a period stops taking registrations once it has ended."""
    return services.close_registration_for_ended_cycles()
