"""A CBU change holds the worker's money until a second person decides; a shared CBU is held."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase

from enrollment import bank_accounts
from enrollment.bank_accounts import HOLD_PENDING_CHANGE, HOLD_SHARED_CBU
from enrollment.models import Worker
from payments import bank_files, batches, installments
from payments.common import batch_month_for
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
        batch = batches.request_batch(month=batch_month_for(month), by=officer)
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
    batches.approve_batch(batch=june, by=verified(second_officer))
    content, _count, _total = bank_files.render_bank_file(batch=june, fmt="csv")
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
    batches.approve_batch(batch=batch, by=verified(second_officer))
    ask(enrollment.worker, tucuman_officer)
    batch.refresh_from_db()
    assert batch.item_count == 1 and batch.total_amount == Decimal("64000.00")
    line = BatchItem.objects.get(installment__enrollment=enrollment)
    assert line.outcome == BatchItem.Outcome.WITHDRAWN
    assert enrollment.installments.get(number=1).status == I.HELD
    content, count, total = bank_files.render_bank_file(batch=batch, fmt="csv")
    assert count == 1 and enrollment.worker.cuil.encode() not in content
    bank_file = bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)
    assert bank_file.line_count == 1 and other.worker.cuil.encode() in bank_file.file.read()


def test_a_batch_already_sent_to_the_bank_keeps_its_line(approved, officer, second_officer, tucuman_officer):
    enrollment = approved()
    batch = built_batch(officer)
    batches.approve_batch(batch=batch, by=verified(second_officer))
    bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)
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


def test_a_pending_change_found_at_build_holds_the_worker_there_too(approved, officer, tucuman_officer):
    enrollment = approved()
    change = ask(enrollment.worker, tucuman_officer)
    # As if an older path had left one installment due: the build itself holds it.
    enrollment.installments.filter(number=1).update(status=I.DUE, hold_reason="")
    batch = built_batch(officer)
    assert batch.item_count == 0 and batch.held_count == 1
    assert enrollment.installments.get(number=1).hold_reason == HOLD_PENDING_CHANGE
    assert change.status == "pending"


def test_export_refuses_a_line_whose_cbu_is_no_longer_on_file(approved, officer, second_officer):
    enrollment = approved()
    batch = built_batch(officer)
    batches.approve_batch(batch=batch, by=verified(second_officer))
    # Written behind the services' back: the export still never pays the CBU that was replaced.
    Worker.objects.filter(pk=enrollment.worker_id).update(cbu=NEW_CBU)
    with pytest.raises(ValidationError) as error:
        bank_files.request_bank_file(batch=batch, fmt="csv", by=officer)
    assert "cambio de CBU" in error.value.messages[0]
    assert not batch.files.exists()


def test_shared_cbu_is_held_at_build_until_a_reviewer_confirms_distinct_holders(approved, officer, reviewer):
    first, second, alone = approved(), approved(), approved()
    Worker.objects.filter(pk=second.worker_id).update(cbu=first.worker.cbu)
    batch = built_batch(officer)
    assert list(batch.items.values_list("installment__worker_id", flat=True)) == [alone.worker_id]
    for enrollment in (first, second):
        assert enrollment.installments.get(number=1).hold_reason == HOLD_SHARED_CBU
    assert bank_accounts.unresolved_shared_cbus() == [(first.worker.cbu, sorted([first.worker_id, second.worker_id]))]

    with pytest.raises(PermissionDenied):  # second factor first
        bank_accounts.confirm_distinct_holders(cbu=first.worker.cbu, by=reviewer, note="Cuenta conjunta")
    bank_accounts.confirm_distinct_holders(cbu=first.worker.cbu, by=verified(reviewer), note="Titulares distintos")
    assert bank_accounts.unresolved_shared_cbus() == []
    assert first.installments.get(number=1).status == I.DUE
    june = built_batch(officer, month=dt.date(2026, 6, 1))
    assert june.items.filter(installment__worker_id__in=[first.worker_id, second.worker_id]).count() == 4


def test_a_new_worker_on_a_confirmed_shared_cbu_opens_the_question_again(approved, officer, reviewer):
    first, second = approved(), approved()
    Worker.objects.filter(pk=second.worker_id).update(cbu=first.worker.cbu)
    bank_accounts.confirm_distinct_holders(cbu=first.worker.cbu, by=verified(reviewer), note="Cuenta conjunta")
    third = approved()
    Worker.objects.filter(pk=third.worker_id).update(cbu=first.worker.cbu)
    batch = built_batch(officer)
    assert batch.item_count == 0 and batch.held_count == 3


def test_changing_the_cbu_resolves_a_shared_one_at_the_next_build(approved, officer, second_officer, tucuman_officer):
    first, second = approved(), approved()
    Worker.objects.filter(pk=second.worker_id).update(cbu=first.worker.cbu)
    built_batch(officer)
    change = ask(second.worker, tucuman_officer)
    bank_accounts.approve_cbu_change(change=change, by=verified(second_officer), note="Constancia verificada")
    june = built_batch(officer, month=dt.date(2026, 6, 1))
    assert june.items.count() == 4  # both workers' May and June
    assert not Installment.objects.filter(status=I.HELD).exists()


@pytest.mark.parametrize("role", [Role.PAYMENTS_OFFICER, Role.PROVINCIAL_OFFICER])
def test_only_reviewers_resolve_shared_cbus(role, approved):
    first, second = approved(), approved()
    Worker.objects.filter(pk=second.worker_id).update(cbu=first.worker.cbu)
    organisation = OrganisationFactory(province=province("Tucumán")) if role == Role.PROVINCIAL_OFFICER else None
    with pytest.raises(PermissionDenied):
        bank_accounts.confirm_distinct_holders(
            cbu=first.worker.cbu, by=verified(make_user(role, organisation)), note="x"
        )


def test_a_hold_for_a_pending_cbu_change_is_released_only_by_deciding_the_change(
    client, approved, officer, tucuman_officer
):
    """The money waits for a second person's decision on the CBU: a payments officer cannot
    free it from the installments page (nor a claim upheld through ``release_hold``)."""
    from django.urls import reverse

    from tests.twofactor import sign_in

    enrollment = approved()
    ask(enrollment.worker, tucuman_officer)
    held = enrollment.installments.order_by("number").first()
    with pytest.raises(ValidationError, match="se libera al decidirse el cambio de CBU"):
        installments.release_hold(installment=held, by=officer, reason="La trabajadora reclamó")
    sign_in(client, officer)
    page = client.post(reverse("payments:installment_release", args=[held.pk]), {"reason": "reclamo"}, follow=True)
    assert "se libera al decidirse el cambio de CBU" in page.content.decode()
    assert statuses(enrollment) == [(I.HELD, HOLD_PENDING_CHANGE)]


def test_a_hold_for_a_shared_cbu_is_released_only_by_a_reviewer_confirming_distinct_holders(approved, officer):
    enrollment = approved()
    enrollment.installments.update(status=I.HELD, hold_reason=HOLD_SHARED_CBU)
    with pytest.raises(ValidationError, match="titulares distintos"):
        installments.release_hold(installment=enrollment.installments.first(), by=officer, reason="Son dos personas")
    assert statuses(enrollment) == [(I.HELD, HOLD_SHARED_CBU)]
