import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

from payments import bank_files, batches, installments
from payments.common import batch_month_for
from payments.models import BankFile, BatchItem, Installment, PaymentBatch
from tests.factories import AgreementFactory, CycleFactory, province
from tests.twofactor import verified

pytestmark = pytest.mark.django_db
I = Installment.Status  # noqa: E741
B = PaymentBatch.Status
MAY = dt.date(2026, 5, 1)


def built_batch(officer, month=MAY, **scope):
    """Request the batch that pays ``month``'s installments (the next month's: "a mes vencido")
    and run the Celery task (eager) as the commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batches.request_batch(month=batch_month_for(month), by=officer, **scope)
    return PaymentBatch.objects.get(pk=batch.pk)


def test_batch_takes_due_installments_up_to_the_month_with_totals_per_province(approved, officer):
    tucuman = [approved() for _ in range(3)]
    mendoza = approved(cycle=CycleFactory(agreement=AgreementFactory(province=province("Mendoza"))))
    batch = built_batch(officer)
    assert batch.status == B.BUILT
    assert batch.item_count == 4 and batch.total_amount == Decimal("256000.00")
    assert batch.province_totals == [
        {"province_id": mendoza.cycle.agreement.province_id, "province": "Mendoza", "count": 1, "total": "64000.00"},
        {
            "province_id": tucuman[0].cycle.agreement.province_id,
            "province": "Tucumán",
            "count": 3,
            "total": "192000.00",
        },
    ]
    assert Installment.objects.filter(status=I.IN_BATCH).count() == 4
    assert Installment.objects.filter(status=I.DUE, month__gt=MAY).count() == 12
    assert batch.progress_percent == 100


def test_building_the_same_month_twice_gives_the_same_batch(approved, officer, second_officer):
    approved()
    first = built_batch(officer)
    again = built_batch(second_officer)
    assert again.pk == first.pk and again.item_count == 1
    assert PaymentBatch.objects.count() == 1
    assert BatchItem.objects.count() == 1


def test_province_batch_only_takes_that_province(approved, officer):
    approved()
    approved(cycle=CycleFactory(agreement=AgreementFactory(province=province("Mendoza"))))
    batch = built_batch(officer, province=province("Mendoza"))
    assert batch.item_count == 1
    national = built_batch(officer)
    assert national.item_count == 1  # the Tucumán one; Mendoza's is already in an open batch


def test_hold_installments_holds_conflicts_with_their_reason(approved, officer):
    keep, conflicted = approved(), approved()
    held = installments.hold_installments(month=MAY, conflicts={conflicted.pk: "Cobra seguro de desempleo"}, by=officer)
    assert held == 1
    row = conflicted.installments.get(number=1)
    assert row.status == I.HELD and row.hold_reason == "Cobra seguro de desempleo"
    assert conflicted.installments.filter(status=I.DUE).count() == 3  # later months wait for their own control
    batch = built_batch(officer)
    assert list(batch.items.values_list("installment__enrollment_id", flat=True)) == [keep.pk]


def test_batch_build_runs_the_screening_and_holds_what_it_finds(approved, officer):
    keep, conflicted = approved(), approved()
    batch = batches.request_batch(month=batch_month_for(MAY), by=officer)  # on_commit never fires here: still building
    seen = {}

    def screen(*, month, enrollment_ids):
        seen["args"] = (month, sorted(enrollment_ids))
        return {conflicted.pk: "Pensión no contributiva"}

    result = batches.build_batch(batch_id=batch.pk, screen=screen)
    assert seen["args"] == (MAY, sorted([keep.pk, conflicted.pk]))
    assert result.item_count == 1 and result.held_count == 1
    assert conflicted.installments.get(number=1).status == I.HELD


def test_released_hold_goes_in_the_next_batch(approved, officer):
    enrollment = approved()
    installments.hold_installments(month=MAY, conflicts={enrollment.pk: "Conflicto"}, by=officer)
    built_batch(officer)
    row = enrollment.installments.get(number=1)
    installments.release_hold(installment=row, by=officer, reason="No es la misma persona")
    june = built_batch(officer, month=dt.date(2026, 6, 1))
    assert set(june.items.values_list("installment__number", flat=True)) == {1, 2}


def test_resumed_build_after_partial_chunks_has_no_duplicates(approved, officer):
    for _ in range(5):
        approved()
    batch = PaymentBatch.objects.create(month=batch_month_for(MAY), built_by=officer)
    batches._add_chunk(batch, 2)  # a worker died after its first chunk committed
    result = batches.build_batch(batch_id=batch.pk, chunk_size=2)
    assert result.item_count == 5
    assert BatchItem.objects.values("installment").distinct().count() == 5
    assert batches.build_batch(batch_id=batch.pk).item_count == 5


def test_installment_cannot_be_in_two_open_batches(approved, officer):
    approved()
    first = built_batch(officer)
    other = PaymentBatch.objects.create(month=batch_month_for(MAY), province=province("Tucumán"), built_by=officer)
    item = first.items.get()
    with pytest.raises(IntegrityError, match="batch_item_one_live_per_installment"), transaction.atomic():
        BatchItem.objects.create(
            batch=other,
            installment=item.installment,
            province=item.province,
            reference="X1",
            cbu=item.cbu,
            cuil=item.cuil,
            name=item.name,
            amount=item.amount,
        )


def test_second_officer_approves_never_the_builder(approved, officer, second_officer, reviewer):
    approved()
    batch = built_batch(officer)
    with pytest.raises(PermissionDenied, match="otra persona"):
        batches.approve_batch(batch=batch, by=verified(officer))
    with pytest.raises(PermissionDenied):
        batches.approve_batch(batch=batch, by=verified(reviewer))
    approved_batch = batches.approve_batch(batch=batch, by=verified(second_officer))
    assert approved_batch.status == B.APPROVED and approved_batch.approved_by == second_officer
    with pytest.raises(ValidationError):
        batches.approve_batch(batch=batch, by=verified(second_officer))


def test_batch_approval_without_a_verified_second_factor_is_refused(approved, officer, second_officer):
    approved()
    batch = built_batch(officer)
    with pytest.raises(PermissionDenied, match="dos pasos"):
        batches.approve_batch(batch=batch, by=second_officer)
    batch.refresh_from_db()
    assert batch.status == B.BUILT and batch.approved_by is None


def test_database_refuses_builder_as_approver(approved, officer):
    approved()
    batch = built_batch(officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentBatch.objects.filter(pk=batch.pk).update(status=B.APPROVED, approved_by=officer)


def test_suspension_takes_installment_out_of_an_unapproved_batch(approved, officer, reviewer):
    from enrollment.suspensions import suspend_enrollment

    enrollment, other = approved(), approved()
    batch = built_batch(officer)
    assert batch.item_count == 2
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="false_data", note="Fraude")
    batch.refresh_from_db()
    assert batch.item_count == 1 and batch.total_amount == Decimal("64000.00")
    assert enrollment.installments.filter(status=I.CANCELLED).count() == 4
    assert batch.items.get(outcome=BatchItem.Outcome.WITHDRAWN).installment.enrollment_id == enrollment.pk
    assert other.installments.get(number=1).status == I.IN_BATCH


def exported(approved, officer, second_officer, n=3):
    enrollments = [approved() for _ in range(n)]
    batch = built_batch(officer)
    batches.approve_batch(batch=batch, by=verified(second_officer))
    return batch, enrollments


def test_export_needs_approval(approved, officer):
    approved()
    batch = built_batch(officer)
    with pytest.raises(ValidationError, match="aprobado"):
        bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)


def test_csv_export_has_control_total_and_hash_and_is_identical_twice(approved, officer, second_officer):
    batch, enrollments = exported(approved, officer, second_officer)
    bank_file = bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)
    content = bank_file.read()
    lines = content.decode().splitlines()
    assert lines[0] == f"H;B{batch.pk:06d};{batch.month:%Y%m};011;INTERZAFRA"
    assert lines[-1] == "T;3;192000.00"
    assert len(lines) == 5
    first = batch.items.order_by("reference").first()
    assert lines[1] == f"D;{first.reference};{first.cbu};{first.cuil};{first.name};64000.00"
    assert bank_file.sha256 == hashlib.sha256(content).hexdigest()
    assert bank_file.control_total == Decimal("192000.00") and bank_file.line_count == 3
    again = bank_files.export_bank_file(batch=batch, fmt="csv", by=second_officer)
    assert again.pk == bank_file.pk and again.read() == content
    assert bank_files.render_bank_file(batch=batch, fmt="csv")[0] == content
    batch.refresh_from_db()
    assert batch.status == B.EXPORTED


@pytest.mark.parametrize("fmt", ["csv", "fixed"])
def test_export_written_in_ranges_is_the_same_file_with_its_hash_in_storage(
    approved, officer, second_officer, monkeypatch, fmt
):
    batch, _enrollments = exported(approved, officer, second_officer, n=5)
    whole = bank_files.render_bank_file(batch=batch, fmt=fmt)[0]
    monkeypatch.setattr(bank_files, "EXPORT_CHUNK", 2)  # three COPY ranges: 2 + 2 + 1 lines
    seen = []
    assert b"".join(bank_files._bank_file_chunks(batch, fmt, seen.append)) == whole
    assert seen == [2, 4, 5]
    bank_file = bank_files.export_bank_file(batch=batch, fmt=fmt, by=officer)
    assert bank_file.read() == whole and bank_file.size == len(whole)
    assert bank_file.sha256 == hashlib.sha256(whole).hexdigest() and bank_file.progress_done == 5
    assert bank_file.file.name.startswith("bank_files/")
    # written again (a redelivered task) it stays the same file
    assert bank_files.write_bank_file(bank_file_id=bank_file.pk).read() == whole


#: what COPY writes for the detail records; the export renders them itself and must match it
COPY_DETAILS = {
    "csv": "COPY (SELECT 'D', reference, cbu, cuil, name, amount::text FROM payments_batchitem"
    " WHERE batch_id = %s AND outcome <> 'withdrawn' ORDER BY reference) TO STDOUT WITH (FORMAT csv, DELIMITER ';')",
    "fixed": f"""COPY (SELECT rpad('2' || rpad(cbu, 22) || rpad(cuil, 11)
                     || rpad(regexp_replace(name, '[^A-Z0-9 ]', ' ', 'g'), 40)
                     || lpad(((amount * 100)::bigint)::text, 15, '0') || rpad(reference, 20), {bank_files.RECORD_WIDTH})
              FROM payments_batchitem WHERE batch_id = %s AND outcome <> 'withdrawn' ORDER BY reference) TO STDOUT""",
}


@pytest.mark.parametrize("fmt", ["csv", "fixed"])
def test_export_records_are_byte_for_byte_what_copy_writes(approved, officer, second_officer, monkeypatch, fmt):
    from django.db import connection

    batch, _enrollments = exported(approved, officer, second_officer, n=8)
    names = ["D'ANGELO", "PEREZ-GOMEZ", "DE LA CRUZ JUAN", "O BRIEN", "MARIA JOSE", "X", "GOMEZ, ANA", "ÑANDU"]
    for item, name in zip(batch.items.order_by("reference"), names, strict=True):
        BatchItem.objects.filter(pk=item.pk).update(name=name)
    with connection.cursor() as cursor, cursor.copy(COPY_DETAILS[fmt], [batch.pk]) as copy:
        expected = b"".join(bytes(data) for data in copy)
    monkeypatch.setattr(bank_files, "EXPORT_CHUNK", 3)  # three ranges: 3 + 3 + 2 records
    pieces = list(bank_files._bank_file_chunks(batch, fmt))
    assert len(pieces) == 5  # header, three ranges, trailer
    assert b"".join(pieces[1:-1]) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "PEREZ; JUAN"),
        ("name", 'O"BRIEN'),
        ("name", "LINEA\nNUEVA"),
        ("name", "BARRA\\INVERTIDA"),
        ("name", ""),
        ("cbu", ""),
        ("cbu", "0110599;500000000000001"[:22]),
        ("cuil", "2012345678;"),
        ("reference", "B1;C2"),
    ],
)
def test_a_batch_line_refuses_what_the_bank_file_would_have_to_quote_or_escape(
    approved, officer, second_officer, field, value
):
    batch, _enrollments = exported(approved, officer, second_officer, n=1)
    item = batch.items.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchItem.objects.filter(pk=item.pk).update(**{field: value})


def test_a_delimiter_or_quote_in_a_worker_name_becomes_a_space_in_the_batch_line(approved, officer):
    from enrollment.models import Worker

    enrollment = approved()
    Worker.objects.filter(pk=enrollment.worker_id).update(last_name_norm='PEREZ;"GOMEZ\\')
    batch = built_batch(officer)
    assert batch.items.get().name.startswith("PEREZ  GOMEZ ")


def test_export_fails_when_the_lines_written_differ_from_the_requested_count(approved, officer, second_officer):
    batch, _enrollments = exported(approved, officer, second_officer)
    bank_file = bank_files.request_bank_file(batch=batch, fmt="csv", by=officer, queue=False)
    BankFile.objects.filter(pk=bank_file.pk).update(line_count=4)
    with pytest.raises(ValidationError, match="3 transferencias"):
        bank_files.write_bank_file(bank_file_id=bank_file.pk)
    bank_file.refresh_from_db()
    assert bank_file.status == BankFile.Status.FAILED and not bank_file.sha256
    batch.refresh_from_db()
    assert batch.status == B.APPROVED


def test_export_fails_when_the_amounts_written_differ_from_the_requested_total(approved, officer, second_officer):
    batch, _enrollments = exported(approved, officer, second_officer)
    bank_file = bank_files.request_bank_file(batch=batch, fmt="csv", by=officer, queue=False)
    assert (bank_file.line_count, bank_file.control_total) == (3, Decimal("192000.00"))
    BankFile.objects.filter(pk=bank_file.pk).update(control_total=Decimal("191999.99"))
    with pytest.raises(ValidationError, match="suma 192000.00"):
        bank_files.write_bank_file(bank_file_id=bank_file.pk)
    bank_file.refresh_from_db()
    assert bank_file.status == BankFile.Status.FAILED and not bank_file.sha256


def test_fixed_width_export_layout(approved, officer, second_officer):
    batch, enrollments = exported(approved, officer, second_officer, n=2)
    bank_file = bank_files.export_bank_file(batch=batch, fmt="fixed", by=officer)
    lines = bank_file.read().decode().split("\n")
    assert lines[-1] == ""
    records = lines[:-1]
    assert all(len(r) == bank_files.RECORD_WIDTH for r in records)
    assert records[0].startswith("1INTERZAFRA")
    item = batch.items.order_by("reference").first()
    detail = records[1]
    assert detail[0] == "2"
    assert detail[1:23] == item.cbu
    assert detail[23:34] == item.cuil
    assert detail[34:74].rstrip() == item.name
    assert detail[74:89] == "000000006400000"
    assert detail[89:109].rstrip() == item.reference
    assert records[-1][:25] == "9" + "0000002" + f"{12800000:017d}"
    assert BankFile.objects.filter(batch=batch).count() == 1


def test_agreement_batch_only_takes_that_agreement_and_refuses_a_mismatched_province(approved, officer):
    agreement = AgreementFactory()
    approved(cycle=CycleFactory(agreement=agreement))
    approved()
    with pytest.raises(ValidationError, match="no es de Mendoza"):
        batches.request_batch(month=batch_month_for(MAY), by=officer, agreement=agreement, province=province("Mendoza"))
    batch = built_batch(officer, agreement=agreement)
    assert batch.item_count == 1 and batch.agreement == agreement and batch.province is None
    assert batch.items.get().installment.agreement_id == agreement.pk


def test_suspension_leaves_approved_batch_lines_to_the_bank(approved, officer, second_officer, reviewer):
    from enrollment.suspensions import suspend_enrollment

    enrollment = approved()
    batch = built_batch(officer)
    batches.approve_batch(batch=batch, by=verified(second_officer))
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Nuevo empleo")
    assert enrollment.installments.get(number=1).status == I.IN_BATCH
    assert batch.items.get().outcome == BatchItem.Outcome.PENDING
    assert enrollment.installments.filter(status=I.CANCELLED).count() == 3


def test_only_payments_officers_request_batches(approved, reviewer):
    approved()
    with pytest.raises(PermissionDenied):
        batches.request_batch(month=batch_month_for(MAY), by=reviewer)
    assert not PaymentBatch.objects.exists()


def test_batch_task_rescreens_against_registries_loaded_after_approval(approved, officer, reviewer):
    import io

    from enrollment.screening import services as screening
    from enrollment.screening.models import RegistryVersion

    conflicted, fine = approved(), approved()
    registry = screening.save_registry(
        by=reviewer, code="desempleo", programme="Seguro de desempleo", kind="unemployment", is_incompatible=True
    )
    version = RegistryVersion.objects.create(registry=registry, source_name="desempleo.csv", uploaded_by=reviewer)
    worker = conflicted.worker
    rows = "cuil,dni,apellido,nombre,fecha_nacimiento,desde,hasta\n"
    rows += f"{worker.cuil},,{worker.last_name},{worker.first_name},{worker.birth_date:%Y-%m-%d},2026-05,2026-06\n"
    screening.load_registry_version(version_id=version.pk, fileobj=io.BytesIO(rows.encode()))

    batch = built_batch(officer)
    assert batch.held_count == 1 and batch.item_count == 1
    assert batch.items.get().installment.enrollment_id == fine.pk
    held = conflicted.installments.get(number=1)
    assert held.status == I.HELD and held.hold_reason


@pytest.mark.parametrize("changed", [1, 2])
def test_export_refused_for_a_cbu_that_is_no_longer_the_registered_one_counts_the_transfers(
    approved, officer, second_officer, changed
):
    from enrollment.models import Worker
    from tests.factories import make_cbu

    batch, enrollments = exported(approved, officer, second_officer)
    for n, enrollment in enumerate(enrollments[:changed]):
        Worker.objects.filter(pk=enrollment.worker_id).update(cbu=make_cbu(900_000 + n))
    expected = "1 transferencia tiene un cambio" if changed == 1 else "2 transferencias tienen un cambio"
    with pytest.raises(ValidationError, match=expected):
        bank_files.export_bank_file(batch=batch, fmt="csv", by=officer)
    assert not BankFile.objects.filter(batch=batch).exists()
