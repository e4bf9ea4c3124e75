"""Every write about money: scheduling installments, holding them, monthly batches, approval,
bank files and the bank's return.

The rules that must never break are enforced by the database (see ``payments.models``); the
functions here lock the rows a rule depends on (the agreement for its budget, the batch for
its state) and do the heavy work set-based in PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.identity import is_valid_cbu
from enrollment.models import Enrollment
from payments.models import BankFile, BatchItem, Installment, PaymentBatch, Rate, Reconciliation, ReturnFile
from provinces.audit import prepare_bulk_audit
from provinces.bulk import collector_paused
from provinces.models import Agreement, Province

I = Installment.Status  # noqa: E741
B = PaymentBatch.Status
MANAGE = "payments.manage_payments"

#: Enrollment states whose installments may be scheduled.
SCHEDULABLE_STATES = (Enrollment.Status.APPROVED, Enrollment.Status.ACTIVE)


def _require_manager(by) -> None:
    if not (by is not None and by.is_authenticated and by.has_perm(MANAGE)):
        raise PermissionDenied(_("Solo oficiales de pagos del Ministerio operan lotes de pago."))


def _first_of_month(month: dt.date) -> dt.date:
    return month.replace(day=1)


# --------------------------------------------------------------------------- rates


def rate_for(month: dt.date) -> Rate:
    """The rate in force in ``month``: the latest resolution effective on or before it."""
    rate = Rate.objects.filter(effective_month__lte=month).order_by("-effective_month").first()
    if rate is None:
        raise ValidationError(_("No hay monto de la ayuda vigente para %(month)s.") % {"month": f"{month:%m/%Y}"})
    return rate


def committed_amount(agreement_id: int) -> Decimal:
    """What the agreement's budget already carries: every installment not cancelled."""
    total = (
        Installment.objects.filter(agreement_id=agreement_id)
        .exclude(status=I.CANCELLED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or Decimal("0")


# --------------------------------------------------------------------------- scheduling


@transaction.atomic
def schedule_installments(*, enrollment: Enrollment, by) -> list[Installment]:
    """Schedule one installment per month of the enrollment's cycle (at most 4).

    Rules: only approved or active enrollments; the amount is the rate in force in each month,
    frozen on the installment; never a second live installment for the same enrollment and
    number, nor for the same worker and month anywhere in the programme (unique indexes);
    the agreement's budget is never exceeded — checked with the agreement row locked, so two
    approvals racing for the last pesos cannot both get them. Running it again schedules
    only what is missing, so it is safe to repeat.
    """
    enrollment = Enrollment.objects.select_related("cycle__agreement", "worker").get(pk=enrollment.pk)
    if enrollment.status not in SCHEDULABLE_STATES:
        raise ValidationError(
            _("Solo se programan cuotas de inscripciones aprobadas (estado actual: %(status)s).")
            % {"status": enrollment.get_status_display()}
        )
    cycle = enrollment.cycle
    agreement = Agreement.objects.select_for_update().get(pk=cycle.agreement_id)
    existing = set(
        Installment.objects.filter(enrollment=enrollment, kind=Installment.Kind.REGULAR)
        .exclude(status=I.CANCELLED)
        .values_list("number", flat=True)
    )
    plan = [(n, month) for n, month in enumerate(cycle.month_list, start=1) if n not in existing]
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
      CROSS JOIN LATERAL generate_series(1, c.months) AS gs(n)
      LEFT JOIN LATERAL (
            SELECT r.id, r.amount FROM payments_rate r
             WHERE r.effective_month <= (c.first_month + make_interval(months => gs.n - 1))::date
             ORDER BY r.effective_month DESC LIMIT 1
      ) r ON TRUE
     WHERE e.id = ANY(%(ids)s) AND e.status = ANY(%(states)s)
       AND NOT EXISTS (
            SELECT 1 FROM payments_installment i
             WHERE i.enrollment_id = e.id AND i.number = gs.n AND i.kind = 'regular' AND i.cancelled_at IS NULL)
"""


def schedule_installments_bulk(*, enrollment_ids: Iterable[int], by) -> int:
    """Schedule the missing installments of many approved enrollments in one set-based pass.

    Same rules as ``schedule_installments``: the agreements concerned are locked (in id order,
    so concurrent runs cannot deadlock) and none of their budgets may be exceeded; a worker
    already holding an installment for one of the months blocks the whole run with the list of
    such workers. Returns the number of installments created. Idempotent.
    """
    ids = sorted(set(enrollment_ids))
    if not ids:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        agreement_ids = list(
            Enrollment.objects.filter(pk__in=ids).values_list("cycle__agreement_id", flat=True).distinct()
        )
        list(Agreement.objects.select_for_update().filter(pk__in=agreement_ids).order_by("pk").values_list("pk"))
        prepare_bulk_audit(cursor)
        cursor.execute("DROP TABLE IF EXISTS payments_plan")
        cursor.execute(_PLAN_SQL, {"ids": ids, "states": list(SCHEDULABLE_STATES)})
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


@transaction.atomic
def apply_retroactive_rate(*, rate: Rate, by) -> dict[str, int]:
    """Bring installments of months covered by a (possibly retroactive) rate up to it.

    Installments not yet on their way to the bank (scheduled, held, rejected) take the new
    amount. Those already paid or in a batch are never rewritten: a ``difference`` installment
    for the gap is scheduled instead, once per original installment and rate (unique index).
    The agreements' budgets are checked under their row locks. Idempotent.
    """
    _require_manager(by)
    with connection.cursor() as cursor:
        prepare_bulk_audit(cursor)
        cursor.execute(
            "SELECT id FROM provinces_agreement WHERE id IN (SELECT DISTINCT agreement_id FROM payments_installment"
            " WHERE month >= %s AND status <> 'cancelled') ORDER BY id FOR UPDATE",
            [rate.effective_month],
        )
        agreement_ids = [row[0] for row in cursor.fetchall()]
        # what each agreement would add: the raise on unpaid ones plus the differences
        cursor.execute("DROP TABLE IF EXISTS payments_retro")
        cursor.execute(
            """
            CREATE TEMP TABLE payments_retro ON COMMIT DROP AS
            SELECT i.id, i.enrollment_id, i.worker_id, i.agreement_id, i.province_id, i.number, i.month, i.status,
                   %(amount)s - i.amount - coalesce(d.paid, 0) AS gap
              FROM payments_installment i
              JOIN payments_rate r ON r.id = i.rate_id
              LEFT JOIN (SELECT difference_of_id, sum(amount) AS paid FROM payments_installment
                          WHERE kind = 'difference' AND status <> 'cancelled' GROUP BY difference_of_id) d
                     ON d.difference_of_id = i.id
             WHERE i.kind = 'regular' AND i.month >= %(month)s AND i.status <> 'cancelled'
               AND r.effective_month < %(month)s
               AND NOT EXISTS (SELECT 1 FROM payments_rate newer WHERE newer.effective_month > %(month)s
                                AND newer.effective_month <= i.month)
               AND %(amount)s - i.amount - coalesce(d.paid, 0) > 0
            """,
            {"amount": rate.amount, "month": rate.effective_month},
        )
        cursor.execute(
            """
            SELECT a.number FROM (SELECT agreement_id, sum(gap) AS gap FROM payments_retro GROUP BY agreement_id) g
              JOIN provinces_agreement a ON a.id = g.agreement_id
              JOIN (SELECT agreement_id, sum(amount) AS total FROM payments_installment
                     WHERE status <> 'cancelled' GROUP BY agreement_id) c ON c.agreement_id = g.agreement_id
             WHERE c.total + g.gap > a.budget
            """
        )
        over = [row[0] for row in cursor.fetchall()]
        if over:
            raise ValidationError(
                _("El presupuesto no alcanza para aplicar la resolución en los convenios: %(list)s.")
                % {"list": ", ".join(over)}
            )
        with pghistory.context(user=by.pk, reason=f"resolución {rate.resolution}"):
            cursor.execute(
                """
                UPDATE payments_installment i SET amount = i.amount + r.gap, rate_id = %s, updated_at = now()
                  FROM payments_retro r WHERE r.id = i.id AND r.status IN ('due', 'held', 'rejected')
                """,
                [rate.pk],
            )
            raised = cursor.rowcount
            cursor.execute(
                """
                INSERT INTO payments_installment
                       (enrollment_id, worker_id, agreement_id, province_id, kind, number, month, rate_id, amount,
                        difference_of_id, status, hold_reason, bank_reason, cancel_reason, created_at, updated_at)
                SELECT enrollment_id, worker_id, agreement_id, province_id, 'difference', number, month, %s, gap,
                       id, 'due', '', '', '', now(), now()
                  FROM payments_retro WHERE status IN ('in_batch', 'paid')
                ON CONFLICT DO NOTHING
                """,
                [rate.pk],
            )
            differences = cursor.rowcount
    return {"raised": raised, "differences": differences, "agreements": len(agreement_ids)}


# --------------------------------------------------------------------------- suspension and holds


def _withdraw_from_unapproved_batches(installment_ids: list[int]) -> None:
    """Take installments out of batches nobody has approved yet, and recompute those batches."""
    items = BatchItem.objects.filter(
        installment_id__in=installment_ids, outcome=BatchItem.Outcome.PENDING, batch__status__in=[B.BUILDING, B.BUILT]
    )
    batch_ids = set(items.values_list("batch_id", flat=True))
    items.update(outcome=BatchItem.Outcome.WITHDRAWN, released_at=Now())
    for batch in PaymentBatch.objects.select_for_update().filter(pk__in=batch_ids).order_by("pk"):
        _store_totals(batch)
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
        sql, params = _scoped(sql, params, batch, alias="i")
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
    """Release a held installment once its conflict is resolved: it is due again."""
    _require_manager(by)
    locked = Installment.objects.select_for_update().get(pk=installment.pk)
    if locked.status != I.HELD:
        raise ValidationError(_("Solo se liberan cuotas retenidas."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indique por qué se resolvió el conflicto.")})
    with pghistory.context(user=by.pk, reason=reason.strip()):
        locked.status = I.DUE
        locked.hold_reason = ""
        locked.save(update_fields=["status", "hold_reason", "updated_at"])
    return locked


@transaction.atomic
def reissue_installment(*, installment: Installment, by) -> Installment:
    """Put a bank-rejected installment back in line for a later batch.

    Only once the worker's CBU is valid and different from the one the bank rejected; it is
    still one installment, so it can be paid at most once (unique index on paid lines).
    """
    _require_manager(by)
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
    with pghistory.context(user=by.pk, reason="reemisión con CBU corregido"):
        locked.status = I.DUE
        locked.bank_reason = ""
        locked.save(update_fields=["status", "bank_reason", "updated_at"])
    return locked


# --------------------------------------------------------------------------- monthly batch


def _scoped(sql: str, params: list, batch: PaymentBatch, alias: str) -> tuple[str, list]:
    if batch.province_id:
        sql += f" AND {alias}.province_id = %s"
        params = [*params, batch.province_id]
    if batch.agreement_id:
        sql += f" AND {alias}.agreement_id = %s"
        params = [*params, batch.agreement_id]
    return sql, params


def request_batch(
    *, month: dt.date, by, province: Province | None = None, agreement: Agreement | None = None
) -> PaymentBatch:
    """Ask for the batch of ``month`` (optionally one province or agreement).

    The same month and scope always give the same batch (unique constraint); a batch still
    being built is handed to the Celery task again, which resumes where it stopped.
    """
    from payments.tasks import build_batch_task

    _require_manager(by)
    if month.day != 1:
        month = _first_of_month(month)
    if agreement is not None and province is not None and agreement.province_id != province.pk:
        raise ValidationError(
            _("El convenio %(number)s no es de %(province)s.") % {"number": agreement.number, "province": province}
        )
    if agreement is not None:
        province = None  # the agreement already fixes the province; one batch per agreement
    with transaction.atomic():
        try:
            with transaction.atomic(), pghistory.context(user=by.pk, reason="lote solicitado"):
                batch, _created = PaymentBatch.objects.get_or_create(
                    month=month, province=province, agreement=agreement, defaults={"built_by": by}
                )
        except IntegrityError:
            batch = PaymentBatch.objects.get(month=month, province=province, agreement=agreement)
        if batch.status == B.BUILDING:
            batch_id = batch.pk
            transaction.on_commit(lambda: build_batch_task.delay(batch_id))
    return batch


def _no_screening(*, month: dt.date, enrollment_ids: list[int]) -> dict[int, str]:
    return {}


def _lock_building(batch_id: int) -> PaymentBatch | None:
    batch = PaymentBatch.objects.select_for_update().get(pk=batch_id)
    return batch if batch.status == B.BUILDING else None


def build_batch(
    *,
    batch_id: int,
    screen: Callable[..., dict[int, str]] | None = None,
    chunk_size: int | None = None,
) -> PaymentBatch:
    """Build a batch: re-screen, hold conflicts, put the rest in the batch, total it.

    Runs in steps that each commit, so progress is visible and a crash loses nothing: running
    it again (or twice at once) resumes and ends in the same batch. Each chunk moves
    installments from due to in-batch with a status-guarded UPDATE under the batch row lock,
    and an installment can be in one open batch line only (unique index), so concurrent
    builders never duplicate one.
    """
    screen = screen or _no_screening
    chunk_size = chunk_size or settings.PAYMENTS_BATCH_CHUNK_SIZE
    with transaction.atomic():
        batch = _lock_building(batch_id)
        if batch is None:
            return PaymentBatch.objects.get(pk=batch_id)
        base = "SELECT DISTINCT i.enrollment_id FROM payments_installment i WHERE i.status = 'due' AND i.month <= %s"
        sql, params = _scoped(base, [batch.month], batch, alias="i")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            enrollment_ids = [row[0] for row in cursor.fetchall()]
        batch.progress_step = _("Control mensual de incompatibilidades")
        batch.save(update_fields=["progress_step"])
        conflicts = dict(screen(month=batch.month, enrollment_ids=enrollment_ids)) if enrollment_ids else {}
        held = hold_installments(month=batch.month, conflicts=conflicts, by=batch.built_by, batch=batch)
        held += _hold_without_cbu(batch)
        count_sql, count_params = _scoped(
            "SELECT count(*) FROM payments_installment i WHERE i.status = 'due' AND i.month <= %s",
            [batch.month],
            batch,
            alias="i",
        )
        with connection.cursor() as cursor:
            cursor.execute(count_sql, count_params)
            due = cursor.fetchone()[0]
        done = batch.items.filter(outcome=BatchItem.Outcome.PENDING).count()
        batch.held_count += held
        batch.progress_total = done + due
        batch.progress_done = done
        batch.progress_step = _("Armado del lote")
        batch.save(update_fields=["held_count", "progress_total", "progress_done", "progress_step"])

    last: int | None = 0
    while last is not None:
        with transaction.atomic():
            batch = _lock_building(batch_id)
            if batch is None:
                return PaymentBatch.objects.get(pk=batch_id)
            last, added = _add_chunk(batch, chunk_size, after=last)
            if added:
                PaymentBatch.objects.filter(pk=batch_id).update(progress_done=batch.progress_done + added)
        if last is None:
            break
        if settings.PAYMENTS_BATCH_CHUNK_PAUSE:
            time.sleep(settings.PAYMENTS_BATCH_CHUNK_PAUSE)

    with transaction.atomic():
        batch = _lock_building(batch_id)
        if batch is None:
            return PaymentBatch.objects.get(pk=batch_id)
        _store_totals(batch)
        with pghistory.context(user=batch.built_by_id, reason="lote armado"):
            batch.status = B.BUILT
            batch.built_at = timezone.now()
            batch.progress_done = batch.item_count
            batch.progress_step = ""
            batch.save()
    # A batch adds its lines in one go: refresh the planner's statistics now rather than when
    # autovacuum gets to it, so that exporting and reconciling the batch read its lines through
    # the reference index in order instead of sorting them (a few hundred milliseconds at most:
    # ANALYZE reads a fixed-size sample; a role that does not own the table only gets a warning).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE payments_batchitem")
    return batch


def _hold_without_cbu(batch: PaymentBatch) -> int:
    sql, params = _scoped(
        """
        UPDATE payments_installment i SET status = 'held', hold_reason = %s, updated_at = now()
          FROM enrollment_worker w
         WHERE w.id = i.worker_id AND w.cbu = '' AND i.status = 'due' AND i.month <= %s
        """,
        [_("Sin CBU válido para la transferencia"), batch.month],
        batch,
        alias="i",
    )
    with connection.cursor() as cursor, pghistory.context(reason="retenida: sin CBU"):
        prepare_bulk_audit(cursor)
        cursor.execute(sql, params)
        return cursor.rowcount


def _add_chunk(batch: PaymentBatch, chunk_size: int, after: int = 0) -> tuple[int | None, int]:
    """Move the next due installments (ids above ``after``) into the batch.

    The UPDATE guarded by ``status = 'due'`` takes the row locks and re-checks the status on
    rows another transaction changed meanwhile (cancelled, or taken by another batch), so only
    installments this statement really moved get a line. Returns (last id looked at, lines added).
    """
    pick, params = _scoped(
        "SELECT i.id FROM payments_installment i WHERE i.status = 'due' AND i.month <= %s AND i.id > %s",
        [batch.month, after],
        batch,
        alias="i",
    )
    sql = f"""
        WITH picked AS ({pick} ORDER BY i.id LIMIT %s),
        moved AS (
            UPDATE payments_installment u SET status = 'in_batch', updated_at = now()
              FROM picked p WHERE u.id = p.id AND u.status = 'due'
            RETURNING u.id, u.province_id, u.worker_id, u.amount
        ),
        added AS (
            INSERT INTO payments_batchitem
                   (batch_id, installment_id, province_id, reference, cbu, cuil, name, amount, outcome, bank_reason)
            SELECT %s, m.id, m.province_id,
                   'B' || lpad(%s::text, 6, '0') || 'C' || lpad(m.id::text, 12, '0'),
                   w.cbu, w.cuil, left(translate(w.last_name_norm || ' ' || w.first_name_norm, ';"\\', '   '), 60),
                   m.amount, 'pending', ''
              FROM moved m JOIN enrollment_worker w ON w.id = m.worker_id
            RETURNING 1
        )
        SELECT (SELECT max(id) FROM picked), (SELECT count(*) FROM added)
    """
    with connection.cursor() as cursor, pghistory.context(user=batch.built_by_id, reason=f"lote {batch.pk}"):
        prepare_bulk_audit(cursor)
        cursor.execute(sql, [*params, chunk_size, batch.pk, batch.pk])
        last, added = cursor.fetchone()
        return last, added


def _store_totals(batch: PaymentBatch) -> None:
    rows = (
        BatchItem.objects.filter(batch=batch)
        .exclude(outcome=BatchItem.Outcome.WITHDRAWN)
        .values("province_id", "province__name")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("province__name")
    )
    totals = [
        {
            "province_id": r["province_id"],
            "province": r["province__name"],
            "count": r["count"],
            "total": str(r["total"]),
        }
        for r in rows
    ]
    batch.province_totals = totals
    batch.item_count = sum(t["count"] for t in totals)
    batch.total_amount = sum((Decimal(t["total"]) for t in totals), Decimal("0"))


@transaction.atomic
def approve_batch(*, batch: PaymentBatch, by) -> PaymentBatch:
    """A second payments officer approves a built batch — never the one who built it."""
    _require_manager(by)
    locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.built_by_id == by.pk:
        raise PermissionDenied(_("Un lote lo aprueba otra persona: usted lo armó."))
    if locked.status != B.BUILT:
        raise ValidationError(
            _("Solo se aprueba un lote armado (estado actual: %(status)s).") % {"status": locked.get_status_display()}
        )
    with pghistory.context(user=by.pk, reason="lote aprobado"):
        locked.status = B.APPROVED
        locked.approved_by = by
        locked.approved_at = timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
    return locked


# --------------------------------------------------------------------------- bank files

#: Fixed-width layout (see docs/bank-files.md): every record is 120 characters.
RECORD_WIDTH = 120


#: Detail records per statement when writing a bank file (progress is saved after each).
EXPORT_CHUNK = 50_000


def _batch_code(batch: PaymentBatch) -> str:
    return f"B{batch.pk:06d}"


def _export_summary(batch: PaymentBatch) -> tuple[int, Decimal]:
    summary = batch.items.exclude(outcome=BatchItem.Outcome.WITHDRAWN).aggregate(count=Count("id"), total=Sum("amount"))
    return summary["count"], summary["total"] or Decimal("0")


def _detail_sql(fmt: str) -> str:
    """The detail records whose reference is in (lower, upper], in reference order, as one text,
    with their count and the sum of their amounts.

    One value per range instead of one COPY message per record: the client receives a few
    large strings rather than looping over every record in Python. The records are what
    ``COPY … TO`` would write: the lines' check constraints keep every field free of what
    either layout would have to quote or escape (delimiter, quotes, backslash, line breaks).
    """
    where = "batch_id = %s AND outcome <> 'withdrawn' AND reference > %s AND reference <= coalesce(%s::text, reference)"
    if fmt == BankFile.Format.CSV:
        record = "'D;' || reference || ';' || cbu || ';' || cuil || ';' || name || ';' || amount::text"
    else:
        record = f"""rpad('2' || rpad(cbu, 22) || rpad(cuil, 11)
                     || rpad(regexp_replace(name, '[^A-Z0-9 ]', ' ', 'g'), 40)
                     || lpad(((amount * 100)::bigint)::text, 15, '0') || rpad(reference, 20), {RECORD_WIDTH})"""
    return (
        f"SELECT count(*), coalesce(sum(amount), 0),"
        f" coalesce(string_agg({record} || E'\\n', '' ORDER BY reference), '') FROM payments_batchitem WHERE {where}"
    )


def _bank_file_chunks(
    batch: PaymentBatch,
    fmt: str,
    progress: Callable[[int], None] | None = None,
    summary: tuple[int, Decimal] | None = None,
) -> Iterable[bytes]:
    """The bytes of the batch's bank file, in pieces: deterministic (ordered by reference, no
    clock). The detail records are read in ranges of references; ``progress`` is told
    how many were written after each range. ``summary`` is the (count, total) of the trailer
    when the caller already has it (an approved batch's lines no longer change); the count and
    the sum of the records actually written must match it."""
    if fmt not in BankFile.Format.values:
        raise ValidationError(_("Formato de archivo desconocido: %(fmt)s.") % {"fmt": fmt})
    count, total = summary if summary is not None else _export_summary(batch)
    if fmt == BankFile.Format.CSV:
        yield f"H;{_batch_code(batch)};{batch.month:%Y%m};011;INTERZAFRA\n".encode()
    else:
        header = "1" + "INTERZAFRA".ljust(20) + _batch_code(batch).ljust(10) + f"{batch.month:%Y%m}" + "011"
        yield (header.ljust(RECORD_WIDTH) + "\n").encode()
    bounds: list[str] = []
    if count > EXPORT_CHUNK:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT reference FROM (
                    SELECT reference, row_number() OVER (ORDER BY reference) AS n FROM payments_batchitem
                     WHERE batch_id = %s AND outcome <> 'withdrawn') r
                 WHERE n %% %s = 0 ORDER BY reference
                """,
                [batch.pk, EXPORT_CHUNK],
            )
            bounds = [row[0] for row in cursor.fetchall()]
    sql = _detail_sql(fmt)
    lower: str | None = ""
    written, written_total = 0, Decimal("0")
    for upper in [*bounds, None]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [batch.pk, lower, upper])
            records, amount, text = cursor.fetchone()
        if records:
            written += records
            written_total += amount
            yield text.encode()
        lower = upper
        if progress is not None:
            progress(written)
    if written != count:
        raise ValidationError(
            _("El archivo tiene %(written)s transferencias y el lote %(count)s.") % {"written": written, "count": count}
        )
    if written_total != total:
        raise ValidationError(
            _("El archivo suma %(written)s y el lote %(total)s.") % {"written": written_total, "total": total}
        )
    if fmt == BankFile.Format.CSV:
        yield f"T;{count};{total:.2f}\n".encode()
    else:
        yield (("9" + f"{count:07d}" + f"{int(total * 100):017d}").ljust(RECORD_WIDTH) + "\n").encode()


