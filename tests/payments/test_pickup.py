"""Branch-pickup orders: the DNI calendar, the batch lines of workers without a CBU, their
section of the bank file, and their expiry and single re-issue through the bank's return."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from enrollment.models import Worker
from payments import bank_files, batches, pickup, returns
from payments.common import batch_month_for
from payments.models import BatchItem, Installment, PaymentBatch
from provinces.calendar import dni_calendar, dni_day
from tests.factories import WorkerFactory, make_cbu, make_cuil
from tests.twofactor import verified

pytestmark = pytest.mark.django_db
I = Installment.Status  # noqa: E741
B = PaymentBatch.Status
MAY, JUNE, JULY = dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)
D = dt.date


# --- the calendar --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "expected"),
    [
        # Thursday 24/12; Friday 25/12 is Christmas, then the weekend.
        (D(2026, 12, 24), [D(2026, 12, 24), D(2026, 12, 28), D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31)]),
        # Friday 05/02/2027; the weekend, then Carnival Monday and Tuesday.
        (D(2027, 2, 5), [D(2027, 2, 5), D(2027, 2, 10), D(2027, 2, 11), D(2027, 2, 12), D(2027, 2, 15)]),
        # Monday 22/03/2027: 24, 25 and 26 are holidays and 27–28 a weekend, in the middle.
        (D(2027, 3, 22), [D(2027, 3, 22), D(2027, 3, 23), D(2027, 3, 29), D(2027, 3, 30), D(2027, 3, 31)]),
        # Opening on a Saturday (01/05/2027, Labour Day too) starts on Monday.
        (D(2027, 5, 1), [D(2027, 5, 3), D(2027, 5, 4), D(2027, 5, 5), D(2027, 5, 6), D(2027, 5, 7)]),
    ],
)
def test_dni_calendar_gives_successive_business_days_skipping_weekends_and_holidays(opens, expected):
    assert dni_calendar(opens) == expected
    for digit in range(10):
        assert dni_day(f"3000000{digit}", opens) == expected[digit // 2]
    # each pair shares its day and no other pair has it
    assert len({dni_day(f"3000000{digit}", opens) for digit in range(10)}) == 5
    assert dni_day("30000001", opens) != dni_day("30000002", opens)


def test_the_calendar_opens_from_the_set_day_of_the_month_but_never_before_the_lead_after_the_build(settings):
    settings.PAYMENTS_PICKUP_OPENS_DAY, settings.PAYMENTS_PICKUP_LEAD_DAYS = 10, 3
    # built early: the 10th (Sunday 10/01/2027) moves to Monday the 11th
    assert pickup.calendar_opens_on(D(2027, 1, 1), built_on=D(2026, 12, 20)) == D(2027, 1, 11)
    # built late: three business days after Friday 15/01/2027
    assert pickup.calendar_opens_on(D(2027, 1, 1), built_on=D(2027, 1, 15)) == D(2027, 1, 20)


# --- the batch -----------------------------------------------------------------------------------


def without_cbu(approved, dni: int, locality="Famaillá"):
    worker = WorkerFactory(cuil=make_cuil(dni), cbu="", locality=locality)
    return approved(worker=worker)


MAY_OPENS = D(2026, 5, 11)


def build(officer, month=MAY, opens=MAY_OPENS):
    """Build the batch that pays ``month``'s installments (the next month's: "a mes vencido"),
    whose DNI calendar opens on ``opens`` (fixed before the build)."""
    batch = PaymentBatch.objects.create(month=batch_month_for(month), built_by=officer, pickup_opens_on=opens)
    return batches.build_batch(batch_id=batch.pk)


def exported(officer, second_officer, month=MAY, opens=MAY_OPENS, fmt="csv"):
    batch = build(officer, month, opens)
    batches.approve_batch(batch=batch, by=verified(second_officer))
    bank_file = bank_files.export_bank_file(batch=batch, fmt=fmt, by=officer)
    return PaymentBatch.objects.get(pk=batch.pk), bank_file


def test_a_worker_without_cbu_gets_a_pickup_order_on_her_dni_day_not_a_hold(approved, officer):
    # 11/05/2026 is a Monday; 25/05 is a holiday but falls after the calendar.
    ends = {digit: without_cbu(approved, 31_000_000 + digit, "San Miguel de Tucumán") for digit in (0, 3, 5, 6, 9)}
    with_cbu = approved()
    batch = build(officer)
    assert batch.held_count == 0 and batch.item_count == 6
    expected = {0: D(2026, 5, 11), 3: D(2026, 5, 12), 5: D(2026, 5, 13), 6: D(2026, 5, 14), 9: D(2026, 5, 15)}
    for digit, enrollment in ends.items():
        line = BatchItem.objects.get(batch=batch, installment__enrollment=enrollment)
        assert line.method == BatchItem.Method.PICKUP and line.cbu == ""
        assert line.pickup_day == expected[digit]
        assert line.pickup_until > line.pickup_day
        assert line.branch == "SAN MIGUEL DE TUCUMAN"
        assert line.installment.status == I.IN_BATCH
    transfer = BatchItem.objects.get(batch=batch, installment__enrollment=with_cbu)
    assert transfer.method == BatchItem.Method.TRANSFER and transfer.pickup_day is None and transfer.branch == ""


def test_pickup_orders_last_twenty_business_days_from_their_day(approved, officer):
    enrollment = without_cbu(approved, 31_000_000)
    build(officer)
    line = BatchItem.objects.get(installment__enrollment=enrollment)
    # from Monday 11/05/2026: 25/05 is a holiday, so 20 business days later is Tuesday 09/06
    assert (line.pickup_day, line.pickup_until) == (D(2026, 5, 11), D(2026, 6, 9))


def test_a_resumed_build_keeps_the_calendar_fixed_when_it_started(approved, officer):
    without_cbu(approved, 31_000_002)
    batch = PaymentBatch.objects.create(month=batch_month_for(MAY), built_by=officer)
    batches.build_batch(batch_id=batch.pk)
    batch.refresh_from_db()
    opens = batch.pickup_opens_on
    assert opens is not None
    assert batch.items.get().pickup_day == dni_calendar(opens)[1]


def test_the_database_refuses_a_pickup_line_with_a_cbu_or_without_its_day(approved, officer):
    enrollment = without_cbu(approved, 31_000_004)
    approved()
    build(officer)
    order = BatchItem.objects.get(installment__enrollment=enrollment)
    transfer = BatchItem.objects.exclude(pk=order.pk).get()
    for queryset, values in [
        (BatchItem.objects.filter(pk=order.pk), {"cbu": make_cbu(7)}),
        (BatchItem.objects.filter(pk=order.pk), {"pickup_day": None}),
        (BatchItem.objects.filter(pk=order.pk), {"pickup_until": D(2026, 5, 1)}),
        (BatchItem.objects.filter(pk=transfer.pk), {"method": BatchItem.Method.PICKUP}),
        (BatchItem.objects.filter(pk=transfer.pk), {"outcome": "expired", "released_at": dt.datetime.now(dt.UTC)}),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            queryset.update(**values)


def test_installments_held_for_lack_of_cbu_before_pickup_orders_are_released_into_orders(approved, officer):
    enrollment = without_cbu(approved, 31_000_006)
    Installment.objects.filter(enrollment=enrollment, number=1).update(
        status=I.HELD, hold_reason="Sin CBU válido para la transferencia"
    )
    batch = build(officer)
    assert batch.items.get().method == BatchItem.Method.PICKUP
    assert enrollment.installments.get(number=1).status == I.IN_BATCH


def test_a_worker_without_cbu_with_a_cbu_change_pending_is_still_held(approved, officer):
    from enrollment.bank_accounts import request_cbu_change
    from provinces.roles import Role
    from tests.factories import make_user

    enrollment = without_cbu(approved, 31_000_008)
    request_cbu_change(
        worker=enrollment.worker,
        cbu=make_cbu(77),
        reason="Alta de cuenta",
        evidence="Constancia del banco",
        by=make_user(Role.MINISTRY_REVIEWER),
    )
    batch = build(officer)
    assert batch.item_count == 0
    held = enrollment.installments.get(number=1)
    assert held.status == I.HELD and held.hold_reason == "Cambio de CBU pendiente de aprobación"


# --- the bank file ------------------------------------------------------------------------------


def test_csv_file_has_the_transfers_section_unchanged_then_the_pickup_section_with_its_totals(
    approved, officer, second_officer
):
    order_of = without_cbu(approved, 31_000_007, "Famaillá")
    transfers = [approved(), approved()]
    batch, bank_file = exported(officer, second_officer)
    rows = [r.split(";") for r in bank_file.read().decode().splitlines()]
    assert rows[0] == ["H", f"B{batch.pk:06d}", "202606", "011", "INTERZAFRA"]  # June's batch pays May
    details = [r for r in rows if r[0] == "D"]
    assert rows[1:3] == details and len(details) == 2 and all(len(r) == 6 for r in details)
    assert {r[2] for r in details} == {e.worker.cbu for e in transfers}
    assert rows[3] == ["T", "2", "128000.00"]
    order = BatchItem.objects.get(installment__enrollment=order_of)
    assert rows[4] == [
        "P",
        order.reference,
        order_of.worker.dni,
        order_of.worker.cuil,
        order.name,
        "64000.00",
        "20260514",  # DNI ending in 7
        order.pickup_until.strftime("%Y%m%d"),
        "90",  # Tucumán's INDEC code
        "FAMAILLA",
    ]
    assert rows[5] == ["Q", "1", "64000.00"] and len(rows) == 6
    assert (bank_file.line_count, bank_file.control_total) == (3, Decimal("192000.00"))


def test_a_batch_without_pickup_orders_gives_the_file_it_always_gave(approved, officer, second_officer):
    approved()
    batch, bank_file = exported(officer, second_officer)
    lines = bank_file.read().decode().splitlines()
    assert [line[0] for line in lines] == ["H", "D", "T"]


def test_fixed_width_file_parses_back_field_by_field(approved, officer, second_officer):
    order_of = without_cbu(approved, 31_000_001, "Santa Lucía")
    transfer = approved()
    batch, bank_file = exported(officer, second_officer, fmt="fixed")
    records = bank_file.read().decode().split("\n")
    assert records[-1] == "" and all(len(r) == 120 for r in records[:-1])
    kinds = [r[0] for r in records[:-1]]
    assert kinds == ["1", "2", "9", "3", "8"]
    assert records[1][1:23] == transfer.worker.cbu
    assert records[2][1:8] == "0000001" and records[2][8:25] == f"{6400000:017d}"
    order = records[3]
    line = BatchItem.objects.get(installment__enrollment=order_of)
    assert order[1:9] == order_of.worker.dni
    assert order[9:20] == order_of.worker.cuil
    assert order[20:50].rstrip() == line.name[:30].rstrip()
    assert int(order[50:65]) == 6400000
    assert order[65:85] == line.reference
    assert order[85:93] == "20260511" and order[93:101] == "20260609"
    assert order[101:103] == "90" and order[103:120] == "SANTA LUCIA".ljust(17)
    assert records[4][1:8] == "0000001" and int(records[4][8:25]) == 6400000


# --- the bank's return -------------------------------------------------------------------------


def returned(batch, status="COBRADA", reason=""):
    lines = [f"D;{i.reference};{i.cuil};{i.amount};{status};{reason}" for i in batch.items.order_by("reference")]
    content = "\n".join([f"H;B{batch.pk:06d};{batch.month:%Y%m}", *lines, f"T;{len(lines)};0"]) + "\n"
    return content.encode()


def test_a_collected_order_is_paid_and_can_never_be_batched_again(approved, officer, second_officer):
    enrollment = without_cbu(approved, 31_000_003)
    batch, _file = exported(officer, second_officer)
    record = returns.reconcile_batch(batch=batch, content=returned(batch), filename="r.csv", by=officer)
    assert (record.paid_count, record.expired_count) == (1, 0)
    installment = enrollment.installments.get(number=1)
    assert installment.status == I.PAID
    line = batch.items.get()
    june = build(officer, JUNE, D(2026, 6, 10))
    assert not june.items.filter(installment=installment).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchItem.objects.create(
            batch=june,
            installment=installment,
            province_id=line.province_id,
            reference="B999999C000000000001",
            method="pickup",
            cbu="",
            cuil=line.cuil,
            name=line.name,
            amount=line.amount,
            pickup_day=D(2026, 6, 10),
            pickup_until=D(2026, 7, 10),
        )


def test_an_expired_order_is_reissued_once_with_a_new_day_and_held_after_a_second_expiry(
    approved, officer, second_officer
):
    enrollment = without_cbu(approved, 31_000_005)
    may, _file = exported(officer, second_officer)
    record = returns.reconcile_batch(batch=may, content=returned(may, "VENCIDA"), filename="r.csv", by=officer)
    assert (record.paid_count, record.rejected_count, record.expired_count) == (0, 0, 1)
    first = enrollment.installments.get(number=1)
    assert first.status == I.DUE and first.bank_reason == "Orden de cobro por ventanilla vencida sin cobrarse"
    may_line = may.items.get()
    assert may_line.outcome == BatchItem.Outcome.EXPIRED and may_line.released_at is not None

    # re-issued in June's batch, on June's calendar (DNI ending in 5: third day)
    june, _file = exported(officer, second_officer, JUNE, D(2026, 6, 10))
    again = june.items.get(installment=first)
    assert again.method == BatchItem.Method.PICKUP and again.pickup_day == D(2026, 6, 12)
    assert june.items.count() == 2  # the re-issue and June's own installment
    record = returns.reconcile_batch(
        batch=june,
        content=returned(june, "VENCIDA", "No se presentó"),
        filename="r2.csv",
        by=officer,
    )
    assert record.expired_count == 2
    first.refresh_from_db()
    assert first.status == I.HELD
    assert first.hold_reason == pickup.HOLD_PICKUP_EXPIRED_TWICE and first.bank_reason == "No se presentó"
    second = enrollment.installments.get(number=2)
    assert second.status == I.DUE  # its first expiry: re-issued once more

    july = build(officer, JULY, D(2026, 7, 10))
    assert not july.items.filter(installment=first).exists()
    assert july.items.filter(installment=second).exists()


def test_only_a_pickup_order_expires(approved, officer, second_officer):
    enrollment = approved()
    batch, _file = exported(officer, second_officer)
    record = returns.reconcile_batch(batch=batch, content=returned(batch, "VENCIDA"), filename="r.csv", by=officer)
    assert record.expired_count == 0 and len(record.problems) == 1
    assert "no vence" in record.problems[0]["problem"]
    assert enrollment.installments.get(number=1).status == I.IN_BATCH
    assert batch.items.get().outcome == BatchItem.Outcome.PENDING


def test_a_worker_who_gains_a_cbu_goes_back_to_transfer(approved, officer, second_officer):
    enrollment = without_cbu(approved, 31_000_009)
    may, _file = exported(officer, second_officer)
    returns.reconcile_batch(batch=may, content=returned(may, "VENCIDA"), filename="r.csv", by=officer)
    Worker.objects.filter(pk=enrollment.worker_id).update(cbu=make_cbu(4242))
    june = build(officer, JUNE, D(2026, 6, 10))
    lines = list(june.items.order_by("installment__number"))
    assert [line.method for line in lines] == [BatchItem.Method.TRANSFER] * 2
    assert lines[0].installment.number == 1 and lines[0].cbu == make_cbu(4242)


def test_a_hold_after_two_expiries_is_released_into_a_transfer_once_the_worker_has_a_cbu(approved, officer):
    enrollment = without_cbu(approved, 31_000_010)
    Installment.objects.filter(enrollment=enrollment, number=1).update(
        status=I.HELD, hold_reason=pickup.HOLD_PICKUP_EXPIRED_TWICE
    )
    still = build(officer)  # no CBU yet: stays held
    assert still.item_count == 0
    assert enrollment.installments.get(number=1).status == I.HELD
    Worker.objects.filter(pk=enrollment.worker_id).update(cbu=make_cbu(4343))
    june = build(officer, JUNE, D(2026, 6, 10))
    first = june.items.get(installment__number=1)
    assert first.method == BatchItem.Method.TRANSFER


# --- the pages ----------------------------------------------------------------------------------


def test_the_batch_and_payment_pages_show_the_pickup_day_to_payments_officers_only(
    client, approved, officer, second_officer
):
    from django.urls import reverse

    from provinces.roles import Role
    from tests.factories import OrganisationFactory, make_user, province
    from tests.twofactor import sign_in

    enrollment = without_cbu(approved, 31_000_003)  # DNI ending in 3: second day, Tuesday 12/05/2026
    batch = build(officer)
    sign_in(client, verified(second_officer))
    page = client.get(reverse("payments:batch_detail", args=[batch.pk])).content.decode()
    assert "Ventanilla desde el 12/05/2026" in page
    page = client.get(reverse("payments:worker_payments", args=[enrollment.worker_id])).content.decode()
    assert "sin CBU: cobra por ventanilla en Banco Nación con su DNI" in page
    assert "ventanilla del 12/05/2026 al 10/06/2026" in page  # 25/05 is a holiday
    mendoza = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Mendoza")))
    sign_in(client, mendoza)
    assert client.get(reverse("payments:worker_payments", args=[enrollment.worker_id])).status_code == 404
