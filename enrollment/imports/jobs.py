"""Survey-list jobs (padrones): who sees them, uploading one (a job queued for analysis),
discarding one, recording its status, and its problems as a CSV.

Rules: only provincial and union officers upload, in a cycle they may register in, open, under
an agreement in force; the file is CSV or XLSX (by name and content), not empty and not larger
than ``SURVEY_LIST_MAX_BYTES``. Only members of the uploading organisation act on a job; only a
job not yet applied is discarded, in any state (its staged rows deleted, its errors kept). Cells copied from
the upload into the problems CSV never run as spreadsheet formulas.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrollment.imports.read import SurveyFileError, detect_format, max_upload_bytes
from enrollment.models import ImportJob, ImportRow, ImportRowError
from enrollment.services import can_register_in, registering_organisation
from provinces.models import Agreement, Cycle, Organisation
from provinces.roles import Role
from provinces.scoping import scope_of
from provinces.selectors import cycles_for
from provinces.spreadsheets import spreadsheet_safe

J = ImportJob.Status


def import_jobs_for(user) -> QuerySet[ImportJob]:
    """Jobs the user may see: all for national roles, their provinces' for provincial officers,
    their organisations' uploads for union officers."""
    qs = ImportJob.objects.select_related("cycle__agreement__province", "cycle__crop", "organisation", "uploaded_by")
    return scope_of(user).restrict(qs, provinces=("cycle__agreement__province_id",), organisation="organisation_id")


def registrable_cycles_for(user) -> QuerySet[Cycle]:
    """Open cycles of agreements in force where the user may register workers."""
    if not scope_of(user).has_role(Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER):
        return Cycle.objects.none()
    return cycles_for(user).filter(registration_open=True, agreement__status=Agreement.Status.ACTIVE)


def errors_csv_rows(*, job: ImportJob) -> Iterator[list]:
    """The job's problems as CSV rows (row, column, value, problem), in row order, read with a
    server-side cursor a few thousand at a time; a last row says how many more were found and
    not stored (``SURVEY_LIST_MAX_ERRORS``)."""
    yield [_("fila"), _("columna"), _("valor"), _("problema")]
    rows = job.errors.values_list("row_number", "column", "value", "message")
    for row_number, column, value, message in rows.iterator(chunk_size=2000):
        # Cells copied from the uploaded file could hold a formula (``=HYPERLINK(...)``).
        texts = (spreadsheet_safe(column), spreadsheet_safe(value), spreadsheet_safe(message))
        yield [row_number or "", *texts]
    if job.unlisted_errors:
        yield ["", "", "", unlisted_errors_text(job.unlisted_errors)]


def unlisted_errors_text(count: int) -> str:
    return ngettext(
        "y %(n)s error más, no listado (se guardan los primeros %(limit)s).",
        "y %(n)s errores más, no listados (se guardan los primeros %(limit)s).",
        count,
    ) % {"n": f"{count:,}".replace(",", "."), "limit": f"{settings.SURVEY_LIST_MAX_ERRORS:,}".replace(",", ".")}


def write_errors_csv(*, job: ImportJob, out: io.TextIOBase) -> None:
    """The job's problems as CSV into ``out`` (``errors_csv_rows``)."""
    writer = csv.writer(out, delimiter=";")
    writer.writerows(errors_csv_rows(job=job))


def require_job_actor(by, job: ImportJob) -> None:
    """Only members of the organisation that uploaded, who may register in the cycle."""
    registering_organisation(by, job.organisation)
    if not can_register_in(by, job.cycle):
        raise PermissionDenied(_("No puede inscribir en este período."))


@transaction.atomic
def create_import_job(*, by, upload, cycle: Cycle, organisation: Organisation | None = None) -> ImportJob:
    """Store an uploaded survey list for ``cycle`` and queue it for analysis.

    Rules: only provincial and union officers, in a cycle they may register in, open, under an
    agreement in force; the file is CSV or XLSX (by name and content), not empty and not larger
    than ``SURVEY_LIST_MAX_BYTES``. The caller queues ``tasks.analyse_import_job`` after commit.
    """
    organisation = registering_organisation(by, organisation)
    if not can_register_in(by, cycle):
        raise PermissionDenied(
            _("No puede inscribir en períodos de %(province)s.") % {"province": cycle.agreement.province}
        )
    if not cycle.registration_open or cycle.agreement.status != Agreement.Status.ACTIVE:
        raise ValidationError(
            {"cycle": _("La inscripción del período %(cycle)s está cerrada.") % {"cycle": cycle.name}}
        )
    limit = max_upload_bytes()
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _(
                    "El archivo pesa %(size)s MB y el máximo es %(limit)s MB. Divida el padrón en partes más chicas."
                )
                % {"size": round(upload.size / 1024 / 1024, 1), "limit": limit // (1024 * 1024)}
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": _("El archivo está vacío.")})
    upload.seek(0)
    head = upload.read(8192)
    try:
        file_format = detect_format(upload.name, head)
    except SurveyFileError as problem:
        raise ValidationError({"file": str(problem)}) from problem
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with pghistory.context(user=by.pk, reason="subida de padrón"):
        return ImportJob.objects.create(
            file=upload,
            original_name=upload.name[:255],
            file_format=file_format,
            sha256=digest.hexdigest(),
            uploaded_by=by,
            organisation=organisation,
            cycle=cycle,
            status=J.QUEUED,
        )


#: A job is discarded in any of these states: before, during or after the analysis, failed, or
#: confirmed and not applied yet (stuck included).
DISCARDABLE = (J.QUEUED, J.ANALYSING, J.READY, J.FAILED, J.CONFIRMED)


@transaction.atomic
def cancel_import(*, job: ImportJob, by) -> ImportJob:
    """Discard a job that was not applied, in any state but done: queued, being analysed (the
    analysis then finds the job discarded and keeps nothing), ready, failed, or confirmed and not
    applied (stuck). Its staged rows are deleted, its errors kept; a task for it that still
    arrives does nothing. Discarding a discarded job changes nothing.

    The job row is locked without waiting: while a list is being applied (its row locked by the
    apply) the person is told to wait for it to end."""
    require_job_actor(by, job)
    try:
        # FOR NO KEY UPDATE: compatible with the analysis' key-share lock, so that a job being
        # analysed is discarded at once.
        locked = ImportJob.objects.select_for_update(no_key=True, nowait=True).get(pk=job.pk)
    except OperationalError as busy:
        raise ValidationError(
            _("El padrón se está importando en este momento: espere a que termine para ver el resultado.")
        ) from busy
    if locked.status == J.CANCELLED:
        return locked
    if locked.status not in DISCARDABLE:
        raise ValidationError(_("Este padrón ya fue importado: no se puede descartar."))
    ImportRow.objects.filter(job=locked).delete()
    with pghistory.context(user=by.pk, reason="padrón descartado"):
        locked.status = J.CANCELLED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
    return locked


def set_status(job: ImportJob, status: str, **fields) -> None:
    with pghistory.context(user=job.uploaded_by_id, reason=f"padrón {job.pk}: {J(status).label}"):
        ImportJob.objects.filter(pk=job.pk).update(status=status, **fields)
    job.status = status
    for name, value in fields.items():
        setattr(job, name, value)


def fail(job: ImportJob, message: str) -> ImportJob:
    with transaction.atomic():
        ImportRow.objects.filter(job=job).delete()
        ImportRowError.objects.filter(job=job).delete()
        ImportRowError.objects.create(job=job, row_number=0, column="", message=message)
        set_status(job, J.FAILED, error_message=message, finished_at=timezone.now())
    return job
