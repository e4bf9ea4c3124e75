"""Installments over an enrollment's life: scheduling them when it is approved (one or many),
cancelling the unpaid ones when it is suspended or withdrawn, holding those that monthly
re-screening finds in conflict, releasing a hold, and re-issuing one the bank rejected (a
transfer, or a branch-pickup order).

Rules: one installment per entitled month (the worker's 2 to 4 months from the SIPA history,
``enrollment.screening.entitlement``; at most the cycle's months, its first ones), the amount
snapshot of the rate in force; one installment per enrollment and number and one per worker and
month across the programme (database constraints: never paid twice); the agreement's budget is
never exceeded (checked under its row lock). Paid installments are never cancelled;
installments in a batch nobody approved yet are withdrawn from it. A re-issue needs a valid CBU
different from the one the bank rejected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.bank_accounts import HOLD_PENDING_CHANGE, HOLD_SHARED_CBU
from enrollment.identity import is_valid_cbu
from enrollment.models import Enrollment
from enrollment.screening.entitlement import determine_entitlements
from enrollment.screening.models import Entitlement
from payments.common import (
    SCHEDULABLE_STATES,
    B,
    I,
    require_manager,
    scope_to_batch,
    store_totals,
)
from payments.models import BatchItem, Installment, PaymentBatch
from payments.rates import committed_amount, rate_for
from provinces.audit import prepare_bulk_audit
from provinces.models import Agreement


def months_to_schedule(
    *, enrollment: Enrollment, by, months: Collection[dt.date] | None = None
) -> list[tuple[int, dt.date]]:
    """The (number, month) pairs ``schedule_installments`` would add: the entitled months of the
    cycle (the entitlement determined and stored the first time) without a live installment,
    narrowed to ``months`` when given."""
    determine_entitlements(enrollment_ids=[enrollment.pk], by=by)
    entitled = Entitlement.objects.get(enrollment_id=enrollment.pk).months
    existing = set(
        Installment.objects.filter(enrollment_id=enrollment.pk, kind=Installment.Kind.REGULAR)
        .exclude(status=I.CANCELLED)
        .values_list("number", flat=True)
    )
    return [
        (n, month)
        for n, month in enumerate(enrollment.cycle.month_list[:entitled], start=1)
        if n not in existing and (months is None or month in months)
    ]


@transaction.atomic
def schedule_installments(
    *, enrollment: Enrollment, by, months: Collection[dt.date] | None = None
) -> list[Installment]:
    """Schedule one installment per entitled month of the enrollment's cycle (at most 4).

    Rules: only approved or active enrollments; the entitlement is determined (and stored) the
    first time: min(entitled months, cycle months) installments, the cycle's first months; the
    amount is the rate in force in each month, frozen on the installment; never a second live
    installment for the same enrollment and number, nor for the same worker and month anywhere
    in the programme (unique indexes); the agreement's budget is never exceeded — checked with
    the agreement row locked, so two approvals racing for the last pesos cannot both get them.
    Running it again schedules only what is missing, so it is safe to repeat. ``months``, when
    given, narrows the plan to those months (a reinstatement schedules only the future ones and
    those stated as owed).
    """
    enrollment = Enrollment.objects.select_related("cycle__agreement", "worker").get(pk=enrollment.pk)
    if enrollment.status not in SCHEDULABLE_STATES:
        raise ValidationError(
            _("Solo se programan cuotas de inscripciones aprobadas (estado actual: %(status)s).")
            % {"status": enrollment.get_status_display()}
        )
    agreement = Agreement.objects.select_for_update().get(pk=enrollment.cycle.agreement_id)
    plan = months_to_schedule(enrollment=enrollment, by=by, months=months)
    if not plan:
        return []
    taken = list(
        Installment.objects.filter(
            worker_id=enrollment.worker_id, month__in=[m for _, m in plan], kind=Installment.Kind.REGULAR
        )
        .exclude(status=I.CANCELLED)
        .values_list("month", flat=True)
    )
    if taken:
        raise ValidationError(
            _("%(worker)s ya tiene cuotas del programa en %(months)s: no se paga dos veces el mismo mes.")
            % {"worker": enrollment.worker, "months": ", ".join(f"{m:%m/%Y}" for m in sorted(taken))}
        )
    rows = []
    for number, month in plan:
        rate = rate_for(month)
        rows.append(
            Installment(
                enrollment=enrollment,
                worker_id=enrollment.worker_id,
                agreement_id=agreement.pk,
                province_id=agreement.province_id,
                number=number,
                month=month,
                rate=rate,
                amount=rate.amount,
            )
        )
    new_total = sum((r.amount for r in rows), Decimal("0"))
    committed = committed_amount(agreement.pk)
    if committed + new_total > agreement.budget:
        raise ValidationError(
            _(
                "El presupuesto del convenio %(number)s no alcanza: comprometido %(committed)s, "
                "estas cuotas %(new)s, presupuesto %(budget)s."
            )
            % {"number": agreement.number, "committed": committed, "new": new_total, "budget": agreement.budget}
        )
    try:
        with transaction.atomic(), pghistory.context(user=getattr(by, "pk", None), reason="cuotas programadas"):
            return Installment.objects.bulk_create(rows)
    except IntegrityError as error:
        raise ValidationError(
            _("Ya existe una cuota para ese trabajador/a y mes, o para esa inscripción y número.")
        ) from error


_PLAN_SQL = """
    CREATE TEMP TABLE payments_plan ON COMMIT DROP AS
    SELECT e.id AS enrollment_id, e.worker_id, c.agreement_id, a.province_id,
           gs.n::smallint AS number, (c.first_month + make_interval(months => gs.n - 1))::date AS month,
           r.id AS rate_id, r.amount
      FROM enrollment_enrollment e
      JOIN provinces_cycle c ON c.id = e.cycle_id
      JOIN provinces_agreement a ON a.id = c.agreement_id
      JOIN screening_entitlement x ON x.enrollment_id = e.id
      CROSS JOIN LATERAL generate_series(1, LEAST(c.months, x.months)) AS gs(n)
      LEFT JOIN LATERAL (
            SELECT r.id, r.amount FROM payments_rate r
             WHERE r.status = 'approved'
               AND r.effective_month <= (c.first_month + make_interval(months => gs.n - 1))::date
             ORDER BY r.effective_month DESC LIMIT 1
      ) r ON TRUE
     WHERE e.id = ANY(%(ids)s) AND e.status = ANY(%(states)s)
       AND NOT (e.id::text || ':' || gs.n = ANY(%(live)s::text[]))