def render_bank_file(*, batch: PaymentBatch, fmt: str) -> tuple[bytes, int, Decimal]:
    """The whole bank file in memory (for checks; exports stream it to file storage)."""
    content = b"".join(_bank_file_chunks(batch, fmt))
    count, total = _export_summary(batch)
    return content, count, total


def request_bank_file(*, batch: PaymentBatch, fmt: str, by, queue: bool = True) -> BankFile:
    """Ask for the bank file of an approved batch; a Celery task writes it (unless ``queue`` is
    false: the caller writes it itself).

    One file per batch and format (unique constraint): asking again returns the same file,
    written once, so exporting twice gives identical bytes and hash.
    """
    from payments.tasks import write_bank_file_task

    _require_manager(by)
    if fmt not in BankFile.Format.values:
        raise ValidationError(_("Formato de archivo desconocido: %(fmt)s.") % {"fmt": fmt})
    with transaction.atomic():
        locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        existing = BankFile.objects.filter(batch=locked, format=fmt).first()
        if existing is not None:
            if existing.status == BankFile.Status.FAILED:
                BankFile.objects.filter(pk=existing.pk).update(status=BankFile.Status.QUEUED, error="")
                existing.refresh_from_db()
                if queue:
                    transaction.on_commit(lambda: write_bank_file_task.delay(existing.pk))
            return existing
        if locked.status not in (B.APPROVED, B.EXPORTED):
            raise ValidationError(_("Solo se exporta un lote aprobado por una segunda persona."))
        # The batch's own totals: an approved batch's lines no longer change (lines are withdrawn
        # only before approval), and writing the file checks its records against them.
        count, total = locked.item_count, locked.total_amount
        extension = "csv" if fmt == BankFile.Format.CSV else "txt"
        with pghistory.context(user=by.pk, reason="archivo bancario solicitado"):
            bank_file = BankFile.objects.create(
                batch=locked,
                format=fmt,
                filename=f"interzafra_{_batch_code(locked)}_{locked.month:%Y%m}.{extension}",
                line_count=count,
                control_total=total,
                exported_by=by,
            )
        if queue:
            transaction.on_commit(lambda: write_bank_file_task.delay(bank_file.pk))
    return bank_file


