"""The matching engine: who in a set of candidates is (or may be) a person of a target list.

The work is split the way each part is fastest:

* **Exact** pairs (same CUIL, same DNI) and the **name block** (same phonetic full name and the
  same birth year, or a placeholder birth date on either side) are joins in PostgreSQL between
  a temporary table of candidates and the target relation: hash joins, set-based.
* The **birth-date block** (the same birth date, or day and month swapped) is grouped in
  PostgreSQL, one row per date with the arrays of the targets' names, and scored block by block
  with ``rapidfuzz.process.cdist`` (vectorised C++), so millions of name comparisons never
  become millions of rows or Python calls. A block larger than ``HOT_BLOCK`` (a placeholder
  birth date shared by many records) is split further by the first surname's sound.
* Only the few pairs that pass the name pre-filter are scored in Python by ``score_pair``,
  which states its reasons in words.

Targets are any relation with the columns ``id, registry_id, cuil, dni, name_key, last_key,
sort_key, birth_date, benefit_from, benefit_to`` — the current versions of external registries, or the
programme's own enrollments in overlapping cycles.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import numpy as np
from django.db import DatabaseError
from django.db.transaction import TransactionManagementError
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from enrollment.screening.bounds import PartialNameBound
from enrollment.screening.frequencies import rare_names
from enrollment.screening.joins import (
    TARGET_COLUMNS,
    JoinsInSecondSession,
    run_joins,
    undated_name_keys,
    worker_column,
)
from enrollment.screening.names import PLACEHOLDER_BIRTH_DATES, is_placeholder, sort_key, swapped
from enrollment.screening.near_dni import one_keystroke
from enrollment.screening.weights import (
    DEFAULT,
    RARE_NAME_BITS,
    Weights,
    bits_for,
    evidence,
    is_cuil_conflict,
    may_add_rare_name,
    probability,
)
from provinces.bulk import collector_paused

#: Pairs of a birth-date block whose product of sizes exceeds this are sub-blocked by surname sound.
HOT_BLOCK = 250_000
#: Name similarity (0–100) a pair of the birth-date block needs to be scored at all: below about
#: 80 no pair can reach "possible" (see ``score_pair``), so 75 leaves a margin.
NAME_PREFILTER = 75


@dataclass(slots=True)
class Person:
    ref: int
    cuil: str
    dni: str
    name_key: str
    last_key: str
    birth_date: dt.date | None
    month_from: dt.date
    month_to: dt.date
    worker_id: int | None = None
    registry_id: int | None = None


@dataclass(slots=True)
class Match:
    candidate: Person
    target: Person
    score: float
    facts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Stats:
    exact_pairs: int = 0
    name_block_pairs: int = 0
    name_comparisons: int = 0
    #: Pairs brought in by a DNI one keystroke away (same surname's sound, or same birth date).
    near_dni_pairs: int = 0
    scored_pairs: int = 0
    seconds_exact: float = 0.0
    seconds_fuzzy: float = 0.0
    seconds_name_block: float = 0.0
    seconds_near_dni: float = 0.0
    seconds_block_query: float = 0.0
    seconds_cdist: float = 0.0
    seconds_scoring: float = 0.0


def score_pair(
    a: Person, b: Person, *, rare_name: bool = False, names: float | None = None, weights: Weights | None = None
) -> tuple[float, list[str]]:
    """Probability that ``a`` and ``b`` are the same person, with the facts that led there.

    The sum of the Fellegi–Sunter weights of name, birth date, DNI and sex (the CUIL prefix)
    plus the prior, as ``weights`` documents: agreement is evidence for, disagreement on a
    discriminating field evidence against, a missing value none. The same CUIL with names or
    birth dates that disagree carries the fact ``cuil_conflict``: one of the records is wrong,
    which is not "the same person" (the caller raises its own kind of flag). ``rare_name`` says
    that both names are rare among the lists compared (see ``frequencies.RARE_NAME_EXPECTED``): it adds
    ``RARE_NAME_BITS`` when ``weights.may_add_rare_name`` allows. ``names`` is accepted for
    callers that computed a similarity already; the levels are computed here."""
    weights = weights or DEFAULT
    fields = evidence(a.cuil, a.dni, a.name_key, a.birth_date, b.cuil, b.dni, b.name_key, b.birth_date, weights)
    name, birth, dni, sex = (e.level for e in fields)
    bits = weights.prior_bits + sum(e.bits for e in fields)
    facts = [f"name:{name}", f"birth:{'placeholder' if birth == 'missing' else birth}"]
    if a.cuil and a.cuil == b.cuil:
        facts.append("cuil")
        if is_cuil_conflict(name, birth):
            facts.append("cuil_conflict")
    else:
        facts.append(_DNI_FACTS[dni])
    if sex != "missing":
        facts.append(f"sex:{sex}")
    if rare_name and may_add_rare_name(name, birth, dni):
        facts.append("rare_name")
        bits += weights.rare_name_bits
    return probability(bits), facts


_DNI_FACTS = {"same": "dni", "typo": "dni_typo", "near": "dni_near", "other": "dni_other", "missing": "no_id"}
_DNI_LEVELS = {fact: level for level, fact in _DNI_FACTS.items()}


def rare_name_counts(facts: list[str]) -> bool:
    """Whether the rarity of the names may add to a pair scored with these facts (see
    ``weights.may_add_rare_name``); never to a pair with the same CUIL."""
    if "cuil" in facts:
        return False
    name = next((f[5:] for f in facts if f.startswith("name:")), "")
    birth = next((f[6:] for f in facts if f.startswith("birth:")), "")
    dni = next((_DNI_LEVELS[f] for f in facts if f in _DNI_LEVELS), "missing")
    return may_add_rare_name(name, "missing" if birth == "placeholder" else birth, dni)


def _person(row, month_from=None, month_to=None) -> Person:
    ident, registry_id, cuil, dni, name_key, last_key, birth, b_from, b_to, worker_id = row
    return Person(
        ref=ident,
        cuil=cuil or "",
        dni=dni or "",
        name_key=name_key,
        last_key=last_key,
        birth_date=birth,
        month_from=b_from,
        month_to=b_to,
        worker_id=worker_id,
        registry_id=registry_id,
    )


#: One birth-date block as the engine reads it: the ids as 8-byte big-endian integers (read with
#: no parsing), and the name keys as written and in alphabetical order and the DNIs (empty when
#: unknown), "|"-joined in the same order (folded keys hold only A–Z and spaces, DNIs digits).
#: Used at load time and for ad-hoc targets.
BLOCK_AGGREGATES = (
    "string_agg(int8send(t.id), ''::bytea ORDER BY t.id), string_agg(t.name_key, '|' ORDER BY t.id),"
    " string_agg(t.sort_key, '|' ORDER BY t.id), string_agg(coalesce(t.dni, ''), '|' ORDER BY t.id)"
)


def build_registry_index(cursor, version_id: int) -> None:
    """What the engine needs of a freshly loaded registry version, computed once: the word
    frequencies of its names and its birth-date blocks. A loaded version never changes."""
    cursor.execute(
        "INSERT INTO screening_registrynameword (version_id, token, records)"
        " SELECT %(v)s, w, count(*) FROM screening_externalrecord t, unnest(string_to_array(t.name_key, ' ')) AS w"
        " WHERE t.version_id = %(v)s AND w <> '' GROUP BY w",
        {"v": version_id},
    )
    cursor.execute(
        f"""
        INSERT INTO screening_registrybirthblock
               (version_id, birth_date, benefit_from, benefit_to, size, ids, name_keys, sort_keys, dnis)
        SELECT %(v)s, t.birth_date, min(t.benefit_from), max(t.benefit_to), count(*), {BLOCK_AGGREGATES}
          FROM screening_externalrecord t
         WHERE t.version_id = %(v)s AND t.birth_date IS NOT NULL AND NOT (t.birth_date = ANY(%(placeholders)s))
         GROUP BY t.birth_date
        """,
        {"v": version_id, "placeholders": list(PLACEHOLDER_BIRTH_DATES)},
    )


#: Memory each sort or hash of a screening pass may use before spilling to disk (PostgreSQL's
#: ``work_mem``, for the pass only): the joins and groupings over tens of thousands of
#: candidates fit in it, the server's default (4 MB) makes them spill.
WORK_MEM = "128MB"


@contextmanager
def use_screening_memory(cursor) -> Iterator[None]:
    """Raise ``work_mem`` to ``WORK_MEM`` for the block, then set back the value it had (both
    ``SET LOCAL``): a pass nested in a caller's transaction (a payments batch's monthly check)
    leaves that transaction's later statements the memory they had. On an error the value is set
    back too when the transaction still takes statements; when it does not, the rollback of the
    enclosing atomic block (savepoint or transaction) undoes the change — as it does for a block
    that marked itself for rollback."""
    cursor.execute("SELECT current_setting('work_mem')")
    (previous,) = cursor.fetchone()
    cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
    try:
        yield
    except BaseException:
        with suppress(DatabaseError, TransactionManagementError):
            cursor.execute("SELECT set_config('work_mem', %s, true)", [previous])
        raise
    # A block that marked its transaction for rollback (``transaction.set_rollback``) takes no
    # more statements; the rollback undoes the change.
    if not cursor.db.needs_rollback:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [previous])


def load_candidates(cursor, candidates: list[Person]) -> None:
    """Candidates into a temporary table ``screen_cand`` (dropped at commit), by COPY."""
    cursor.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS screen_cand (ref bigint, worker_id bigint, cuil text, dni text,"
        " name_key text, last_key text, birth_date date, birth_swapped date, birth_year int, month_from date,"
        " month_to date) ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE screen_cand")
    with cursor.copy(
        "COPY screen_cand (ref, worker_id, cuil, dni, name_key, last_key, birth_date, birth_swapped, birth_year,"
        " month_from, month_to) FROM STDIN"
    ) as copy:
        for c in candidates:
            copy.write_row(
                (
                    c.ref,
                    c.worker_id,
                    c.cuil or None,
                    c.dni or None,
                    c.name_key,
                    c.last_key,
                    c.birth_date,
                    swapped(c.birth_date),
                    c.birth_date.year if c.birth_date else None,
                    c.month_from,
                    c.month_to,
                )
            )
    cursor.execute("ANALYZE screen_cand")


def _engine_settings(cursor) -> None:
    """The planner settings of the engine's joins, until the transaction ends (``find_matches``
    sets the caller's back when it is done)."""
    # Every join is a hash join of the candidates against the targets; with a sort-merge plan
    # PostgreSQL would sort millions of registry rows on disk instead. Nor is JIT compilation
    # worth it: on a server with it on, compiling each join of millions of rows took longer than
    # running it (1.4 s against 0.4 s).
    cursor.execute("SET LOCAL enable_mergejoin = off; SET LOCAL jit = off")


