"""Fellegi–Sunter weights estimated for a data set, without labels, the way Splink does it.

The default weights (``weights.DEFAULT``) are set for the programme's lists. Another data set —
a benchmark such as FEBRL, or a registry with other error rates — has other ``m`` and ``u``
probabilities. ``estimate_weights`` estimates them from the levels the engine assigns
(``weights.evidence``), fields taken as independent given the match status:

* ``u`` (how often two different people show a level) from **random pairs** of records: nearly
  all of them are two different people, and the few expected to be one person (the prior's
  share, with the ``m`` probabilities) are taken out of the counts;
* ``m`` (how often one person written twice shows it) by **Expectation–Maximisation** over the
  pairs the engine's blocking compares, ``u`` held fixed: the E step gives each pattern of
  levels its probability of being one person — from the fields other than the one whose
  agreement made the engine compare it (the DNI, the birth date or the name), which says
  nothing about that pair, with a share of true pairs per blocking key, as Splink trains on one
  blocking rule at a time —, the M step takes each level's expected share among the true pairs
  where the field is known;
* the **prior** from the expected number of true pairs found that way over all the pairs the
  two lists could form (the probability that two random records are one person).

Each table keeps the default one as a weak prior (``pseudo_pairs`` pairs' worth, split by the
default probabilities), so that a level a data set never shows keeps a finite weight. Missing
values weigh 0, as always; the rare-name adjustment is not estimated (0 bits).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from enrollment.screening.weights import DEFAULT, Level, Weights

FIELDS = ("name", "birth", "dni", "sex")
Pattern = tuple[str, str, str, str]


def estimate_weights(
    compared: Iterable[Pattern],
    random_pairs: Iterable[Pattern],
    *,
    total_pairs: float,
    start: Weights = DEFAULT,
    iterations: int = 30,
    pseudo_pairs: float = 20.0,
) -> Weights:
    """Weights for a data set: ``compared`` are the level patterns of the pairs its blocking
    compares, ``random_pairs`` those of pairs drawn at random, ``total_pairs`` how many pairs
    the lists could form."""
    tables = start.tables()
    m0 = {f: _normalised({code: level.m for code, level in tables[f].items()}) for f in FIELDS}
    u0 = {f: _normalised({code: level.u for code, level in tables[f].items()}) for f in FIELDS}
    sampled = list(random_pairs)
    sampled_counts = {f: Counter(pattern[i] for pattern in sampled) for i, f in enumerate(FIELDS)}
    sampled_patterns = Counter(sampled)
    u = {f: _smoothed(sampled_counts[f], u0[f], pseudo_pairs) for f in FIELDS}
    # A pair is compared because a blocking key agreed (the same DNI, the same birth date, the
    # same name): that field says nothing about the pairs it brought in. As Splink trains m on
    # one blocking rule at a time, each key's pairs are a session of EM that leaves the key's
    # field out; a field's m is the sessions' average (weighted by their true pairs), from the
    # sessions that did not block on it.
    counts = Counter(compared)
    m = {f: dict(m0[f]) for f in FIELDS}
    matched = 0.0
    for _ in range(ROUNDS):
        sessions = {key: _session(counts, key, m, u, iterations) for key in BLOCKING_KEYS}
        for f in FIELDS:
            learnt = [(found, table[f]) for key, (found, table, _share) in sessions.items() if key != f and found > 0]
            if learnt:
                pooled = Counter({code: sum(found * table[code] for found, table in learnt) for code in m0[f]})
                m[f] = _smoothed(pooled, m0[f], pseudo_pairs)
        shares = {key: share for key, (_found, _table, share) in sessions.items()}
        matched = sum(
            n * _posterior(pattern, m, u, shares[key], key)
            for pattern, n in counts.items()
            for key in [_blocked_on(pattern)]
        )
        # A random pair is one person with the prior's probability: in a small data set that is
        # enough to make a shared ID look common among different people. The true pairs are
        # taken out of the sample two ways — their expected number with the average ``m`` of
        # each level, and each random pair weighted by its own probability of being two people
        # given all its fields (the E step over the random pairs) — and a level's ``u`` is the
        # lower of the two: a true pair left in the counts only ever inflates ``u``.
        share = min(max(matched / max(total_pairs, 1.0), 1e-12), 1 - 1e-9)
        u = _u_without_true_pairs(sampled_patterns, m, u, share, u0, pseudo_pairs)
    prior = min(max(matched, 1.0) / max(total_pairs, 2.0), 1 - 1e-9)
    return Weights(
        **{f: {code: Level(code, m[f][code], u[f][code]) for code in m[f]} for f in FIELDS},
        prior_bits=math.log2(prior / (1.0 - prior)),
        rare_name_bits=0.0,
    )


#: The engine's blocking keys and the levels of their field that satisfy them.
BLOCKING_KEYS = {
    "dni": ("same",),
    "birth": ("same", "swapped"),
    "name": ("exact", "typo", "contained", "contained_typo", "close"),
}
#: Rounds of (sessions, then u corrected for the true pairs in the random sample).
ROUNDS = 3


def _posterior(pattern: Pattern, m: dict, u: dict, share: float, left_out: str) -> float:
    """Probability that a pair with these levels is one person, ``left_out`` not counted."""
    odds_m, odds_u = share, 1.0 - share
    for f, code in zip(FIELDS, pattern, strict=True):
        if f != left_out and code in m[f]:
            odds_m *= m[f][code]
            odds_u *= u[f][code]
    return odds_m / (odds_m + odds_u)


def _session(counts: Counter, key: str, m: dict, u: dict, iterations: int) -> tuple[float, dict, float]:
    """EM over the pairs whose ``key`` field agrees, that field left out: the expected number of
    true pairs among them, the m probabilities of the other fields, and the true pairs' share."""
    index = FIELDS.index(key)
    pairs = [(pattern, n) for pattern, n in counts.items() if pattern[index] in BLOCKING_KEYS[key]]
    m = {f: dict(table) for f, table in m.items()}
    share, found = 0.5, 0.0
    total = sum(n for _p, n in pairs)
    if not total:
        return 0.0, m, 0.5
    for _ in range(iterations):
        expected: dict[str, Counter] = {f: Counter() for f in FIELDS}
        found = 0.0
        for pattern, n in pairs:
            p = _posterior(pattern, m, u, share, key)
            found += n * p
            for f, code in zip(FIELDS, pattern, strict=True):
                if f != key and code in m[f]:
                    expected[f][code] += n * p
        share = min(max(found / total, 1e-6), 1 - 1e-6)
        for f in FIELDS:
            known = sum(expected[f].values())
            if f != key and known > 0:
                m[f] = {code: expected[f].get(code, 0.0) / known for code in m[f]}
    return found, m, share


