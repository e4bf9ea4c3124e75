"""The engine's joins in PostgreSQL — exact DNI, name block, surname and DNI one keystroke away —
and running them in a second session while this one works through the birth-date blocks.

Against millions of registry records the joins are several scans of the registry, all work for
the database server, while the birth-date blocks are work for this process (``rapidfuzz`` over
each block's names). One after the other, each waits for the other. A pass large enough
(``PARALLEL_MIN`` candidates) that is the outermost transaction exports its snapshot
(``pg_export_snapshot``); a second session imports it (``SET TRANSACTION SNAPSHOT``), so it
reads exactly what the pass reads, loads the same candidates and runs the joins while the pass
scores its blocks. The rows come back to the pass, which scores every pair in the same order as
when it runs the joins itself: what is found is the same either way.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from django.db import connection, transaction

from enrollment.screening.names import PLACEHOLDER_BIRTH_DATES, is_placeholder
from enrollment.screening.near_dni import surname_and_dni_pairs

#: Candidates from which a pass runs its registry joins in a second session.
PARALLEL_MIN = 10_000
#: What ``pg_export_snapshot`` returns (hexadecimal groups): checked before it is written into
#: ``SET TRANSACTION SNAPSHOT``, which takes no parameters.
_SNAPSHOT = re.compile(r"^[0-9A-F]+(-[0-9A-F]+)+$")

TARGET_COLUMNS = (
    "t.id, t.registry_id, t.cuil, t.dni, t.name_key, t.last_key, t.birth_date, t.benefit_from, t.benefit_to"
)
OVERLAP = "t.benefit_from <= c.month_to AND t.benefit_to >= c.month_from"


@dataclass
class JoinRows:
    """What the joins return, as rows, and how long each took."""

    exact: list[tuple] = field(default_factory=list)
    name_block: list[tuple] = field(default_factory=list)
    near: list[tuple[int, int]] = field(default_factory=list)
    seconds_exact: float = 0.0
    seconds_name_block: float = 0.0
    seconds_near_dni: float = 0.0


def run_joins(
    cursor, *, undated_keys: list[str], targets_sql: str, params: dict, same_worker_is_target: bool
) -> JoinRows:
    """The joins of ``screen_cand`` (``matching.load_candidates``) with the targets; within the
    programme (``same_worker_is_target``) the targets carry their worker, and the same worker is
    a pair too."""
    out = JoinRows()
    worker_col = worker_column(same_worker_is_target)
    started = time.perf_counter()
    # 1. Exact: one hash join on the DNI — the CUIL's middle digits, so the same CUIL is always
    # the same DNI too (and registries listing only the DNI are caught by the same join) — plus,
    # within the programme, the same worker.
    # Only the columns scoring needs: the months already overlap, and a pair with the same CUIL
    # is decided here without scoring names (the same CUIL is the same person).
    exact_columns = f"c.ref, t.id, t.cuil, t.dni, t.name_key, t.birth_date, t.benefit_from, t.benefit_to, {worker_col}"
    exact_sql = f"SELECT {exact_columns} FROM screen_cand c JOIN {targets_sql} ON t.dni = c.dni WHERE {OVERLAP}"
    if same_worker_is_target:
        exact_sql += f"""
        UNION ALL
        SELECT {exact_columns} FROM screen_cand c JOIN {targets_sql} ON t.worker_id = c.worker_id WHERE {OVERLAP}
        """
    cursor.execute(exact_sql, params)
    out.exact = cursor.fetchall()
    out.seconds_exact = time.perf_counter() - started

    started = time.perf_counter()
    # 2. Name block: the same sounding full name with a birth date one field away (same year and
    # month, or same year and day, or same year and a DNI that shares its first or last four
    # digits: one mistyped digit in each), or a placeholder date against a record without DNI or
    # with a DNI that shares four digits. A placeholder never blocks on its own: it says nothing,
    # and would make one huge block.
    placeholders = list(PLACEHOLDER_BIRTH_DATES)
    near_dni = "(left(t.dni, 4) = left(c.dni, 4) OR right(t.dni, 4) = right(c.dni, 4))"
    # The birth year is part of the join key: joining on the name alone would pair every
    # "GONZALEZ MARIA" with every other before any filter. The placeholder side is filtered
    # before the join (few rows), one branch per side. The candidates without a real date are
    # few: their names are passed as a list that filters the targets as they are read — joined
    # to the candidates' table alone, PostgreSQL estimated a handful of candidates and built its
    # hash table from millions of registry records instead.
    undated_branch = (
        f"""
        UNION ALL
        SELECT c.ref, {TARGET_COLUMNS}, {worker_col}
          FROM screen_cand c JOIN {targets_sql} ON t.name_key = c.name_key
         WHERE {OVERLAP} AND (c.birth_date IS NULL OR c.birth_date = ANY(%(placeholders)s))
           AND t.name_key = ANY(%(undated_keys)s)
           AND t.birth_date IS NOT NULL AND NOT (t.birth_date = ANY(%(placeholders)s))
           AND (t.dni = '' OR c.dni IS NULL OR {near_dni})
        """
        if undated_keys
        else ""
    )
    cursor.execute(
        f"""
        SELECT c.ref, {TARGET_COLUMNS}, {worker_col}
          FROM screen_cand c JOIN {targets_sql}
            ON t.name_key = c.name_key AND extract(year FROM t.birth_date)::int = c.birth_year
         WHERE {OVERLAP} AND t.birth_date <> c.birth_date
           AND (extract(month FROM t.birth_date) = extract(month FROM c.birth_date)
                OR extract(day FROM t.birth_date) = extract(day FROM c.birth_date) OR {near_dni})
           AND NOT (t.birth_date = ANY(%(placeholders)s)) AND NOT (c.birth_date = ANY(%(placeholders)s))
        UNION ALL
        SELECT c.ref, {TARGET_COLUMNS}, {worker_col}
          FROM screen_cand c JOIN {targets_sql} ON t.name_key = c.name_key
         WHERE {OVERLAP} AND (t.birth_date IS NULL OR t.birth_date = ANY(%(placeholders)s))
           AND (t.dni = '' OR c.dni IS NULL OR {near_dni})
        {undated_branch}
        """,
        {**params, "placeholders": placeholders, "undated_keys": undated_keys},
    )
    out.name_block = cursor.fetchall()
    # 3. The same first surname's sound and a DNI one keystroke away, whatever the birth dates.
    near_started = time.perf_counter()
    out.near = surname_and_dni_pairs(cursor, targets_sql, params, OVERLAP)
    out.seconds_near_dni = time.perf_counter() - near_started
    out.seconds_name_block = time.perf_counter() - started
    return out


def worker_column(same_worker_is_target: bool) -> str:
    return "t.worker_id" if same_worker_is_target else "NULL::bigint"


def undated_name_keys(candidates) -> list[str]:
    return sorted({c.name_key for c in candidates if is_placeholder(c.birth_date)})


def export_snapshot(cursor, candidates: int) -> str | None:
    """This transaction's snapshot for a second session, when a pass of ``candidates`` gains
    from one; the caller must be the outermost transaction (a second session would not see
    what an enclosing one wrote and has not committed)."""
    if candidates < PARALLEL_MIN:
        return None
    cursor.execute("SELECT pg_export_snapshot()")
    return cursor.fetchone()[0]


class JoinsInSecondSession:
    """``run_joins`` in a thread with its own database session on ``snapshot``."""

    def __init__(self, snapshot: str, *, candidates, load, settings, **join_args):
        if not _SNAPSHOT.match(snapshot):
            raise ValueError(f"not a snapshot id: {snapshot!r}")
        self._snapshot, self._candidates, self._load, self._settings = snapshot, candidates, load, settings
        self._args = join_args
        self._result: JoinRows | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="screening-joins", daemon=True)

    def start(self) -> JoinsInSecondSession:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{self._snapshot}'")
                self._settings(cursor)
                self._load(cursor, self._candidates)
                self._result = run_joins(cursor, **self._args)
        except BaseException as error:  # handed to the pass, which raises it
            self._error = error
        finally:
            connection.close()

    def result(self) -> JoinRows:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result
