"""One screening pass over a set of enrollments: eligibility (SIPA), formal employment or
self-employment in the cycle's months, the same person in an overlapping cycle of any province,
and beneficiaries of incompatible registries in the same months. It reads; the services write.

The pass runs in one REPEATABLE READ transaction when it is the outermost one, so a registry
replaced while it runs is seen whole, old or new, never a mix of both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from enrollment.models import Enrollment
from enrollment.screening.findings import FoundFlag, K, L, rules_for
from enrollment.screening.joins import export_snapshot
from enrollment.screening.matching import Match, Person, Stats, find_matches, load_candidates, use_screening_memory
from enrollment.screening.models import (
    ExternalRegistry,
    NotSamePerson,
    RegistryVersion,
)
from enrollment.screening.names import last_key, name_key, sort_key
from enrollment.screening.reasons import describe
from enrollment.screening.sipa_checks import eligibility_flags, employment_flags
from provinces.bulk import any_of, collector_paused
from provinces.models import add_months


def candidates_of(enrollment_ids, *, month: dt.date | None = None) -> tuple[list[Person], dict[int, dict]]:
    """The enrollments as matching candidates; their months are the cycle's, or just ``month``.
    Read with one plain query: at hundreds of thousands of enrollments, model rows cost more
    than the folding of the names."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.id, e.worker_id, w.cuil, w.last_name, w.first_name, w.birth_date, c.first_month, c.months
              FROM enrollment_enrollment e
              JOIN enrollment_worker w ON w.id = e.worker_id
              JOIN provinces_cycle c ON c.id = e.cycle_id
             WHERE e.id = ANY(%s::bigint[])
             ORDER BY e.id
            """,
            [sorted({int(i) for i in enrollment_ids})],
        )
        rows = cursor.fetchall()
    people, info = [], {}
    last_months: dict[tuple[dt.date, int], dt.date] = {}
    for pk, worker_id, cuil, last, first, birth, first_month, months in rows:
        last_month = last_months.get((first_month, months))
        if last_month is None:
            last_month = last_months[first_month, months] = add_months(first_month, months - 1)
        people.append(
            Person(
                ref=pk,
                cuil=cuil,
                dni=cuil[2:10],
                name_key=name_key(last, first),
                last_key=last_key(last),
                birth_date=birth,
                month_from=month or first_month,
                month_to=month or last_month,
                worker_id=worker_id,
            )
        )
        info[pk] = {
            "worker_id": worker_id,
            "cuil": cuil,
            "last": last,
            "first": first,
            "first_month": first_month,
            "last_month": last_month,
        }
    return people, info


def _load_programme_targets(cursor, month_from: dt.date, month_to: dt.date, known: dict[int, Person]) -> None:
    """Enrollments still holding a place, in cycles overlapping the months, as a temp table.
    The candidates among them (``known``, by enrollment) keep the keys already folded for them;
    only the others' names are folded here."""
    released = [str(s) for s in Enrollment.RELEASED_STATES]
    cursor.execute(
        """
        SELECT e.id, w.id, w.cuil, w.last_name, w.first_name, w.birth_date, c.first_month,
               (c.first_month + make_interval(months => c.months - 1))::date
          FROM enrollment_enrollment e
          JOIN enrollment_worker w ON w.id = e.worker_id
          JOIN provinces_cycle c ON c.id = e.cycle_id
         WHERE e.status <> ALL(%s)
           AND c.first_month <= %s
           AND (c.first_month + make_interval(months => c.months - 1))::date >= %s
        """,
        [released, month_to, month_from],
    )
    rows = cursor.fetchall()
    cursor.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS screen_prog (id bigint, worker_id bigint, registry_id bigint,"
        " cuil text, dni text, name_key text, last_key text, sort_key text, birth_date date, benefit_from date,"
        " benefit_to date)"
        " ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE screen_prog")
    with cursor.copy(
        "COPY screen_prog (id, worker_id, cuil, dni, name_key, last_key, sort_key, birth_date, benefit_from,"
        " benefit_to)"
        " FROM STDIN"
    ) as copy:
        for pk, worker_id, cuil, last, first, birth, first_month, last_month in rows:
            person = known.get(pk)
            if person is not None:
                key, last_word = person.name_key, person.last_key
            else:
                key, last_word = name_key(last, first), last_key(last)
            copy.write_row(
                (pk, worker_id, cuil, cuil[2:10], key, last_word, sort_key(key), birth, first_month, last_month)
            )
    cursor.execute("ANALYZE screen_prog")


