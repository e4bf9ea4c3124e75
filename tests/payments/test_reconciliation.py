import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

from payments import bank_files, batches, installments, returns
from payments.common import batch_month_for
from payments.models import BatchItem, Installment, PaymentBatch
from tests.factories import make_cbu
from tests.twofactor import verified

pytestmark = pytest.mark.django_db
I = Installment.Status  # noqa: E741
B = PaymentBatch.Status
MAY = dt.date(2026, 5, 1)


def exported_batch(approved, officer, second_officer, n=4, month=MAY):
    enrollments = [approved() for _ in range(n)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batches.request_batch(month=batch_month_for(month), by=officer)
    batch = batches.approve_batch(batch=batch, by=verified(second_officer))
    bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)
    return PaymentBatch.objects.get(pk=batch.pk), enrollments


def return_file(batch, lines, trailer=True, header=None):
    """A bank return: H;batch;month / D;reference;cuil;amount;status;reason / T;count;total."""
    rows = [header or f"H;B{batch.pk:06d};{batch.month:%Y%m}"]
    rows += lines
    if trailer:
        rows.append(f"T;{len(lines)};0")
    return ("\n".join(rows) + "\n").encode()


def line(item, status="ACREDITADA", reason="", amount=None):
    return f"D;{item.reference};{item.cuil};{amount or item.amount};{status};{reason}"


def test_return_marks_paid_and_rejected_with_bank_reason_and_closes_batch(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer)
    items = list(batch.items.order_by("reference"))
    content = return_file(
        batch, [line(items[0]), line(items[1]), line(items[2]), line(items[3], "RECHAZADA", "CBU inexistente")]
    )
    record = returns.reconcile_batch(batch=batch, content=content, filename="ret.csv", by=officer)
    assert record.accepted and (record.paid_count, record.rejected_count) == (3, 1)
    assert record.problems == []
    rejected = items[3].installment
    rejected.refresh_from_db()
    assert rejected.status == I.REJECTED and rejected.bank_reason == "CBU inexistente"
    assert Installment.objects.filter(status=I.PAID).count() == 3
    batch.refresh_from_db()
    assert batch.status == B.RECONCILED


def test_applying_the_same_return_twice_changes_nothing(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer)
    items = list(batch.items.order_by("reference"))
    content = return_file(batch, [line(items[0]), line(items[1], "RECHAZADA", "Cuenta cerrada")])
    first = returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=officer)
    again = returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=officer)
    assert again.pk == first.pk
    # the same lines in a differently-named/shaped file: already applied, nothing changes
    repeat = return_file(batch, [line(items[0]), line(items[1], "RECHAZADA", "Cuenta cerrada")]) + b""
    third = returns.reconcile_batch(
        batch=batch, content=repeat.replace(b"T;2;0", b"T;2;1"), filename="r2.csv", by=officer
    )
    assert (third.paid_count, third.rejected_count, third.unchanged_count) == (0, 0, 2)
    assert Installment.objects.filter(status=I.PAID).count() == 1
    assert BatchItem.objects.filter(outcome="pending").count() == 2


def test_bad_lines_are_reported_and_nothing_wrong_is_applied(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer)
    a, b, c, d = batch.items.order_by("reference")
    content = return_file(
        batch,
        [
            "D;B999999C000000000001;20111111112;64000.00;ACREDITADA;",  # unknown reference
            line(a, amount="65000.00"),  # amount differs
            line(b),
            line(b),  # duplicated line: applied once
            line(c),
            line(c, "RECHAZADA", "Cuenta cerrada"),  # contradictory duplicate: not applied
            line(d, status="QUIZAS"),
        ],
    )
    record = returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=officer)
    assert record.paid_count == 1 and record.rejected_count == 0
    problems = {p["line"]: p["problem"] for p in record.problems}
    assert "desconocida" in problems[2]
    assert "Importe 65000.00" in problems[3]
    assert "duplicada" in problems[5]
    assert "datos distintos" in problems[6] and "datos distintos" in problems[7]
    assert "Estado desconocido" in problems[8]
    assert set(BatchItem.objects.filter(outcome="paid").values_list("pk", flat=True)) == {b.pk}
    batch.refresh_from_db()
    assert batch.status == B.EXPORTED


