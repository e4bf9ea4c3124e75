"""Survey lists and identity: which staged rows a list may write, and review items for the rest.

The same rules as a registration through the form or the API (``enrollment.registration``),
set-based over a job's staged rows:

* A staged row whose CUIL is known is *writable* only when the stored worker is in the scope of
  the person who uploaded the list (``enrollment.selectors.workers_for``) and has the same
  folded names and birth date. Only then are its contact data updated and its enrollment made.
  When a list is applied this is decided once per chunk, for each row, into a temporary table
  (``decide_rows``) that the chunk's statements read.
* Every other known row is held: one review item per row ("registered by another organisation"
  or "data in conflict"), written by one ``INSERT … SELECT`` per chunk, holding the row as sent.
* Two rows of one list with one CUIL and other names or birth date are both held
  ("CUIL repeated in the list with different data"); identical repetitions stay one row.

The summary counts the held rows apart ("requieren revisión") and never counts a worker out of
the uploader's scope as already registered.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment, IdentityReview, ImportJob, ImportRow, ImportRowError, Worker
from enrollment.selectors import worker_scope_sql

HELD_DUPLICATE = IdentityReview.Kind.DUPLICATE_IN_LIST

#: The staged row ``r`` and the stored worker ``w`` name the same person.
SAME_IDENTITY = (
    "(w.last_name_norm = r.last_name_norm AND w.first_name_norm = r.first_name_norm AND w.birth_date = r.birth_date)"
)

#: The temporary table of a chunk's staged rows with their worker and what the list may do
#: (``decide_rows``).
DECIDED = "import_decided_rows"

_SUBMITTED_JSON = """jsonb_build_object(
    'cuil', r.cuil, 'last_name', r.last_name, 'first_name', r.first_name,
    'birth_date', to_char(r.birth_date, 'YYYY-MM-DD'), 'sex', r.sex, 'nationality', r.nationality,
    'phone', r.phone, 'address', r.address, 'province', r.province_id, 'locality', r.locality,
    'cbu', r.cbu, 'renatre', r.renatre)"""


def in_scope(job: ImportJob) -> tuple[str, list]:
    """SQL condition (on the worker aliased ``w``): the worker is in the uploader's scope, as
    ``workers_for`` decides it."""
    return worker_scope_sql(job.uploaded_by, alias="w")


def writable(job: ImportJob) -> tuple[str, list]:
    """SQL condition for a staged row ``r`` joined to its known worker ``w``: the list may write it.

    One test (``IS TRUE``) rather than a conjunction of comparisons, so that the planner never
    takes the names' equalities for a way to find the worker (see ``decide_rows``)."""
    scope, params = in_scope(job)
    return f"(({scope} AND {SAME_IDENTITY}) IS TRUE)", params


def messages() -> dict[str, str]:
    """What the uploader reads in the errors CSV for each held row (never a stored value)."""
    return {
        IdentityReview.Kind.OTHER_ORGANISATION: str(IdentityReview.Kind.OTHER_ORGANISATION.label),
        IdentityReview.Kind.DATA_CONFLICT: _("%(reason)s — requiere revisión")
        % {"reason": IdentityReview.Kind.DATA_CONFLICT.label},
    }


def summary_counts(cursor, job: ImportJob) -> dict[int, dict[str, int]]:
    """Staged rows (not held as repeated) by the period they go to and by what confirming would
    do, in one pass: rows, new workers, known and writable, already enrolled in the period (of
    those), and held for review."""
    rows, workers, enrollments = ImportRow._meta.db_table, Worker._meta.db_table, Enrollment._meta.db_table
    condition, params = writable(job)
    cursor.execute(
        f"""
        SELECT s.cycle_id,
               count(*),
               count(*) FILTER (WHERE s.wid IS NULL),
               count(*) FILTER (WHERE s.ok),
               count(s.eid) FILTER (WHERE s.ok),
               count(*) FILTER (WHERE s.wid IS NOT NULL AND NOT s.ok)
        FROM (
            SELECT r.cycle_id, w.id AS wid, e.id AS eid, {condition} AS ok
            FROM {rows} r
            LEFT JOIN {workers} w ON w.cuil = r.cuil
            LEFT JOIN {enrollments} e ON e.worker_id = w.id AND e.cycle_id = r.cycle_id
            WHERE r.job_id = %s AND r.held = ''
        ) s
        GROUP BY s.cycle_id
        """,
        [*params, job.pk],
    )
    return {
        cycle_id: {"rows": count, "new": new, "known": known, "enrolled": enrolled, "held": held}
        for cycle_id, count, new, known, enrolled, held in cursor.fetchall()
    }