def _second_session_settings(cursor) -> None:
    """The second session's transaction is its own: the pass's memory and planner settings
    until it ends."""
    cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
    _engine_settings(cursor)


def find_matches(
    cursor,
    *,
    candidates: list[Person],
    targets_sql: str,
    params: dict,
    possible: float,
    same: float = 1.0,
    same_worker_is_target: bool = False,
    stats: Stats | None = None,
    tokens_sql: str | None = None,
    target_total: int | None = None,
    blocks_sql: str | None = None,
    weights: Weights | None = None,
    snapshot: str | None = None,
) -> list[Match]:
    """Every (candidate, target) pair scoring at least ``possible`` whose months overlap. ``same``
    (the "same person" threshold) bounds the pairs whose names' frequencies are looked up.

    ``targets_sql`` is a relation aliased by the caller's SQL as ``t``; ``params`` fills it.
    The caller must be inside a transaction and have loaded the same candidates with
    ``load_candidates`` (their table lives until commit). ``tokens_sql`` (a relation of
    ``token, records`` aliased ``tf``) and ``target_total`` may give the targets' name-word counts
    precomputed (a registry version's); without them they are counted from ``targets_sql``.
    ``blocks_sql`` (aliased ``b``, the columns of ``RegistryBirthBlock``) likewise gives the
    targets already grouped by birth date; without it they are grouped here. ``weights`` replaces
    the default level tables (an evaluation with weights estimated for its data set).
    ``snapshot`` (``joins.export_snapshot`` of the caller's transaction) runs the joins in a
    second session meanwhile; ``targets_sql`` must then be readable from another session (not a
    temporary table)."""
    stats = stats if stats is not None else Stats()
    if not candidates:
        return []
    by_ref = {c.ref: c for c in candidates}
    cursor.execute("SELECT current_setting('enable_mergejoin'), current_setting('jit')")
    mergejoin, jit = cursor.fetchone()
    _engine_settings(cursor)
    # Without the cyclic collector the pass does not walk every live object again after each few
    # hundred allocations (twice as fast on the exact part).
    with collector_paused():
        matches = _find_matches(
            cursor,
            candidates,
            by_ref,
            targets_sql,
            params,
            possible,
            same,
            same_worker_is_target,
            stats,
            tokens_sql,
            target_total,
            blocks_sql,
            weights,
            snapshot,
        )
    # (After an error the transaction rolls back, and the SET LOCAL with it.)
    cursor.execute("SELECT set_config('enable_mergejoin', %s, true), set_config('jit', %s, true)", [mergejoin, jit])
    return matches


