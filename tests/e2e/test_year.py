"""A beneficiary's year, end to end: a reviewer approves her in the browser and the page says how
many months she is entitled to and why; each month is paid in the next month's batch (built by
one payments officer, approved by another, exported, reconciled from the bank's return); she has
no CBU, so she collects by branch-pickup order on her DNI's day, which her worker page shows; the
first paid month makes her enrollment active; a reviewer suspends her with a coded cause and
reinstates her in the browser, stating which passed months are owed; the owed months go together
in one later batch, the month not owed is never paid, and the last return completes her
enrollment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase
from playwright.sync_api import expect

from enrollment.models import Enrollment
from payments import bank_files, batches, returns
from payments.models import BatchItem, Installment, PaymentBatch
from provinces.roles import Role
from tests.e2e.conftest import login
from tests.e2e.test_voice import no_axe_violations
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    agrarian_history,
    make_cuil,
    make_user,
    province,
)
from tests.twofactor import verified

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JUL, AUG, SEP, OCT, NOV = (dt.date(2026, m, 1) for m in (7, 8, 9, 10, 11))
I = Installment.Status  # noqa: E741


@pytest.fixture
def year():
    office = OrganisationFactory(name="Secretaría de Empleo Tucumán", province=province("Tucumán"))
    people = {
        "revisora": make_user(Role.MINISTRY_REVIEWER, username="revisora"),
        "pagos": make_user(Role.PAYMENTS_OFFICER, username="pagos"),
        "pagos2": make_user(Role.PAYMENTS_OFFICER, username="pagos2"),
        "tucuman": make_user(Role.PROVINCIAL_OFFICER, office, username="tucuman"),
    }
    enrollment = EnrollmentFactory(
        cycle=CycleFactory(name="Zafra Tucumán 2026", first_month=JUL, months=4),
        worker__cuil=make_cuil(30_456_784, prefix="27"),
        worker__last_name="Chocobar",
        worker__first_name="Ramona",
        worker__cbu="",
        worker__locality="Famaillá",
        worker__registered_by=office,
        organisation=office,
        status=Enrollment.Status.PENDING_REVIEW,
    )
    # Eight months of registered agrarian pay before the period: the table pays four months.
    agrarian_history(enrollment.worker, before=JUL, months=8)
    return enrollment, people


def send_month(month: dt.date, people: dict) -> PaymentBatch:
    """The batch of ``month``: built by one officer, approved by another, exported to the bank."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batches.request_batch(month=month, by=people["pagos"])
    batch = batches.approve_batch(batch=PaymentBatch.objects.get(pk=batch.pk), by=verified(people["pagos2"]))
    bank_files.export_bank_file(batch=batch, fmt="csv", by=people["pagos"])
    return PaymentBatch.objects.get(pk=batch.pk)


def collect(batch: PaymentBatch, people: dict) -> PaymentBatch:
    """The bank's return applied: every pickup order collected, every transfer credited."""
    items = list(batch.items.order_by("reference"))
    lines = [
        f"D;{i.reference};{i.cuil};{i.amount};{'COBRADA' if i.method == BatchItem.Method.PICKUP else 'ACREDITADA'};"
        for i in items
    ]
    content = "\n".join([f"H;B{batch.pk:06d};{batch.month:%Y%m}", *lines, f"T;{len(lines)};0"]) + "\n"
    record = returns.reconcile_batch(
        batch=batch, content=content.encode(), filename=f"r{batch.pk}.csv", by=people["pagos"]
    )
    assert record.accepted and record.paid_count == len(items), record.problems
    return batch


def test_a_worker_is_approved_paid_by_pickup_suspended_reinstated_and_completed(page, browser, live_server, year):
    enrollment, people = year
    installments = Installment.objects.filter(enrollment=enrollment)

    # Approval in the browser; the page says how many months and why.
    login(page, "revisora")
    page.goto(page.base_url + f"/inscripciones/{enrollment.pk}/")
    page.get_by_label("Decisión").select_option("approve")
    page.get_by_role("button", name="Registrar decisión").click()
    expect(page.locator("main")).to_contain_text("Aprobada")
    expect(page.locator("main")).to_contain_text("4 meses")
    assert sorted(installments.values_list("month", flat=True)) == [JUL, AUG, SEP, OCT]

    # July is paid in August's batch (a month in arrears), by a pickup order on her DNI's day,
    # which her worker page shows to the office that registered her.
    august = send_month(AUG, people)
    order = august.items.get()
    assert order.method == BatchItem.Method.PICKUP and order.installment.month == JUL
    officer = browser.new_context(locale="es-AR", viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    officer.base_url = live_server.url
    login(officer, "tucuman")
    officer.goto(officer.base_url + f"/trabajadores/{enrollment.worker_id}/legajo/")
    expect(officer.locator("main")).to_contain_text(
        f"Cobro por ventanilla en Banco Nación desde el {order.pickup_day:%d/%m/%Y} con su DNI"
    )
    no_axe_violations(officer)
    collect(august, people)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    officer.reload()
    expect(officer.locator("#enrollments")).to_contain_text("Activa")

    # A reviewer suspends her for an incompatible benefit: the unpaid months are cancelled.
    page.goto(page.base_url + f"/inscripciones/{enrollment.pk}/")
    page.get_by_label("Causa de la suspensión").select_option(label="Beneficio incompatible")
    page.get_by_label("Nota").fill("Figura en el padrón de pensiones no contributivas.")
    page.get_by_role("button", name="Suspender", exact=True).click()
    expect(page.locator("#suspension-cause")).to_contain_text("Beneficio incompatible")
    assert not installments.filter(status__in=[I.DUE, I.HELD]).exists()

    # The pension was another person's: reinstated, August and September stated as owed,
    # October not (she worked that month).
    page.get_by_label("Por qué se rehabilita").fill("La pensión es de otra persona con el mismo apellido.")
    page.get_by_label("08/2026").check()
    page.get_by_label("09/2026").check()
    page.get_by_label("Por qué se adeudan esos meses").fill("No cobraba la pensión en agosto ni en septiembre.")
    page.get_by_role("button", name="Rehabilitar", exact=True).click()
    expect(page.get_by_text("Inscripción rehabilitada")).to_be_visible()
    expect(page.locator("#suspensions")).to_contain_text("08/2026")
    no_axe_violations(page)
    live = installments.exclude(status=I.CANCELLED)
    assert sorted(live.values_list("month", flat=True)) == [JUL, AUG, SEP]

    # The two owed months go together in October's batch; the last return completes her enrollment.
    october = collect(send_month(OCT, people), people)
    assert sorted(october.items.values_list("installment__month", flat=True)) == [AUG, SEP]
    assert sorted(installments.filter(status=I.PAID).values_list("month", flat=True)) == [JUL, AUG, SEP]
    assert not installments.filter(month=OCT).exclude(status=I.CANCELLED).exists()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    page.goto(page.base_url + f"/inscripciones/{enrollment.pk}/")
    expect(page.locator("main")).to_contain_text("Finalizada")
    no_axe_violations(page)
