"""What the money does to an enrollment's state: active on the first paid installment (when a
bank return is applied), completed when none of its installments is left to pay — set-based
for a whole return file, and swept daily by Celery beat."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pghistory.models import Events

from enrollment.models import Enrollment
from payments import returns
from payments.models import Installment
from payments.tasks import follow_paid_installments_task
from tests.factories import CycleFactory
from tests.payments.test_reconciliation import exported_batch, line, return_file

pytestmark = pytest.mark.django_db
S = Enrollment.Status
I = Installment.Status  # noqa: E741


def status(enrollment):
    enrollment.refresh_from_db()
    return enrollment.status


def test_a_paid_transfer_makes_its_enrollment_active_and_a_rejected_one_leaves_it_approved(
    approved, officer, second_officer
):
    batch, _ = exported_batch(approved, officer, second_officer, n=2)
    paid_item, rejected_item = batch.items.order_by("reference")
    content = return_file(batch, [line(paid_item), line(rejected_item, "RECHAZADA", "Cuenta cerrada")])
    returns.reconcile_batch(batch=batch, content=content, filename="ret-mayo.csv", by=officer)

    paid = paid_item.installment.enrollment
    assert status(paid) == S.ACTIVE
    assert paid.status_changed_by == officer and "ret-mayo.csv" in paid.status_reason
    assert status(rejected_item.installment.enrollment) == S.APPROVED
    event = Events.objects.tracks(paid).get(pgh_data__status=S.ACTIVE)
    assert event.pgh_context["user"] == officer.pk


def test_the_last_installment_paid_completes_the_enrollment_in_the_same_return(approved, officer, second_officer):
    one_month = CycleFactory(first_month=dt.date(2026, 5, 1), months=1)
    batch, [enrollment] = exported_batch(lambda: approved(cycle=one_month), officer, second_officer, n=1)
    [item] = batch.items.all()
    returns.reconcile_batch(batch=batch, content=return_file(batch, [line(item)]), filename="r.csv", by=officer)
    assert status(enrollment) == S.COMPLETED
    moves = [e.pgh_data["status"] for e in Events.objects.tracks(enrollment).order_by("pgh_id")]
    assert moves[-2:] == [S.ACTIVE, S.COMPLETED]


def test_an_enrollment_with_installments_still_to_pay_stays_active(approved, officer, second_officer):
    batch, [enrollment] = exported_batch(approved, officer, second_officer, n=1)
    [item] = batch.items.all()
    returns.reconcile_batch(batch=batch, content=return_file(batch, [line(item)]), filename="r.csv", by=officer)
    assert status(enrollment) == S.ACTIVE  # three more months scheduled


@pytest.mark.parametrize("n", [2, 6])
def test_a_whole_return_file_moves_its_enrollments_in_one_statement_each_way(approved, officer, second_officer, n):
    one_month = CycleFactory(first_month=dt.date(2026, 5, 1), months=1)
    batch, enrollments = exported_batch(lambda: approved(cycle=one_month), officer, second_officer, n=n)
    content = return_file(batch, [line(item) for item in batch.items.order_by("reference")])
    with CaptureQueriesContext(connection) as queries:
        returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=officer)
    updates = [q["sql"] for q in queries.captured_queries if "UPDATE enrollment_enrollment SET status" in q["sql"]]
    assert len(updates) == 2  # approved → active, then active → completed: whatever n is
    assert {status(e) for e in enrollments} == {S.COMPLETED}
    assert Events.objects.filter(pgh_model="enrollment.EnrollmentEvent", pgh_data__status=S.COMPLETED).count() == n


def test_the_daily_sweep_completes_only_enrollments_with_nothing_left_to_pay_and_rerun_moves_nothing(approved):
    all_paid, paid_and_cancelled, one_due, one_rejected, paid_not_active = (approved() for _ in range(5))
    for enrollment in (all_paid, paid_and_cancelled, one_due, one_rejected):
        Enrollment.objects.filter(pk=enrollment.pk).update(status=S.ACTIVE)
    Installment.objects.filter(enrollment__in=[all_paid, paid_and_cancelled, one_due, one_rejected]).update(
        status=I.PAID
    )
    Installment.objects.filter(enrollment=paid_and_cancelled, number=4).update(
        status=I.CANCELLED, cancelled_at=timezone.now()
    )
    Installment.objects.filter(enrollment=one_due, number=4).update(status=I.DUE)
    Installment.objects.filter(enrollment=one_rejected, number=4).update(status=I.REJECTED)
    Installment.objects.filter(enrollment=paid_not_active, number=1).update(status=I.PAID)

    assert follow_paid_installments_task.delay().get() == {"activated": 1, "completed": 2}
    assert status(all_paid) == status(paid_and_cancelled) == S.COMPLETED
    assert status(one_due) == status(one_rejected) == S.ACTIVE
    assert status(paid_not_active) == S.ACTIVE
    assert follow_paid_installments_task.delay().get() == {"activated": 0, "completed": 0}


def test_the_sweep_leaves_approved_unpaid_suspended_and_withdrawn_enrollments_alone(approved):
    unpaid, suspended, withdrawn = approved(), approved(), approved()
    Enrollment.objects.filter(pk=suspended.pk).update(status=S.SUSPENDED)
    Enrollment.objects.filter(pk=withdrawn.pk).update(status=S.WITHDRAWN)
    Installment.objects.filter(enrollment__in=[suspended, withdrawn]).update(status=I.PAID)
    assert follow_paid_installments_task.delay().get() == {"activated": 0, "completed": 0}
    assert (status(unpaid), status(suspended), status(withdrawn)) == (S.APPROVED, S.SUSPENDED, S.WITHDRAWN)


def test_the_sweep_completes_an_approved_enrollment_never_paid_with_every_installment_cancelled(approved):
    """Suspended, then reinstated with no month left to schedule: nothing more will be paid."""
    nothing_left, one_due = approved(), approved()
    Installment.objects.filter(enrollment=nothing_left).update(status=I.CANCELLED, cancelled_at=timezone.now())
    Installment.objects.filter(enrollment=one_due).exclude(number=4).update(
        status=I.CANCELLED, cancelled_at=timezone.now()
    )
    assert follow_paid_installments_task.delay().get() == {"activated": 0, "completed": 1}
    assert (status(nothing_left), status(one_due)) == (S.COMPLETED, S.APPROVED)
    assert nothing_left.status_reason == "Cobró o se anuló su última cuota"
    assert follow_paid_installments_task.delay().get() == {"activated": 0, "completed": 0}
