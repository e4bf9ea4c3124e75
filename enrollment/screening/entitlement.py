"""Entitlement: how many months of aid (2, 3 or 4) each worker is paid, from the SIPA history
before the period, by the dated rule table ``EntitlementRuleSet`` (docs/entitlement.md).

Rules:

- What is counted: the months, among the ``window_months`` calendar months just before the
  period's first month, in which SIPA records agrarian or agro-industrial pay (``Remuneration``
  rows of those activities, any employer, gross above zero) for the worker's CUIL. The amount
  does not matter; eligibility (``engine``) judges amounts.
- Which table: the approved one with the latest ``effective_from`` not after the period's first
  month. Its brackets cover 0 to the window without gaps or overlaps, so every count has one.
- No SIPA data for the worker in the window counts 0 months: the table's lowest bracket, and
  the reason says there was no data.
- Determined once, when the enrollment's installments are first scheduled, and stored
  (``Entitlement``); later tables or SIPA loads do not change it. Payments schedules
  min(entitled months, period months) installments, the period's first months. Before that the
  enrollment page shows what it would be today.
- The table is edited with four eyes: a ministry reviewer or payments officer proposes a table
  with its effective date; another one, with a verified second factor, approves or rejects it
  (the database refuses ``decided_by = proposed_by``). Approving a table for a date that already
  has one replaces that one. The proposer may withdraw a pending proposal.

Every write runs inside ``pghistory.context`` with who and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enrollment.models import Enrollment
from enrollment.screening.entitlement_models import (
    MAX_ENTITLED_MONTHS,
    MIN_ENTITLED_MONTHS,
    Entitlement,
    EntitlementBracket,
    EntitlementRuleSet,
)
from provinces.audit import prepare_bulk_audit
from provinces.roles import Role
from provinces.scoping import scope_of
from provinces.twofactor import require_verified

Status = EntitlementRuleSet.Status

#: Who proposes and approves tables (never the same person for one table); auditors read them.
MANAGER_ROLES = (Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER)
READER_ROLES = (*MANAGER_ROLES, Role.AUDITOR)


@dataclass(frozen=True)
class Bracket:
    min_pay_months: int
    max_pay_months: int
    months: int


# --------------------------------------------------------------------------- who may


def may_read(user) -> bool:
    return scope_of(user).has_role(*READER_ROLES)


def may_propose(user) -> bool:
    return scope_of(user).has_role(*MANAGER_ROLES)


def why_cannot_decide(user, rule_set: EntitlementRuleSet) -> str:
    """Why ``user`` is not offered approve/reject on ``rule_set`` ("" when they are)."""
    from provinces.twofactor import is_verified

    if rule_set.status != Status.PROPOSED:
        return _("Esta tabla ya fue decidida.")
    if not scope_of(user).has_role(*MANAGER_ROLES):
        return _("Aprueban las tablas de meses de ayuda los revisores y oficiales de pagos del Ministerio.")
    if rule_set.proposed_by_id == user.pk:
        return _("Usted propuso esta tabla: la aprueba o rechaza otra persona.")
    if not is_verified(user):
        return _("Para decidir verifique su segundo factor (código de la aplicación).")
    return ""


def _require_manager(user) -> None:
    if not may_propose(user):
        raise PermissionDenied(
            _("Proponen y aprueban las tablas de meses de ayuda los revisores y oficiales de pagos del Ministerio.")
        )


# --------------------------------------------------------------------------- the table


def rule_sets_for(user):
    """Every table, for the ministry roles that read them; nothing for anyone else."""
    if not may_read(user):
        return EntitlementRuleSet.objects.none()
    return EntitlementRuleSet.objects.select_related("proposed_by", "decided_by").prefetch_related("brackets")


def rule_set_in_force(on: dt.date) -> EntitlementRuleSet | None:
    """The approved table in force on ``on`` (a period's first month)."""
    return (
        EntitlementRuleSet.objects.filter(status=Status.APPROVED, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


def check_brackets(*, window_months: int, brackets: Sequence[Bracket]) -> list[str]:
    """What is wrong with a table's rows ([] when nothing): they must cover 0 to the window,
    in order, without gaps or overlaps, each paying 2 to 4 months."""
    errors: list[str] = []
    if not brackets:
        return [_("Cargue al menos un tramo.")]
    rows = sorted(brackets, key=lambda b: b.min_pay_months)
    expected = 0
    for row in rows:
        if row.min_pay_months > row.max_pay_months:
            errors.append(
                _("El tramo %(min)s–%(max)s empieza después de donde termina.")
                % {"min": row.min_pay_months, "max": row.max_pay_months}
            )
        if row.min_pay_months > expected:
            errors.append(
                _("Faltan los meses %(from)s a %(to)s: ningún tramo los cubre.")
                % {"from": expected, "to": row.min_pay_months - 1}
            )
        elif row.min_pay_months < expected:
            errors.append(
                _("El tramo que empieza en %(min)s se superpone con el anterior.") % {"min": row.min_pay_months}
            )
        if not MIN_ENTITLED_MONTHS <= row.months <= MAX_ENTITLED_MONTHS:
            errors.append(
                _("El tramo %(min)s–%(max)s paga %(months)s meses: deben ser entre %(low)s y %(high)s.")
                % {
                    "min": row.min_pay_months,
                    "max": row.max_pay_months,
                    "months": row.months,
                    "low": MIN_ENTITLED_MONTHS,
                    "high": MAX_ENTITLED_MONTHS,
                }
            )
        expected = max(expected, row.max_pay_months + 1)
    if expected - 1 != window_months:
        errors.append(
            _("El último tramo debe terminar en %(window)s (los meses de historia considerados), no en %(end)s.")
            % {"window": window_months, "end": expected - 1}
        )
    return errors


@transaction.atomic
def propose_rule_set(
    *, by, effective_from: dt.date, window_months: int, note: str, brackets: Sequence[Bracket]
) -> EntitlementRuleSet:
    """A ministry reviewer or payments officer proposes a table; it applies only once another
    one approves it."""
    _require_manager(by)
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not note:
        errors["note"] = [_("Indique la resolución o el motivo de la tabla.")]
    if not 1 <= window_months <= 24:
        errors["window_months"] = [_("Los meses de historia considerados van de 1 a 24.")]
    else:
        problems = check_brackets(window_months=window_months, brackets=brackets)
        if problems:
            errors["brackets"] = problems
    if errors:
        raise ValidationError(errors)
    with pghistory.context(user=by.pk, reason=f"tabla de meses de ayuda propuesta: {note}"):
        rule_set = EntitlementRuleSet.objects.create(
            effective_from=effective_from, window_months=window_months, note=note, proposed_by=by
        )
        EntitlementBracket.objects.bulk_create(
            EntitlementBracket(
                rule_set=rule_set, min_pay_months=b.min_pay_months, max_pay_months=b.max_pay_months, months=b.months
            )
            for b in sorted(brackets, key=lambda b: b.min_pay_months)
        )
    return rule_set


def _lock_proposed(rule_set: EntitlementRuleSet) -> EntitlementRuleSet:
    locked = EntitlementRuleSet.objects.select_for_update().filter(pk=rule_set.pk).first()
    if locked is None:
        raise Http404(_("No existe esa tabla."))
    if locked.status != Status.PROPOSED:
        raise ValidationError(_("Esta tabla ya fue decidida (%(status)s).") % {"status": locked.get_status_display()})
    return locked


def _require_decider(*, by, rule_set: EntitlementRuleSet) -> None:
    _require_manager(by)
    if rule_set.proposed_by_id == by.pk:
        raise PermissionDenied(_("Usted propuso esta tabla: la aprueba o rechaza otra persona."))
    require_verified(by)


def _decide(rule_set: EntitlementRuleSet, *, by, status: str, note: str) -> None:
    rule_set.status = status
    rule_set.decided_by = by
    rule_set.decided_at = timezone.now()
    rule_set.decision_note = note
    rule_set.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


@transaction.atomic
def approve_rule_set(*, rule_set: EntitlementRuleSet, by, note: str = "") -> EntitlementRuleSet:
    """A second person approves: the table applies to every period starting on or after its
    date whose enrollments are scheduled from now on. An approved table of the same date is
    replaced."""
    locked = _lock_proposed(rule_set)
    _require_decider(by=by, rule_set=locked)
    note = (note or "").strip()
    with pghistory.context(user=by.pk, reason=f"tabla de meses de ayuda aprobada: {note or locked.note}"):
        EntitlementRuleSet.objects.filter(status=Status.APPROVED, effective_from=locked.effective_from).update(
            status=Status.REPLACED
        )
        _decide(locked, by=by, status=Status.APPROVED, note=note)
    return locked


@transaction.atomic
def reject_rule_set(*, rule_set: EntitlementRuleSet, by, note: str) -> EntitlementRuleSet:
    """A second person rejects, with a reason: the table never applies."""
    locked = _lock_proposed(rule_set)
    _require_decider(by=by, rule_set=locked)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Indique por qué se rechaza la tabla.")]})
    with pghistory.context(user=by.pk, reason=f"tabla de meses de ayuda rechazada: {note}"):
        _decide(locked, by=by, status=Status.REJECTED, note=note)
    return locked


@transaction.atomic
def withdraw_rule_set(*, rule_set: EntitlementRuleSet, by, note: str = "") -> EntitlementRuleSet:
    """The proposer withdraws a pending proposal."""
    locked = _lock_proposed(rule_set)
    _require_manager(by)
    if locked.proposed_by_id != by.pk:
        raise PermissionDenied(_("Solo quien propuso la tabla puede retirarla."))
    note = (note or "").strip()
    with pghistory.context(user=by.pk, reason=f"tabla de meses de ayuda retirada: {note}"):
        _decide(locked, by=by, status=Status.WITHDRAWN, note=note)
    return locked


# --------------------------------------------------------------------------- per enrollment

#: Each enrollment's entitlement by the table in force at its period's first month, one row per
#: enrollment (NULL rule_set_id: no table in force). One statement for any number of them.
_ENTITLEMENT_SQL = """
    WITH e AS (
        SELECT e.id, w.cuil, c.first_month
          FROM enrollment_enrollment e
          JOIN enrollment_worker w ON w.id = e.worker_id
          JOIN provinces_cycle c ON c.id = e.cycle_id
         WHERE e.id = ANY(%(ids)s)
    ), t AS (
        SELECT e.id, e.cuil, rs.id AS rule_set_id,
               (e.first_month - make_interval(months => rs.window_months))::date AS window_start,
               (e.first_month - interval '1 month')::date AS window_end
          FROM e
          LEFT JOIN LATERAL (
                SELECT r.id, r.window_months FROM screening_entitlementruleset r
                 WHERE r.status = 'approved' AND r.effective_from <= e.first_month
                 ORDER BY r.effective_from DESC LIMIT 1
          ) rs ON TRUE
    ), h AS (
        SELECT t.id, t.rule_set_id, t.window_start, t.window_end,
               count(DISTINCT s.month) FILTER (
                   WHERE s.activity IN ('agrarian', 'agro_industrial') AND s.gross > 0) AS pay_months,
               count(s.month) > 0 AS has_sipa_data
          FROM t
          LEFT JOIN screening_remuneration s ON s.cuil = t.cuil AND s.month BETWEEN t.window_start AND t.window_end
         GROUP BY t.id, t.rule_set_id, t.window_start, t.window_end
    )
    SELECT h.id, h.rule_set_id, b.months, h.pay_months, h.has_sipa_data, h.window_start, h.window_end
      FROM h
      LEFT JOIN screening_entitlementbracket b
             ON b.rule_set_id = h.rule_set_id AND h.pay_months BETWEEN b.min_pay_months AND b.max_pay_months
"""


def determine_entitlements(*, enrollment_ids: Iterable[int], by) -> int:
    """Store the entitlement of those enrollments that have none yet, in one statement.

    Raises ``ValidationError`` (and stores nothing) when a period starts before every approved
    table. Returns how many were stored. Idempotent: a stored entitlement is never recomputed.
    """
    ids = sorted(set(enrollment_ids))
    if not ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        # The ones already determined are left out here, not by the INSERT: a NOT EXISTS on the
        # table being written was planned as a scan of it per enrollment, each scan visiting the
        # rows the statement had inserted so far (minutes for 200,000). ON CONFLICT covers a
        # concurrent determination.
        cursor.execute("SELECT enrollment_id FROM screening_entitlement WHERE enrollment_id = ANY(%s)", [ids])
        stored = {row[0] for row in cursor.fetchall()}
        ids = [pk for pk in ids if pk not in stored]
        if not ids:
            return 0
        cursor.execute(
            """
            SELECT DISTINCT c.first_month
              FROM enrollment_enrollment e JOIN provinces_cycle c ON c.id = e.cycle_id
             WHERE e.id = ANY(%s)
               AND NOT EXISTS (SELECT 1 FROM screening_entitlementruleset r
                                WHERE r.status = 'approved' AND r.effective_from <= c.first_month)
             ORDER BY 1
            """,
            [ids],
        )
        uncovered = [row[0] for row in cursor.fetchall()]
        if uncovered:
            raise ValidationError(
                _("No hay tabla de meses de ayuda vigente para períodos que empiezan en %(months)s.")
                % {"months": ", ".join(f"{m:%m/%Y}" for m in uncovered)}
            )
        prepare_bulk_audit(cursor)
        with pghistory.context(user=getattr(by, "pk", None), reason="meses de ayuda determinados"):
            cursor.execute(
                f"""
                INSERT INTO screening_entitlement
                       (enrollment_id, rule_set_id, months, pay_months, has_sipa_data, window_start, window_end,
                        created_at)
                SELECT x.id, x.rule_set_id, x.months, x.pay_months, x.has_sipa_data, x.window_start, x.window_end,
                       now()
                  FROM ({_ENTITLEMENT_SQL}) x
                ON CONFLICT (enrollment_id) DO NOTHING
                """,
                {"ids": ids},
            )
            return cursor.rowcount


def entitlement_of(enrollment: Enrollment) -> Entitlement | None:
    """The enrollment's entitlement: the stored one, or (before its installments are scheduled)
    what the table in force and the SIPA history give today, not stored. None when no table is
    in force for its period."""
    stored = Entitlement.objects.select_related("rule_set").filter(enrollment_id=enrollment.pk).first()
    if stored is not None:
        return stored
    with connection.cursor() as cursor:
        cursor.execute(_ENTITLEMENT_SQL, {"ids": [enrollment.pk]})
        row = cursor.fetchone()
    if row is None or row[1] is None:
        return None
    _id, rule_set_id, months, pay_months, has_data, start, end = row
    return Entitlement(
        enrollment=enrollment,
        rule_set=EntitlementRuleSet.objects.get(pk=rule_set_id),
        months=months,
        pay_months=pay_months,
        has_sipa_data=has_data,
        window_start=start,
        window_end=end,
    )


def describe(entitlement: Entitlement, *, period_months: int | None = None) -> str:
    """The entitlement in words, e.g. "3 meses: 5 meses con remuneración agraria o agroindustrial
    registrada entre 03/2025 y 02/2026 (tabla vigente desde 01/01/2026)"."""
    head = ngettext("%(n)s mes", "%(n)s meses", entitlement.months) % {"n": entitlement.months}
    window = {"start": f"{entitlement.window_start:%m/%Y}", "end": f"{entitlement.window_end:%m/%Y}"}
    if entitlement.has_sipa_data:
        basis = ngettext(
            "%(count)s mes con remuneración agraria o agroindustrial registrada entre %(start)s y %(end)s",
            "%(count)s meses con remuneración agraria o agroindustrial registrada entre %(start)s y %(end)s",
            entitlement.pay_months,
        ) % {"count": entitlement.pay_months, **window}
    else:
        basis = _("sin datos SIPA entre %(start)s y %(end)s, se aplica el tramo más bajo de la tabla") % window
    rule = _("tabla vigente desde %(date)s") % {"date": f"{entitlement.rule_set.effective_from:%d/%m/%Y}"}
    text = f"{head}: {basis} ({rule})"
    if period_months is not None and period_months < entitlement.months:
        text += ". " + ngettext(
            "El período tiene %(n)s mes: se paga %(n)s.", "El período tiene %(n)s meses: se pagan %(n)s.", period_months
        ) % {"n": period_months}
    return text


def planned_months(entitlement: Entitlement, *, period_months: int) -> int:
    """How many installments are scheduled: the entitled months, at most the period's."""
    return min(entitlement.months, period_months)
