from celery import shared_task

from provinces import services


@shared_task
def close_registration_for_started_cycles() -> int:
    """Daily: a cycle stops taking registrations once its first month has begun."""
    return services.close_registration_for_started_cycles()
