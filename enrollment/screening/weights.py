"""How much each field says about two records being one person: Fellegi–Sunter weights.

Each field of a compared pair falls into one *level* (agreed, agreed with a typo, disagreed,
missing...). A level has two probabilities: ``m``, how often a true pair (one person written
twice) shows it, and ``u``, how often two different people compared by the engine show it. Its
weight is ``log2(m / u)`` bits: positive when the level is evidence for the same person,
negative when it is evidence against — a disagreement on a discriminating field counts *against*,
it does not merely add nothing. A missing value weighs 0 (no evidence either way).

The pair's total is the sum of its fields' weights plus the prior ``PRIOR_BITS`` (the log-odds
that a pair the engine compares is one person), and the score is the probability
``1 / (1 + 2 ** -total)``. The thresholds of ``ScreeningRules`` apply to that probability
(0.90 "same person" = 3.17 bits, 0.75 "possible" = 1.58 bits).

Where the values come from. ``u`` is measured among the pairs the engine actually compares —
records that share a birth date (or a sounding name) — not among random pairs: within a
birth-date block a shared birth date is common, so it weighs only ~3 bits, while a shared DNI is
one in a million (DNIs are personal: ~20 bits). ``m`` comes from the error rates of the
labelled Argentine population in ``benchmarks/screening_data.py`` and of the programme's lists
(typos, sound-alike spellings, a missing second name or surname, swapped day and month,
placeholder dates, a CUIL typed from another DNI). ``docs/screening.md`` has the table and
what each combination scores.

Rules that follow from the weights (each has a test in ``tests/screening/test_names.py``):

* two DNIs known and different are evidence against (−3.5 bits): the same name and birth date
  with different DNIs is at most "possible" (a common name may be a namesake), and a name that
  only contains the other ("ACOSTA MARIA" / "ACOSTA PATRICIA MARIA") is not flagged;
* a shared DNI (+20 bits) alone, with names, birth date and sex (the CUIL's 20/27 prefix) all
  different, raises nothing: one of the two DNIs is mistyped, but they are two people;
* the same CUIL with names or birth date that disagree is a **CUIL conflict** (one of the two
  records is wrong), told apart from "same person" by the caller;
* a rare name (term-frequency adjustment, ``RARE_NAME_BITS``) adds evidence when the names
  agree and nothing contradicts them — with two different DNIs, only when names and birth date
  agree exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Levenshtein

from enrollment.screening.names import is_placeholder, swapped


@dataclass(frozen=True, slots=True)
class Level:
    code: str
    m: float
    u: float

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


def _levels(*levels: Level) -> dict[str, Level]:
    return {level.code: level for level in levels}


#: Full name (folded keys, see ``names``): as written or in another order.
NAME = _levels(
    Level("exact", 0.70, 0.00068),  # +10.0
    Level("typo", 0.12, 0.00024),  # +9.0: one typo (similarity ≥ 0.90)
    Level("contained", 0.08, 0.00023),  # +8.4: a second name or surname missing on one side
    Level("contained_typo", 0.03, 0.00024),  # +7.0: the same, and one typo in a remaining word
    Level("close", 0.06, 0.00047),  # +7.0: two typos (similarity 0.80–0.90)
    Level("surname", 0.05, 0.03),  # +0.7: the first surname agrees (or one typo away), the rest does not
    Level("given", 0.01, 0.02),  # −1.0: the rest agrees, the first surname does not
    Level("different", 0.04, 0.998),  # −4.6
)
BIRTH = _levels(
    Level("same", 0.90, 0.11),  # +3.0: within a birth-date block a shared date is common
    Level("swapped", 0.02, 0.005),  # +2.0: day and month swapped
    Level("typo", 0.03, 0.015),  # +1.0: one digit
    Level("different", 0.01, 0.64),  # −6.0
)
DNI = _levels(
    Level("same", 0.85, 0.0000008),  # +20.0: DNIs are personal
    Level("typo", 0.08, 0.01),  # +3.0: one digit
    Level("near", 0.02, 0.04),  # −1.0: two digits
    Level("other", 0.05, 0.57),  # −3.5: a CUIL typed from another DNI happens, a namesake more often
)
SEX = _levels(
    Level("same", 0.99, 0.70),  # +0.5
    Level("other", 0.03, 0.30),  # −3.3
)
#: Term-frequency adjustment: an agreeing name borne by nobody else in either list is four
#: times less likely to agree by chance than the average name.
RARE_NAME_BITS = 2.0
#: Log-odds that a pair the engine compares is one person.
PRIOR_BITS = -8.0
#: The G/J fold applied before comparing keys: the phonetic key writes "GI" as "JI", so
#: SERGIO/SERGO would otherwise differ by two edits for one typo.
GJ_FOLD = str.maketrans("J", "G")


@dataclass(frozen=True)
class Weights:
    """A full set of level tables and the prior. ``DEFAULT`` is the table above, set for the
    programme's lists; ``enrollment.screening.learning`` estimates another set from the pairs a
    data set produces (Expectation–Maximisation), as record-linkage tools do per data set."""

    name: dict[str, Level]
    birth: dict[str, Level]
    dni: dict[str, Level]
    sex: dict[str, Level]
    prior_bits: float = PRIOR_BITS
    rare_name_bits: float = RARE_NAME_BITS

    def tables(self) -> dict[str, dict[str, Level]]:
        return {"name": self.name, "birth": self.birth, "dni": self.dni, "sex": self.sex}


DEFAULT = Weights(NAME, BIRTH, DNI, SEX)


def probability(bits: float) -> float:
    return 1.0 / (1.0 + 2.0 ** (-bits))


def bits_for(score: float) -> float:
    """The total (in bits) a probability threshold stands for."""
    score = min(max(score, 1e-9), 1 - 1e-9)
    return math.log2(score / (1 - score))


def name_level(a: str, b: str) -> str:
    """The level of two folded name keys (see ``NAME``)."""
    a, b = a.translate(GJ_FOLD), b.translate(GJ_FOLD)
    if not a or not b:
        return "different"
    ta, tb = a.split(), b.split()
    if a == b or sorted(ta) == sorted(tb):
        return "exact"
    written = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100.0
    if written >= 0.90:
        return "typo"
    short, long_ = (ta, tb) if len(ta) <= len(tb) else (tb, ta)
    if 2 <= len(short) < len(long_):
        rest = Counter(long_)
        rest.subtract(Counter(short))
        missing = [w for w in short if Counter(short)[w] > Counter(long_)[w]]
        if not missing:
            return "contained"
        if len(set(missing)) == 1:
            # One word of the shorter name is not in the longer: a typo if it is close to a word
            # the longer name has left over (TOLAA → "TOLA" against TOLABA: 0.80).
            word = missing[0]
            left = [w for w, n in rest.items() if n > 0]
            if left and max(fuzz.ratio(word, w) for w in left) >= 80:
                return "contained_typo"
    if written >= 0.80:
        return "close"
    if min(len(ta[0]), len(tb[0])) > 2 and OSA.distance(ta[0], tb[0]) <= 1:
        return "surname"
    if len(ta) > 1 and ta[1:] == tb[1:]:
        return "given"
    return "different"


def birth_level(a: dt.date | None, b: dt.date | None) -> str:
    if a is not None and a == b:
        return "same"
    if a is None or b is None or is_placeholder(a) or is_placeholder(b):
        return "missing"
    if swapped(a) == b:
        return "swapped"
    if OSA.distance(a.strftime("%Y%m%d"), b.strftime("%Y%m%d")) <= 1:
        return "typo"
    return "different"


def dni_level(a: str, b: str) -> str:
    if not a or not b:
        return "missing"
    if a == b:
        return "same"
    distance = OSA.distance(a, b)
    if distance <= 1:
        return "typo"
    if Levenshtein.distance(a, b) <= 2:
        return "near"
    return "other"


def sex_of(cuil: str) -> str:
    """The sex a CUIL's prefix states (20 male, 27 female; 23, 24 and the rest say nothing)."""
    return {"20": "M", "27": "F"}.get(cuil[:2], "") if cuil else ""