def write_bank_file(*, bank_file_id: int) -> BankFile:
    """Write a requested bank file: COPY streamed through SHA-256 into a temporary file, which is
    then stored (file storage) with its hash, and the batch marked exported. Idempotent: a file
    already written is left as it is; a crash before the end leaves it queued, and writing it
    again gives the same bytes."""
    bank_file = BankFile.objects.select_related("batch").get(pk=bank_file_id)
    if bank_file.status == BankFile.Status.DONE:
        return bank_file

    def progress(done: int) -> None:
        BankFile.objects.filter(pk=bank_file_id).update(progress_done=done)

    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as spool:
        try:
            summary = (bank_file.line_count, bank_file.control_total)
            for piece in _bank_file_chunks(bank_file.batch, bank_file.format, progress, summary):
                digest.update(piece)
                spool.write(piece)
                size += len(piece)
        except Exception as error:
            BankFile.objects.filter(pk=bank_file_id).update(status=BankFile.Status.FAILED, error=str(error)[:2000])
            raise
        spool.seek(0)
        with transaction.atomic():
            locked = BankFile.objects.select_for_update().select_related("batch").get(pk=bank_file_id)
            if locked.status == BankFile.Status.DONE:
                return locked
            with pghistory.context(user=locked.exported_by_id, reason="archivo bancario exportado"):
                locked.file.save(locked.filename, File(spool), save=False)
                locked.sha256, locked.size = digest.hexdigest(), size
                locked.status, locked.error, locked.progress_done = BankFile.Status.DONE, "", locked.line_count
                locked.save(update_fields=["file", "sha256", "size", "status", "error", "progress_done"])
                batch = PaymentBatch.objects.select_for_update().get(pk=locked.batch_id)
                if batch.status == B.APPROVED:
                    batch.status = B.EXPORTED
                    batch.save(update_fields=["status"])
    return locked


