from celery import shared_task

from reports import services


@shared_task
def generate_report_task(job_id: int) -> None:
    """Generate a requested report; safe to run twice (see ``services.generate_report``)."""
    services.generate_report(job_id=job_id)
