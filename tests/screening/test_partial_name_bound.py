"""Pairs of a birth-date block brought in only by a partial name are dropped unscored when they
cannot reach the engine's threshold — and what the engine finds does not change."""

import datetime as dt
import random
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from django.db import connection, transaction

from enrollment.screening import bounds
from enrollment.screening.bounds import PartialNameBound
from enrollment.screening.matching import RARE_NAME_BITS, Person, Stats, find_matches, load_candidates, score_pair
from enrollment.screening.names import last_key, name_key, sort_key
from enrollment.screening.weights import DEFAULT, NAME, Level, Weights, bits_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from screening_data import Population  # noqa: E402

POSSIBLE = 0.75
KEEP_BITS = bits_for(POSSIBLE) - RARE_NAME_BITS
MAY, AUG = dt.date(2026, 5, 1), dt.date(2026, 8, 1)
BIRTH = dt.date(1984, 3, 9)


def person(ref, last, first, dni="", birth=BIRTH, cuil=""):
    key = name_key(last, first)
    return Person(ref, cuil, dni, key, last_key(last), birth, MAY, AUG)


def kept(a: Person, b: Person, weights=DEFAULT) -> bool:
    score, facts = score_pair(a, b, weights=weights)
    return score >= 1 / (1 + 2**-KEEP_BITS) or "cuil_conflict" in facts


def reach(bound, a: Person, b: Person) -> bool:
    mask = np.ones((1, 1), dtype=bool)
    return bool(bound.reachable(mask, [a.name_key], [b.name_key], [a.dni], [b.dni])[0, 0])


def test_the_same_given_names_and_date_under_another_surname_with_other_dnis_is_dropped():
    bound = PartialNameBound.for_weights(None, KEEP_BITS)
    a = person(1, "Quiroga", "María Laura", dni="30111222")
    b = person(2, "Benítez", "María Laura", dni="28999111")
    assert not reach(bound, a, b)
    assert not kept(a, b)


def test_a_name_that_may_be_contained_in_the_other_is_scored():
    bound = PartialNameBound.for_weights(None, KEEP_BITS)
    a = person(1, "Gonzalez", "Maria")
    b = person(2, "Gonzalez Fernandez", "Maria del Carmen Rosa")
    assert reach(bound, a, b)  # no DNIs, words differ in number: "contained" would be kept
    assert kept(a, b)


def test_the_same_dni_is_always_scored():
    bound = PartialNameBound.for_weights(None, KEEP_BITS)
    a = person(1, "Quiroga", "Ana", dni="30111222")
    b = person(2, "Benítez", "Ana", dni="30111222")
    assert reach(bound, a, b)


def test_names_only_the_g_j_fold_brings_close_are_scored():
    bound = PartialNameBound.for_weights(None, KEEP_BITS)
    a = Person(1, "", "30111222", "JIJ JUJI", "JIJ", BIRTH, MAY, AUG)
    b = Person(2, "", "28999111", "GIG GUGI", "GIG", BIRTH, MAY, AUG)
    assert reach(bound, a, b)


def test_weights_that_value_the_given_names_keep_every_pair():
    generous = Weights({**NAME, "given": Level("given", 0.5, 0.0001)}, DEFAULT.birth, DEFAULT.dni, DEFAULT.sex)
    bound = PartialNameBound.for_weights(generous, KEEP_BITS)
    a = person(1, "Quiroga", "María Laura", dni="30111222")
    b = person(2, "Benítez", "María Laura", dni="28999111")
    assert reach(bound, a, b)
    assert kept(a, b, generous)


def test_no_pair_the_bound_drops_would_have_been_kept():
    """Random pairs of one date: every dropped pair scores below the threshold."""
    pop, rng = Population(seed=5), random.Random(5)
    bound = PartialNameBound.for_weights(None, KEEP_BITS)
    dropped = 0
    for n in range(4000):
        x, y = pop.person(2 * n), pop.person(2 * n + 1)
        if rng.random() < 0.5:
            y = replace(y, first=x.first)
        if rng.random() < 0.3:
            y = replace(y, dni="")
        a = person(2 * n, x.last, x.first, dni=x.dni, cuil=x.cuil)
        b = person(2 * n + 1, y.last, y.first, dni=y.dni, cuil=y.cuil)
        if not reach(bound, a, b):
            dropped += 1
            assert not kept(a, b), (a, b)
    assert dropped > 1000


def _targets(cursor, people: list[Person]) -> None:
    cursor.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS bound_targets (id bigint, registry_id bigint, cuil text, dni text,"
        " name_key text, last_key text, sort_key text, birth_date date, benefit_from date, benefit_to date)"
        " ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE bound_targets")
    with cursor.copy(
        "COPY bound_targets (id, cuil, dni, name_key, last_key, sort_key, birth_date, benefit_from, benefit_to)"
        " FROM STDIN"
    ) as copy:
        for p in people:
            copy.write_row((p.ref, p.cuil, p.dni, p.name_key, p.last_key, sort_key(p.name_key), p.birth_date, MAY, AUG))
    cursor.execute("ANALYZE bound_targets")


@pytest.mark.django_db
def test_the_engine_finds_the_same_pairs_with_and_without_the_bound(monkeypatch):
    """Dense blocks (30 birth dates) of namesakes, typos, replaced names and lost DNIs."""
    pop, rng = Population(seed=9), random.Random(9)
    dates = [dt.date(1980, 1, 1) + dt.timedelta(days=37 * k) for k in range(30)]

    def dated(rec):
        return replace(rec, birth=rng.choice(dates))

    records = [dated(pop.person(k)) for k in range(3000)]
    targets = [person(r.person, r.last, r.first, dni=r.dni, birth=r.birth, cuil=r.cuil) for r in records]
    candidates = []
    for k, rec in enumerate(rng.sample(records, 600)):
        change = k % 5
        if change == 1:
            rec = replace(rec, first=pop.given("F"), dni=f"{pop.dni():08d}", cuil="")
        elif change == 2:
            rec = replace(rec, last=pop.surname(), dni="", cuil="")
        elif change == 3:
            rec = replace(rec, last=pop.typo(rec.last), first=rec.first.split()[0], cuil="", dni="")
        elif change == 4:
            rec = dated(pop.person(10_000 + k))
        candidates.append(person(100_000 + k, rec.last, rec.first, dni=rec.dni, birth=rec.birth, cuil=rec.cuil))

    def run() -> tuple[list, Stats]:
        stats = Stats()
        with transaction.atomic(), connection.cursor() as cursor:
            load_candidates(cursor, candidates)
            _targets(cursor, targets)
            found = find_matches(
                cursor,
                candidates=candidates,
                targets_sql="bound_targets t",
                params={},
                possible=POSSIBLE,
                same=0.9,
                stats=stats,
            )
        return sorted((m.candidate.ref, m.target.ref, round(m.score, 9), tuple(m.facts)) for m in found), stats

    with_bound, bounded = run()
    monkeypatch.setattr(bounds.PartialNameBound, "reachable", lambda self, mask, *args: mask)
    without_bound, unbounded = run()
    assert with_bound == without_bound
    assert len(with_bound) > 200
    assert bounded.scored_pairs < unbounded.scored_pairs  # the bound did drop pairs