def export_bank_file(*, batch: PaymentBatch, fmt: str, by) -> BankFile:
    """Request the bank file and write it at once (what the Celery task does), returning it."""
    bank_file = request_bank_file(batch=batch, fmt=fmt, by=by, queue=False)
    return write_bank_file(bank_file_id=bank_file.pk)


# --------------------------------------------------------------------------- reconciliation

PAID_WORDS = {"ACREDITADA", "ACREDITADO", "PAGADA", "OK"}
REJECTED_WORDS = {"RECHAZADA", "RECHAZADO"}
#: status word (upper case, no surrounding spaces) → outcome of the line
OUTCOME_WORDS = {word: "paid" for word in PAID_WORDS} | {word: "rejected" for word in REJECTED_WORDS}


def _split_return(text: str) -> list[list[str]]:
    """The file's records split into fields, as ``csv.reader`` with ";" splits them.

    A bank return has no quoted fields; such a file (the common case) is split with plain
    string operations, many times faster than the csv module on a file of 200,000 lines. A
    file with a quote character goes through the csv module.
    """
    if '"' in text:
        return list(csv.reader(io.StringIO(text), delimiter=";"))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    records = text.split("\n")
    if records[-1] == "":
        records.pop()
    return [record.split(";") if record else [] for record in records]


