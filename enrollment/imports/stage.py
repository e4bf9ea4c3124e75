"""Analysing a survey list: read the file, check every row, stage the valid rows and the
problems with PostgreSQL ``COPY`` in one transaction, and summarise what applying would do.

Rules: each row goes to the open period of its province and activity that the uploader
registers in (``routes``), or is a problem on its row; idempotent — a job already analysed is
left alone, one interrupted half-way is analysed again from the start, replacing whatever was
staged; a late duplicate delivery never pulls a job analysed (or confirmed) meanwhile back to
analysing. The summary counts, per period and in total, known and new workers, enrollments
already made and the quota left, with joins grouped by the rows' period (nothing per row). Known
workers the list may not write (outside the uploader's scope, or with other names or birth
date) and rows giving one CUIL to two people are counted apart as "requieren revisión" and
listed among the problems (``enrollment.list_reviews``): a worker outside the uploader's scope
is never counted as already registered.
"""

from __future__ import annotations

import logging
import time

import pghistory
import psycopg
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment import list_reviews
from enrollment.imports import jobs
from enrollment.imports.check import HeldRows, Lookups, two_people_message, validate_rows
from enrollment.imports.read import SurveyFileError, read_table
from enrollment.imports.routes import Routes
from enrollment.list_reviews import HELD_DUPLICATE
from enrollment.models import ImportJob, ImportPeriod, ImportRow, ImportRowError
from enrollment.selectors import quota_usage
from provinces.bulk import collector_paused
from provinces.models import AgreementQuota, Cycle

J = ImportJob.Status
logger = logging.getLogger(__name__)


STAGING_COLUMNS = (
    "job_id",
    "row_number",
    "cuil",
    "last_name",
    "first_name",
    "last_name_norm",
    "first_name_norm",
    "birth_date",
    "sex",
    "nationality",
    "phone",
    "address",
    "province_id",
    "locality",
    "cbu",
    "renatre",
    "cycle_id",
)


ERROR_COLUMNS = ("job_id", "row_number", "column", "value", "message")


def copy_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Load ``rows`` into ``table`` with PostgreSQL COPY (one round trip, no per-row INSERT)."""
    if not rows:
        return
    cols = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _column_types(table: str, columns: tuple[str, ...]) -> list[int]:
    """The type (oid) of each of ``columns`` of ``table``, for a binary COPY."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
            [table],
        )
        types = dict(cursor.fetchall())
    return [types[column] for column in columns]


def analyse_import(*, job_id: int) -> ImportJob:
    """Parse and validate the job's file, stage valid rows and errors, compute the summary.

    Idempotent: a job already analysed is left alone; one interrupted half-way is analysed again
    from the start, replacing whatever was staged, all in one transaction.
    """
    job = ImportJob.objects.select_related("cycle__agreement__province", "cycle__crop").get(pk=job_id)
    # Claimed with one conditional UPDATE, so a late duplicate delivery cannot pull a job that
    # was analysed (or confirmed) meanwhile back to "analysing".
    with pghistory.context(user=job.uploaded_by_id, reason=f"padrón {job.pk}: {J.ANALYSING.label}"):
        claimed = ImportJob.objects.filter(pk=job.pk, status__in=[J.QUEUED, J.ANALYSING]).update(
            status=J.ANALYSING, processed_rows=0, total_rows=0
        )
    if not claimed:
        job.refresh_from_db()
        return job
    job.status = J.ANALYSING
    # A list is millions of cells: without the cyclic collector, Python does not walk all of them
    # again every few hundred allocations (a third of the time of reading and checking them).
    with collector_paused():
        return _analyse(job)


