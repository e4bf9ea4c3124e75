"""What every payments module shares: who may operate money (ministry payments officers), the
first day of a month, which installment months a batch pays, limiting a statement to a batch's
province or agreement, and a batch's totals per province.

Rules: only holders of ``payments.manage_payments`` operate batches, holds, re-issues and rates;
only approved or active enrollments have installments scheduled; a batch's totals never count
withdrawn lines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from enrollment.models import Enrollment
from payments.models import BatchItem, Installment, PaymentBatch
from provinces.models import add_months

I = Installment.Status  # noqa: E741
B = PaymentBatch.Status
MANAGE = "payments.manage_payments"

#: Enrollment states whose installments may be scheduled.
SCHEDULABLE_STATES = (Enrollment.Status.APPROVED, Enrollment.Status.ACTIVE)


def require_manager(by) -> None:
    if not (by is not None and by.is_authenticated and by.has_perm(MANAGE)):
        raise PermissionDenied(_("Solo oficiales de pagos del Ministerio operan lotes de pago."))


def first_of_month(month: dt.date) -> dt.date:
    return month.replace(day=1)


def due_through(batch_month: dt.date) -> dt.date:
    """The last installment month a batch of ``batch_month`` pays: the aid is paid "a mes
    vencido", so the batch of M pays the installments of M - ``PAYMENT_LAG_MONTHS`` and any
    earlier ones still due (a worker approved late gets every owed month in one batch)."""
    return add_months(first_of_month(batch_month), -settings.PAYMENT_LAG_MONTHS)  # as PaymentBatch.pays_through


def batch_month_for(installment_month: dt.date) -> dt.date:
    """The month of the batch in which an installment of ``installment_month`` is first due."""
    return add_months(first_of_month(installment_month), settings.PAYMENT_LAG_MONTHS)


def scope_to_batch(sql: str, params: list, batch: PaymentBatch, alias: str) -> tuple[str, list]:
    if batch.province_id:
        sql += f" AND {alias}.province_id = %s"
        params = [*params, batch.province_id]
    if batch.agreement_id:
        sql += f" AND {alias}.agreement_id = %s"
        params = [*params, batch.agreement_id]
    return sql, params


def store_totals(batch: PaymentBatch) -> None:
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
