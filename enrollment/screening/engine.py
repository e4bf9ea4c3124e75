"""One screening pass over a set of enrollments: eligibility (SIPA), formal employment or
self-employment in the cycle's months, the same person in an overlapping cycle of any province,
and beneficiaries of incompatible registries in the same months. It reads; the services write.

The pass runs in one REPEATABLE READ transaction when it is the outermost one, so a registry
replaced while it runs is seen whole, old or new, never a mix of both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from enrollment.models import Enrollment
from enrollment.screening import history
from enrollment.screening.matching import Match, Person, Stats, find_matches, load_candidates, use_screening_memory
from enrollment.screening.models import (
    ExternalRegistry,
    MatchFlag,
    NotSamePerson,
    RegistryVersion,
    ScreeningRules,
)
from enrollment.screening.names import last_key, name_key, sort_key
from enrollment.screening.reasons import describe
from provinces.bulk import any_of, collector_paused
from provinces.models import add_months

K = MatchFlag.Kind
L = MatchFlag.Level


@dataclass
class FoundFlag:
    enrollment_id: int
    kind: str
    level: str
    score: Decimal
    reasons: str
    match_key: str
    matched: dict = field(default_factory=dict)
    matched_enrollment_id: int | None = None
    matched_record_id: int | None = None
    registry_id: int | None = None
    month: dt.date | None = None


def rules_for(month: dt.date) -> ScreeningRules:
    rules = ScreeningRules.objects.filter(effective_from__lte=month).order_by("-effective_from").first()
    if rules is None:
        rules = ScreeningRules.objects.order_by("effective_from").first()
    if rules is None:
        raise ScreeningRules.DoesNotExist(_("No hay reglas de control cargadas."))
    return rules


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _money(amount) -> str:
    return "$ " + number_format(amount, 2, force_grouping=True)


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


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
                cursor, enrollment_ids, month, monthly_aid, check_programme, check_eligibility, registry_versions
            )


def _run_pass(
    cursor, enrollment_ids, month, monthly_aid, check_programme, check_eligibility, registry_versions=None
) -> PassResult:
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
            cursor, candidates=people, possible=possible, same=same, stats=stats, **registry_targets(version_ids)
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

    flags += _employment_flags(cursor, people, info, monthly_aid, month)
    if monthly_aid is None:
        notes.append(
            _(
                "Sin monto de ayuda mensual: no se comparó la remuneración formal con la ayuda"
                " (solo ingresos independientes)."
            )
        )
    if check_eligibility and month is None:
        eligibility, eligibility_notes = _eligibility_flags(cursor, people, info)
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


def _employment_flags(cursor, people, info, monthly_aid, month) -> list[FoundFlag]:
    """Formal pay above the monthly aid, or any self-employment income, in the months screened."""
    cursor.execute(
        """
        SELECT c.ref, r.month,
               COALESCE(SUM(r.gross) FILTER (WHERE r.activity <> 'self_employed'), 0) AS employed,
               COALESCE(SUM(r.gross) FILTER (WHERE r.activity = 'self_employed'), 0) AS self_employed,
               string_agg(DISTINCT r.employer_cuit, ', ') AS employers
          FROM screen_cand c
          JOIN screening_remuneration r ON r.cuil = c.cuil AND r.month BETWEEN c.month_from AND c.month_to
         GROUP BY c.ref, r.month
         ORDER BY c.ref, r.month
        """
    )
    flags = []
    for ref, pay_month, employed, self_employed, employers in cursor.fetchall():
        reasons = []
        if monthly_aid is not None and employed > monthly_aid:
            reasons.append(
                _(
                    "remuneración formal de %(gross)s en %(month)s (CUIT %(employers)s),"
                    " mayor que la ayuda mensual de %(aid)s"
                )
                % {
                    "gross": _money(employed),
                    "month": f"{pay_month:%m/%Y}",
                    "employers": employers,
                    "aid": _money(monthly_aid),
                }
            )
        if self_employed > 0:
            reasons.append(
                _("ingresos como independiente de %(gross)s en %(month)s")
                % {"gross": _money(self_employed), "month": f"{pay_month:%m/%Y}"}
            )
        if reasons:
            flags.append(
                FoundFlag(
                    enrollment_id=ref,
                    kind=K.EMPLOYMENT,
                    level=L.SAME,
                    score=Decimal("1.000"),
                    reasons="; ".join(reasons),
                    match_key=f"emp:{pay_month:%Y-%m}",
                    matched={"mes": f"{pay_month:%m/%Y}", "cuit_empleador": employers, "remuneracion": str(employed)},
                    month=month,
                )
            )
    return flags


def _eligibility_flags(cursor, people: list[Person], info: dict) -> tuple[list[FoundFlag], list[str]]:
    """The SIPA rules, one flag per enrollment listing every rule it fails; no SIPA data at all
    before the period, and a re-entry too soon after the previous period, each a flag of its own
    (``enrollment.screening.history``)."""
    flags, notes = [], []
    failures: dict[int, list[str]] = {p.ref: [] for p in people}
    by_start: dict[dt.date, list[Person]] = {}
    for p in people:
        by_start.setdefault(info[p.ref]["first_month"], []).append(p)
    for first_month, group in by_start.items():
        rules = rules_for(first_month)
        cursor.execute("SELECT max(month) FROM screening_remuneration WHERE month < %s", [first_month])
        latest = cursor.fetchone()[0]
        if latest is None:
            # Fails closed: no history to judge is a flag a reviewer must accept, never a pass.
            notes.append(
                _("No hay datos SIPA anteriores a %(month)s: no se evaluó la historia laboral.")
                % {"month": f"{first_month:%m/%Y}"}
            )
            reason = history.no_sipa_reason(first_month)
            flags += [
                FoundFlag(
                    enrollment_id=p.ref,
                    kind=K.NO_SIPA,
                    level=L.SAME,
                    score=Decimal("1.000"),
                    reasons=reason,
                    match_key=history.NO_SIPA_KEY,
                )
                for p in group
            ]
        else:
            start = add_months(latest, -(rules.window_months - 1))
            # Per candidate and month, the seasonal and the total pay; the first month with
            # seasonal pay (a window over the candidate's months, so the months are read once);
            # then, against that month's SMVM, the months of seasonal work and the average pay.
            cursor.execute(
                """
                WITH m AS (
                    SELECT c.ref, r.month,
                           SUM(r.gross) FILTER (WHERE r.activity IN ('agrarian', 'agro_industrial')) AS seasonal,
                           SUM(r.gross) AS total
                      FROM screen_cand c
                      JOIN screening_remuneration r ON r.cuil = c.cuil AND r.month BETWEEN %(start)s AND %(end)s
                     WHERE c.month_from = %(first)s
                     GROUP BY c.ref, r.month),
                x AS (SELECT ref, seasonal, total,
                             MIN(month) FILTER (WHERE seasonal > 0) OVER (PARTITION BY ref) AS first_seasonal
                        FROM m)
                SELECT x.ref, x.first_seasonal, w.amount,
                       COUNT(*) FILTER (WHERE x.seasonal >= %(fraction)s * w.amount) AS seasonal_months,
                       AVG(x.total) AS average
                  FROM x LEFT JOIN screening_minimumwage w ON w.month = x.first_seasonal
                 WHERE x.first_seasonal IS NOT NULL
                 GROUP BY x.ref, x.first_seasonal, w.amount
                """,
                {"start": start, "end": latest, "first": first_month, "fraction": rules.min_smvm_fraction},
            )
            found = {row[0]: row[1:] for row in cursor.fetchall()}
            window = _("entre %(start)s y %(end)s") % {"start": f"{start:%m/%Y}", "end": f"{latest:%m/%Y}"}
            no_seasonal_work = _(
                "sin meses de trabajo agrario o agroindustrial %(window)s (se requieren al menos %(min)s)"
            ) % {"window": window, "min": rules.min_seasonal_months}
            for p in group:
                row = found.get(p.ref)
                if row is None:
                    failures[p.ref].append(no_seasonal_work)
                    continue
                first_seasonal, smvm, count, average = row
                if smvm is None:
                    failures[p.ref].append(
                        _("falta el SMVM de %(month)s para evaluar la historia laboral")
                        % {"month": f"{first_seasonal:%m/%Y}"}
                    )
                    continue
                if count < rules.min_seasonal_months:
                    failures[p.ref].append(
                        _(
                            "solo %(count)s meses de trabajo estacional con al menos %(fraction)s SMVM %(window)s"
                            " (se requieren al menos %(min)s)"
                        )
                        % {
                            "count": count,
                            "fraction": rules.min_smvm_fraction.normalize(),
                            "window": window,
                            "min": rules.min_seasonal_months,
                        }
                    )
                elif count > rules.max_seasonal_months:
                    failures[p.ref].append(
                        _("%(count)s meses de trabajo estacional %(window)s (el máximo es %(max)s)")
                        % {"count": count, "window": window, "max": rules.max_seasonal_months}
                    )
                limit = rules.max_average_smvm * smvm
                if average >= limit:
                    failures[p.ref].append(
                        _("ingreso promedio de %(average)s, no menor que %(times)s SMVM (%(limit)s)")
                        % {
                            "average": _money(average),
                            "times": rules.max_average_smvm.normalize(),
                            "limit": _money(limit),
                        }
                    )
        # At least N months since the start of the previous inter-harvest period in this
        # programme: a flag of its own (``history``), so the reviewer sees the re-entry as such.
        for ref, previous in history.previous_period_starts(cursor, first_month):
            gap = _months_between(previous, first_month)
            if gap < rules.min_months_since_previous:
                flags.append(
                    FoundFlag(
                        enrollment_id=ref,
                        kind=K.REENTRY,
                        level=L.SAME,
                        score=Decimal("1.000"),
                        reasons=history.reentry_reason(
                            gap=gap, previous=previous, minimum=rules.min_months_since_previous
                        ),
                        match_key=history.REENTRY_KEY,
                    )
                )
    for ref, reasons in failures.items():
        if reasons:
            flags.append(
                FoundFlag(
                    enrollment_id=ref,
                    kind=K.ELIGIBILITY,
                    level=L.SAME,
                    score=Decimal("1.000"),
                    reasons=_sentence("; ".join(reasons)),
                    match_key="eligibility",
                )
            )
    return flags, notes
