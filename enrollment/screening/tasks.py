"""Thin Celery tasks: each calls one service, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="screening.load_registry")
def load_registry_task(version_id: int) -> None:
    from enrollment.screening.services import load_registry_version

    load_registry_version(version_id=version_id)


@shared_task(name="screening.run")
def screening_run_task(run_id: int) -> None:
    from enrollment.screening.services import execute_run

    execute_run(run_id=run_id)


@shared_task(name="screening.requeue_stale")
def requeue_stale_screening_task() -> dict[str, int]:
    from enrollment.screening.sweep import requeue_stale_screening

    return requeue_stale_screening()