def _blocked_on(pattern: Pattern) -> str:
    """The field whose agreement made the engine compare the pair: the DNI (exact join), else
    the birth date (birth-date block), else the name (name block)."""
    name, birth, dni, _sex = pattern
    if dni == "same":
        return "dni"
    if birth in ("same", "swapped"):
        return "birth"
    return "name"


def _u_without_true_pairs(sample: Counter, m: dict, u: dict, share: float, u0: dict, pseudo_pairs: float) -> dict:
    """``u`` from the random pairs less the true pairs among them (``share`` of all pairs): by
    their expected number with each level's average ``m``, and by each pair's own probability of
    being two people given all its fields; per level the lower of the two."""
    total = sum(sample.values())
    apart = {pattern: n * (1.0 - _posterior(pattern, m, u, share, "")) for pattern, n in sample.items()}
    out = {}
    for i, f in enumerate(FIELDS):
        counts = Counter()
        for pattern, n in sample.items():
            counts[pattern[i]] += n
        by_share = Counter({c: max(n - total * share * m[f].get(c, 0.0), 0.0) for c, n in counts.items()})
        by_pair = Counter()
        for pattern, n in apart.items():
            by_pair[pattern[i]] += n
        a, b = _smoothed(by_share, u0[f], pseudo_pairs), _smoothed(by_pair, u0[f], pseudo_pairs)
        out[f] = _normalised({code: min(a[code], b[code]) for code in u0[f]})
    return out


def _normalised(table: dict[str, float]) -> dict[str, float]:
    total = sum(table.values())
    return {code: p / total for code, p in table.items()}


def _smoothed(expected: Counter, prior: dict[str, float], pseudo_pairs: float) -> dict[str, float]:
    """Levels the table knows only (a missing value is no level), the default as a weak prior."""
    known = sum(n for code, n in expected.items() if code in prior)
    return {code: (expected.get(code, 0.0) + pseudo_pairs * p) / (known + pseudo_pairs) for code, p in prior.items()}