def _analyse(job: ImportJob) -> ImportJob:
    started = time.perf_counter()
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        table = read_table(data, job.file_format)
    except SurveyFileError as problem:
        return jobs.fail(job, str(problem))
    except OSError:
        return jobs.fail(job, _("No se encontró el archivo subido; vuelva a subirlo."))
    total = len(table.rows)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=total, processed_rows=0)
    timings = {"read": time.perf_counter() - started}

    # The valid rows go into COPY as they are checked, so PostgreSQL stores them on the other core
    # while Python checks the next ones. The connection is busy with COPY meanwhile, so progress
    # is reported through a second one (in autocommit, visible to the page at once).
    progress_connection = None

    def progress(done: int) -> None:
        nonlocal progress_connection
        if progress_connection is None:
            progress_connection = connections.create_connection(DEFAULT_DB_ALIAS)
        with progress_connection.cursor() as cursor:
            cursor.execute(f"UPDATE {ImportJob._meta.db_table} SET processed_rows = %s WHERE id = %s", [done, job.pk])

    lookups = Lookups()
    routes = Routes.for_job(default=job.cycle, user=job.uploaded_by)
    period_errors: dict[int, int] = {}
    staged = 0
    try:
        with transaction.atomic():
            # The staged rows' reference to their job is kept by this lock (the staging table has
            # no foreign key to check it row by row): the job cannot be deleted meanwhile.
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT 1 FROM {ImportJob._meta.db_table} WHERE id = %s FOR KEY SHARE", [job.pk])
            ImportRow.objects.filter(job=job).delete()
            ImportRowError.objects.filter(job=job).delete()
            cols = ", ".join(f'"{c}"' for c in STAGING_COLUMNS)
            types = _column_types(ImportRow._meta.db_table, STAGING_COLUMNS)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {ImportRow._meta.db_table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                # Binary: each value goes as it is, without writing it out and escaping it as text.
                copy.set_types(types)

                def stage(row: tuple) -> None:
                    nonlocal staged
                    copy.write_row(row)
                    staged += 1

                held = HeldRows()
                _streamed, errors, error_rows = validate_rows(
                    table,
                    cycle=job.cycle,
                    lookups=lookups,
                    routes=routes,
                    job_id=job.pk,
                    progress=progress,
                    sink=stage,
                    held=held,
                    period_errors=period_errors,
                )
                timings["validate"] = time.perf_counter() - started - sum(timings.values())
            held_first = _stage_held_rows(job, held, errors)
            staged -= held_first
            copy_rows(ImportRowError._meta.db_table, ERROR_COLUMNS, errors)
            timings["finish staging with COPY"] = time.perf_counter() - started - sum(timings.values())
            # Another run of the same job (a duplicate delivery) may have finished meanwhile.
            locked = ImportJob.objects.select_for_update(no_key=True).get(pk=job.pk)
            if locked.status != J.ANALYSING:
                raise _SupersededError(locked)
            summary = _summarise(job, period_errors=period_errors, held=bool(held.rows))
            # The known rows held for review are listed among the problems too, within the cap.
            held_known = summary.get("review_rows", 0)
            with connection.cursor() as cursor:
                listed = list_reviews.report_held_rows(
                    cursor, job, limit=max(errors.limit - len(errors), 0) if held_known else 0
                )
            errors.unlisted += held_known - listed
            with connection.cursor() as cursor:
                other_cbus, cbus_listed = list_reviews.report_other_cbus(
                    cursor, job, limit=errors.limit - len(errors) - listed
                )
            errors.unlisted += other_cbus - cbus_listed
            summary["review_rows"] = held_known + len(held.rows) + held_first
            timings["summarise"] = time.perf_counter() - started - sum(timings.values())
            jobs.set_status(
                job,
                J.READY,
                total_rows=total,
                processed_rows=total,
                valid_rows=staged,
                error_rows=error_rows,
                unlisted_errors=errors.unlisted,
                analysed_at=timezone.now(),
                **summary,
            )
    except _SupersededError as superseded:
        return superseded.job
    except (DatabaseError, psycopg.Error):
        # Rolled back. A concurrent run of the same job that committed first makes this one's
        # COPY collide with its rows; that run's result stands. Anything else is raised.
        job.refresh_from_db()
        if job.status != J.ANALYSING:
            return job
        raise
    finally:
        if progress_connection is not None:
            progress_connection.close()
    logger.info("import %s analysed: %s", job.pk, ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    return job


class _SupersededError(Exception):
    def __init__(self, job: ImportJob) -> None:
        super().__init__(job.pk)
        self.job = job


def _stage_held_rows(job: ImportJob, held: HeldRows, errors: list[tuple]) -> int:
    """Stage the rows held as one CUIL for two people, mark the first row of each such CUIL
    (staged already) held too, and add its problem line to ``errors``; returns how many first
    rows were marked (no longer rows to apply)."""
    if not held.first_rows:
        return 0
    copy_rows(ImportRow._meta.db_table, (*STAGING_COLUMNS, "held"), [(*row, HELD_DUPLICATE) for row in held.rows])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ImportRow._meta.db_table} SET held = %s WHERE job_id = %s AND held = '' AND cuil = ANY(%s)",
            [HELD_DUPLICATE, job.pk, list(held.first_rows)],
        )
        marked = cursor.rowcount
    for cuil, (first, other) in held.first_rows.items():
        errors.append((job.pk, first, "CUIL", cuil, two_people_message(other)))
    return marked


def _summarise(job: ImportJob, *, period_errors: dict[int, int], held: bool) -> dict[str, int]:
    """What confirming would do with the rows to apply, per period (``ImportPeriod``, replaced)
    and in total (the job's counters; the rows held as one CUIL for two people are added to the
    total by the caller)."""
    with connection.cursor() as cursor:
        counts = list_reviews.summary_counts(cursor, job)
        duplicates = list_reviews.held_duplicate_counts(cursor, job) if held else {}
    cycle_ids = set(counts) | set(period_errors) | set(duplicates) or {job.cycle_id}
    cycles = Cycle.objects.select_related("agreement", "crop").in_bulk(cycle_ids)
    zero = {"rows": 0, "new": 0, "known": 0, "enrolled": 0, "held": 0}
    periods = []
    for cycle_id in sorted(cycle_ids):
        cycle, found = cycles[cycle_id], counts.get(cycle_id, zero)
        # A handful of periods per list: each one's quota is counted as registering by form does.
        quota = AgreementQuota.objects.filter(agreement_id=cycle.agreement_id, crop_id=cycle.crop_id).first()
        used = quota_usage(agreement=cycle.agreement, crop=cycle.crop)
        periods.append(
            ImportPeriod(
                job=job,
                cycle=cycle,
                valid_rows=found["rows"],
                error_rows=period_errors.get(cycle_id, 0),
                review_rows=found["held"] + duplicates.get(cycle_id, 0),
                new_workers=found["new"],
                known_workers=found["known"],
                already_enrolled=found["enrolled"],
                enrollments_to_create=found["new"] + found["known"] - found["enrolled"],
                quota_available=max((quota.quota if quota else 0) - used, 0),
            )
        )
    ImportPeriod.objects.filter(job=job).delete()
    ImportPeriod.objects.bulk_create(periods)
    return {
        "known_workers": sum(p.known_workers for p in periods),
        "new_workers": sum(p.new_workers for p in periods),
        "already_enrolled": sum(p.already_enrolled for p in periods),
        "enrollments_to_create": sum(p.enrollments_to_create for p in periods),
        "review_rows": sum(counts.get(p.cycle_id, zero)["held"] for p in periods),
        "quota_available": sum(p.quota_available for p in periods),
    }
