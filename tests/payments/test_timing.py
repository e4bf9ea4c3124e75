"""Payment timing: the aid of month M is paid "a mes vencido", in the batch of M + 1
(``PAYMENT_LAG_MONTHS``); months a late approval left behind go together in one batch."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import TestCase

from enrollment.models import Enrollment
from enrollment.services import approve_enrollment
from payments import batches
from payments.common import batch_month_for, due_through
from payments.models import Installment, PaymentBatch
from tests.factories import CycleFactory, EnrollmentFactory, agrarian_history

pytestmark = pytest.mark.django_db
I = Installment.Status  # noqa: E741
MAY, JUNE, JULY = dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)


def batch_of(month, officer):
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batches.request_batch(month=month, by=officer)
    return PaymentBatch.objects.get(pk=batch.pk)


def paid_months(batch) -> list[dt.date]:
    return sorted(batch.items.values_list("installment__month", flat=True))


def test_the_batch_of_a_month_pays_the_month_before_never_the_month_itself(approved, officer):
    enrollment = approved()  # May–August
    may = batch_of(MAY, officer)
    assert may.item_count == 0 and may.pays_through == dt.date(2026, 4, 1)
    assert enrollment.installments.filter(status=I.DUE).count() == 4
    june = batch_of(JUNE, officer)
    assert paid_months(june) == [MAY] and june.pays_through == MAY
    july = batch_of(JULY, officer)
    assert paid_months(july) == [JUNE]
    due = sorted(enrollment.installments.filter(status=I.DUE).values_list("month", flat=True))
    assert due == [JULY, dt.date(2026, 8, 1)]


def test_a_worker_approved_late_gets_both_owed_months_in_one_batch(officer, reviewer):
    cycle = CycleFactory(first_month=MAY, months=4)
    pending = EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW)
    late = EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW)
    for enrollment in (pending, late):  # eight months of agrarian pay: four months of aid
        agrarian_history(enrollment.worker, before=MAY, months=8)
    on_time = approve_enrollment(enrollment=pending, by=reviewer)
    june = batch_of(JUNE, officer)
    assert [i.installment.enrollment_id for i in june.items.select_related("installment")] == [on_time.pk]
    approve_enrollment(enrollment=late, by=reviewer)  # approved in July: May is already a month overdue
    july = batch_of(JULY, officer)
    lines = sorted(
        july.items.select_related("installment").values_list("installment__enrollment_id", "installment__month")
    )
    assert lines == sorted([(on_time.pk, JUNE), (late.pk, MAY), (late.pk, JUNE)])
    assert july.total_amount == Decimal("192000.00")
    assert late.installments.filter(status=I.IN_BATCH).count() == 2
    assert late.installments.filter(status=I.DUE).count() == 2  # July and August wait for their batches


def test_the_lag_is_a_setting(settings, approved, officer):
    settings.PAYMENT_LAG_MONTHS = 0
    approved()
    assert due_through(MAY) == MAY and batch_month_for(MAY) == MAY
    assert paid_months(batch_of(MAY, officer)) == [MAY]
    settings.PAYMENT_LAG_MONTHS = 2
    assert due_through(JULY) == MAY and batch_month_for(MAY) == JULY
    assert batch_of(JUNE, officer).item_count == 0  # June's batch would pay April
    assert paid_months(batch_of(JULY, officer)) == []  # May went in May's batch already


def test_rescreening_checks_the_month_the_installments_cover(approved, officer):
    enrollment = approved()
    batch = batches.request_batch(month=JUNE, by=officer)  # on_commit never fires here: still building
    seen = {}

    def screen(*, month, enrollment_ids):
        seen["month"] = month
        return {enrollment.pk: "Cobra seguro de desempleo"}

    built = batches.build_batch(batch_id=batch.pk, screen=screen)
    assert seen["month"] == MAY
    assert built.item_count == 0 and built.held_count == 1
    held = enrollment.installments.get(status=I.HELD)
    assert held.month == MAY  # June's installment is not held by June's batch: it is not due yet
    assert enrollment.installments.filter(status=I.DUE).count() == 3