def _parse_return(content: bytes, batch: PaymentBatch) -> tuple[list[tuple], list[dict], list[dict]]:
    """Parse a return file. Returns (lines, line problems, file problems)."""
    file_problems: list[dict] = []
    line_problems: list[dict] = []
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return [], [], [{"line": 0, "problem": _("El archivo no está en UTF-8.")}]
    if not text.endswith("\n"):
        file_problems.append(
            {"line": text.count("\n") + 1, "problem": _("La última línea está incompleta (archivo truncado).")}
        )
    rows = _split_return(text)
    if not rows or rows[0][:1] != ["H"] or len(rows[0]) < 3:
        file_problems.append({"line": 1, "problem": _("Falta el registro de cabecera H.")})
        return [], line_problems, file_problems
    if rows[0][1] != _batch_code(batch):
        file_problems.append(
            {
                "line": 1,
                "problem": _("El archivo es del lote %(other)s, no de este lote (%(this)s).")
                % {"other": rows[0][1], "this": _batch_code(batch)},
            }
        )
        return [], line_problems, file_problems
    trailer = rows[-1] if rows[-1][:1] == ["T"] else None
    details = rows[1:-1] if trailer else rows[1:]
    if trailer is None:
        file_problems.append({"line": len(rows), "problem": _("Falta el registro de cierre T (archivo truncado).")})
    lines: list[tuple] = []
    append = lines.append
    outcomes = OUTCOME_WORDS
    for number, row in enumerate(details, start=2):
        if len(row) != 6 or row[0] != "D":
            line_problems.append(
                {"line": number, "problem": _("Registro mal formado: %(row)s") % {"row": ";".join(row)}}
            )
            continue
        _kind, reference, cuil, amount_text, outcome_text, reason = row
        try:
            amount = Decimal(amount_text)
            if not amount.is_finite():  # NaN, sNaN, Infinity
                raise InvalidOperation
        except InvalidOperation:
            line_problems.append({"line": number, "reference": reference, "problem": _("Importe ilegible.")})
            continue
        outcome = outcomes.get(outcome_text) or outcomes.get(outcome_text.strip().upper())
        if outcome is None:
            line_problems.append(
                {
                    "line": number,
                    "reference": reference,
                    "problem": _("Estado desconocido: %(s)s") % {"s": outcome_text},
                }
            )
            continue
        append((number, reference, cuil, amount, outcome, reason.strip()[:200] if reason else reason))
    if trailer is not None:
        try:
            declared = int(trailer[1])
        except (IndexError, ValueError):
            declared = -1
        if declared != len(details):
            file_problems.append(
                {
                    "line": len(rows),
                    "problem": _("El cierre declara %(declared)s registros y el archivo trae %(found)s.")
                    % {"declared": trailer[1] if len(trailer) > 1 else "?", "found": len(details)},
                }
            )
    return lines, line_problems, file_problems