def sex_level(a_cuil: str, b_cuil: str) -> str:
    a, b = sex_of(a_cuil), sex_of(b_cuil)
    if not a or not b:
        return "missing"
    return "same" if a == b else "other"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One field of a compared pair: its level and weight in bits (0 when missing)."""

    field: str
    level: str
    bits: float

    @property
    def outcome(self) -> str:
        """agreed, disagreed or missing, as the reviewer's page shows it."""
        if self.level == "missing":
            return "missing"
        return "agreed" if self.bits > 0 else "disagreed"


def evidence(
    a_cuil: str,
    a_dni: str,
    a_key: str,
    a_birth,
    b_cuil: str,
    b_dni: str,
    b_key: str,
    b_birth,
    weights: Weights = DEFAULT,
):
    """The field-by-field evidence of a pair: name, birth date, DNI, sex."""
    levels = (
        ("name", weights.name, name_level(a_key, b_key)),
        ("birth", weights.birth, birth_level(a_birth, b_birth)),
        ("dni", weights.dni, dni_level(a_dni, b_dni)),
        ("sex", weights.sex, sex_level(a_cuil, b_cuil)),
    )
    return [Evidence(name, level, table[level].weight if level in table else 0.0) for name, table, level in levels]


def may_add_rare_name(name: str, birth: str, dni: str) -> bool:
    """Whether the rarity of the names may add to a pair with these levels: the names agree and
    the birth date does not disagree; with two DNIs known and unrelated, only an exact name with
    the same birth date."""
    if name not in ("exact", "typo", "close") or birth == "different" or dni == "same":
        return False
    if dni in ("other", "near"):
        return name == "exact" and birth == "same"
    return True


def is_cuil_conflict(name: str, birth: str) -> bool:
    """A shared CUIL whose names or birth dates disagree: one of the two records is wrong."""
    return name == "different" or birth == "different"