def registry_targets(version_ids: list[int]) -> dict:
    """The current versions of registries as ``find_matches`` reads them: their records, and the
    word counts and birth-date blocks computed when each version was loaded."""
    total = sum(RegistryVersion.objects.filter(pk__in=version_ids).values_list("rows_loaded", flat=True))
    return {
        "targets_sql": (
            "(SELECT id, registry_id, cuil, dni, name_key, last_key, sort_key, birth_date, benefit_from, benefit_to"
            " FROM screening_externalrecord WHERE version_id = ANY(%(versions)s)) t"
        ),
        "params": {"versions": list(version_ids)},
        "tokens_sql": "(SELECT token, records FROM screening_registrynameword WHERE version_id = ANY(%(versions)s)) tf",
        "target_total": total,
        "blocks_sql": (
            "(SELECT birth_date, benefit_from, benefit_to, ids, name_keys, sort_keys, dnis"
            " FROM screening_registrybirthblock WHERE version_id = ANY(%(versions)s)) b"
        ),
    }


def registry_key(registry_id: int, cuil: str, key: str, birth: dt.date | None) -> str:
    """Stable across versions of the registry, so a 'not the same person' decision survives a reload."""
    if cuil:
        return f"reg:{registry_id}:{cuil}"
    digest = hashlib.sha1(f"{key}|{birth}".encode()).hexdigest()[:16]
    return f"reg:{registry_id}:{digest}"


@dataclass
class PassResult:
    flags: list[FoundFlag]
    stats: Stats
    notes: list[str]
    version_ids: list[int]


def run_pass(
    enrollment_ids,
    *,
    month: dt.date | None = None,
    monthly_aid: Decimal | None = None,
    check_programme: bool = True,
    check_eligibility: bool = True,
    registry_versions: list[int] | None = None,
) -> PassResult:
    """Screen the enrollments and return what was found (nothing is written).

    ``registry_versions`` limits the registry check to those versions (none if empty); by
    default every incompatible registry's current version is read."""
    outermost = not connection.in_atomic_block
    # The pass builds hundreds of thousands of small objects without cycles (see
    # ``collector_paused``); the collector would walk all of them again and again.
    with collector_paused(), transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with use_screening_memory(cursor):
            return _run_pass(
                cursor,
                enrollment_ids,
                month,
                monthly_aid,
                check_programme,
                check_eligibility,
                registry_versions,
                parallel=outermost,
            )


def _run_pass(
    cursor,
    enrollment_ids,
    month,
    monthly_aid,
    check_programme,
    check_eligibility,
    registry_versions=None,
    *,
    parallel: bool = False,
) -> PassResult:
    """``parallel``: the pass is the outermost transaction, so a second session may share its
    snapshot (``joins``)."""
    people, info = candidates_of(enrollment_ids, month=month)
    stats, notes, flags = Stats(), list[str](), list[FoundFlag]()
    if not people:
        return PassResult([], stats, notes, [])
    load_candidates(cursor, people)
    rules = rules_for(min(p.month_from for p in people))
    same, possible = float(rules.same_person_score), float(rules.possible_score)
    excluded = set(
        NotSamePerson.objects.filter(worker_id__in=any_of(i["worker_id"] for i in info.values())).values_list(
            "worker_id", "match_key"
        )
    )
    month_from = min(p.month_from for p in people)
    month_to = max(p.month_to for p in people)

    def level(score: float) -> str:
        return L.SAME if score >= same else L.POSSIBLE

    # Within the programme: the same person in an overlapping cycle of any province.
    if check_programme:
        _load_programme_targets(cursor, month_from, month_to, {p.ref: p for p in people})
        matches = find_matches(
            cursor,
            candidates=people,
            targets_sql="screen_prog t",
            params={},
            possible=possible,
            same=same,
            same_worker_is_target=True,
            stats=stats,
        )
        other = _programme_details([m.target.ref for m in matches])
        for m in matches:
            o = other[m.target.ref]
            key = f"worker:{o['worker_id']}"
            me = info[m.candidate.ref]
            if (me["worker_id"], key) in excluded:
                continue
            flags.append(
                FoundFlag(
                    enrollment_id=m.candidate.ref,
                    kind=K.PROGRAMME,
                    level=level(m.score),
                    score=Decimal(f"{m.score:.3f}"),
                    reasons=describe(m.facts, me["last"], me["first"], o["last_name"], o["first_name"]),
                    match_key=key,
                    matched=o["snapshot"],
                    matched_enrollment_id=m.target.ref,
                    month=month,
                )
            )

    # Other programmes' registries marked incompatible, current versions as of this snapshot.
    if registry_versions is None:
        version_ids = list(
            ExternalRegistry.objects.filter(is_incompatible=True, current_version__isnull=False).values_list(
                "current_version_id", flat=True
            )
        )
    else:
        version_ids = sorted(set(registry_versions))
    if version_ids:
        matches = find_matches(
            cursor,
            candidates=people,
            possible=possible,
            same=same,
            stats=stats,
            snapshot=export_snapshot(cursor, len(people)) if parallel else None,
            **registry_targets(version_ids),
        )
        records = _matched_records(cursor, [m.target.ref for m in matches])
        benefit = _("beneficio de %(programme)s de %(from)s a %(to)s")
        conflict_intro = _("el padrón lista su CUIL con otros datos personales: ")
        for m in _best_per_key(matches):
            r = records[m.target.ref]
            me = info[m.candidate.ref]
            key = registry_key(r.registry_id, r.cuil, r.name_key, r.birth_date)
            if (me["worker_id"], key) in excluded:
                continue
            reasons = describe(m.facts, me["last"], me["first"], r.last_name, r.first_name)
            reasons += ", " + benefit % {
                "programme": r.programme,
                "from": f"{r.benefit_from:%m/%Y}",
                "to": f"{r.benefit_to:%m/%Y}",
            }
            conflict = "cuil_conflict" in m.facts
            if conflict:
                reasons = conflict_intro + reasons
            flags.append(
                FoundFlag(
                    enrollment_id=m.candidate.ref,
                    # A shared CUIL whose names or birth date disagree: one of the two records is
                    # wrong. Not "the same person", but it blocks until a reviewer decides.
                    kind=K.CUIL_CONFLICT if conflict else K.REGISTRY,
                    level=L.SAME if conflict else level(m.score),
                    score=Decimal(f"{m.score:.3f}"),
                    reasons=reasons,
                    match_key=key,
                    matched=_record_snapshot(r),
                    matched_record_id=r.pk,
                    registry_id=r.registry_id,
                    month=month,
                )
            )

    flags += employment_flags(cursor, people, info, monthly_aid, month)
    if monthly_aid is None:
        notes.append(
            _(
                "Sin monto de ayuda mensual: no se comparó la remuneración formal con la ayuda"
                " (solo ingresos independientes)."
            )
        )
    if check_eligibility and month is None:
        eligibility, eligibility_notes = eligibility_flags(cursor, people, info)
        flags += eligibility
        notes += eligibility_notes
    return PassResult(flags, stats, notes, version_ids)


