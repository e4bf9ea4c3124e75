"""Applying a confirmed survey list: the uploader confirms the summary, then the staged rows
become workers and enrollments set-based — long lists in chunks of consecutive CUILs, each one
transaction, written by parallel sessions — and the staged rows are purged.

Rules: only a job ready to confirm, whose periods are all still open, by a member of the
uploading organisation who registers in each of them; each row goes to the period the analysis
chose for it (``ImportRow.cycle``, one of the job's ``ImportPeriod``), all periods written by the
same statements; each agreement's quota for the activity is never exceeded (its row is locked and
only the places left are filled, per period in file order); a known worker is written only when the uploader may (in
their scope, same names and birth date — ``enrollment.list_reviews``): then only contact and
residence data are updated (an empty cell erases nothing; names, birth date, nationality and CBU
never change; a RENATRE number only where none is stored) and the enrollment made. Every other
known row, and the rows giving one CUIL to two people, become identity review items with one
``INSERT … SELECT`` each, nothing of the worker changed. New workers and enrollments are
inserted ``ON CONFLICT DO NOTHING``, so a crash leaves nothing half-saved, a retry finishes, and
a second run, a re-upload or an overlapping list creates no duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment import list_reviews
from enrollment.imports import jobs
from enrollment.imports.jobs import require_job_actor
from enrollment.models import (
    Enrollment,
    IdentityReview,
    ImportApplyPart,
    ImportJob,
    ImportPeriod,
    ImportRow,
    ImportRowError,
    Worker,
)
from enrollment.selectors import quota_usage
from enrollment.services import can_register_in
from provinces.audit import prepare_bulk_audit
from provinces.models import Agreement, AgreementQuota, Cycle

J = ImportJob.Status
logger = logging.getLogger(__name__)


#: How long a session applying a chunk of a list waits for a lock before giving up (the task is
#: then retried).
CHUNK_LOCK_TIMEOUT = "60s"


def nothing_to_confirm(job: ImportJob) -> str:
    """Why the list has nothing to confirm — no valid row and none held for identity review (held
    rows become review items) — or "" when it has something. The one source of these words:
    ``confirm_import`` refuses with them and the job's page shows them instead of the button."""
    if job.valid_rows or job.review_rows:
        return ""
    return _("Ninguna fila del padrón es válida: no hay nada que inscribir. Corrija el archivo y súbalo de nuevo.")


@transaction.atomic
def confirm_import(*, job: ImportJob, by) -> ImportJob:
    """The uploader's organisation confirms the summary; the caller queues ``apply_import_job``.

    Rules: a member of the uploading organisation who may register in every period of the list;
    only a job ready to confirm, with at least one valid or held row, whose periods are all still
    open.
    """
    require_job_actor(by, job)
    locked = ImportJob.objects.select_for_update(of=("self",)).select_related("cycle__agreement").get(pk=job.pk)
    if locked.status != J.READY:
        raise ValidationError(
            _("Este padrón no está listo para confirmar (estado: %(status)s).")
            % {"status": locked.get_status_display()}
        )
    refusal = nothing_to_confirm(locked)
    if refusal:
        raise ValidationError(refusal)
    for cycle in job_cycles(locked):
        if not can_register_in(by, cycle):
            raise PermissionDenied(
                _("No puede inscribir en períodos de %(province)s.") % {"province": cycle.agreement.province}
            )
        if not cycle.registration_open or cycle.agreement.status != Agreement.Status.ACTIVE:
            raise ValidationError(_("La inscripción del período %(cycle)s está cerrada.") % {"cycle": cycle.name})
    with pghistory.context(user=by.pk, reason="confirmación de padrón"):
        locked.status = J.CONFIRMED
        locked.confirmed_by = by
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return locked


def job_cycles(job: ImportJob) -> list[Cycle]:
    """The periods the job's rows go to (the chosen one for a job with none recorded)."""
    cycles = list(
        Cycle.objects.filter(pk__in=ImportPeriod.objects.filter(job=job).values("cycle_id"))
        .select_related("agreement__province", "crop")
        .order_by("pk")
    )
    return cycles or [job.cycle]


