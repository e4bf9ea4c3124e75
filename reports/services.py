"""Writes of the reports app: asking for a report and generating it."""

from __future__ import annotations

import tempfile

import pghistory
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from config.routers import reading_from_replica
from reports.exports import REPORTS, clean_params, write_report
from reports.models import ReportJob


def request_report(*, by, kind: str, params, format: str) -> ReportJob:
    """Record a report request and queue its generation. The parameters are checked against
    the requester's scope now, and the rows are read again with the same scope by the task,
    so an export never holds anything the requester may not see."""
    report = REPORTS[kind]
    cleaned = clean_params(kind=report, user=by, data=params)
    if format not in ReportJob.Format.values:
        raise ValueError(format)
    from reports.tasks import generate_report_task

    with transaction.atomic(), pghistory.context(user=by.pk, reason=f"report {kind}"):
        job = ReportJob.objects.create(kind=kind, params=cleaned, format=format, requested_by=by)
        transaction.on_commit(lambda: generate_report_task.delay(job.pk))
    return job


def generate_report(*, job_id: int) -> ReportJob:
    """Write the report file of a job, storing progress as it goes. Idempotent: a finished job
    is left alone; a job interrupted half-way is generated again from the start."""
    job = ReportJob.objects.get(pk=job_id)
    if job.status == ReportJob.Status.DONE:
        return job
    report = REPORTS[job.kind]
    with reading_from_replica():
        rows = report.rows(job.requested_by, job.params)
        total = rows.count()
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.RUNNING, total_rows=total, done_rows=0, error="")

    def progress(n: int) -> None:
        ReportJob.objects.filter(pk=job.pk).update(done_rows=min(n, total))

    try:
        with tempfile.TemporaryFile() as out, reading_from_replica():
            written = write_report(job.format, out, report, rows.iterator(chunk_size=2000), progress)
            out.seek(0)
            if job.file:
                job.file.delete(save=False)
            job.file.save(f"{report.filename(job.params)}.{job.format}", File(out), save=False)
    except Exception as error:
        ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.FAILED, error=str(error)[:2000])
        raise
    job.total_rows = max(total, written)  # rows added meanwhile still fit the progress check
    job.done_rows = written
    job.status = ReportJob.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "total_rows", "done_rows", "status", "finished_at"])
    return job
