"""A branch-pickup order the bank rejects (``RECHAZADA`` in the return file): its installment is
held with the bank's reason in words, a payments officer re-issues it with a note into the next
batch, or it goes as a transfer once the worker has a CBU. Other roles cannot re-issue it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from enrollment.models import Enrollment, Worker
from payments import installments, pickup, returns
from payments.models import BatchItem, Installment, InstallmentEvent
from provinces.roles import Role
from tests.factories import OrganisationFactory, make_cbu, make_user, province
from tests.payments.test_pickup import JUNE, build, exported, returned, without_cbu
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db
I = Installment.Status  # noqa: E741
REASON = "El DNI no coincide con el del padrón del banco"
WORDS = f"Orden de cobro rechazada por el banco: {REASON}"


@pytest.fixture
def rejected_order(approved, officer, second_officer):
    """May's pickup order of a worker without a CBU (DNI ending in 7), rejected by the bank."""
    enrollment = without_cbu(approved, 31_000_007)
    may, _file = exported(officer, second_officer)
    record = returns.reconcile_batch(
        batch=may, content=returned(may, "RECHAZADA", REASON), filename="r.csv", by=officer
    )
    assert (record.paid_count, record.rejected_count, record.expired_count) == (0, 1, 0)
    return enrollment.installments.get(number=1)


def test_a_rejected_pickup_order_is_held_with_the_banks_reason_and_not_batched_again(rejected_order, officer):
    assert rejected_order.status == I.HELD and rejected_order.held_by_pickup_rejection
    assert rejected_order.hold_reason == pickup.HOLD_PICKUP_REJECTED and rejected_order.bank_reason == REASON
    assert rejected_order.hold_words == WORDS
    line = rejected_order.batch_items.get()
    assert line.outcome == BatchItem.Outcome.REJECTED and line.released_at is not None
    # without a note or a CBU nothing moves it: June's batch leaves it out
    june = build(officer, JUNE, dt.date(2026, 6, 10))
    assert not june.items.filter(installment=rejected_order).exists()
    rejected_order.refresh_from_db()
    assert rejected_order.status == I.HELD
    # the transfer path of a rejected transfer does not apply: there is no CBU to correct
    with pytest.raises(ValidationError):
        installments.reissue_installment(installment=rejected_order, by=officer)


def test_a_payments_officer_reissues_it_with_a_note_and_the_next_batch_carries_it(rejected_order, officer):
    with pytest.raises(ValidationError):
        installments.reissue_pickup_order(installment=rejected_order, by=officer, note="  ")
    note = "La trabajadora actualizó su DNI en la sucursal Famaillá"
    reissued = installments.reissue_pickup_order(installment=rejected_order, by=officer, note=note)
    assert reissued.status == I.DUE and reissued.hold_reason == "" and reissued.bank_reason == ""
    event = InstallmentEvent.objects.filter(pgh_obj=rejected_order).order_by("pgh_id").last()
    assert event.status == I.DUE and event.pgh_context.metadata["user"] == officer.pk
    assert note in event.pgh_context.metadata["reason"]
    june = build(officer, JUNE, dt.date(2026, 6, 10))
    again = june.items.get(installment=rejected_order)
    assert again.method == BatchItem.Method.PICKUP and again.pickup_day is not None
    # not twice: it is no longer a rejected order waiting
    with pytest.raises(ValidationError):
        installments.reissue_pickup_order(installment=rejected_order, by=officer, note=note)


@pytest.mark.parametrize("how", ["released", "claim upheld"])
def test_releasing_it_otherwise_also_clears_the_banks_old_answer(rejected_order, officer, how):
    """The officer's general release and an upheld hold claim put it back in line like the
    dedicated re-issue: due, without the hold nor the bank's reason on the installment."""
    from claims import services as claims

    if how == "released":
        installments.release_hold(installment=rejected_order, by=officer, reason="DNI verificado con la sucursal")
    else:
        claim = claims.file_claim(
            by=None, worker=rejected_order.worker, subject="hold", installment=rejected_order, description="Mi DNI"
        )
        claims.take_claim(claim=claim, by=officer)
        claims.uphold_claim(claim=claim, by=officer, resolution="El DNI coincide con el de la sucursal")
    rejected_order.refresh_from_db()
    assert (rejected_order.status, rejected_order.hold_reason, rejected_order.bank_reason) == (I.DUE, "", "")
    assert REASON not in rejected_order.detail_words(national=True)
    assert rejected_order.batch_items.get(outcome=BatchItem.Outcome.REJECTED).bank_reason == REASON  # kept there