def test_truncated_file_is_refused_whole(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer)
    a, b, *_ = batch.items.order_by("reference")
    content = return_file(batch, [line(a), line(b)], trailer=False)[:-10]
    record = returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=officer)
    assert not record.accepted
    assert any("truncado" in p["problem"] for p in record.problems)
    assert not BatchItem.objects.exclude(outcome="pending").exists()


def test_trailer_count_mismatch_is_refused(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer)
    a, b, *_ = batch.items.order_by("reference")
    content = return_file(batch, [line(a), line(b)]).replace(b"T;2;0", b"T;3;0")
    record = returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=officer)
    assert not record.accepted and "declara 3" in record.problems[0]["problem"]
    assert not BatchItem.objects.exclude(outcome="pending").exists()


def test_another_batchs_file_is_refused(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer)
    a = batch.items.first()
    content = return_file(batch, [line(a)], header="H;B000001;202604" if batch.pk != 1 else "H;B000002;202604")
    record = returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=officer)
    assert not record.accepted and "no de este lote" in record.problems[0]["problem"]
    assert not BatchItem.objects.exclude(outcome="pending").exists()


def test_only_exported_batches_are_reconciled(approved, officer, second_officer):
    approved()
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batches.request_batch(month=batch_month_for(MAY), by=officer)
    with pytest.raises(ValidationError):
        returns.reconcile_batch(batch=batch, content=b"H;x;y\n", filename="r.csv", by=officer)