def held_duplicate_counts(cursor, job: ImportJob) -> dict[int, int]:
    """Rows held as one CUIL for two people, by the period they go to."""
    cursor.execute(
        f"SELECT cycle_id, count(*) FROM {ImportRow._meta.db_table} WHERE job_id = %s AND held = %s GROUP BY cycle_id",
        [job.pk, HELD_DUPLICATE],
    )
    return dict(cursor.fetchall())


def report_held_rows(cursor, job: ImportJob, *, limit: int) -> int:
    """Write one problem line per staged row that confirming would hold for review, the first
    ``limit`` in file order (the problems' cap); returns how many were written. Outside the
    uploader's scope the line only says "registered by another organisation", whatever differs."""
    if limit <= 0:
        return 0
    rows, workers, errors = ImportRow._meta.db_table, Worker._meta.db_table, ImportRowError._meta.db_table
    scope, scope_params = in_scope(job)
    texts = messages()
    cursor.execute(
        f"""
        INSERT INTO {errors} (job_id, row_number, "column", value, message)
        SELECT r.job_id, r.row_number, 'cuil', r.cuil,
               CASE WHEN {scope} THEN %s ELSE %s END
        FROM {rows} r JOIN {workers} w ON w.cuil = r.cuil
        WHERE r.job_id = %s AND r.held = '' AND NOT ({scope} AND {SAME_IDENTITY})
        ORDER BY r.row_number
        LIMIT %s
        """,
        [
            *scope_params,
            texts[IdentityReview.Kind.DATA_CONFLICT],
            texts[IdentityReview.Kind.OTHER_ORGANISATION],
            job.pk,
            *scope_params,
            limit,
        ],
    )
    return cursor.rowcount


def report_other_cbus(cursor, job: ImportJob, *, limit: int) -> tuple[int, int]:
    """A list never changes a known worker's CBU: a change is a request that a second person
    approves (``enrollment.bank_accounts``). So each row the list may write whose CBU differs from
    the one on file is imported without it, and a problem line (the first ``limit`` in file order)
    tells the uploader how to ask for the change. Returns (rows with another CBU, lines written)."""
    rows, workers, errors = ImportRow._meta.db_table, Worker._meta.db_table, ImportRowError._meta.db_table
    condition, params = writable(job)
    cursor.execute(
        f"""
        WITH other AS (
            SELECT r.job_id, r.row_number, r.cbu
            FROM {rows} r JOIN {workers} w ON w.cuil = r.cuil
            WHERE r.job_id = %s AND r.held = '' AND r.cbu <> '' AND r.cbu IS DISTINCT FROM w.cbu AND {condition}
        ), listed AS (
            INSERT INTO {errors} (job_id, row_number, "column", value, message)
            SELECT job_id, row_number, 'cbu', cbu, %s FROM other ORDER BY row_number LIMIT %s
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM other), (SELECT count(*) FROM listed)
        """,
        [job.pk, *params, other_cbu_message(), max(limit, 0)],
    )
    total, listed = cursor.fetchone()
    return total, listed


def other_cbu_message() -> str:
    """What the uploader reads for a row whose CBU differs from the one on file."""
    return _(
        "CBU distinto del registrado: la lista no cambia el CBU. Pida el cambio desde la ficha del "
        "trabajador/a; lo aprueba otra persona."
    )