def import_reason(job: ImportJob) -> str:
    """The reason the enrollments a job creates carry (and by which they are found again)."""
    return f"importación de padrón {job.pk}"


def submitted_enrollment_ids(*, job: ImportJob) -> list[int]:
    """The job's enrollments still waiting for screening."""
    return list(
        Enrollment.objects.filter(
            cycle_id__in=[cycle.pk for cycle in job_cycles(job)],
            status=Enrollment.Status.SUBMITTED,
            status_reason=import_reason(job),
        ).values_list("pk", flat=True)
    )


def _chunk_count(staged: int) -> int:
    """Into how many chunks a list of ``staged`` rows is split (1: applied in one transaction)."""
    if settings.SURVEY_LIST_APPLY_SESSIONS < 2 or staged < settings.SURVEY_LIST_PARALLEL_MIN_ROWS:
        return 1
    return max(2, -(-staged // settings.SURVEY_LIST_APPLY_CHUNK_ROWS))


def apply_import(*, job_id: int) -> ImportJob:
    """Create the workers and enrollments of a confirmed job, set-based.

    Rules: the agreement's quota for the activity is never exceeded — its row is locked and only
    the places left are filled, in file order; rows left without a place are reported. Known
    workers the uploader may write keep their identity (names, birth date, sex), nationality and
    CBU and get the list's contact data and residence; the others are held for identity review
    (see the module's rules); new workers are registered by the uploading organisation. One enrollment per
    worker and cycle is guaranteed by the database (``ON CONFLICT DO NOTHING``).

    A list shorter than ``SURVEY_LIST_PARALLEL_MIN_ROWS`` (or one applied inside the caller's
    transaction) is applied in this transaction, all or nothing. A longer one, when its rows all
    fit in the quota, is split into chunks of consecutive CUILs (``_chunks``) that
    ``SURVEY_LIST_APPLY_SESSIONS`` sessions apply at the same time, one transaction per chunk,
    which records the chunk (``ImportApplyPart``) with its rows; meanwhile this transaction keeps
    the job and quota rows locked, so nobody else takes a place, and marks the job done once
    every chunk has committed. A crash leaves whole chunks: a retry applies those not recorded
    and adds up all of them.
    """
    nested = connection.in_atomic_block
    started = time.perf_counter()
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",), no_key=True)
            .select_related("cycle__agreement", "cycle__crop")
            .get(pk=job_id)
        )
        if job.status != J.CONFIRMED:
            return job  # done already, or never confirmed: nothing to do
        cycles = job_cycles(job)
        for cycle in cycles:
            if not cycle.registration_open or cycle.agreement.status != Agreement.Status.ACTIVE:
                message = _("La inscripción del período %(cycle)s se cerró antes de importar.") % {"cycle": cycle.name}
                ImportRowError.objects.create(job=job, row_number=0, message=message)
                jobs.set_status(job, J.FAILED, error_message=message, finished_at=timezone.now())
                return job
        left = _places_left(cycles)
        now = timezone.now()
        # The analysis staged exactly the valid rows, in the transaction that counted them, and
        # nothing else writes or removes staged rows of a confirmed job.
        staged = job.valid_rows
        rows_by_quota = _rows_by_quota(job, cycles)
        fits = all(left.get(key, 0) >= rows for key, rows in rows_by_quota.items())
        done = list(ImportApplyPart.objects.filter(job=job))
        parts = done[0].parts if done else _chunk_count(staged)
        chunks = _chunks(job, parts, staged) if parts > 1 else []
        finished = {d.part for d in done}
        pending = [chunk for chunk in chunks if chunk.part not in finished]
        if parts > 1 and not nested and fits:
            prepared = time.perf_counter()
            _apply_chunks(job, pending, parts=parts, now=now)
            logger.info(
                "import %s applied in %s chunks: locks, quota and chunks %.2fs, chunks written %.2fs",
                job.pk,
                len(pending),
                prepared - started,
                time.perf_counter() - prepared,
            )
            counts: dict = {}
        else:
            with _writing_rows(job) as cursor:
                # With places for every staged row (the usual case) there is nothing to choose.
                counts, timings = _write_rows(cursor, job, now=now, staged=staged, left=None if fits else left)
            logger.info("import %s applied: %s", job.pk, ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
        with pghistory.context(user=job.confirmed_by_id, reason=import_reason(job)), connection.cursor() as cursor:
            list_reviews.hold_duplicate_rows(cursor, job)
        counts["review_rows"] = IdentityReview.objects.filter(import_job=job).count()
        counts.setdefault("over_quota", 0)
        _record_periods(job, cycles, over_quota=counts.pop("over_quota_by_cycle", {}))
        fields = ("created_workers", "updated_workers", "created_enrollments")
        chunked = ImportApplyPart.objects.filter(job=job).aggregate(**{field: Sum(field) for field in fields})
        for field in fields:
            counts[field] = counts.get(field, 0) + (chunked[field] or 0)
        jobs.set_status(job, J.DONE, **counts, finished_at=timezone.now())
    return job


def _places_left(cycles: list[Cycle]) -> dict[tuple[int, int], int]:
    """Places left in each agreement's quota for the activity of ``cycles`` (agreement, activity),
    their rows locked, in a fixed order, until the transaction ends: nobody else takes a place
    meanwhile. A handful of periods per list: each one's use is counted as registering by form does."""
    keys = sorted({(cycle.agreement_id, cycle.crop_id) for cycle in cycles})
    condition = Q(pk__in=[])
    for agreement_id, crop_id in keys:
        condition |= Q(agreement_id=agreement_id, crop_id=crop_id)
    quotas = {
        (quota.agreement_id, quota.crop_id): quota.quota
        for quota in AgreementQuota.objects.select_for_update().filter(condition).order_by("pk")
    }
    left = {}
    for cycle in cycles:
        key = (cycle.agreement_id, cycle.crop_id)
        if key not in left:
            left[key] = max(quotas.get(key, 0) - quota_usage(agreement=cycle.agreement, crop=cycle.crop), 0)
    return left


def _rows_by_quota(job: ImportJob, cycles: list[Cycle]) -> dict[tuple[int, int], int]:
    """The job's rows to apply by the quota (agreement, activity) of the period they go to, as
    the analysis counted them."""
    by_cycle = dict(ImportPeriod.objects.filter(job=job).values_list("cycle_id", "valid_rows"))
    if not by_cycle:
        by_cycle = {job.cycle_id: job.valid_rows}
    rows: dict[tuple[int, int], int] = {}
    for cycle in cycles:
        key = (cycle.agreement_id, cycle.crop_id)
        rows[key] = rows.get(key, 0) + by_cycle.get(cycle.pk, 0)
    return rows


def _record_periods(job: ImportJob, cycles: list[Cycle], *, over_quota: dict[int, int]) -> None:
    """Each period's enrollments created (by this job, across all its attempts and chunks) and
    rows left without a place."""
    periods = list(ImportPeriod.objects.filter(job=job))
    if not periods:
        return
    created = dict(
        Enrollment.objects.filter(status_reason=import_reason(job), cycle_id__in=[cycle.pk for cycle in cycles])
        .values("cycle_id")
        .annotate(n=Count("pk"))
        .values_list("cycle_id", "n")
    )
    for period in periods:
        period.created_enrollments = created.get(period.cycle_id, 0)
        period.over_quota = over_quota.get(period.cycle_id, 0)
    ImportPeriod.objects.bulk_update(periods, ["created_enrollments", "over_quota"])


@dataclass(frozen=True)
class _Chunk:
    """Staged rows whose CUIL is in [``first``, ``after``) (``after`` None: to the end)."""

    part: int
    first: str
    after: str | None
    rows: int


def _chunks(job: ImportJob, parts: int, staged: int) -> list[_Chunk]:
    """The job's ``staged`` rows in at most ``parts`` chunks of consecutive CUILs, all of the same
    size but the last.

    By CUIL, so that each chunk is read through the staging table's (job, CUIL) index and writes
    its own stretch of the CUIL and DNI indexes. The same staged rows always give the same chunks,
    so a retry finds the chunks an earlier attempt recorded."""
    size = -(-staged // parts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT cuil FROM (
                SELECT cuil, row_number() OVER (ORDER BY cuil) AS n
                FROM {ImportRow._meta.db_table} WHERE job_id = %s AND held = ''
            ) r
            WHERE (n - 1) %% %s = 0
            ORDER BY n
            """,
            [job.pk, size],
        )
        firsts = [cuil for (cuil,) in cursor.fetchall()]
    return [
        _Chunk(
            part,
            first,
            firsts[part + 1] if part + 1 < len(firsts) else None,
            min(size, staged - part * size),
        )
        for part, first in enumerate(firsts)
    ]


def _apply_chunks(job: ImportJob, chunks: list[_Chunk], *, parts: int, now: dt.datetime) -> None:
    """Apply the chunks with ``SURVEY_LIST_APPLY_SESSIONS`` sessions at the same time, each taking
    every n-th chunk in order, one transaction per chunk. Raise the first error once every session
    has stopped (the chunks that committed stay recorded).

    Each session starts once the previous one has inserted the workers of its first chunk, so
    while one inserts workers the other mostly inserts enrollments: the two write to different
    tables and indexes rather than take turns on the same index pages."""
    sessions = max(1, min(settings.SURVEY_LIST_APPLY_SESSIONS, len(chunks)))
    started = [threading.Event() for _ in range(sessions)]
    failed = threading.Event()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        futures = [
            pool.submit(
                _apply_session,
                job,
                chunks[number::sessions],
                parts=parts,
                now=now,
                after=started[number - 1] if number else None,
                started=started[number],
                failed=failed,
            )
            for number in range(sessions)
        ]
    for future in futures:
        future.result()


def _apply_session(
    job: ImportJob,
    chunks: list[_Chunk],
    *,
    parts: int,
    now: dt.datetime,
    after: threading.Event | None,
    started: threading.Event,
    failed: threading.Event,
) -> None:
    """One session's chunks, each in its own transaction, in this thread's own connection."""
    totals: dict[str, float] = {}
    try:
        if after is not None:
            after.wait()
        for chunk in chunks:
            if failed.is_set():
                return
            # The coordinating transaction waits for this one outside the database, where
            # PostgreSQL cannot see a deadlock: never wait for a lock for ever.
            with _writing_rows(job, lock_timeout=CHUNK_LOCK_TIMEOUT) as cursor:
                counts, timings = _write_rows(
                    cursor, job, now=now, staged=chunk.rows, chunk=chunk, workers_written=started.set
                )
                ImportApplyPart.objects.create(
                    job=job, part=chunk.part, parts=parts, rows=chunk.rows, finished_at=timezone.now(), **counts
                )
            for step, seconds in timings.items():
                totals[step] = totals.get(step, 0.0) + seconds
    except BaseException:
        failed.set()
        raise
    finally:
        started.set()
        connection.close()
    logger.info(
        "import %s chunks %s applied: %s",
        job.pk,
        ", ".join(str(chunk.part + 1) for chunk in chunks),
        ", ".join(f"{k} {v:.2f}s" for k, v in totals.items()),
    )


@contextmanager
def _writing_rows(job: ImportJob, *, lock_timeout: str | None = None) -> Iterator[CursorWrapper]:
    """A cursor, in a transaction (this one, or a new one in a chunk's session), set up for
    ``_write_rows``: the audit trail's context (the confirming user and the reason), the bulk
    audit prepared (the update trigger stays on), and foreign keys checked per statement rather
    than all at COMMIT, so that the timings in the log say where the time goes."""
    with (
        pghistory.context(user=job.confirmed_by_id, reason=import_reason(job)),
        transaction.atomic(savepoint=False),
        connection.cursor() as cursor,
    ):
        prepare_bulk_audit(cursor)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if lock_timeout is not None:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
        yield cursor


def _write_rows(
    cursor,
    job: ImportJob,
    *,
    now: dt.datetime,
    staged: int,
    chunk: _Chunk | None = None,
    left: dict[tuple[int, int], int] | None = None,
    workers_written: Callable[[], object] | None = None,
) -> tuple[dict, dict[str, float]]:
    """The statements that write a job's ``staged`` rows (or one chunk of them): insert new
    workers, decide once what the list may write (``list_reviews.decide_rows``), update known
    workers, insert enrollments, hold the other known rows for review, each row in its own period
    (``r.cycle_id``); with ``left`` (places left per quota: agreement and activity) when some
    quota has fewer places than rows, only the first rows of each quota not enrolled yet, in file
    order, and the rest reported (counted per period in ``over_quota_by_cycle``).
    Returns the counts and the time each statement took."""
    rows, workers, enrollments, errors = (
        ImportRow._meta.db_table,
        Worker._meta.db_table,
        Enrollment._meta.db_table,
        ImportRowError._meta.db_table,
    )
    # Rows held as one CUIL for two people are not written (their review items are made apart).
    where = "r.job_id = %s AND r.held = ''"
    picked: list[object] = [job.pk]
    if chunk is not None:
        where += " AND r.cuil >= %s"
        picked.append(chunk.first)
        if chunk.after is not None:
            where += " AND r.cuil < %s"
            picked.append(chunk.after)
    started = time.perf_counter()
    # The insert events (with the confirming user and the reason) are written by the tables'
    # statement-level audit triggers, set-based from the rows each statement inserted.
    cursor.execute(
        f"""
        INSERT INTO {workers} (cuil, last_name, first_name, last_name_norm, first_name_norm, birth_date, sex,
            nationality, phone, address, province_id, locality, cbu, renatre, registered_by_id,
            created_at, updated_at)
        SELECT r.cuil, r.last_name, r.first_name, r.last_name_norm, r.first_name_norm, r.birth_date, r.sex,
            r.nationality, r.phone, r.address, r.province_id, r.locality, r.cbu, r.renatre, %s, %s, %s
        FROM {rows} r
        WHERE {where}
        ON CONFLICT (cuil) DO NOTHING
        """,
        [job.organisation_id, now, now, *picked],
    )
    counts = {"created_workers": cursor.rowcount, "updated_workers": 0}
    timings = {"insert workers": time.perf_counter() - started}
    # Each row's worker and whether the list may write it, decided once for the statements below
    # (``d``: the uploader's scope and the worker's identity, before anything of hers changes).
    list_reviews.decide_rows(cursor, job, where=where, picked=picked)
    decided, may_write = list_reviews.DECIDED, "d.in_scope AND d.same_identity"
    timings["decide what the list may write"] = time.perf_counter() - started - sum(timings.values())
    # Known workers (the staged rows the insert skipped) get the list's contact data and residence;
    # the rows just inserted already have them and are left alone by the IS DISTINCT FROM.
    if counts["created_workers"] < staged:
        cursor.execute(
            f"""
            UPDATE {workers} w SET
                phone = COALESCE(NULLIF(d.phone, ''), w.phone),
                address = COALESCE(NULLIF(d.address, ''), w.address),
                province_id = d.province_id,
                locality = COALESCE(NULLIF(d.locality, ''), w.locality),
                renatre = COALESCE(NULLIF(w.renatre, ''), d.renatre),
                updated_at = %s
            FROM {decided} d
            WHERE w.id = d.worker_id AND {may_write}
              AND (w.phone, w.address, w.province_id, w.locality, w.renatre)
                  IS DISTINCT FROM
                  (COALESCE(NULLIF(d.phone, ''), w.phone), COALESCE(NULLIF(d.address, ''), w.address),
                   d.province_id, COALESCE(NULLIF(d.locality, ''), w.locality),
                   COALESCE(NULLIF(w.renatre, ''), d.renatre))
            """,
            [now],
        )
        counts["updated_workers"] = cursor.rowcount
    timings["update known workers"] = time.perf_counter() - started - sum(timings.values())
    if workers_written is not None:
        workers_written()
    values = [
        job.organisation_id,
        job.uploaded_by_id,
        Enrollment.Status.SUBMITTED,
        import_reason(job),
        now,
        job.confirmed_by_id,
        now,
    ]
    columns = """(worker_id, cycle_id, organisation_id, registered_by_id, status, status_reason, status_changed_at,
            status_changed_by_id, created_at)"""
    if left is None:
        cursor.execute(
            f"""
            INSERT INTO {enrollments} {columns}
            SELECT d.worker_id, d.cycle_id, %s, %s, %s, %s, %s, %s, %s
            FROM {decided} d
            WHERE {may_write}
            ON CONFLICT (worker_id, cycle_id) DO NOTHING
            """,
            values,
        )
    else:
        # Per quota, the first rows not enrolled yet in file order, as many as places are left.
        keys = sorted(left)
        cursor.execute(
            f"""
            INSERT INTO {enrollments} {columns}
            SELECT s.worker_id, s.cycle_id, %s, %s, %s, %s, %s, %s, %s
            FROM (
                SELECT d.worker_id, d.cycle_id, q.places,
                       row_number() OVER (PARTITION BY c.agreement_id, c.crop_id ORDER BY d.row_number) AS n
                FROM {decided} d
                JOIN {Cycle._meta.db_table} c ON c.id = d.cycle_id
                JOIN unnest(%s::bigint[], %s::bigint[], %s::int[]) AS q(agreement_id, crop_id, places)
                  ON q.agreement_id = c.agreement_id AND q.crop_id = c.crop_id
                WHERE {may_write}
                  AND NOT EXISTS (
                      SELECT 1 FROM {enrollments} e WHERE e.worker_id = d.worker_id AND e.cycle_id = d.cycle_id
                  )
            ) s
            WHERE s.n <= s.places
            ON CONFLICT (worker_id, cycle_id) DO NOTHING
            """,
            [
                *values,
                [key[0] for key in keys],
                [key[1] for key in keys],
                [left[key] for key in keys],
            ],
        )
    counts["created_enrollments"] = cursor.rowcount
    timings["insert enrollments"] = time.perf_counter() - started - sum(timings.values())
    list_reviews.hold_known_rows(cursor, job)
    timings["hold rows for identity review"] = time.perf_counter() - started - sum(timings.values())
    if left is not None:
        cycles = job_cycles(job)
        cursor.execute(
            f"""
            WITH missing AS (
                SELECT d.row_number, d.cuil, d.cycle_id, m.message
                FROM {decided} d
                JOIN unnest(%s::bigint[], %s::text[]) AS m(cycle_id, message) ON m.cycle_id = d.cycle_id
                WHERE {may_write}
                  AND NOT EXISTS (
                      SELECT 1 FROM {enrollments} e WHERE e.worker_id = d.worker_id AND e.cycle_id = d.cycle_id
                  )
            ), reported AS (
                INSERT INTO {errors} (job_id, row_number, "column", value, message)
                SELECT %s, row_number, 'cuil', cuil, message FROM missing
            )
            SELECT cycle_id, count(*) FROM missing GROUP BY cycle_id
            """,
            [
                [cycle.pk for cycle in cycles],
                [
                    _("Sin lugar en el cupo de %(crop)s del convenio %(number)s.")
                    % {"crop": cycle.crop.name, "number": cycle.agreement.number}
                    for cycle in cycles
                ],
                job.pk,
            ],
        )
        by_cycle = dict(cursor.fetchall())
        counts["over_quota"] = sum(by_cycle.values())
        counts["over_quota_by_cycle"] = by_cycle
        timings["report rows without a place"] = time.perf_counter() - started - sum(timings.values())
    return counts, timings


def purge_staged_rows(*, job_id: int) -> int:
    """Delete the staged rows of a job that was applied or discarded (its counters and errors
    stay). Run after ``apply_import`` commits, so the person does not wait for it."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (J.DONE, J.CANCELLED):
        return 0
    deleted, _ = ImportRow.objects.filter(job=job).delete()
    return deleted
