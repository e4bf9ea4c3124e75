"""What bank-data controls mean for money: holds for a pending CBU change and for a shared CBU.

Rules (the requests themselves are ``enrollment.bank_accounts``):

- When a CBU change is requested, in the same transaction: the worker's due installments are
  held with the reason "Cambio de CBU pendiente de aprobación", and the worker's pending lines
  in every batch whose bank file has not been requested yet (building, built or approved) are
  withdrawn from it, the batch's totals recomputed and their installments held with the same
  reason. A batch approved by a second officer therefore only ever loses lines, never gains
  one, and no file can pay the old CBU. A batch whose file was already requested is with the
  bank: its line is settled by the bank's return.
- When the request is approved, rejected or cancelled, the installments held for it are due
  again: the next batch pays them to the CBU then on file (the new one if approved). An
  approval also releases what waited for a CBU after a branch-pickup order was rejected or
  expired twice, without the bank's answer on that order (``payments.pickup``).
- Batch building (``hold_for_bank_data``) re-reads both conditions set-based for the batch's
  scope: it releases holds whose cause is gone and holds the due installments of workers with a
  pending change, then those of workers whose CBU is shared and not resolved by a reviewer
  (one statement finds every shared CBU).
"""

from __future__ import annotations

import pghistory
from django.db import connection
from django.db.models import Exists, OuterRef
from django.db.models.functions import Now

from enrollment.bank_accounts import (
    HOLD_PENDING_CHANGE,
    HOLD_SHARED_CBU,
    UNRESOLVED_SHARED_CBUS_SQL,
)
from enrollment.models import CbuChangeRequest
from payments.common import due_through, store_totals
from payments.models import BankFile, BatchItem, Installment, PaymentBatch
from payments.pickup import release_for_new_cbu
from provinces.audit import prepare_bulk_audit

B = PaymentBatch.Status

#: Batch states whose lines may still be withdrawn, as long as no bank file was requested.
UNEXPORTED_STATES = (B.BUILDING, B.BUILT, B.APPROVED)


def _hold_worker(*, worker_id: int) -> int:
    """Hold the worker's due installments and pull their lines out of unexported batches.
    Runs inside the request's ``pghistory.context``: the audit trail says who asked and why."""
    with connection.cursor() as cursor:
        prepare_bulk_audit(cursor)
        # Due ones first: once held, no batch chunk can pick them up any more.
        cursor.execute(
            "UPDATE payments_installment SET status = 'held', hold_reason = %s, updated_at = now()"
            " WHERE worker_id = %s AND status = 'due'",
            [HOLD_PENDING_CHANGE, worker_id],
        )
        held = cursor.rowcount
        items = BatchItem.objects.filter(
            installment__worker_id=worker_id,
            outcome=BatchItem.Outcome.PENDING,
            batch__status__in=UNEXPORTED_STATES,
            batch__files__isnull=True,
        )
        batch_ids = sorted(set(items.values_list("batch_id", flat=True)))
        if not batch_ids:
            return held
        # Lock order as batch building and exporting take it: batch rows, then lines.
        batches = list(
            PaymentBatch.objects.select_for_update()
            .filter(~Exists(BankFile.objects.filter(batch=OuterRef("pk"))), pk__in=batch_ids)
            .order_by("pk")
        )
        locked_ids = [b.pk for b in batches]
        items = BatchItem.objects.filter(
            installment__worker_id=worker_id, outcome=BatchItem.Outcome.PENDING, batch_id__in=locked_ids
        )
        installment_ids = list(items.values_list("installment_id", flat=True))
        items.update(outcome=BatchItem.Outcome.WITHDRAWN, released_at=Now())
        held += Installment.objects.filter(pk__in=installment_ids, status=Installment.Status.IN_BATCH).update(
            status=Installment.Status.HELD, hold_reason=HOLD_PENDING_CHANGE, updated_at=Now()
        )
        for batch in batches:
            store_totals(batch)
            batch.save(update_fields=["item_count", "total_amount", "province_totals"])
        return held


