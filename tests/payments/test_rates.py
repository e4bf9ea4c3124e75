"""Rates with four eyes: a payments officer proposes a resolution's amount, another approves it
after a second factor, and only approved rates are used; approving applies it, and a
retroactive difference travels through a batch, the bank file and the bank's return to paid."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

from enrollment.models import Enrollment
from payments import bank_files, batches, installments, rates, returns
from payments.models import BankFile, Installment, PaymentBatch, Rate
from provinces.roles import Role
from tests.factories import EnrollmentFactory, OrganisationFactory, agrarian_history, make_user
from tests.twofactor import verified

pytestmark = pytest.mark.django_db
I = Installment.Status  # noqa: E741
MAY, JUNE, JULY = dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)


def propose(officer, amount="80000.00", month=MAY, resolution="Res. SE 12/2026"):
    return rates.propose_rate(amount=Decimal(amount), effective_month=month, resolution=resolution, by=officer)


def test_a_proposed_rate_is_used_by_nothing_until_another_officer_approves_it(approved, officer, second_officer):
    rate = propose(officer, month=JUNE)
    assert rate.status == Rate.Status.PENDING and rate.proposed_by == officer
    assert rates.rate_for(JUNE).amount == Decimal("64000.00")
    enrollment = approved()  # May–August: scheduled at the approved rate only
    assert set(enrollment.installments.values_list("amount", flat=True)) == {Decimal("64000.00")}
    with pytest.raises(PermissionDenied, match="usted lo propuso"):
        rates.approve_rate(rate=rate, by=verified(officer))
    with pytest.raises(PermissionDenied, match="dos pasos"):
        rates.approve_rate(rate=rate, by=second_officer)
    rate.refresh_from_db()
    assert rate.status == Rate.Status.PENDING and not Installment.objects.filter(amount=Decimal("80000.00")).exists()

    approved_rate, applied = rates.approve_rate(rate=rate, by=verified(second_officer))
    assert approved_rate.status == Rate.Status.APPROVED and approved_rate.decided_by == second_officer
    assert applied == {"raised": 3, "differences": 0, "agreements": 1}
    assert rates.rate_for(JUNE).amount == Decimal("80000.00") and rates.rate_for(MAY).amount == Decimal("64000.00")
    amounts = dict(enrollment.installments.values_list("month", "amount"))
    assert amounts[MAY] == Decimal("64000.00") and amounts[JUNE] == Decimal("80000.00")


def test_bulk_scheduling_ignores_a_pending_rate(officer, reviewer):
    propose(officer, month=MAY)
    enrollment = EnrollmentFactory(status=Enrollment.Status.APPROVED)
    agrarian_history(enrollment.worker, before=enrollment.cycle.first_month, months=8)  # four months of aid
    assert installments.schedule_installments_bulk(enrollment_ids=[enrollment.pk], by=reviewer) == 4
    assert set(enrollment.installments.values_list("amount", flat=True)) == {Decimal("64000.00")}


def test_applying_a_pending_rate_is_refused(officer):
    rate = propose(officer)
    with pytest.raises(ValidationError, match="aprobado por una segunda persona"):
        rates.apply_retroactive_rate(rate=rate, by=officer)


def test_the_database_refuses_a_rate_approved_by_its_proposer(officer):
    rate = propose(officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rate.objects.filter(pk=rate.pk).update(status=Rate.Status.APPROVED, decided_by=officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rate.objects.filter(pk=rate.pk).update(status=Rate.Status.APPROVED)  # approved by nobody


def test_only_payments_officers_propose_approve_or_reject(officer, reviewer):
    rate = propose(officer)
    for user in (reviewer, make_user(Role.AUDITOR), make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory())):
        with pytest.raises(PermissionDenied):
            propose(user, month=JUNE)
        with pytest.raises(PermissionDenied):
            rates.approve_rate(rate=rate, by=verified(user))
        with pytest.raises(PermissionDenied):
            rates.reject_rate(rate=rate, by=user, reason="no")
    rate.refresh_from_db()
    assert rate.status == Rate.Status.PENDING and Rate.objects.filter(effective_month=JUNE).count() == 0


def test_one_live_rate_per_month_and_a_rejection_frees_it(officer, second_officer):
    rate = propose(officer)
    with pytest.raises(ValidationError) as taken:
        propose(second_officer, amount="81000.00")
    assert "Ya hay una resolución pendiente de aprobación para 05/2026" in str(taken.value)
    with pytest.raises(ValidationError) as in_force:
        propose(officer, month=dt.date(2023, 10, 1))
    assert "Ya hay una resolución aprobada para 10/2023" in str(in_force.value)
    with pytest.raises(ValidationError, match="por qué"):
        rates.reject_rate(rate=rate, by=second_officer, reason="  ")
    rejected = rates.reject_rate(rate=rate, by=second_officer, reason="La resolución dice 81.000")
    assert rejected.status == Rate.Status.REJECTED and rejected.decision_reason == "La resolución dice 81.000"
    with pytest.raises(ValidationError, match="pendiente"):
        rates.approve_rate(rate=rejected, by=verified(second_officer))
    again = propose(second_officer, amount="81000.00")
    assert again.status == Rate.Status.PENDING


def test_amounts_are_decimal_pesos_with_cents(officer):
    for bad in ("0", "-5", "80000.001"):
        with pytest.raises(ValidationError, match="mayor que cero"):
            propose(officer, amount=bad)
    assert not Rate.objects.filter(status=Rate.Status.PENDING).exists()


def test_a_budget_that_cannot_carry_the_rate_leaves_it_pending(approved, officer, second_officer):
    enrollment = approved()
    agreement = enrollment.cycle.agreement
    agreement.budget = Decimal("256000.00")  # exactly the four installments at 64.000
    agreement.save()
    rate = propose(officer)
    with pytest.raises(ValidationError, match="presupuesto no alcanza"):
        rates.approve_rate(rate=rate, by=verified(second_officer))
    rate.refresh_from_db()
    assert rate.status == Rate.Status.PENDING and rate.decided_by is None
    assert set(enrollment.installments.values_list("amount", flat=True)) == {Decimal("64000.00")}


def test_the_decision_is_in_the_audit_trail(officer, second_officer):
    from payments.models import RateEvent

    rate = propose(officer, month=dt.date(2026, 9, 1))
    rates.approve_rate(rate=rate, by=verified(second_officer))
    events = RateEvent.objects.filter(pgh_obj=rate).order_by("pgh_id")
    assert [(e.status, e.pgh_context.metadata["user"]) for e in events] == [
        ("pending", officer.pk),
        ("approved", second_officer.pk),
    ]
    assert events.last().pgh_context.metadata["reason"] == "monto aprobado: Res. SE 12/2026"


# --- a retroactive difference, from the rate change to a reconciled "paid" -------------------


def _built(month, officer):
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batches.request_batch(month=month, by=officer)
    return PaymentBatch.objects.get(pk=batch.pk)


def _bank_answer(bank_file: BankFile) -> bytes:
    """The bank's return for an exported CSV: every transfer credited (docs/bank-files.md)."""
    records = bank_file.read().decode().splitlines()
    header = records[0].split(";")
    details = [r.split(";") for r in records if r.startswith("D;")]
    lines = [f"H;{header[1]};{header[2]}"]
    lines += [f"D;{reference};{cuil};{amount};ACREDITADA;" for _d, reference, _cbu, cuil, _name, amount in details]
    lines.append(f"T;{len(details)};0")
    return ("\n".join(lines) + "\n").encode()


