"""Which pairs of a birth-date block that only a partial name brought in could still be kept.

The birth-date blocks let through pairs whose first surname is one typo away, or whose names
agree after the first surname (``matching``), so that a replaced given name or surname is still
compared. In a registry of millions, most of them are two people who merely share a date and a
common given name ("MARIA") with different DNIs: over 500,000 such pairs at 200,000 candidates
against 5,000,000 records, each scored in Python to be dropped.

What such a pair can score is bounded without scoring it. Neither its full name nor its words
in order were 75 % alike (the other filters of the block), so unless the G/J fold of
``weights.name_level`` lifts the names to 80 % its name level is at most "contained" — and only
"surname", "given" or "different" when both names have as many words. The birth date is the
block's (the same, or day and month swapped); its DNIs are known and different, unknown, or the
same. The best weights of those levels, with the prior and the best sex, give the most the pair
can reach. A pair whose most is below the threshold the engine keeps pairs at is dropped here;
any other is scored as before, so what is found does not change (the weights are the caller's,
so estimated weights bound as they score).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from enrollment.screening.weights import DEFAULT, GJ_FOLD, Level, Weights

#: A written similarity (G/J folded, 0–100) from which the name may be "close" or better.
CLOSE = 80


def _best(table: dict[str, Level], levels: tuple[str, ...]) -> float:
    # A level a table does not hold weighs 0, as in ``weights.evidence``.
    return max(table[level].weight if level in table else 0.0 for level in levels)


@dataclass(frozen=True, slots=True)
class PartialNameBound:
    """The most, in bits, a partial-name pair of a birth-date block can score, by case."""

    keep_bits: float
    base: float
    name_same_words: float
    name_other_words: float
    dni_known_different: float

    @classmethod
    def for_weights(cls, weights: Weights | None, keep_bits: float) -> PartialNameBound:
        w = weights or DEFAULT
        low = _best(w.name, ("surname", "given", "different"))
        return cls(
            keep_bits=keep_bits,
            base=w.prior_bits + _best(w.birth, ("same", "swapped")) + max(0.0, _best(w.sex, ("same", "other"))),
            name_same_words=low,
            name_other_words=max(low, _best(w.name, ("contained", "contained_typo"))),
            dni_known_different=_best(w.dni, ("near", "other")),
        )

    def reachable(
        self, mask: np.ndarray, cand_keys: list[str], keys: list[str], cand_dnis: list[str], dnis: list[str]
    ) -> np.ndarray:
        """``mask`` (candidates × block records, the partial-name pairs) less the pairs that
        cannot reach ``keep_bits``. ``dnis`` must be the block's, in the order of ``keys``."""
        rows, cols = np.nonzero(mask)
        if not len(rows):
            return mask
        rows_l, cols_l = rows.tolist(), cols.tolist()
        a = [cand_keys[i].translate(GJ_FOLD) for i in rows_l]
        b = [keys[j].translate(GJ_FOLD) for j in cols_l]
        written = np.maximum(
            process.cpdist(a, b, scorer=fuzz.ratio), process.cpdist(a, b, scorer=fuzz.token_sort_ratio)
        )
        other_words = np.fromiter((x.count(" ") != y.count(" ") for x, y in zip(a, b, strict=True)), bool, len(rows_l))
        pairs = list(zip(rows_l, cols_l, strict=True))
        known = np.fromiter((bool(cand_dnis[i]) and bool(dnis[j]) for i, j in pairs), bool, len(pairs))
        same_dni = known & np.fromiter((cand_dnis[i] == dnis[j] for i, j in pairs), bool, len(pairs))
        most = (
            self.base
            + np.where(other_words, self.name_other_words, self.name_same_words)
            + np.where(known, self.dni_known_different, 0.0)
        )
        keep = (written >= CLOSE) | same_dni | (most >= self.keep_bits)
        out = np.zeros_like(mask)
        out[rows[keep], cols[keep]] = True
        return out