def decide_rows(cursor, job: ImportJob, *, where: str, picked: list) -> None:
    """Decide once, for the staged rows ``where`` (on ``r``, with ``picked``: a chunk, once its
    new workers are inserted), which worker each one names and whether the list may write it,
    into the temporary table ``DECIDED`` (dropped when the transaction ends): row number, CUIL,
    period, worker, ``in_scope`` (the uploader's scope, as ``in_scope``), ``same_identity``
    (``SAME_IDENTITY``) and the row's contact data and residence. The list may write a row when
    both hold; the apply's statements and ``hold_known_rows`` read this table instead of checking
    every row again, and never join it back to the staged rows (whose statistics say nothing of
    the list just staged) but to look up one held row by its job and CUIL.

    The worker is found by CUIL only and the identity compared on the pair found: with names
    and birth date among the join's conditions the planner may look the worker up by the names'
    index and visit every namesake, which on a large table costs more than the insert itself.
    The table is analysed, so the statements that read it are planned for its real size."""
    rows, workers = ImportRow._meta.db_table, Worker._meta.db_table
    scope, scope_params = in_scope(job)
    cursor.execute(f"DROP TABLE IF EXISTS {DECIDED}")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {DECIDED} ON COMMIT DROP AS
        SELECT r.row_number, r.cuil, r.cycle_id, w.id AS worker_id,
               COALESCE({scope}, false) AS in_scope, {SAME_IDENTITY} AS same_identity,
               r.phone, r.address, r.province_id, r.locality, r.renatre
        FROM {rows} r JOIN {workers} w ON w.cuil = r.cuil
        WHERE {where}
        """,
        [*scope_params, *picked],
    )
    # Only the columns the statements filter and join on: the text columns' statistics would
    # cost more than the rest of the step.
    cursor.execute(f"ANALYZE {DECIDED} (worker_id, cycle_id, in_scope, same_identity)")


def hold_known_rows(cursor, job: ImportJob) -> int:
    """Create the review items for the rows ``decide_rows`` decided the list may not write, in
    one statement; returns how many. A row already held (a retry) is not held twice."""
    rows = ImportRow._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {IdentityReview._meta.db_table} (kind, state, cuil, worker_id, cycle_id, organisation_id,
            requested_by_id, import_job_id, row_number, in_sender_scope, submitted, created_at, decision,
            decision_reason)
        SELECT CASE WHEN d.same_identity THEN %s ELSE %s END, %s, d.cuil, d.worker_id, d.cycle_id, %s, %s, %s,
            d.row_number, d.in_scope,
            (SELECT {_SUBMITTED_JSON} FROM {rows} r WHERE r.job_id = %s AND r.held = '' AND r.cuil = d.cuil),
            %s, '', ''
        FROM {DECIDED} d
        WHERE NOT (d.in_scope AND d.same_identity)
        ON CONFLICT (import_job_id, row_number) WHERE import_job_id IS NOT NULL DO NOTHING
        """,
        [
            IdentityReview.Kind.OTHER_ORGANISATION,
            IdentityReview.Kind.DATA_CONFLICT,
            IdentityReview.State.OPEN,
            job.organisation_id,
            job.uploaded_by_id,
            job.pk,
            job.pk,
            timezone.now(),
        ],
    )
    return cursor.rowcount


def hold_duplicate_rows(cursor, job: ImportJob) -> int:
    """Create the review items for the rows held as one CUIL for different people, in one
    statement; returns how many."""
    rows, workers = ImportRow._meta.db_table, Worker._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {IdentityReview._meta.db_table} (kind, state, cuil, worker_id, cycle_id, organisation_id,
            requested_by_id, import_job_id, row_number, in_sender_scope, submitted, created_at, decision,
            decision_reason)
        SELECT %s, %s, r.cuil, w.id, r.cycle_id, %s, %s, r.job_id, r.row_number, false, {_SUBMITTED_JSON}, %s, '', ''
        FROM {rows} r LEFT JOIN {workers} w ON w.cuil = r.cuil
        WHERE r.job_id = %s AND r.held = %s
        ON CONFLICT (import_job_id, row_number) WHERE import_job_id IS NOT NULL DO NOTHING
        """,
        [
            HELD_DUPLICATE,
            IdentityReview.State.OPEN,
            job.organisation_id,
            job.uploaded_by_id,
            timezone.now(),
            job.pk,
            HELD_DUPLICATE,
        ],
    )
    return cursor.rowcount


def duplicate_message(first_row: int) -> str:
    return _(
        "CUIL repetido en el archivo con otro nombre o fecha de nacimiento (fila %(row)s): las dos filas "
        "quedan retenidas — datos en conflicto, requiere revisión."
    ) % {"row": first_row}
