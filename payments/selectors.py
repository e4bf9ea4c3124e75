"""Scoped reads of payments. Batches, bank files and reconciliations are a ministry matter:
payments officers and auditors (national roles holding the view permissions) see them, nobody
else. Installments are read more widely, through the one scope: national roles see them all, a
provincial officer those of their provinces, a union officer those of the enrollments their
organisations registered; a role without ``payments.view_installment`` sees none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from payments.models import BatchItem, Installment, PaymentBatch, Reconciliation
from provinces.scoping import scope_of


def _may(user, perm: str) -> bool:
    return bool(user and user.is_authenticated and scope_of(user).is_national and user.has_perm(perm))


def batches_for(user) -> QuerySet[PaymentBatch]:
    qs = PaymentBatch.objects.select_related("province", "agreement", "built_by", "approved_by")
    return qs if _may(user, "payments.view_paymentbatch") else qs.none()


def installments_for(user) -> QuerySet[Installment]:
    """Installments the user may read: every one for national roles; those of their provinces
    for provincial officers; those of the enrollments their organisations registered for union
    officers. Reading only: every payment action also needs ``payments.manage_payments``."""
    qs = Installment.objects.select_related("rate", "agreement", "province", "enrollment__cycle")
    if not (user and user.is_authenticated and user.has_perm("payments.view_installment")):
        return qs.none()
    return scope_of(user).restrict(qs, provinces=("province_id",), organisation="enrollment__organisation_id")


def batch_items(*, batch: PaymentBatch) -> QuerySet[BatchItem]:
    return batch.items.select_related("installment", "province").order_by("reference")


def held_for_batch(*, batch: PaymentBatch) -> QuerySet[Installment]:
    """The installments held back from ``batch``: held, of the months it pays or before, within its
    province or agreement, with the reason each one waits (hold reasons: ministry roles only,
    as is the batch page)."""
    qs = Installment.objects.filter(status=Installment.Status.HELD, month__lte=batch.pays_through)
    if batch.agreement_id:
        qs = qs.filter(agreement_id=batch.agreement_id)
    elif batch.province_id:
        qs = qs.filter(province_id=batch.province_id)
    return qs.select_related("worker", "province").order_by("worker__last_name_norm", "month", "number", "pk")


def reconciliations_of(*, batch: PaymentBatch) -> QuerySet[Reconciliation]:
    return batch.reconciliations.select_related("applied_by")


def payment_history(*, user, worker) -> QuerySet[Installment]:
    """Every installment of a worker, with the batch lines that carried it."""
    return installments_for(user).filter(worker=worker).prefetch_related("batch_items__batch").order_by("month", "kind")


def payment_lines(*, user, worker=None, enrollment=None) -> list[dict] | None:
    """The installments of ``worker`` (or of one ``enrollment``) that ``user`` may read, in
    month order, each with the last batch that carried it and the bank's outcome there (and the
    day a branch-pickup order can be collected from, for a worker paid at the counter). Hold
    reasons name other programmes' registries: national roles only. None for a role that may not read installments. Two
    queries, whatever the number of installments."""
    if not (user and user.is_authenticated and user.has_perm("payments.view_installment")):
        return None
    qs = installments_for(user)
    qs = qs.filter(enrollment=enrollment) if enrollment is not None else qs.filter(worker=worker)
    items = BatchItem.objects.select_related("batch").order_by("-pk")
    national = scope_of(user).is_national
    may_see_batches = _may(user, "payments.view_paymentbatch")
    lines = []
    for installment in qs.prefetch_related(Prefetch("batch_items", queryset=items)).order_by(
        "month", "number", "kind", "pk"
    ):
        item = next(iter(installment.batch_items.all()), None)
        lines.append(
            {
                "installment": installment,
                "month": installment.month,
                "number": installment.number,
                "kind": installment.get_kind_display() if installment.kind != Installment.Kind.REGULAR else "",
                "amount": installment.amount,
                "status": installment.get_status_display(),
                "batch": item.batch if item is not None else None,
                "batch_link": may_see_batches and item is not None,
                "outcome": item.get_outcome_display() if item is not None else "",
                "pickup_day": item.pickup_day if item is not None and item.method == BatchItem.Method.PICKUP else None,
                "detail": installment.detail_words(national=national),
                "paid_at": installment.paid_at,
            }
        )
    return lines


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


#: Installments that count as scheduled: every one not cancelled, whatever its stage.
SCHEDULED_STATES = (
    Installment.Status.DUE,
    Installment.Status.IN_BATCH,
    Installment.Status.HELD,
    Installment.Status.PAID,
    Installment.Status.REJECTED,
)


def installment_counts_by_month(*, user) -> list[dict]:
    """Per month and status: installments and their amount, in one grouped query."""
    return list(
        installments_for(user)
        .order_by()
        .values("month", "status")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by("month", "status")
    )


def spending_by_agreement(*, user) -> list[dict]:
    """Per agreement with installments: the amount committed (scheduled, not cancelled) and the
    amount paid, in one grouped query, with the agreement's budget."""
    return list(
        installments_for(user)
        .filter(status__in=SCHEDULED_STATES)
        .order_by()
        .values("agreement_id", "agreement__number", "agreement__province__name", "agreement__budget")
        .annotate(
            committed=Sum("amount"),
            committed_n=Count("pk"),
            paid=Coalesce(Sum("amount", filter=Q(status=Installment.Status.PAID)), Decimal("0")),
            paid_n=Count("pk", filter=Q(status=Installment.Status.PAID)),
        )
        .order_by("agreement__province__name", "agreement__number")
    )


def monthly_report_rows(*, user, first_month=None, last_month=None, province_id=None, agreement_id=None):
    """Per month, province and agreement: installments and amounts scheduled (not cancelled),
    paid, rejected, held and still pending (scheduled or in a batch). One grouped query; the
    four stages add up to the scheduled figures."""
    qs = installments_for(user).filter(status__in=SCHEDULED_STATES)
    if first_month:
        qs = qs.filter(month__gte=first_month)
    if last_month:
        qs = qs.filter(month__lte=last_month)
    if province_id:
        qs = qs.filter(province_id=province_id)
    if agreement_id:
        qs = qs.filter(agreement_id=agreement_id)
    zero = Decimal("0")
    status = Installment.Status

    def amount(*states):
        return Coalesce(Sum("amount", filter=Q(status__in=states)), zero)

    def count(*states):
        return Count("pk", filter=Q(status__in=states))

    return (
        qs.order_by()
        .values("month", "province__name", "agreement__number")
        .annotate(
            scheduled_n=Count("pk"),
            scheduled=Coalesce(Sum("amount"), zero),
            paid_n=count(status.PAID),
            paid=amount(status.PAID),
            rejected_n=count(status.REJECTED),
            rejected=amount(status.REJECTED),
            held_n=count(status.HELD),
            held=amount(status.HELD),
            pending_n=count(status.DUE, status.IN_BATCH),
            pending=amount(status.DUE, status.IN_BATCH),
        )
        .order_by("month", "province__name", "agreement__number")
        .values_list(
            "month",
            "province__name",
            "agreement__number",
            "scheduled_n",
            "scheduled",
            "paid_n",
            "paid",
            "rejected_n",
            "rejected",
            "held_n",
            "held",
            "pending_n",
            "pending",
        )
    )