def _best_per_key(matches: list[Match]) -> list[Match]:
    """A registry may list one person twice (two benefit periods): keep the best pair."""
    best: dict[tuple[int, int], Match] = {}
    for m in sorted(matches, key=lambda m: -m.score):
        best.setdefault((m.candidate.ref, m.target.ref), m)
    return list(best.values())


def _programme_details(enrollment_ids: list[int]) -> dict[int, dict]:
    out = {}
    for e in Enrollment.objects.filter(pk__in=any_of(enrollment_ids)).select_related(
        "worker", "cycle__agreement__province"
    ):
        w = e.worker
        out[e.pk] = {
            "worker_id": w.pk,
            "last_name": w.last_name,
            "first_name": w.first_name,
            "snapshot": {
                "fuente": _("Programa Interzafras"),
                "cuil": w.cuil,
                "apellido": w.last_name,
                "nombre": w.first_name,
                "fecha_nacimiento": w.birth_date.isoformat(),
                "periodo": e.cycle.name,
                "provincia": e.cycle.agreement.province.name,
                "meses": f"{e.cycle.first_month:%m/%Y}–{e.cycle.last_month:%m/%Y}",
                "estado": e.get_status_display(),
            },
        }
    return out


@dataclass(slots=True)
class _Record:
    """A matched registry record, as much of it as a flag shows."""

    pk: int
    registry_id: int
    programme: str
    cuil: str
    dni: str
    last_name: str
    first_name: str
    name_key: str
    birth_date: dt.date | None
    benefit_from: dt.date
    benefit_to: dt.date
    version_id: int
    row_number: int


def _matched_records(cursor, ids: list[int]) -> dict[int, _Record]:
    """The matched records in one query, as plain rows (thousands of model instances with their
    registry would cost more than the matching)."""
    if not ids:
        return {}
    cursor.execute(
        "SELECT r.id, r.registry_id, g.programme, r.cuil, r.dni, r.last_name, r.first_name, r.name_key,"
        " r.birth_date, r.benefit_from, r.benefit_to, r.version_id, r.row_number"
        " FROM screening_externalrecord r JOIN screening_externalregistry g ON g.id = r.registry_id"
        " WHERE r.id = ANY(%s::bigint[])",
        [sorted(set(ids))],
    )
    return {row[0]: _Record(*row) for row in cursor.fetchall()}


def _record_snapshot(r: _Record) -> dict:
    return {
        "fuente": r.programme,
        "cuil": r.cuil,
        "dni": r.dni,
        "apellido": r.last_name,
        "nombre": r.first_name,
        "fecha_nacimiento": r.birth_date.isoformat() if r.birth_date else "",
        "meses": f"{r.benefit_from:%m/%Y}–{r.benefit_to:%m/%Y}",
        "version": r.version_id,
        "fila": r.row_number,
    }