def _find_matches(
    cursor,
    candidates,
    by_ref,
    targets_sql,
    params,
    possible,
    same,
    same_worker_is_target,
    stats,
    tokens_sql,
    target_total,
    blocks_sql,
    weights=None,
    snapshot=None,
):
    started = time.perf_counter()
    found: dict[tuple[int, int], Match] = {}
    #: The blocks' pairs to fetch and score, in order: (target id, candidate, skipped if the
    #: joins already matched the pair).
    from_blocks: list[tuple[int, Person, bool]] = []
    worker_col = worker_column(same_worker_is_target)

    keep = probability(bits_for(possible) - RARE_NAME_BITS)  # a rare name may still lift these to "possible"
    bound = PartialNameBound.for_weights(weights, bits_for(possible) - RARE_NAME_BITS)

    def consider(cand: Person, target: Person, names: float | None = None) -> None:
        key = (cand.ref, target.ref)
        if key in found or (same_worker_is_target and cand.ref == target.ref):
            return
        if target.month_from > cand.month_to or target.month_to < cand.month_from:
            return
        stats.scored_pairs += 1
        score, facts = score_pair(cand, target, names=names, weights=weights)
        if same_worker_is_target and cand.worker_id is not None and cand.worker_id == target.worker_id:
            score, facts = 1.0, [*facts, "same_worker"]
        if score >= keep or "cuil_conflict" in facts:
            found[key] = Match(cand, target, score, facts)

    # 1–2. The joins in PostgreSQL (``joins``): in a second session on the same snapshot, when
    # the caller passed one, while this one works through the birth-date blocks below.
    join_args = {
        "undated_keys": undated_name_keys(candidates),
        "targets_sql": targets_sql,
        "params": params,
        "same_worker_is_target": same_worker_is_target,
    }
    if snapshot is not None:
        second = JoinsInSecondSession(
            snapshot, candidates=candidates, load=load_candidates, settings=_second_session_settings, **join_args
        ).start()
    else:
        joined = run_joins(cursor, **join_args)
    blocks_started = time.perf_counter()
    # 3. Birth-date block (same date, or day and month swapped): names scored a block at a time.
    cands_by_date: dict[dt.date, list[Person]] = defaultdict(list)
    for c in candidates:
        if c.birth_date is not None and not is_placeholder(c.birth_date):
            cands_by_date[c.birth_date].append(c)
            alt = swapped(c.birth_date)
            if alt is not None:
                cands_by_date[alt].append(c)
    month_from = min(c.month_from for c in candidates)
    month_to = max(c.month_to for c in candidates)
    placeholders = list(PLACEHOLDER_BIRTH_DATES)
    block_params = {**params, "_month_from": month_from, "_month_to": month_to, "_placeholders": placeholders}
    wanted_dates = "(SELECT birth_date FROM screen_cand UNION SELECT birth_swapped FROM screen_cand)"
    if blocks_sql is not None:
        # Precomputed when the registry version was loaded: no grouping of millions of rows here.
        cursor.execute(
            f"SELECT b.birth_date, b.ids, b.name_keys, b.sort_keys, b.dnis FROM {blocks_sql}"
            f" WHERE b.birth_date IN {wanted_dates}"
            "  AND b.benefit_from <= %(_month_to)s AND b.benefit_to >= %(_month_from)s",
            block_params,
        )
    else:
        cursor.execute(
            f"""
            SELECT t.birth_date, {BLOCK_AGGREGATES}
              FROM {targets_sql}
             WHERE t.birth_date IN {wanted_dates}
               AND NOT (t.birth_date = ANY(%(_placeholders)s))
               AND t.benefit_from <= %(_month_to)s AND t.benefit_to >= %(_month_from)s
             GROUP BY t.birth_date
            """,
            block_params,
        )
    stats.seconds_block_query += time.perf_counter() - blocks_started
    cdist_started = time.perf_counter()
    by_date = {
        day: (
            [c.name_key for c in people],
            [sort_key(c.name_key) for c in people],
            [c.name_key.partition(" ")[0] for c in people],
            [c.dni for c in people],
            [c.name_key.partition(" ")[2] for c in people],
        )
        for day, people in cands_by_date.items()
    }
    # Keys are folded to A–Z and spaces, so "|" separates them safely; one string per block is
    # much cheaper to aggregate and to read than an array of strings.
    for birth_date, packed_ids, joined_keys, joined_sorted, joined_dnis in cursor:
        cands = cands_by_date.get(birth_date)
        if not cands:
            continue
        ids = np.frombuffer(packed_ids, dtype=">i8").tolist()
        keys, sort_keys = joined_keys.split("|"), joined_sorted.split("|")
        # The first surname's key is the name key's first word (surname words come first).
        last_keys = [key.partition(" ")[0] for key in keys]
        # A DNI one keystroke away brings the pair in whatever the names (see ``near_dni``).
        dnis = joined_dnis.split("|")
        near = (
            one_keystroke(by_date[birth_date][3], dnis)
            if len(dnis) == len(ids)
            else np.zeros((len(cands), len(ids)), dtype=bool)  # a block built without its DNIs
        )
        stats.near_dni_pairs += int(near.sum())
        if len(cands) * len(ids) <= HOT_BLOCK:
            cand_keys, cand_sorted, cand_first, cand_dnis, cand_rest = by_date[birth_date]
            stats.name_comparisons += len(cand_keys) * len(keys)
            # As written (typos), in alphabetical order (swaps), the first surname alone (one
            # typo away: the rest replaced or missing) and the rest alone (the first surname
            # replaced): cheap vectorised tests, no Python per pair.
            hits = process.cdist(
                cand_keys, keys, scorer=fuzz.ratio, score_cutoff=NAME_PREFILTER, dtype=np.uint8, workers=1
            ).astype(bool)
            hits |= process.cdist(
                cand_sorted, sort_keys, scorer=fuzz.ratio, score_cutoff=NAME_PREFILTER, dtype=np.uint8, workers=1
            ).astype(bool)
            hits |= near
            partial = (
                process.cdist(cand_first, last_keys, scorer=OSA.distance, score_cutoff=1, dtype=np.int8, workers=1) <= 1
            )
            partial |= same_rest(cand_rest, [key.partition(" ")[2] for key in keys])
            partial &= ~hits
            if len(dnis) == len(ids):  # pairs that cannot reach ``keep`` are not scored (``bounds``)
                partial = bound.reachable(partial, cand_keys, keys, cand_dnis, dnis)
            hits |= partial
            rows, cols = np.nonzero(hits)
            for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
                if ids[j] != cands[i].ref or not same_worker_is_target:  # not an enrollment against itself
                    from_blocks.append((ids[j], cands[i], True))
            continue
        # A hot block (a common date and surname): split by surname sound, names scored as written
        # and in alphabetical order; the DNIs one keystroke away over the whole block.
        for i, j in zip(*(axis.tolist() for axis in np.nonzero(near)), strict=True):
            if ids[j] != cands[i].ref or not same_worker_is_target:
                from_blocks.append((ids[j], cands[i], False))
        for sub_cands, sub_ids, sub_keys, sub_sorted in _sub_blocks(cands, ids, keys, last_keys, sort_keys):
            stats.name_comparisons += len(sub_cands) * len(sub_keys)
            cand_keys = [c.name_key for c in sub_cands]
            hits = process.cdist(
                cand_keys, sub_keys, scorer=fuzz.ratio, score_cutoff=NAME_PREFILTER, dtype=np.uint8, workers=1
            ).astype(bool)
            hits |= process.cdist(
                [sort_key(k) for k in cand_keys],
                sub_sorted,
                scorer=fuzz.ratio,
                score_cutoff=NAME_PREFILTER,
                dtype=np.uint8,
                workers=1,
            ).astype(bool)
            rows, cols = np.nonzero(hits)
            for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
                from_blocks.append((sub_ids[j], sub_cands[i], False))
    stats.seconds_cdist += time.perf_counter() - cdist_started
    scoring_started = time.perf_counter()

    if snapshot is not None:
        joined = second.result()
    stats.seconds_exact += joined.seconds_exact
    stats.seconds_name_block += joined.seconds_name_block
    stats.seconds_near_dni += joined.seconds_near_dni
    stats.exact_pairs += len(joined.exact)
    for ref, ident, cuil, dni, key, birth, benefit_from, benefit_to, worker_id in joined.exact:
        if same_worker_is_target and ref == ident:  # an enrollment against itself
            continue
        # The same DNI under the same CUIL, another one or none: scored at once (a shared CUIL
        # whose names or birth date disagree is kept as a CUIL conflict whatever its score).
        target = Person(ident, cuil or "", dni or "", key, "", birth, benefit_from, benefit_to, worker_id)
        consider(by_ref[ref], target)
    for row in joined.name_block:
        stats.name_block_pairs += 1
        consider(by_ref[row[0]], _person(row[1:]))
    # The pairs to fetch and score: the surname-and-DNI join's, then the blocks' in their order
    # (a block's pair already matched by the joins above is not fetched again).
    wanted: dict[int, list[Person]] = defaultdict(list)
    for ref, ident in joined.near:
        if ident != ref or not same_worker_is_target:
            stats.near_dni_pairs += 1
            wanted[ident].append(by_ref[ref])
    for ident, cand, unless_found in from_blocks:
        if not (unless_found and (cand.ref, ident) in found):
            wanted[ident].append(cand)
    if wanted:
        cursor.execute(
            # By primary key (an index scan over the few rows wanted), not a join that would hash
            # every target.
            f"SELECT {TARGET_COLUMNS}, {worker_col} FROM {targets_sql} WHERE t.id = ANY(%(_ids)s::bigint[])",
            {**params, "_ids": sorted(wanted)},
        )
        for row in cursor.fetchall():
            target = _person(row)
            for cand in wanted[target.ref]:
                consider(cand, target)
    # 4. Name frequencies, for the pairs whose level they may change: set-based, a few queries.
    pending = [m for m in found.values() if keep <= m.score < same and rare_name_counts(m.facts)]
    if pending:
        rare_cands, rare_targets = rare_names(
            cursor,
            {m.candidate.name_key for m in pending},
            {m.target.name_key for m in pending},
            targets_sql,
            params,
            tokens_sql=tokens_sql,
            target_total=target_total,
        )
        for m in pending:
            if m.candidate.name_key in rare_cands and m.target.name_key in rare_targets:
                m.score, m.facts = score_pair(m.candidate, m.target, rare_name=True, weights=weights)
    stats.seconds_scoring += time.perf_counter() - scoring_started
    # In one session the exact join ran first; in two it ran beside the rest.
    stats.seconds_fuzzy += time.perf_counter() - started - (joined.seconds_exact if snapshot is None else 0.0)
    return [m for m in found.values() if m.score >= possible or "cuil_conflict" in m.facts]