def test_only_a_rejected_order_is_reissued_this_way(approved, officer):
    enrollment = approved()
    held = enrollment.installments.get(number=1)
    Installment.objects.filter(pk=held.pk).update(status=I.HELD, hold_reason="Cobra una pensión no contributiva")
    with pytest.raises(ValidationError):
        installments.reissue_pickup_order(installment=held, by=officer, note="Revisado")


def test_once_the_worker_has_an_approved_cbu_it_goes_as_a_transfer(rejected_order, officer):
    Worker.objects.filter(pk=rejected_order.worker_id).update(cbu=make_cbu(7070))
    june = build(officer, JUNE, dt.date(2026, 6, 10))
    line = june.items.get(installment=rejected_order)
    assert line.method == BatchItem.Method.TRANSFER and line.cbu == make_cbu(7070)


def test_an_approved_cbu_change_releases_it_without_the_banks_old_answer(rejected_order, officer, second_officer):
    from enrollment import bank_accounts
    from tests.twofactor import verified

    worker = Worker.objects.get(pk=rejected_order.worker_id)
    asker = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    change = bank_accounts.request_cbu_change(worker=worker, cbu=make_cbu(7171), by=asker, reason="Abrió una cuenta")
    rejected_order.refresh_from_db()
    assert rejected_order.held_by_pickup_rejection and rejected_order.bank_reason == REASON  # still waiting
    bank_accounts.approve_cbu_change(change=change, by=verified(second_officer), note="Constancia del banco")
    rejected_order.refresh_from_db()
    assert (rejected_order.status, rejected_order.hold_reason, rejected_order.bank_reason) == (I.DUE, "", "")
    assert rejected_order.detail_words(national=True) == ""
    event = InstallmentEvent.objects.filter(pgh_obj=rejected_order).order_by("pgh_id").last()
    assert event.status == I.DUE and event.pgh_context.metadata["user"] == second_officer.pk
    june = build(officer, JUNE, dt.date(2026, 6, 10))
    line = june.items.get(installment=rejected_order)
    assert line.method == BatchItem.Method.TRANSFER and line.cbu == make_cbu(7171)
    assert rejected_order.batch_items.get(outcome=BatchItem.Outcome.REJECTED).bank_reason == REASON  # kept there


def test_a_build_releasing_it_once_the_worker_has_a_cbu_clears_the_banks_old_answer(rejected_order, officer):
    Worker.objects.filter(pk=rejected_order.worker_id).update(cbu=make_cbu(7272))
    build(officer, JUNE, dt.date(2026, 6, 10))
    rejected_order.refresh_from_db()
    assert rejected_order.status == I.IN_BATCH and rejected_order.bank_reason == ""
    assert REASON not in rejected_order.detail_words(national=True)


def test_other_roles_cannot_reissue_it(rejected_order, reviewer, client):
    provincial = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    with pytest.raises(PermissionDenied):
        installments.reissue_pickup_order(installment=rejected_order, by=reviewer, note="Revisado")
    url = reverse("payments:installment_reissue_order", args=[rejected_order.pk])
    for user in (reviewer, provincial, make_user(Role.AUDITOR)):
        sign_in(client, user)
        assert client.post(url, {"reason": "Revisado"}).status_code == 403
    rejected_order.refresh_from_db()
    assert rejected_order.status == I.HELD


def test_the_officer_reissues_it_from_the_workers_page(rejected_order, officer, client):
    sign_in(client, officer)
    page = client.get(reverse("payments:worker_payments", args=[rejected_order.worker_id])).content.decode()
    assert WORDS in page and "Reemitir la orden de cobro" in page
    url = reverse("payments:installment_reissue_order", args=[rejected_order.pk])
    assert client.post(url, {"reason": ""}).status_code == 302  # refused with a message: still held
    rejected_order.refresh_from_db()
    assert rejected_order.status == I.HELD
    unknown = reverse("payments:installment_reissue_order", args=[rejected_order.pk + 10_000])
    assert client.post(unknown, {"reason": "Revisado"}).status_code == 404
    assert client.post(url, {"reason": "DNI verificado con la sucursal"}).status_code == 302
    rejected_order.refresh_from_db()
    assert rejected_order.status == I.DUE


def test_the_enrollment_page_tells_the_registering_office_why_in_words(rejected_order, client):
    enrollment = Enrollment.objects.select_related("worker__registered_by").get(pk=rejected_order.enrollment_id)
    office = enrollment.worker.registered_by or OrganisationFactory(province=enrollment.cycle.agreement.province)
    provincial = make_user(Role.PROVINCIAL_OFFICER, office)
    sign_in(client, provincial)
    page = client.get(reverse("enrollment:enrollment_detail", args=[enrollment.pk]))
    assert page.status_code == 200
    assert WORDS in page.content.decode()