def reconcile_batch(*, batch: PaymentBatch, content: bytes, filename: str, by) -> Reconciliation:
    """Apply the bank's return file to an exported batch.

    Each valid line marks its transfer (and installment) paid or rejected with the bank's
    reason. A file of another batch, without its closing record, or cut short is refused whole;
    unknown references, amounts that differ, duplicated or contradictory lines are reported and
    skipped. Only lines still pending are applied, so applying a return twice changes nothing.
    When no line is pending any more the batch is reconciled (and immutable).
    """
    _require_manager(by)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        previous = Reconciliation.objects.filter(batch=locked, sha256=digest).first()
        if previous is not None:
            return previous
        if locked.status not in (B.EXPORTED, B.RECONCILED):
            raise ValidationError(_("Solo se concilia un lote exportado al banco."))
        with collector_paused():
            lines, problems, file_problems = _parse_return(content, locked)
        record = Reconciliation(batch=locked, filename=filename[:200], sha256=digest, applied_by=by)
        if file_problems or locked.status == B.RECONCILED:
            if locked.status == B.RECONCILED and not file_problems:
                file_problems.append({"line": 0, "problem": _("El lote ya está conciliado: no se aplicó nada.")})
            record.problems = file_problems + problems
            record.save()
            return record
        usable = lines
        counts = Counter([line[1] for line in lines])
        if len(counts) < len(lines):  # some reference is repeated
            repeated = {reference for reference, n in counts.items() if n > 1}
            outcomes: dict[str, set] = {}
            for line in lines:
                if line[1] in repeated:
                    outcomes.setdefault(line[1], set()).add((line[3], line[4], line[5]))
            usable, seen = [], set()
            for line in lines:
                number, reference = line[0], line[1]
                if reference in repeated:
                    if len(outcomes[reference]) > 1:
                        problems.append(
                            {
                                "line": number,
                                "reference": reference,
                                "problem": _("Referencia repetida con datos distintos: no se aplica."),
                            }
                        )
                        continue
                    if reference in seen:
                        problems.append(
                            {
                                "line": number,
                                "reference": reference,
                                "problem": _("Línea duplicada: se aplica una sola vez."),
                            }
                        )
                        continue
                    seen.add(reference)
                usable.append(line)
        with pghistory.context(user=by.pk, reason=f"conciliación {filename}"):
            applied = _apply_lines(locked, usable, problems)
            record.accepted = True
            record.paid_count, record.rejected_count, record.unchanged_count = applied
            record.problems = sorted(problems, key=lambda p: p["line"])
            record.save()
            if not locked.items.filter(outcome=BatchItem.Outcome.PENDING).exists():
                locked.status = B.RECONCILED
                locked.reconciled_at = timezone.now()
                locked.save(update_fields=["status", "reconciled_at"])
        return record


