"""Scoped reads of payments. Payments are a ministry matter: payments officers and auditors
(national roles holding the view permissions) see everything; every other role sees nothing."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum

from payments.models import BatchItem, Installment, PaymentBatch, Reconciliation
from provinces.scoping import scope_of


def _may(user, perm: str) -> bool:
    return bool(user and user.is_authenticated and scope_of(user).is_national and user.has_perm(perm))


def batches_for(user) -> QuerySet[PaymentBatch]:
    qs = PaymentBatch.objects.select_related("province", "agreement", "built_by", "approved_by")
    return qs if _may(user, "payments.view_paymentbatch") else qs.none()


def installments_for(user) -> QuerySet[Installment]:
    qs = Installment.objects.select_related("rate", "agreement", "province", "enrollment__cycle")
    return qs if _may(user, "payments.view_installment") else qs.none()


def batch_items(*, batch: PaymentBatch) -> QuerySet[BatchItem]:
    return batch.items.select_related("installment", "province").order_by("reference")


def reconciliations_of(*, batch: PaymentBatch) -> QuerySet[Reconciliation]:
    return batch.reconciliations.select_related("applied_by")


def payment_history(*, user, worker) -> QuerySet[Installment]:
    """Every installment of a worker, with the batch lines that carried it."""
    return installments_for(user).filter(worker=worker).prefetch_related("batch_items__batch").order_by("month", "kind")


def monthly_totals(*, user, year: int | None = None):
    """Per month, province and agreement: installments and amounts by stage (cancelled left out)."""
    qs = installments_for(user).exclude(status=Installment.Status.CANCELLED)
    if year:
        qs = qs.filter(month__gte=dt.date(year, 1, 1), month__lt=dt.date(year + 1, 1, 1))
    return (
        qs.values("month", "province__name", "agreement__number")
        .annotate(
            count=Count("id"),
            total=Sum("amount"),
            paid=Sum("amount", filter=Q(status=Installment.Status.PAID)),
            pending=Sum("amount", filter=Q(status__in=[Installment.Status.DUE, Installment.Status.IN_BATCH])),
            held=Sum("amount", filter=Q(status=Installment.Status.HELD)),
            rejected=Sum("amount", filter=Q(status=Installment.Status.REJECTED)),
        )
        .order_by("month", "province__name", "agreement__number")
    )
