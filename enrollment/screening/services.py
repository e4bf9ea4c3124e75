"""Writes of the screening engine: loading reference data and registries, screening
enrollments, recording flags and resolving them.

Functions other apps call (stable):

* ``screen_enrollments(*, enrollment_ids, by=None)`` — submitted → screening → pending_review,
  raising flags on the way.
* ``screen_for_month(*, month, enrollment_ids) -> dict[int, str]`` — before a monthly payment
  batch: enrollment id → the reason it must be held this month.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections import defaultdict
from decimal import Decimal

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from enrollment.screening.engine import FoundFlag, PassResult, run_pass
from enrollment.screening.matching import Stats
from enrollment.screening.models import (
    ExternalRecord,
    ExternalRegistry,
    MatchFlag,
    NotSamePerson,
    RegistryScan,
    ScreeningRun,
)
from enrollment.screening.registries import (  # noqa: F401  (re-exported: callers load through services)
    MAX_STORED_ERRORS,
    load_registry_version,
    load_remunerations,
    save_registry,
    set_minimum_wage,
    upload_registry_file,
)
from enrollment.suspension_proposals import propose_suspensions
from provinces.audit import prepare_bulk_audit
from provinces.bulk import collector_paused

S = Enrollment.Status
#: Enrollments screened per step of a run (progress is saved after each).
RUN_CHUNK = 5000


def _require(by, perm: str, message: str) -> None:
    if by is None or not by.has_perm(perm):
        raise PermissionDenied(message)


# --- screening ------------------------------------------------------------------------------


def _save_flags(*, result: PassResult, by, run: ScreeningRun | None) -> int:
    """Insert new flags (one per enrollment and match, so re-runs add nothing) and refresh the
    text of open ones, reopening cleared ones found again: one INSERT and one UPDATE, whatever
    the number of flags. Returns how many were created."""
    flagged = sorted({f.enrollment_id for f in result.flags})
    existing = {
        (enrollment_id, key): (pk, status, reasons, level)
        for pk, enrollment_id, key, status, reasons, level in MatchFlag.objects.extra(
            where=["screening_matchflag.enrollment_id = ANY(%s::bigint[])"], params=[flagged]
        ).values_list("pk", "enrollment_id", "match_key", "status", "reasons", "level")
    }
    new: list[FoundFlag] = []
    changed: list[tuple[int, FoundFlag]] = []
    for found in result.flags:
        current = existing.get((found.enrollment_id, found.match_key))
        if current is None:
            new.append(found)
            continue
        pk, status, reasons, level = current
        if status == MatchFlag.Status.CLEARED or (
            status == MatchFlag.Status.OPEN and (reasons != found.reasons or level != found.level)
        ):
            changed.append((pk, found))
    if not new and not changed:
        return 0
    with pghistory.context(user=getattr(by, "pk", None), reason="control de duplicados"):
        with connection.cursor() as cursor:
            prepare_bulk_audit(cursor)
        _insert_flags(new, run_id=run.pk if run is not None else None)
        _refresh_flags(changed)
    return len(new)


def _refresh_flags(changed: list[tuple[int, FoundFlag]]) -> None:
    """Open flags found again with other words or level, and cleared ones found again: one
    UPDATE from arrays (the audit trigger fires once, under the caller's context)."""
    if not changed:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE screening_matchflag f
               SET reasons = n.reasons, level = n.level, score = n.score, status = %s,
                   matched = n.matched::jsonb, matched_record_id = n.record_id
              FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::numeric[], %s::text[], %s::bigint[])
                   AS n(id, reasons, level, score, matched, record_id)
             WHERE f.id = n.id AND f.status IN (%s, %s)
            """,
            [
                str(MatchFlag.Status.OPEN),
                [pk for pk, _f in changed],
                [f.reasons for _pk, f in changed],
                [str(f.level) for _pk, f in changed],
                [f.score for _pk, f in changed],
                [json.dumps(f.matched) for _pk, f in changed],
                [f.matched_record_id for _pk, f in changed],
                str(MatchFlag.Status.OPEN),
                str(MatchFlag.Status.CLEARED),
            ],
        )


_FLAG_COLUMNS = (
    "enrollment_id, kind, level, score, reasons, match_key, matched, matched_enrollment_id, matched_record_id,"
    " registry_id, month, run_id"
)


def _insert_flags(flags: list[FoundFlag], *, run_id: int | None) -> None:
    """New flags by COPY into a temporary table and one INSERT … SELECT (the audit trigger fires
    for that one statement, under the caller's ``pghistory.context``): a bulk INSERT of thousands
    of rows would be a statement of megabytes, parsed again to attach the audit context. A flag
    already there (the same enrollment and match) is left as it is."""
    if not flags:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS flag_stage (enrollment_id bigint, kind text, level text,"
            " score numeric(4,3), reasons text, match_key text, matched jsonb, matched_enrollment_id bigint,"
            " matched_record_id bigint, registry_id bigint, month date, run_id bigint) ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE flag_stage")
        with cursor.copy(f"COPY flag_stage ({_FLAG_COLUMNS}) FROM STDIN") as copy:
            for f in flags:
                copy.write_row(
                    (f.enrollment_id, str(f.kind), str(f.level), f.score, f.reasons, f.match_key, json.dumps(f.matched),
                     f.matched_enrollment_id, f.matched_record_id, f.registry_id, f.month, run_id)
                )  # fmt: skip
        cursor.execute(
            f"INSERT INTO screening_matchflag ({_FLAG_COLUMNS}, status, note, created_at)"
            f" SELECT {_FLAG_COLUMNS}, %s, '', now() FROM flag_stage"
            " ON CONFLICT (enrollment_id, match_key) DO NOTHING",
            [MatchFlag.Status.OPEN],
        )


def _clear_stale(*, enrollment_ids, result: PassResult, by) -> None:
    """Open flags of a full screening that this pass no longer finds (a registry was replaced,
    SIPA data arrived) are marked as no longer applying — one UPDATE, audited under the pass's
    context. The open flags are read first and compared here: an anti-join against an array of
    thousands of pairs is planned as a nested loop (seconds on one screening of 20,000)."""
    found = {(f.enrollment_id, f.match_key) for f in result.flags}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, enrollment_id, match_key FROM screening_matchflag"
            " WHERE enrollment_id = ANY(%s::bigint[]) AND status = %s AND month IS NULL",
            [sorted(set(enrollment_ids)), str(MatchFlag.Status.OPEN)],
        )
        stale = sorted(pk for pk, enrollment_id, key in cursor.fetchall() if (enrollment_id, key) not in found)
    if not stale:
        return
    note = _("Ya no aparece en el control del %(day)s.") % {"day": timezone.localdate().strftime("%d/%m/%Y")}
    context = pghistory.context(user=getattr(by, "pk", None), reason="control de duplicados")
    with context, connection.cursor() as cursor:
        prepare_bulk_audit(cursor)
        cursor.execute(
            "UPDATE screening_matchflag SET status = %s, note = %s WHERE id = ANY(%s::bigint[]) AND status = %s",
            [str(MatchFlag.Status.CLEARED), note, stale, str(MatchFlag.Status.OPEN)],
        )


def screen_enrollments(
    *, enrollment_ids, by=None, monthly_aid: Decimal | None = None, run: ScreeningRun | None = None
) -> dict:
    """Screen enrollments and move them from submitted (or screening) to pending_review.

    Set-based: the moves are a few UPDATEs whatever the number of enrollments (one to
    screening, one per distinct outcome to review), the flags one bulk insert. A crash half-way
    leaves enrollments in screening, which the next run screens and moves on.

    Rules: every enrollment is checked against the SIPA eligibility rules, formal pay above the
    monthly aid or self-employment in its cycle's months, the same person in an overlapping
    cycle of any province, and incompatible registries whose benefit months overlap the cycle.
    Each finding is a MatchFlag; a pair a reviewer resolved as "not the same person" is not
    raised again. ``monthly_aid`` is the aid of the cycle's months (the payments rate table
    provides it; without it only self-employment income is compared). Idempotent: running it
    twice raises nothing new. Returns counts."""
    with collector_paused():
        return _screen_enrollments(enrollment_ids=enrollment_ids, by=by, monthly_aid=monthly_aid, run=run)


def _screen_enrollments(*, enrollment_ids, by, monthly_aid: Decimal | None, run: ScreeningRun | None) -> dict:
    ids = sorted(set(enrollment_ids))
    started = timezone.now()
    enrollment_services.start_screening_many(enrollment_ids=ids, by=by)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM enrollment_enrollment WHERE id = ANY(%s::bigint[]) AND status = ANY(%s) ORDER BY id",
            [ids, [str(S.SCREENING), str(S.PENDING_REVIEW)]],
        )
        screened = [row[0] for row in cursor.fetchall()]
    result = run_pass(screened, monthly_aid=monthly_aid)
    with transaction.atomic(), connection.cursor() as cursor:
        created = _save_flags(result=result, by=by, run=run)
        _clear_stale(enrollment_ids=screened, result=result, by=by)
        # What this full screening read is written on the enrollments by their move to review
        # below (``screened``), not as a row per enrollment and version; the scans are counted.
        _record_scans(version_ids=result.version_ids, month=None, count=len(screened))
    # Open flags per enrollment in one grouped query; one UPDATE per distinct count.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT enrollment_id, count(*) FROM screening_matchflag"
            " WHERE enrollment_id = ANY(%s::bigint[]) AND status = %s GROUP BY enrollment_id",
            [screened, str(MatchFlag.Status.OPEN)],
        )
        per_enrollment = dict(cursor.fetchall())
    by_count: defaultdict[int, list[int]] = defaultdict(list)
    for pk in screened:
        by_count[per_enrollment.get(pk, 0)].append(pk)
    by_reason = {
        (
            ngettext(
                "Control terminado: %(n)s alerta para revisar.", "Control terminado: %(n)s alertas para revisar.", count
            )
            % {"n": count}
            if count
            else _("Control terminado sin alertas.")
        ): ids
        for count, ids in by_count.items()
    }
    enrollment_services.send_many_to_review(reasons=by_reason, by=by, screened=(started, result.version_ids))
    return {"screened": len(screened), "flags_created": created, "notes": result.notes, "stats": result.stats}


def _record_scans(*, version_ids: list[int], month: dt.date | None, count: int) -> None:
    """One ``RegistryScan`` per registry version a pass read: its month (None for a full
    screening) and how many enrollments it read against it."""
    RegistryScan.objects.bulk_create(
        RegistryScan(version_id=version_id, month=month, enrollment_count=count) for version_id in version_ids
    )


def _record_checks(
    cursor, *, enrollment_ids: list[int], version_ids: list[int], month: dt.date, started: dt.datetime
) -> None:
    """Remember that a monthly pass screened these enrollments against these registry versions
    (one scan record per version, one row per enrollment and version), with the time the pass
    started: a worker changed after it is screened again. A full screening records what it read
    on the enrollments instead (``Enrollment.screened_versions``)."""
    if not enrollment_ids:
        return
    _record_scans(version_ids=version_ids, month=month, count=len(enrollment_ids))
    for version_id in version_ids:
        cursor.execute(
            """
            INSERT INTO screening_registrycheck (enrollment_id, version_id, checked_at)
            SELECT e.id, %s, %s FROM unnest(%s::bigint[]) AS e(id)
            ON CONFLICT (enrollment_id, version_id) DO UPDATE SET checked_at = EXCLUDED.checked_at
            """,
            [version_id, started, enrollment_ids],
        )


def _unchecked(ids: list[int], version_ids: list[int]) -> dict[tuple[int, ...], list[int]]:
    """The enrollments still to be screened against some of ``version_ids``, grouped by the
    versions each lacks: read neither by the full screening that sent it to review
    (``Enrollment.screened_versions``) nor by a monthly one (``RegistryCheck``). An enrollment
    whose worker's data changed after a check is checked again."""
    if not ids or not version_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.id, array_agg(v.id ORDER BY v.id)
              FROM enrollment_enrollment e
              JOIN enrollment_worker w ON w.id = e.worker_id
             CROSS JOIN unnest(%s::bigint[]) AS v(id)
             WHERE e.id = ANY(%s::bigint[])
               AND NOT coalesce(v.id = ANY(e.screened_versions) AND e.screened_at >= w.updated_at, false)
               AND NOT EXISTS (SELECT 1 FROM screening_registrycheck c
                                WHERE c.enrollment_id = e.id AND c.version_id = v.id AND c.checked_at >= w.updated_at)
             GROUP BY e.id
            """,
            [version_ids, ids],
        )
        groups: defaultdict[tuple[int, ...], list[int]] = defaultdict(list)
        for enrollment_id, missing in cursor.fetchall():
            groups[tuple(missing)].append(enrollment_id)
    return dict(groups)


def _with_income_in(ids: list[int], month: dt.date) -> list[int]:
    """The enrollments whose worker has SIPA income declared for ``month``: only they can have
    an employment conflict that month."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.id FROM enrollment_enrollment e JOIN enrollment_worker w ON w.id = e.worker_id
             WHERE e.id = ANY(%s::bigint[])
               AND EXISTS (SELECT 1 FROM screening_remuneration r WHERE r.cuil = w.cuil AND r.month = %s)
            """,
            [ids, month],
        )
        return [row[0] for row in cursor.fetchall()]


_MONTHS_TEXT = re.compile(r"^(\d{2})/(\d{4})\D+(\d{2})/(\d{4})$")


def _conflicts_in(flag, month: dt.date, records: dict[int, tuple[dt.date, dt.date]]) -> bool:
    """Whether a blocking finding concerns ``month``: a registry benefit covering it, income
    declared for it; anything else (the same person twice in the programme) always does."""
    if flag.kind == MatchFlag.Kind.CUIL_CONFLICT and flag.status == MatchFlag.Status.OPEN:
        return True  # undecided: which record is wrong is not known, so no month is safe
    if flag.kind in (MatchFlag.Kind.REGISTRY, MatchFlag.Kind.CUIL_CONFLICT):
        span = records.get(flag.matched_record_id) if flag.matched_record_id else None
        if span is None:
            found = _MONTHS_TEXT.match(str((flag.matched or {}).get("meses", "")))
            if found is None:
                return True  # the benefit's months are unknown: hold rather than pay
            m1, y1, m2, y2 = (int(g) for g in found.groups())
            span = (dt.date(y1, m1, 1), dt.date(y2, m2, 1))
        return span[0] <= month <= span[1]
    if flag.kind == MatchFlag.Kind.EMPLOYMENT:
        return flag.match_key == f"emp:{month:%Y-%m}"
    return True


def screen_for_month(*, month: dt.date, enrollment_ids, monthly_aid: Decimal | None = None) -> dict[int, str]:
    """Re-screen before a monthly payment batch: which enrollments must be held in ``month``.

    Rules: each enrollment is read against the incompatible registries' current versions it
    has not been screened against yet (loaded since its last screening, at registration or in
    an earlier month), over its whole cycle, and that is recorded (``RegistryCheck``), so an
    unchanged registry is not read again. Income declared to SIPA for ``month`` is checked for
    the workers who have any. The within-programme check is not repeated: every enrollment is
    checked against all overlapping ones when it is screened, and cannot be approved with a
    blocking finding, so a newcomer never makes an earlier enrollment's payment wrong (and one
    worker cannot be paid twice a month: unique index on installments).

    Held in ``month``: a same-person match to an incompatible benefit covering ``month``,
    formal pay above ``monthly_aid`` or self-employment income in ``month``, and any other
    blocking flag (unresolved same-person, or confirmed the same person); a pair resolved as
    "not the same person" is not raised again. New findings are recorded as flags for review,
    and the approved or active enrollments in conflict, or living outside the agreement's
    province, get a suspension proposed to reviewers (``enrollment.suspension_proposals``).
    Returns enrollment id → reason in words."""
    month = month.replace(day=1)
    ids = sorted(set(enrollment_ids))
    current = list(
        ExternalRegistry.objects.filter(is_incompatible=True, current_version__isnull=False).values_list(
            "current_version_id", flat=True
        )
    )
    results: list[tuple[PassResult, list[int], dt.datetime]] = []
    for missing, group in sorted(_unchecked(ids, current).items()):
        for start in range(0, len(group), RUN_CHUNK):
            chunk = group[start : start + RUN_CHUNK]
            started = timezone.now()
            result = run_pass(
                chunk,
                monthly_aid=monthly_aid,
                check_programme=False,
                check_eligibility=False,
                registry_versions=list(missing),
            )
            results.append((result, chunk, started))
    earners = _with_income_in(ids, month)
    if earners:
        result = run_pass(
            earners,
            month=month,
            monthly_aid=monthly_aid,
            check_programme=False,
            check_eligibility=False,
            registry_versions=[],
        )
        results.append((result, [], timezone.now()))
    found = [flag for result, _chunk, _started in results for flag in result.flags]
    for flag in found:
        flag.month = month  # raised by this month's control (a registration screening leaves it empty)
    with transaction.atomic(), connection.cursor() as cursor:
        _save_flags(result=PassResult(found, Stats(), [], []), by=None, run=None)
        for result, chunk, started in results:
            _record_checks(cursor, enrollment_ids=chunk, version_ids=result.version_ids, month=month, started=started)

    blocking = list(
        MatchFlag.objects.filter(
            Q(status=MatchFlag.Status.SAME_PERSON) | Q(status=MatchFlag.Status.OPEN, level=MatchFlag.Level.SAME)
        )
        .extra(where=["screening_matchflag.enrollment_id = ANY(%s::bigint[])"], params=[ids])
        .order_by("enrollment_id", "pk")
    )
    records = dict(
        (pk, (start, end))
        for pk, start, end in ExternalRecord.objects.filter(
            pk__in={f.matched_record_id for f in blocking if f.matched_record_id}
        ).values_list("pk", "benefit_from", "benefit_to")
    )
    held: dict[int, list[str]] = defaultdict(list)
    in_conflict: list[int] = []
    for flag in blocking:
        reason = f"{flag.get_kind_display()}: {flag.reasons}"
        if flag.is_blocking and _conflicts_in(flag, month, records):
            in_conflict.append(flag.pk)
            if reason not in held[flag.enrollment_id]:
                held[flag.enrollment_id].append(reason)
    propose_suspensions(month=month, enrollment_ids=ids, flag_ids=in_conflict)
    return {pk: "; ".join(reasons) for pk, reasons in held.items() if reasons}


# --- runs (Celery) --------------------------------------------------------------------------


def start_run(
    *,
    by,
    cycle=None,
    enrollment_ids=None,
    month: dt.date | None = None,
    monthly_aid: Decimal | None = None,
    label: str = "",
) -> ScreeningRun:
    """Queue a screening over a cycle, a list of enrollments (an import job's), or a payment
    month's enrollments; progress is stored on the run."""
    _require(by, "screening.add_screeningrun", _("Solo revisores del Ministerio inician controles."))
    if cycle is None and not enrollment_ids and month is None:
        raise ValidationError(_("Indique un período, un mes o las inscripciones a controlar."))
    from enrollment.screening.tasks import screening_run_task

    with transaction.atomic():
        run = ScreeningRun.objects.create(
            cycle=cycle,
            month=month.replace(day=1) if month else None,
            enrollment_ids=sorted(enrollment_ids or []),
            monthly_aid=monthly_aid,
            label=label[:200],
            started_by=by,
        )
        transaction.on_commit(lambda: screening_run_task.delay(run.pk))
    return run


def _run_targets(run: ScreeningRun) -> list[int]:
    """A month's run: approved or active enrollments whose cycle covers the month; otherwise the
    enrollments still to be decided."""
    from provinces.models import add_months

    qs = Enrollment.objects.all()
    if run.enrollment_ids:
        qs = qs.filter(pk__in=run.enrollment_ids)
    if run.cycle_id:
        qs = qs.filter(cycle_id=run.cycle_id)
    if run.month:
        month = run.month
        rows = (
            qs.filter(status__in=[S.APPROVED, S.ACTIVE], cycle__first_month__lte=month)
            .values_list("pk", "cycle__first_month", "cycle__months")
            .order_by("pk")
        )
        return [pk for pk, first, months in rows if add_months(first, months - 1) >= month]
    return list(
        qs.filter(status__in=[S.SUBMITTED, S.SCREENING, S.PENDING_REVIEW]).order_by("pk").values_list("pk", flat=True)
    )


def execute_run(*, run_id: int) -> ScreeningRun:
    """Carry out a queued run in chunks, saving progress after each. Safe to re-run: flags are
    unique per enrollment and match, and screened enrollments just get re-checked."""
    run = ScreeningRun.objects.get(pk=run_id)
    if run.status == ScreeningRun.Status.DONE:
        return run
    targets = _run_targets(run)
    run.status, run.total, run.done = ScreeningRun.Status.RUNNING, len(targets), 0
    run.save(update_fields=["status", "total", "done"])
    started, notes, raised, held = time.perf_counter(), set(), 0, 0
    try:
        for start in range(0, len(targets), RUN_CHUNK):
            chunk = targets[start : start + RUN_CHUNK]
            if run.month:
                held += len(screen_for_month(month=run.month, enrollment_ids=chunk, monthly_aid=run.monthly_aid))
            else:
                outcome = screen_enrollments(
                    enrollment_ids=chunk, by=run.started_by, monthly_aid=run.monthly_aid, run=run
                )
                raised += outcome["flags_created"]
                notes.update(outcome["notes"])
            run.done = start + len(chunk)
            run.save(update_fields=["done"])
    except Exception as error:
        ScreeningRun.objects.filter(pk=run.pk).update(status=ScreeningRun.Status.FAILED, message=str(error)[:2000])
        raise
    run.status = ScreeningRun.Status.DONE
    run.flags_raised = raised
    summary = [
        _("%(n)s inscripciones controladas en %(s).1f s.") % {"n": len(targets), "s": time.perf_counter() - started}
    ]
    if run.month:
        summary.append(_("%(n)s retenidas para el mes.") % {"n": held})
    run.message = " ".join(summary + sorted(notes))
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "flags_raised", "message", "finished_at"])
    return run


