"""A CBU change holds the worker's money until a second person decides; a shared CBU is held."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import TestCase

from enrollment import bank_accounts
from enrollment.bank_accounts import HOLD_PENDING_CHANGE
from payments import services
from payments.models import BatchItem, Installment, PaymentBatch
from provinces.roles import Role
from tests.factories import OrganisationFactory, make_cbu, make_user, province
from tests.twofactor import verified

pytestmark = pytest.mark.django_db
I = Installment.Status  # noqa: E741
B = PaymentBatch.Status
MAY = dt.date(2026, 5, 1)
NEW_CBU = make_cbu(424_242)


def built_batch(officer, month=MAY):
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = services.request_batch(month=month, by=officer)
    return PaymentBatch.objects.get(pk=batch.pk)


@pytest.fixture
def tucuman_officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


def ask(worker, by):
    return bank_accounts.request_cbu_change(
        worker=worker, cbu=NEW_CBU, by=by, reason="Cuenta cerrada", evidence="Constancia del banco"
    )


def statuses(enrollment):
    return sorted(set(enrollment.installments.values_list("status", "hold_reason")))


def test_change_holds_unpaid_installments_and_pays_nothing_until_a_second_person_approves(
    approved, officer, second_officer, tucuman_officer
):
    enrollment, other = approved(), approved()
    worker = enrollment.worker
    change = ask(worker, tucuman_officer)
    assert statuses(enrollment) == [(I.HELD, HOLD_PENDING_CHANGE)]
    batch = built_batch(officer)
    assert list(batch.items.values_list("installment__worker_id", flat=True)) == [other.worker_id]

    bank_accounts.approve_cbu_change(change=change, by=verified(second_officer), note="Constancia verificada")
    assert statuses(enrollment) == [(I.DUE, "")]
    june = built_batch(officer, month=dt.date(2026, 6, 1))
    line = june.items.get(installment__worker=worker, installment__number=1)
    assert line.cbu == NEW_CBU
    services.approve_batch(batch=june, by=second_officer)
    content, _count, _total = services.render_bank_file(batch=june, fmt="csv")
    assert f";{NEW_CBU};{worker.cuil};".encode() in content
    assert f";{change.old_cbu};".encode() not in content


def test_rejection_keeps_the_old_cbu_and_releases(approved, officer, second_officer, tucuman_officer):
    enrollment = approved()
    old = enrollment.worker.cbu
    change = ask(enrollment.worker, tucuman_officer)
    bank_accounts.reject_cbu_change(change=change, by=verified(second_officer), note="Constancia ilegible")
    assert statuses(enrollment) == [(I.DUE, "")]
    batch = built_batch(officer)
    assert batch.items.get().cbu == old


def test_change_pulls_the_line_out_of_an_approved_batch_not_yet_exported(
    approved, officer, second_officer, tucuman_officer
):
    enrollment, other = approved(), approved()
    batch = built_batch(officer)
    services.approve_batch(batch=batch, by=second_officer)
    ask(enrollment.worker, tucuman_officer)
    batch.refresh_from_db()
    assert batch.item_count == 1 and batch.total_amount == Decimal("64000.00")
    line = BatchItem.objects.get(installment__enrollment=enrollment)
    assert line.outcome == BatchItem.Outcome.WITHDRAWN
    assert enrollment.installments.get(number=1).status == I.HELD
    content, count, total = services.render_bank_file(batch=batch, fmt="csv")
    assert count == 1 and enrollment.worker.cuil.encode() not in content
    bank_file = services.export_bank_file(batch=batch, fmt="csv", by=officer)
    assert bank_file.line_count == 1 and other.worker.cuil.encode() in bank_file.file.read()


def test_a_batch_already_sent_to_the_bank_keeps_its_line(approved, officer, second_officer, tucuman_officer):
    enrollment = approved()
    batch = built_batch(officer)
    services.approve_batch(batch=batch, by=second_officer)
    services.export_bank_file(batch=batch, fmt="csv", by=officer)
    ask(enrollment.worker, tucuman_officer)
    line = BatchItem.objects.get(installment__enrollment=enrollment)
    assert line.outcome == BatchItem.Outcome.PENDING  # with the bank: its return settles it
    assert enrollment.installments.get(number=1).status == I.IN_BATCH
    assert enrollment.installments.filter(status=I.HELD).count() == 3


def test_change_on_a_built_batch_line_recomputes_the_batch(approved, officer, tucuman_officer):
    enrollment, _other = approved(), approved()
    batch = built_batch(officer)
    assert batch.item_count == 2
    ask(enrollment.worker, tucuman_officer)
    batch.refresh_from_db()
    assert batch.item_count == 1