def submit_return_file(*, batch: PaymentBatch, content: bytes, filename: str, by) -> ReturnFile:
    """Receive a bank return file for an exported batch and queue it to be applied.

    The same file (same SHA-256) for the same batch is received once: uploading it again
    returns the first upload. The Celery task calls ``apply_return_file``.
    """
    from payments.tasks import apply_return_file_task

    _require_manager(by)
    if batch.status not in (B.EXPORTED, B.RECONCILED):
        raise ValidationError(_("Solo se concilia un lote exportado al banco."))
    if not content:
        raise ValidationError(_("El archivo está vacío."))
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic(), pghistory.context(user=by.pk, reason="respuesta del banco recibida"):
                return_file, _created = ReturnFile.objects.get_or_create(
                    batch=batch,
                    sha256=digest,
                    defaults={"filename": filename[:200], "content": content, "uploaded_by": by},
                )
        except IntegrityError:
            return_file = ReturnFile.objects.get(batch=batch, sha256=digest)
        if return_file.status == ReturnFile.Status.QUEUED:
            return_file_id = return_file.pk
            transaction.on_commit(lambda: apply_return_file_task.delay(return_file_id))
    return return_file


@transaction.atomic
def apply_return_file(*, return_file_id: int) -> ReturnFile:
    """Apply a queued return file (idempotent: a file already processed is left as it is)."""
    return_file = ReturnFile.objects.select_for_update().get(pk=return_file_id)
    if return_file.status != ReturnFile.Status.QUEUED:
        return return_file
    try:
        with transaction.atomic():
            record = reconcile_batch(
                batch=return_file.batch,
                content=bytes(return_file.content),
                filename=return_file.filename,
                by=return_file.uploaded_by,
            )
    except (ValidationError, PermissionDenied) as error:
        return_file.status = ReturnFile.Status.FAILED
        return_file.error = " ".join(getattr(error, "messages", [str(error)]))
    else:
        return_file.status = ReturnFile.Status.DONE
        return_file.reconciliation = record
    with pghistory.context(user=return_file.uploaded_by_id, reason="respuesta del banco procesada"):
        return_file.save(update_fields=["status", "error", "reconciliation"])
    return return_file


