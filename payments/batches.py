"""Monthly payment batches: requesting one, building it (re-screening, holding conflicts,
branch-pickup orders for workers without a CBU (``payments.pickup``), adding the due transfers
in chunks) and approving it.

Rules: the batch of month M pays "a mes vencido" — the installments of months up to
M - ``PAYMENT_LAG_MONTHS`` still due (``common.due_through``), so months a late approval or a
release left behind go together; one batch per month and scope (unique constraint); building
is resumable and idempotent (each chunk commits under the batch row lock, an installment is in one open batch
line only); a batch is approved by a second payments officer, never the one who built it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.screening.services import screen_for_month
from payments.cbu_holds import hold_for_bank_data
from payments.common import (
    B,
    due_through,
    first_of_month,
    require_manager,
    scope_to_batch,
    store_totals,
)
from payments.installments import hold_installments
from payments.models import BatchItem, PaymentBatch
from payments.pickup import add_pickup_orders, release_pickup_holds
from payments.rates import rate_for
from provinces.audit import prepare_bulk_audit
from provinces.models import Agreement, Province
from provinces.twofactor import require_verified


def request_batch(
    *, month: dt.date, by, province: Province | None = None, agreement: Agreement | None = None
) -> PaymentBatch:
    """Ask for the batch of ``month`` (optionally one province or agreement).

    The same month and scope always give the same batch (unique constraint); a batch still
    being built is handed to the Celery task again, which resumes where it stopped.
    """
    from payments.tasks import build_batch_task

    require_manager(by)
    if month.day != 1:
        month = first_of_month(month)
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
        release_pickup_holds(batch=batch, scoped=scope_to_batch)
        through = due_through(batch.month)
        base = "SELECT DISTINCT i.enrollment_id FROM payments_installment i WHERE i.status = 'due' AND i.month <= %s"
        sql, params = scope_to_batch(base, [through], batch, alias="i")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            enrollment_ids = [row[0] for row in cursor.fetchall()]
        batch.progress_step = _("Control mensual de incompatibilidades")
        batch.save(update_fields=["progress_step"])
        # re-screening checks the month the installments cover, not the month they are paid in
        conflicts = dict(screen(month=through, enrollment_ids=enrollment_ids)) if enrollment_ids else {}
        held = hold_installments(month=through, conflicts=conflicts, by=batch.built_by, batch=batch)
        held += hold_for_bank_data(batch=batch, scoped=scope_to_batch)
        add_pickup_orders(batch=batch, up_to=through, scoped=scope_to_batch)
        count_sql, count_params = scope_to_batch(
            "SELECT count(*) FROM payments_installment i WHERE i.status = 'due' AND i.month <= %s",
            [through],
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
        store_totals(batch)
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


def _add_chunk(batch: PaymentBatch, chunk_size: int, after: int = 0) -> tuple[int | None, int]:
    """Move the next due installments (ids above ``after``) into the batch.

    The UPDATE guarded by ``status = 'due'`` takes the row locks and re-checks the status on
    rows another transaction changed meanwhile (cancelled, or taken by another batch), so only
    installments this statement really moved get a line. Returns (last id looked at, lines added).
    """
    pick, params = scope_to_batch(
        "SELECT i.id FROM payments_installment i WHERE i.status = 'due' AND i.month <= %s AND i.id > %s",
        [due_through(batch.month), after],
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


@transaction.atomic
def approve_batch(*, batch: PaymentBatch, by) -> PaymentBatch:
    """A second payments officer approves a built batch — never the one who built it — after
    verifying a second factor in this session (``provinces.twofactor.require_verified``)."""
    require_manager(by)
    require_verified(by)
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


def monthly_screening() -> Callable[..., dict[int, str]]:
    """The re-screening the batch task runs before batching: the screening engine's check of
    the month against the registries as they are now, with the month's aid as the threshold
    for incompatible pay."""

    def screen(*, month: dt.date, enrollment_ids: list[int]) -> dict[int, str]:
        return screen_for_month(month=month, enrollment_ids=enrollment_ids, monthly_aid=rate_for(month).amount)

    return screen