"""


def schedule_installments_bulk(*, enrollment_ids: Iterable[int], by) -> int:
    """Schedule the missing installments of many approved enrollments in one set-based pass.

    Same rules as ``schedule_installments`` (their entitlements determined in one statement
    first): the agreements concerned are locked (in id order, so concurrent runs cannot deadlock)
    and none of their budgets may be exceeded; a worker already holding an installment for one of
    the months blocks the whole run with the list of such workers. Returns the number of
    installments created. Idempotent.
    """
    ids = sorted(set(enrollment_ids))
    if not ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        agreement_ids = list(
            Enrollment.objects.filter(pk__in=ids).values_list("cycle__agreement_id", flat=True).distinct()
        )
        list(Agreement.objects.select_for_update().filter(pk__in=agreement_ids).order_by("pk").values_list("pk"))
        schedulable = list(
            Enrollment.objects.filter(pk__in=ids, status__in=SCHEDULABLE_STATES).values_list("pk", flat=True)
        )
        determine_entitlements(enrollment_ids=schedulable, by=by)
        prepare_bulk_audit(cursor)
        cursor.execute("DROP TABLE IF EXISTS payments_plan")
        # The live installments these enrollments already have, read by their enrollment's index,
        # and left out of the plan by their "enrollment:number": a NOT EXISTS in the plan was run
        # as a scan of every installment for each month planned, when the statistics of a table
        # that grows chunk by chunk made the enrollments look few (31 million rows visited for
        # one chunk of 1,000 at 10,000 enrollments). The conditions on kind and cancellation are
        # written so that no partial index matches them: with the same stale statistics the
        # planner read the whole partial index of live installments instead (2.5 s a chunk at
        # 320,000). The agreements are locked: nobody adds one of these meanwhile.
        cursor.execute(
            "SELECT enrollment_id::text || ':' || number FROM payments_installment"
            " WHERE enrollment_id = ANY(%s) AND (kind = 'regular') IS TRUE AND (cancelled_at IS NULL) IS TRUE",
            [ids],
        )
        live = [row[0] for row in cursor.fetchall()]
        cursor.execute(_PLAN_SQL, {"ids": ids, "states": list(SCHEDULABLE_STATES), "live": live})
        cursor.execute("SELECT DISTINCT month FROM payments_plan WHERE rate_id IS NULL ORDER BY month")
        unpriced = [row[0] for row in cursor.fetchall()]
        if unpriced:
            raise ValidationError(
                _("No hay monto de la ayuda vigente para %(month)s.")
                % {"month": ", ".join(f"{m:%m/%Y}" for m in unpriced)}
            )
        cursor.execute(
            """
            SELECT p.enrollment_id, to_char(p.month, 'MM/YYYY') FROM payments_plan p
              JOIN payments_installment i ON i.worker_id = p.worker_id AND i.month = p.month
                                          AND i.kind = 'regular' AND i.cancelled_at IS NULL
            UNION ALL
            SELECT min(p.enrollment_id), to_char(p.month, 'MM/YYYY') FROM payments_plan p
             GROUP BY p.worker_id, p.month HAVING count(*) > 1
             LIMIT 20
            """
        )
        clashes = cursor.fetchall()
        if clashes:
            raise ValidationError(
                _("Hay trabajadores/as con más de una cuota en el mismo mes (inscripción y mes): %(list)s.")
                % {"list": ", ".join(f"{e} {m}" for e, m in clashes)}
            )
        cursor.execute(
            """
            SELECT a.number, a.budget, coalesce(c.total, 0), p.total
              FROM (SELECT agreement_id, sum(amount) AS total FROM payments_plan GROUP BY agreement_id) p
              JOIN provinces_agreement a ON a.id = p.agreement_id
              LEFT JOIN (SELECT agreement_id, sum(amount) AS total FROM payments_installment
                          WHERE status <> 'cancelled' AND agreement_id = ANY(%s) GROUP BY agreement_id) c
                     ON c.agreement_id = p.agreement_id
             WHERE coalesce(c.total, 0) + p.total > a.budget
            """,
            [agreement_ids],
        )
        over = cursor.fetchall()
        if over:
            raise ValidationError(
                [
                    _(
                        "El presupuesto del convenio %(number)s no alcanza: %(budget)s, "
                        "comprometido %(committed)s, nuevo %(new)s."
                    )
                    % {"number": n, "budget": b, "committed": c, "new": t}
                    for n, b, c, t in over
                ]
            )
        with pghistory.context(user=getattr(by, "pk", None), reason="cuotas programadas (masivo)"):
            cursor.execute(
                """
                INSERT INTO payments_installment
                       (enrollment_id, worker_id, agreement_id, province_id, kind, number, month, rate_id, amount,
                        status, hold_reason, bank_reason, cancel_reason, created_at, updated_at)
                SELECT enrollment_id, worker_id, agreement_id, province_id, 'regular', number, month, rate_id, amount,
                       'due', '', '', '', now(), now()
                  FROM payments_plan
                """
            )
            return cursor.rowcount


def _withdraw_from_unapproved_batches(installment_ids: list[int]) -> None:
    """Take installments out of batches nobody has approved yet, and recompute those batches."""
    items = BatchItem.objects.filter(
        installment_id__in=installment_ids, outcome=BatchItem.Outcome.PENDING, batch__status__in=[B.BUILDING, B.BUILT]
    )
    batch_ids = set(items.values_list("batch_id", flat=True))
    items.update(outcome=BatchItem.Outcome.WITHDRAWN, released_at=Now())
    for batch in PaymentBatch.objects.select_for_update().filter(pk__in=batch_ids).order_by("pk"):
        store_totals(batch)
        batch.save(update_fields=["item_count", "total_amount", "province_totals"])


@transaction.atomic
def cancel_unpaid_installments(*, enrollment: Enrollment, by, reason: str) -> int:
    """Cancel what a suspended or withdrawn enrollment has not been paid yet.

    Scheduled, held and bank-rejected installments are cancelled (the rows stay, with the
    reason, in the audit trail); those in a batch not yet approved are taken out of it. Money
    already approved for the bank is left to the bank's return. Returns how many were cancelled.
    """
    # Lock order as in build_batch (batch row, then installments), so the two cannot deadlock.
    open_batches = (
        BatchItem.objects.filter(
            installment__enrollment=enrollment,
            outcome=BatchItem.Outcome.PENDING,
            batch__status__in=[B.BUILDING, B.BUILT],
        )
        .values_list("batch_id", flat=True)
        .distinct()
    )
    list(PaymentBatch.objects.select_for_update().filter(pk__in=list(open_batches)).order_by("pk").values_list("pk"))
    unpaid = Installment.objects.select_for_update().filter(enrollment=enrollment, status__in=Installment.UNPAID_STATES)
    ids = list(unpaid.values_list("pk", flat=True))
    in_open_batch = list(
        Installment.objects.select_for_update()
        .filter(
            enrollment=enrollment,
            status=I.IN_BATCH,
            batch_items__outcome=BatchItem.Outcome.PENDING,
            batch_items__batch__status__in=[B.BUILDING, B.BUILT],
        )
        .values_list("pk", flat=True)
    )
    if not ids and not in_open_batch:
        return 0
    with pghistory.context(user=getattr(by, "pk", None), reason=reason):
        if in_open_batch:
            _withdraw_from_unapproved_batches(in_open_batch)
        now = timezone.now()
        return Installment.objects.filter(pk__in=ids + in_open_batch).update(
            status=I.CANCELLED, cancel_reason=reason, cancelled_at=now, updated_at=now
        )


def hold_installments(*, month: dt.date, conflicts: dict[int, str], by=None, batch: PaymentBatch | None = None) -> int:
    """Hold the due installments (up to ``month``) of enrollments that re-screening found in
    conflict, with the reason; they are not batched until released. ``conflicts`` maps an
    enrollment id to its reason. Returns how many installments were held. Idempotent."""
    if not conflicts:
        return 0
    ids = list(conflicts)
    reasons = [conflicts[i] or _("Conflicto detectado en el control mensual") for i in ids]
    sql = """
        UPDATE payments_installment i SET status = 'held', hold_reason = c.reason, updated_at = now()
          FROM unnest(%s::bigint[], %s::text[]) AS c(enrollment_id, reason)
         WHERE i.enrollment_id = c.enrollment_id AND i.status = 'due' AND i.month <= %s
    """
    params: list = [ids, reasons, month]
    if batch is not None:
        sql, params = scope_to_batch(sql, params, batch, alias="i")
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        pghistory.context(user=getattr(by, "pk", None), reason="retenida por control mensual"),
    ):
        prepare_bulk_audit(cursor)
        cursor.execute(sql, params)
        return cursor.rowcount


@transaction.atomic
def release_hold(*, installment: Installment, by, reason: str) -> Installment:
    """Release a held installment once its conflict is resolved: it is due again, without the
    bank's reason a rejected pickup order was held with (``_back_in_line``). A hold for
    bank data is not released here: a pending CBU change frees its installments when another
    person decides it, a shared CBU when a reviewer confirms distinct holders
    (``payments.cbu_holds``)."""
    require_manager(by)
    locked = Installment.objects.select_for_update().get(pk=installment.pk)
    if locked.status != I.HELD:
        raise ValidationError(_("Solo se liberan cuotas retenidas."))
    if locked.hold_reason == HOLD_PENDING_CHANGE:
        raise ValidationError(
            _("Esta cuota se libera al decidirse el cambio de CBU pendiente: lo aprueba o rechaza otra persona.")
        )
    if locked.hold_reason == HOLD_SHARED_CBU:
        raise ValidationError(
            _("Esta cuota se libera cuando un/a revisor/a confirma titulares distintos para el CBU compartido.")
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indique por qué se resolvió el conflicto.")})
    return _back_in_line(locked, by=by, reason=reason.strip())


def _back_in_line(locked: Installment, *, by, reason: str) -> Installment:
    """An installment released or re-issued is due again, with nothing left of why it stopped:
    neither its hold nor the bank's reason for a rejection (the batch line keeps the bank's
    answer, in the audit trail). ``locked`` is the row locked by the caller."""
    with pghistory.context(user=by.pk, reason=reason):
        locked.status = I.DUE
        locked.hold_reason = ""
        locked.bank_reason = ""
        locked.save(update_fields=["status", "hold_reason", "bank_reason", "updated_at"])
    return locked


@transaction.atomic
def reissue_installment(*, installment: Installment, by) -> Installment:
    """Put a bank-rejected installment back in line for a later batch.

    Only once the worker's CBU is valid and different from the one the bank rejected; it is
    still one installment, so it can be paid at most once (unique index on paid lines).
    """
    require_manager(by)
    locked = Installment.objects.select_for_update().select_related("worker").get(pk=installment.pk)
    if locked.status != I.REJECTED:
        raise ValidationError(_("Solo se reemiten cuotas rechazadas por el banco."))
    last = locked.batch_items.filter(outcome=BatchItem.Outcome.REJECTED).order_by("-pk").first()
    cbu = locked.worker.cbu
    if not is_valid_cbu(cbu):
        raise ValidationError(
            _("El CBU de %(worker)s no es válido: corríjalo antes de reemitir.") % {"worker": locked.worker}
        )
    if last is not None and last.cbu == cbu:
        raise ValidationError(_("El CBU es el mismo que rechazó el banco: corríjalo antes de reemitir."))
    return _back_in_line(locked, by=by, reason="reemisión con CBU corregido")


@transaction.atomic
def reissue_pickup_order(*, installment: Installment, by, note: str) -> Installment:
    """Put an installment whose branch-pickup order the bank rejected back in line, with a
    payments officer's ``note`` (what was checked with the bank or the worker): it is due
    again and the next batch carries it — as a pickup order with a new day, or as a transfer
    if the worker has a CBU by then. Still one installment: paid at most once."""
    require_manager(by)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Indique qué se verificó antes de reemitir la orden de cobro.")})
    locked = Installment.objects.select_for_update().get(pk=installment.pk)
    if not locked.held_by_pickup_rejection:
        raise ValidationError(_("Solo se reemiten así las órdenes de cobro que rechazó el banco."))
    return _back_in_line(locked, by=by, reason=f"reemisión de la orden de cobro rechazada: {note}")