def test_rejected_installment_is_reissued_after_cbu_fix_and_never_paid_twice(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer, n=1)
    item = batch.items.get()
    returns.reconcile_batch(
        batch=batch, content=return_file(batch, [line(item, "RECHAZADA", "CBU erróneo")]), filename="r.csv", by=officer
    )
    installment = Installment.objects.get(pk=item.installment_id)
    with pytest.raises(ValidationError, match="mismo"):
        installments.reissue_installment(installment=installment, by=officer)
    worker = installment.worker
    worker.cbu = make_cbu(987654)
    worker.save()
    installments.reissue_installment(installment=installment, by=officer)
    june, _ = exported_batch(approved, officer, second_officer, n=0, month=dt.date(2026, 6, 1))
    reissued = june.items.get(installment=installment)
    assert reissued.cbu == worker.cbu
    returns.reconcile_batch(batch=june, content=return_file(june, [line(reissued)]), filename="r.csv", by=officer)
    installment.refresh_from_db()
    assert installment.status == I.PAID
    with pytest.raises(ValidationError):
        installments.reissue_installment(installment=installment, by=officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchItem.objects.filter(pk=item.pk).update(outcome="paid")
    # the database keeps it paid once even when the release mark is cleared with it
    with pytest.raises(IntegrityError, match="batch_item_one_live_per_installment"), transaction.atomic():
        BatchItem.objects.filter(pk=item.pk).update(outcome="paid", released_at=None)
    assert BatchItem.objects.filter(installment=installment, outcome="paid").count() == 1


def test_a_line_is_released_exactly_when_rejected_or_withdrawn(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer, n=2)
    a, b = batch.items.order_by("reference")
    returns.reconcile_batch(
        batch=batch,
        content=return_file(batch, [line(a), line(b, "RECHAZADA", "Cuenta cerrada")]),
        filename="r.csv",
        by=officer,
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.outcome == "paid" and a.released_at is None
    assert b.outcome == "rejected" and b.released_at is not None
    with pytest.raises(IntegrityError, match="batch_item_released_at_iff_released"), transaction.atomic():
        BatchItem.objects.filter(pk=a.pk).update(outcome="rejected")
    # a paid installment never goes in another batch line, pending or not
    june = PaymentBatch.objects.create(month=batch_month_for(dt.date(2026, 6, 1)), built_by=officer)
    with pytest.raises(IntegrityError, match="batch_item_one_live_per_installment"), transaction.atomic():
        BatchItem.objects.create(
            batch=june,
            installment=Installment.objects.get(pk=a.installment_id),
            province=a.province,
            reference="X1",
            cbu=a.cbu,
            cuil=a.cuil,
            name=a.name,
            amount=a.amount,
        )


@pytest.mark.parametrize(
    "text",
    [
        "H;B000001;202605\nD;R1;20111111112;64000.00;ACREDITADA;\nT;1;0\n",
        "H;B000001;202605\r\nD;R1;20111111112;64000.00;RECHAZADA;Cuenta cerrada\r\nT;1;0\r\n",
        "H;B000001;202605\r\nD;R1;x\r\n\r\n\nD;;;;;\n;\nT;1;0",
        'H;B000001;202605\nD;R1;20111111112;64000.00;RECHAZADA;"Cuenta; cerrada"\nT;1;0\n',
        "",
        "\n",
    ],
)
def test_return_records_are_split_as_the_csv_module_splits_them(text):
    assert returns._split_return(text) == list(csv.reader(io.StringIO(text), delimiter=";"))


def test_bank_reasons_with_backslashes_or_tabs_are_stored_as_sent(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer, n=2)
    a, b = batch.items.order_by("reference")
    content = return_file(
        batch,
        [
            line(a, "RECHAZADA", "CBU\\inexistente\tver"),
            line(b, " rechazado ", "x"),
            line(b, amount="NaN"),
            line(b, amount="sNaN"),
            line(b, amount="Infinity"),
        ],
    )
    record = returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=officer)
    assert (record.paid_count, record.rejected_count) == (0, 2)
    assert [(p["line"], p["problem"]) for p in record.problems] == [(n, "Importe ilegible.") for n in (4, 5, 6)]
    a.refresh_from_db()
    assert a.bank_reason == "CBU\\inexistente\tver"


def test_reconciled_batch_is_immutable_in_the_database(approved, officer, second_officer):
    batch, _ = exported_batch(approved, officer, second_officer, n=1)
    returns.reconcile_batch(
        batch=batch, content=return_file(batch, [line(batch.items.get())]), filename="r", by=officer
    )
    with pytest.raises(Exception, match="Cannot update"), transaction.atomic():
        PaymentBatch.objects.filter(pk=batch.pk).update(status=B.BUILT)


def test_return_file_is_received_once_and_applied_by_the_task(approved, officer, second_officer):
    from payments.models import ReturnFile

    batch, _ = exported_batch(approved, officer, second_officer, n=2)
    a, b = batch.items.order_by("reference")
    content = return_file(batch, [line(a), line(b, "RECHAZADA", "Cuenta cerrada")])
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = returns.submit_return_file(batch=batch, content=content, filename="r.csv", by=officer)
    again = returns.submit_return_file(batch=batch, content=content, filename="otra.csv", by=second_officer)
    assert again.pk == first.pk and ReturnFile.objects.count() == 1
    first.refresh_from_db()
    assert first.status == ReturnFile.Status.DONE
    assert (first.reconciliation.paid_count, first.reconciliation.rejected_count) == (1, 1)
    assert returns.apply_return_file(return_file_id=first.pk).reconciliation_id == first.reconciliation_id


def test_return_file_for_unexported_batch_is_refused_and_a_failed_apply_is_recorded(approved, officer):
    from payments.models import ReturnFile

    approved()
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batches.request_batch(month=batch_month_for(MAY), by=officer)
    with pytest.raises(ValidationError):
        returns.submit_return_file(batch=batch, content=b"H;x\n", filename="r.csv", by=officer)
    queued = ReturnFile.objects.create(batch=batch, filename="r.csv", sha256="x", content=b"H;x\n", uploaded_by=officer)
    result = returns.apply_return_file(return_file_id=queued.pk)
    assert result.status == ReturnFile.Status.FAILED and "exportado" in result.error
    assert not BatchItem.objects.exclude(outcome="pending").exists()
