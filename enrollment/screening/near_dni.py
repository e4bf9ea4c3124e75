"""Candidate pairs brought in by a DNI one keystroke away (a digit changed, added, dropped or two
neighbours swapped), whatever else the names say.

A DNI typed with one wrong digit is the commonest error of the lists after a name typo, and it
hides a pair from the exact join. Two keys find it without comparing everybody with everybody:

* **the same birth date**: the birth-date blocks (``RegistryBirthBlock``) carry each record's
  DNI, and a candidate's DNI is compared with every DNI of its blocks at once
  (``rapidfuzz.process.cdist``, no Python per pair) — so a pair born the same day with a DNI one
  digit away is compared even when a name was replaced;
* **the same first surname's sound**, with DNIs sharing their first or last four digits (a
  single change leaves one half intact): a hash join in PostgreSQL, the rows that are really
  one keystroke apart kept by a vectorised comparison.

Either way the pair is then scored like any other (``matching.score_pair``): bringing it in
decides nothing.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA


def one_keystroke(cand_dnis: list[str], target_dnis: list[str]) -> np.ndarray:
    """Which (candidate, target) DNIs are known on both sides and one keystroke apart (the same
    DNI is the exact join's)."""
    distance = process.cdist(cand_dnis, target_dnis, scorer=OSA.distance, score_cutoff=1, dtype=np.int8, workers=1)
    known = np.outer(
        np.fromiter(map(bool, cand_dnis), bool, len(cand_dnis)),
        np.fromiter(map(bool, target_dnis), bool, len(target_dnis)),
    )
    return (distance == 1) & known


def surname_and_dni_pairs(cursor, targets_sql: str, params: dict, overlap: str) -> list[tuple[int, int]]:
    """(candidate ref, target id) of the pairs with the same first surname's sound and DNIs one
    keystroke apart; ``screen_cand`` holds the candidates (``matching.load_candidates``)."""
    # Two hash joins, one per half of the DNI; a pair sharing both halves has the same DNI (the
    # exact join's), and the few found twice (DNIs of different lengths) are counted once.
    cursor.execute(
        f"""
        SELECT c.ref, t.id, c.dni, t.dni
          FROM screen_cand c JOIN {targets_sql} ON t.last_key = c.last_key AND left(t.dni, 4) = left(c.dni, 4)
         WHERE {overlap} AND c.last_key <> '' AND t.dni <> c.dni
        UNION ALL
        SELECT c.ref, t.id, c.dni, t.dni
          FROM screen_cand c JOIN {targets_sql} ON t.last_key = c.last_key AND right(t.dni, 4) = right(c.dni, 4)
         WHERE {overlap} AND c.last_key <> '' AND t.dni <> c.dni
        """,
        params,
    )
    rows = cursor.fetchall()
    if not rows:
        return []
    distance = process.cpdist([r[2] for r in rows], [r[3] for r in rows], scorer=OSA.distance, score_cutoff=1)
    return sorted({(r[0], r[1]) for r, d in zip(rows, distance.tolist(), strict=True) if d == 1})