def _pay(batch, builder, approver) -> BankFile:
    batch = batches.approve_batch(batch=batch, by=verified(approver))
    bank_file = bank_files.export_bank_file(batch=batch, fmt=BankFile.Format.CSV, by=builder)
    batch = PaymentBatch.objects.get(pk=batch.pk)  # exported now
    with TestCase.captureOnCommitCallbacks(execute=True):
        returns.submit_return_file(batch=batch, content=_bank_answer(bank_file), filename="ret.csv", by=builder)
    return bank_file


def test_a_retroactive_difference_is_carried_from_the_rate_change_to_a_reconciled_paid(
    approved, officer, second_officer
):
    enrollment = approved()  # May–August 2026 at ARS 64.000
    may = enrollment.installments.get(month=MAY)
    _pay(_built(JUNE, officer), officer, second_officer)  # June's batch pays May
    may.refresh_from_db()
    assert may.status == I.PAID and may.amount == Decimal("64000.00")

    # Res. 12/2026 raises the aid to 80.000 from May, retroactively: proposed by one officer,
    # approved (and applied) by the other
    rate, applied = rates.approve_rate(rate=propose(second_officer), by=verified(officer))
    assert applied == {"raised": 3, "differences": 1, "agreements": 1}
    difference = enrollment.installments.get(kind=Installment.Kind.DIFFERENCE)
    assert (difference.month, difference.amount, difference.status) == (MAY, Decimal("16000.00"), I.DUE)
    assert difference.difference_of_id == may.pk and difference.rate_id == rate.pk

    july = _built(JULY, officer)  # pays June at the new rate and May's difference
    assert sorted(july.items.values_list("installment__kind", "installment__month", "amount")) == [
        ("difference", MAY, Decimal("16000.00")),
        ("regular", JUNE, Decimal("80000.00")),
    ]
    bank_file = _pay(july, officer, second_officer)
    assert bank_file.line_count == 2 and bank_file.control_total == Decimal("96000.00")
    assert ";16000.00" in bank_file.read().decode()

    july.refresh_from_db()
    difference.refresh_from_db()
    assert july.status == PaymentBatch.Status.RECONCILED
    assert difference.status == I.PAID and difference.batch_items.get().outcome == "paid"
    paid_for_may = enrollment.installments.filter(month=MAY, status=I.PAID).values_list("amount", flat=True)
    assert sum(paid_for_may) == Decimal("80000.00")  # the new rate, paid in two parts, each once
    # approving or applying again pays nothing twice
    assert rates.apply_retroactive_rate(rate=rate, by=officer)["differences"] == 0
    assert enrollment.installments.filter(kind=Installment.Kind.DIFFERENCE).count() == 1


def test_a_rate_names_its_amount_with_separators():
    from django.utils import translation

    rate = Rate(amount=Decimal("64000.00"), effective_month=dt.date(2026, 5, 1), resolution="Res. 12/2026")
    with translation.override("es-ar"):
        assert str(rate) == "ARS 64.000,00 desde 05/2026 (Res. 12/2026)"