def same_rest(cand_rest: list[str], target_rest: list[str]) -> np.ndarray:
    """Which (candidate, target) names agree after their first word (both non-empty), compared
    as integers: each distinct rest numbered once, no Python per pair."""
    numbers: dict[str, int] = {"": -1}
    a = np.array([numbers.setdefault(r, len(numbers)) for r in cand_rest])
    b = np.array([numbers.setdefault(r, len(numbers)) for r in target_rest])
    return np.equal.outer(a, b) & (a >= 0)[:, None]


def _sub_blocks(cands: list[Person], ids: list[int], keys: list[str], last_keys: list[str], sort_keys: list[str]):
    """A hot block split by the sound of the first surname."""
    target_groups: dict[str, tuple[list[int], list[str], list[str]]] = defaultdict(lambda: ([], [], []))
    for ident, key, last, ordered in zip(ids, keys, last_keys, sort_keys, strict=True):
        group = target_groups[last]
        group[0].append(ident)
        group[1].append(key)
        group[2].append(ordered)
    cand_groups: dict[str, list[Person]] = defaultdict(list)
    for c in cands:
        cand_groups[c.last_key].append(c)
    for last, group_cands in cand_groups.items():
        if last in target_groups:
            ids_, keys_, sorted_ = target_groups[last]
            yield group_cands, ids_, keys_, sorted_