def _copy_return_lines(copy, lines: list[tuple]) -> None:
    """Send the parsed lines to COPY (text format), 10,000 lines per write.

    Each piece is joined as it is when none of its fields holds one of COPY's special
    characters (backslash, tab, line breaks: checked by counting them in the piece); otherwise
    its lines go through psycopg's ``write_row``, which escapes them.
    """
    step = 10_000
    for start in range(0, len(lines), step):
        rows = lines[start : start + step]
        piece = "".join(
            [f"{n}\t{ref}\t{cuil}\t{amount}\t{outcome}\t{reason}\n" for n, ref, cuil, amount, outcome, reason in rows]
        )
        if (
            piece.count("\t") == 5 * len(rows)
            and piece.count("\n") == len(rows)
            and "\\" not in piece
            and "\r" not in piece
        ):
            copy.write(piece)
        else:
            for row in rows:
                copy.write_row(row)


def _apply_lines(batch: PaymentBatch, lines: list[tuple], problems: list[dict]) -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        prepare_bulk_audit(cursor)
        cursor.execute("DROP TABLE IF EXISTS payments_return")
        cursor.execute(
            "CREATE TEMP TABLE payments_return (line int, reference text, cuil text, amount numeric(12,2),"
            " outcome text, reason text) ON COMMIT DROP"
        )
        with cursor.copy("COPY payments_return FROM STDIN") as copy:
            _copy_return_lines(copy, lines)
        cursor.execute("ANALYZE payments_return")
        cursor.execute(
            """
            SELECT r.line, r.reference,
                   CASE WHEN i.id IS NULL THEN 'unknown'
                        WHEN i.amount <> r.amount THEN 'amount'
                        WHEN i.cuil <> r.cuil THEN 'cuil'
                        WHEN i.outcome = 'withdrawn' THEN 'withdrawn'
                        WHEN i.outcome <> 'pending' AND i.outcome <> r.outcome THEN 'contradicts'
                        WHEN i.outcome <> 'pending' THEN 'same' END,
                   i.amount, r.amount
              FROM payments_return r
              LEFT JOIN payments_batchitem i ON i.reference = r.reference AND i.batch_id = %s
             WHERE i.id IS NULL OR i.amount <> r.amount OR i.cuil <> r.cuil OR i.outcome <> 'pending'
            """,
            [batch.pk],
        )
        skip, unchanged = [], 0
        messages = {
            "unknown": _("Referencia desconocida en este lote."),
            "cuil": _("El CUIL no coincide con el de la transferencia."),
            "withdrawn": _("La transferencia fue retirada del lote."),
            "contradicts": _("Contradice un resultado ya aplicado: no se cambia."),
        }
        for line, reference, reason, expected, found in cursor.fetchall():
            skip.append(line)
            if reason == "same":
                unchanged += 1
            elif reason == "amount":
                problems.append(
                    {
                        "line": line,
                        "reference": reference,
                        "problem": _("Importe %(found)s distinto del enviado %(expected)s.")
                        % {"found": found, "expected": expected},
                    }
                )
            else:
                problems.append({"line": line, "reference": reference, "problem": str(messages[reason])})
        if skip:
            cursor.execute("DELETE FROM payments_return WHERE line = ANY(%s)", [skip])
        cursor.execute(
            """
            WITH done AS (
                UPDATE payments_batchitem i
                   SET outcome = r.outcome, bank_reason = r.reason,
                       released_at = CASE WHEN r.outcome = 'rejected' THEN now() END
                  FROM payments_return r
                 WHERE i.reference = r.reference AND i.batch_id = %s AND i.outcome = 'pending'
                RETURNING i.installment_id, i.outcome, i.bank_reason
            )
            UPDATE payments_installment n
               SET status = d.outcome, bank_reason = d.bank_reason, updated_at = now(),
                   paid_at = CASE WHEN d.outcome = 'paid' THEN now() ELSE NULL END
              FROM done d WHERE n.id = d.installment_id
            RETURNING n.status
            """,
            [batch.pk],
        )
        statuses = Counter(row[0] for row in cursor.fetchall())
    return statuses.get("paid", 0), statuses.get("rejected", 0), unchanged


def monthly_screening() -> Callable[..., dict[int, str]]:
    """The re-screening the batch task runs before batching: the screening engine's check of
    the month against the registries as they are now, with the month's aid as the threshold
    for incompatible pay."""
    from enrollment.screening.services import screen_for_month

    def screen(*, month: dt.date, enrollment_ids: list[int]) -> dict[int, str]:
        return screen_for_month(month=month, enrollment_ids=enrollment_ids, monthly_aid=rate_for(month).amount)

    return screen
