"""The money rules under real concurrency: 20 threads, each with its own PostgreSQL connection."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from payments import bank_files, batches, installments, returns
from payments.common import batch_month_for
from payments.models import BankFile, BatchItem, Installment, PaymentBatch, Reconciliation
from provinces.roles import Role
from tests.factories import AgreementFactory, CycleFactory, EnrollmentFactory, agrarian_history, make_user
from tests.twofactor import verified

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 20
MAY = dt.date(2026, 5, 1)


def race(target, args_list):
    """Run ``target(*args)`` for each args at once; return the outcomes ('ok' or the error class name)."""
    barrier = threading.Barrier(len(args_list))
    outcomes = []
    lock = threading.Lock()

    def run(args):
        try:
            barrier.wait()
            result = target(*args)
            outcome = ("ok", result)
        except (ValidationError, PermissionDenied) as error:
            outcome = (type(error).__name__, None)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(args,)) for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_twenty_schedulers_of_one_enrollment_create_its_four_installments_once():
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    enrollment = EnrollmentFactory(status=Enrollment.Status.APPROVED)
    agrarian_history(enrollment.worker, before=enrollment.cycle.first_month, months=8)  # 4 months of aid
    outcomes = race(lambda: len(installments.schedule_installments(enrollment=enrollment, by=reviewer)), [()] * THREADS)
    assert sorted(r for _, r in outcomes) == [0] * (THREADS - 1) + [4]
    assert Installment.objects.filter(enrollment=enrollment).count() == 4


def test_twenty_approvals_racing_for_the_last_of_the_budget_only_one_gets_it():
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    agreement = AgreementFactory(budget=Decimal("64000.00"))
    cycle = CycleFactory(agreement=agreement, months=1)
    pending = [EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW) for _ in range(THREADS)]
    outcomes = race(
        lambda e: enrollment_services.approve_enrollment(enrollment=e, by=reviewer), [(e,) for e in pending]
    )
    assert sorted(o for o, _ in outcomes) == ["ValidationError"] * (THREADS - 1) + ["ok"]
    assert Installment.objects.filter(agreement=agreement).count() == 1
    assert Enrollment.objects.filter(cycle=cycle, status=Enrollment.Status.APPROVED).count() == 1


def _scheduled(n):
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    cycle = CycleFactory(first_month=MAY, months=2)
    enrollments = [EnrollmentFactory(cycle=cycle, status=Enrollment.Status.APPROVED) for _ in range(n)]
    installments.schedule_installments_bulk(enrollment_ids=[e.pk for e in enrollments], by=reviewer)


def test_twenty_builders_of_the_same_month_make_one_batch_with_each_installment_once():
    _scheduled(30)
    officers = [make_user(Role.PAYMENTS_OFFICER) for _ in range(THREADS)]

    def build(officer):
        batch = batches.request_batch(month=batch_month_for(MAY), by=officer)
        return batches.build_batch(batch_id=batch.pk, chunk_size=7).pk

    outcomes = race(build, [(o,) for o in officers])
    assert {r for _, r in outcomes} == {PaymentBatch.objects.get().pk}
    batch = PaymentBatch.objects.get()
    assert batch.status == PaymentBatch.Status.BUILT and batch.item_count == 30
    assert BatchItem.objects.count() == 30
    assert BatchItem.objects.values("installment").distinct().count() == 30
    assert Installment.objects.filter(month=MAY, status=Installment.Status.IN_BATCH).count() == 30


def test_twenty_approvers_one_approval_then_one_file_then_one_reconciliation():
    _scheduled(5)
    builder = make_user(Role.PAYMENTS_OFFICER)
    batch = batches.request_batch(month=batch_month_for(MAY), by=builder)
    batches.build_batch(batch_id=batch.pk)
    approvers = [verified(make_user(Role.PAYMENTS_OFFICER)) for _ in range(THREADS)]
    outcomes = race(lambda o: batches.approve_batch(batch=batch, by=o), [(o,) for o in approvers])
    assert sorted(o for o, _ in outcomes) == ["ValidationError"] * (THREADS - 1) + ["ok"]

    outcomes = race(lambda o: bank_files.export_bank_file(batch=batch, fmt="csv", by=o).pk, [(o,) for o in approvers])
    assert len({r for _, r in outcomes}) == 1 and BankFile.objects.count() == 1

    items = list(BatchItem.objects.order_by("reference"))
    lines = [f"D;{i.reference};{i.cuil};{i.amount};ACREDITADA;" for i in items]
    content = ("\n".join([f"H;B{batch.pk:06d};{batch.month:%Y%m}", *lines, f"T;{len(lines)};0"]) + "\n").encode()
    outcomes = race(
        lambda o: returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=o).pk,
        [(o,) for o in approvers],
    )
    assert len({r for _, r in outcomes}) == 1 and Reconciliation.objects.count() == 1
    assert Installment.objects.filter(status=Installment.Status.PAID).count() == 5
    assert BatchItem.objects.filter(outcome="paid").count() == 5


def test_four_officers_reissuing_one_rejected_pickup_order_at_once_put_it_back_once(approved):
    from tests.payments.test_pickup import exported, returned, without_cbu

    officer, second = make_user(Role.PAYMENTS_OFFICER), make_user(Role.PAYMENTS_OFFICER)
    enrollment = without_cbu(approved, 31_000_007)
    may, _file = exported(officer, second)
    returns.reconcile_batch(batch=may, content=returned(may, "RECHAZADA", "DNI"), filename="r.csv", by=officer)
    installment = enrollment.installments.get(number=1)
    assert installment.held_by_pickup_rejection
    officers = [officer, second, make_user(Role.PAYMENTS_OFFICER), make_user(Role.PAYMENTS_OFFICER)]
    outcomes = race(
        lambda by: installments.reissue_pickup_order(installment=installment, by=by, note="DNI verificado"),
        [(by,) for by in officers],
    )
    assert sorted(kind for kind, _ in outcomes) == ["ValidationError"] * 3 + ["ok"]
    installment.refresh_from_db()
    assert installment.status == Installment.Status.DUE