# --- review ---------------------------------------------------------------------------------


@transaction.atomic
def resolve_flag(*, flag: MatchFlag, by, same_person: bool, note: str) -> MatchFlag:
    """A ministry reviewer decides whether the flagged match is the same person, with a note.

    Rules: only open flags of a match (programme, registry or CUIL conflict) are resolved this
    way; "not the
    same person" is remembered for the worker and that match, so it is never raised again;
    "the same person" keeps the enrollment blocked (it must be rejected or the conflict ended).
    """
    _require(by, "screening.resolve_matchflag", _("Solo revisores del Ministerio resuelven alertas."))
    if not (note or "").strip():
        raise ValidationError({"note": _("Escriba una nota que explique la decisión.")})
    locked = MatchFlag.objects.select_for_update().select_related("enrollment").get(pk=flag.pk)
    if locked.status != MatchFlag.Status.OPEN:
        raise ValidationError(_("Esta alerta ya fue resuelta (%(status)s).") % {"status": locked.get_status_display()})
    if locked.kind not in (MatchFlag.Kind.PROGRAMME, MatchFlag.Kind.REGISTRY, MatchFlag.Kind.CUIL_CONFLICT):
        raise ValidationError(
            _(
                "Las alertas de elegibilidad y empleo no se resuelven como coincidencias:"
                " se corrigen los datos y se vuelve a controlar."
            )
        )
    mirror_worker = locked.matched_enrollment.worker_id if locked.matched_enrollment is not None else None
    if not same_person and mirror_worker == locked.enrollment.worker_id:
        raise ValidationError(_("Es el mismo trabajador inscripto dos veces: no puede ser otra persona."))
    with pghistory.context(user=by.pk, reason="resolución de alerta"):
        locked.status = MatchFlag.Status.SAME_PERSON if same_person else MatchFlag.Status.NOT_SAME
        locked.note = note.strip()
        locked.resolved_by = by
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
        if not same_person:
            NotSamePerson.objects.get_or_create(
                worker_id=locked.enrollment.worker_id,
                match_key=locked.match_key,
                defaults={"decided_by": by, "note": note.strip()},
            )
            if mirror_worker is not None:
                # The other enrollment carries the mirror flag: the same decision holds for it.
                mirror_key = f"worker:{locked.enrollment.worker_id}"
                NotSamePerson.objects.get_or_create(
                    worker_id=mirror_worker, match_key=mirror_key, defaults={"decided_by": by, "note": note.strip()}
                )
                for mirror in MatchFlag.objects.select_for_update().filter(
                    enrollment=locked.matched_enrollment, match_key=mirror_key, status=MatchFlag.Status.OPEN
                ):
                    mirror.status, mirror.note = MatchFlag.Status.NOT_SAME, note.strip()
                    mirror.resolved_by, mirror.resolved_at = by, locked.resolved_at
                    mirror.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
    flag.refresh_from_db()
    return locked
