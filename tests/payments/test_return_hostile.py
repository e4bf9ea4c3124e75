"""Hostile lines in a bank return file: amounts past what a batch line holds or with more than
two decimals, and NUL characters, are reported as problems — never a server error, never an
amount rounded into a match. A line of another batch is unknown in this one; a rejected
pickup order answered again as collected stays rejected, and once re-issued it is paid once."""

import datetime as dt

import pytest
from django.utils import translation

from payments import installments, returns
from payments.models import BatchItem, Installment
from tests.payments.test_pickup import JUNE, exported, without_cbu

pytestmark = pytest.mark.django_db
I = Installment.Status  # noqa: E741


def one_line(batch, *, amount=None, reason="", status="COBRADA", item=None):
    item = item or batch.items.get()
    line = f"D;{item.reference};{item.cuil};{item.amount if amount is None else amount};{status};{reason}"
    return f"H;B{batch.pk:06d};{batch.month:%Y%m}\n{line}\nT;1;0\n".encode()


@pytest.fixture
def order(approved, officer, second_officer):
    """An exported batch with one pickup order, and its installment."""
    enrollment = without_cbu(approved, 31_000_001)
    batch, _file = exported(officer, second_officer)
    return batch, enrollment.installments.get(number=1)


@pytest.mark.parametrize("amount", ["1e20", "99999999999999.99", "-1E+30", "10000000000"])
def test_an_amount_past_what_a_line_holds_is_a_problem_not_a_server_error(order, officer, amount):
    batch, installment = order
    record = returns.reconcile_batch(batch=batch, content=one_line(batch, amount=amount), filename="r.csv", by=officer)
    assert record.accepted and record.paid_count == 0
    assert [p["problem"] for p in record.problems] == [f"Importe fuera de rango o con más de dos decimales: {amount}"]
    installment.refresh_from_db()
    assert installment.status == I.IN_BATCH


def test_an_amount_with_a_third_decimal_is_not_rounded_into_the_amount_sent(order, officer):
    batch, installment = order
    sent = batch.items.get().amount
    record = returns.reconcile_batch(
        batch=batch, content=one_line(batch, amount=f"{sent}4"), filename="r.csv", by=officer
    )
    assert record.paid_count == 0 and len(record.problems) == 1
    installment.refresh_from_db()
    assert installment.status == I.IN_BATCH
    # trailing zeros are the same amount
    record = returns.reconcile_batch(
        batch=batch, content=one_line(batch, amount=f"{sent}000"), filename="r2.csv", by=officer
    )
    assert record.paid_count == 1 and record.problems == []
    installment.refresh_from_db()
    assert installment.status == I.PAID


def test_a_file_with_a_nul_character_is_refused_whole(order, officer):
    batch, installment = order
    record = returns.reconcile_batch(
        batch=batch, content=one_line(batch, reason="DNI\x00", status="RECHAZADA"), filename="r.csv", by=officer
    )
    assert not record.accepted
    assert record.problems == [{"line": 0, "problem": "El archivo tiene caracteres nulos: no es un archivo de texto."}]
    installment.refresh_from_db()
    assert installment.status == I.IN_BATCH
    with translation.override("en"):
        english = returns.reconcile_batch(
            batch=batch, content=one_line(batch, amount="1e20", reason="\x00"), filename="r2.csv", by=officer
        )
        assert english.problems == [{"line": 0, "problem": "The file contains NUL characters: it is not a text file."}]
        english = returns.reconcile_batch(
            batch=batch, content=one_line(batch, amount="1e20"), filename="r3.csv", by=officer
        )
        assert english.problems[0]["problem"] == "Amount out of range or with more than two decimals: 1e20"


def test_a_line_of_another_batch_is_unknown_here_and_that_batch_is_untouched(order, officer, second_officer):
    may, installment = order
    june, _file = exported(officer, second_officer, JUNE, dt.date(2026, 6, 10))
    other = june.items.exclude(installment=installment).first()
    content = (
        f"H;B{may.pk:06d};{may.month:%Y%m}\nD;{other.reference};{other.cuil};{other.amount};COBRADA;\nT;1;0\n"
    ).encode()
    record = returns.reconcile_batch(batch=may, content=content, filename="r.csv", by=officer)
    assert record.paid_count == 0
    assert [p["problem"] for p in record.problems] == ["Referencia desconocida en este lote."]
    other.refresh_from_db()
    assert other.outcome == BatchItem.Outcome.PENDING
    assert other.installment.status == I.IN_BATCH


def test_a_rejected_order_answered_again_as_collected_stays_rejected_and_is_paid_once(order, officer, second_officer):
    may, installment = order
    rejected = returns.reconcile_batch(
        batch=may, content=one_line(may, status="RECHAZADA", reason="DNI"), filename="r1.csv", by=officer
    )
    assert rejected.rejected_count == 1
    # the same line, now "collected", in a second file: the first answer stands
    again = returns.reconcile_batch(batch=may, content=one_line(may), filename="r2.csv", by=officer)
    assert again.paid_count == 0
    installment.refresh_from_db()
    assert installment.held_by_pickup_rejection
    # re-issued (by the officer who built the batch: the next batch needs a second officer's
    # approval), carried by June's batch and paid there once
    installments.reissue_pickup_order(installment=installment, by=officer, note="DNI verificado en la sucursal")
    june, _file = exported(officer, second_officer, JUNE, dt.date(2026, 6, 10))
    (carried,) = june.items.filter(installment=installment)
    paid = returns.reconcile_batch(batch=june, content=one_line(june, item=carried), filename="r3.csv", by=officer)
    assert paid.paid_count == 1
    installment.refresh_from_db()
    assert installment.status == I.PAID
    assert BatchItem.objects.filter(installment=installment, outcome=BatchItem.Outcome.PAID).count() == 1