def _release(*, worker_ids: list[int], reason_held: str) -> int:
    """Due again what was held for ``reason_held`` (inside the decision's audit context)."""
    with connection.cursor() as cursor:
        prepare_bulk_audit(cursor)
        cursor.execute(
            "UPDATE payments_installment SET status = 'due', hold_reason = '', updated_at = now()"
            " WHERE worker_id = ANY(%s) AND status = 'held' AND hold_reason = %s",
            [worker_ids, reason_held],
        )
        return cursor.rowcount


def hold_for_change(*, change, by) -> None:
    """A CBU change was requested (``enrollment.seams.cbu_change_requested``)."""
    _hold_worker(worker_id=change.worker_id)


def release_for_change(*, change, by) -> None:
    """A CBU change was decided (``enrollment.seams.cbu_change_decided``)."""
    _release(worker_ids=[change.worker_id], reason_held=HOLD_PENDING_CHANGE)
    if change.status == CbuChangeRequest.Status.APPROVED:
        release_for_new_cbu(worker_ids=[change.worker_id])


def release_shared(*, worker_ids: list[int], by) -> None:
    """A reviewer confirmed distinct holders (``enrollment.seams.shared_cbu_resolved``)."""
    _release(worker_ids=worker_ids, reason_held=HOLD_SHARED_CBU)


def hold_for_bank_data(*, batch: PaymentBatch, scoped) -> int:
    """At batch build: release holds whose bank-data cause is gone, then hold the due
    installments (those the batch pays, in its scope) of workers with a pending CBU change
    and of workers whose CBU is shared and unresolved. ``scoped(sql, params, batch, alias)``
    narrows a statement to the batch's province or agreement. Returns how many were held."""
    pending = (
        "EXISTS (SELECT 1 FROM enrollment_cbuchangerequest r WHERE r.worker_id = i.worker_id AND r.status = 'pending')"
    )
    shared = f"i.worker_id IN (SELECT unnest(s.worker_ids) FROM ({UNRESOLVED_SHARED_CBUS_SQL}) s)"
    statements = [
        (
            "UPDATE payments_installment i SET status = 'due', hold_reason = '', updated_at = now()"
            f" WHERE i.status = 'held' AND i.hold_reason = %s AND NOT {pending}",
            [HOLD_PENDING_CHANGE],
            False,
        ),
        (
            "UPDATE payments_installment i SET status = 'due', hold_reason = '', updated_at = now()"
            f" WHERE i.status = 'held' AND i.hold_reason = %s AND NOT {shared}",
            [HOLD_SHARED_CBU],
            False,
        ),
        (
            "UPDATE payments_installment i SET status = 'held', hold_reason = %s, updated_at = now()"
            f" WHERE i.status = 'due' AND i.month <= %s AND {pending}",
            [HOLD_PENDING_CHANGE, due_through(batch.month)],
            True,
        ),
        (
            "UPDATE payments_installment i SET status = 'held', hold_reason = %s, updated_at = now()"
            f" WHERE i.status = 'due' AND i.month <= %s AND {shared}",
            [HOLD_SHARED_CBU, due_through(batch.month)],
            True,
        ),
    ]
    held = 0
    with connection.cursor() as cursor, pghistory.context(reason="retenida: datos bancarios en revisión"):
        prepare_bulk_audit(cursor)
        for sql, params, counts in statements:
            sql, params = scoped(sql, params, batch, alias="i")
            cursor.execute(sql, params)
            if counts:
                held += cursor.rowcount
    return held


def stale_lines(batch: PaymentBatch) -> list[str]:
    """References of the batch's pending lines that must not go to the bank as they are: the
    worker has a CBU change pending, or the line's CBU is no longer the one on file."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT b.reference
              FROM payments_batchitem b
              JOIN payments_installment i ON i.id = b.installment_id
              JOIN enrollment_worker w ON w.id = i.worker_id
             WHERE b.batch_id = %s AND b.outcome = 'pending'
               AND (b.cbu <> w.cbu OR EXISTS (SELECT 1 FROM enrollment_cbuchangerequest r
                                               WHERE r.worker_id = w.id AND r.status = 'pending'))
             ORDER BY b.reference
            """,
            [batch.pk],
        )
        return [row[0] for row in cursor.fetchall()]
