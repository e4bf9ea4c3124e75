"""Lists that find and pages that tell the whole story, in the browser: the CUIL filter and the
export, the installments' month picker, the review queue at 1,366 px with select-all and alerts,
a decided enrollment without a decision form, the batch page with its lines, months, held
installments and reasons, the payment history on the worker's and the enrollment's pages, and
the audit trail in words."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from enrollment.models import Enrollment
from provinces.models import Cycle
from provinces.roles import Role
from tests.e2e.conftest import login, menu
from tests.e2e.test_browser import approved_beneficiaries, programme  # noqa: F401 - the browser tests' world
from tests.e2e.test_voice import no_axe_violations
from tests.factories import CycleFactory, EnrollmentFactory, OrganisationFactory, WorkerFactory, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(programme):  # noqa: F811 - the fixture imported above
    return programme


CUIL = re.compile(r"^CUIL:?$")


def test_officer_finds_a_worker_by_cuil_however_typed_and_exports_only_her_rows(page, world):
    gonzalez = world["gonzalez"]
    vendimia = Cycle.objects.get(name="Vendimia")
    mendoza = WorkerFactory(
        province=vendimia.agreement.province, registered_by=OrganisationFactory(province=vendimia.agreement.province)
    )
    EnrollmentFactory(worker=mendoza, cycle=vendimia, organisation=mendoza.registered_by)
    login(page, "tucuman")
    menu(page, "Trabajadores").click()
    cuil = page.get_by_label(CUIL)
    cuil.fill(gonzalez.cuil_display)
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("p.count")).to_have_text("1 trabajador/a")
    expect(page.locator("main table")).to_contain_text("González, María Inés")
    page.get_by_label(CUIL).fill(gonzalez.cuil[2:6])
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("main table")).to_contain_text("González, María Inés")
    page.get_by_label(CUIL).fill("veinte")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.get_by_role("alert")).to_contain_text("Revise los filtros")
    expect(page.get_by_text("Escriba el CUIL con números")).to_be_visible()
    expect(page.locator("p.count")).to_have_attribute("data-count", "0")

    page.goto(page.base_url + "/trabajadores/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel (XLSX)").click()
    assert download_info.value.suggested_filename == "trabajadores.xlsx"
    sheet = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes())).active
    rows = list(sheet.values)
    assert rows[0][0] == "CUIL"
    cuils = {row[0] for row in rows[1:]}
    assert gonzalez.cuil_display in cuils and mendoza.cuil_display not in cuils
    no_axe_violations(page)


def test_installments_have_a_month_picker_a_cuil_filter_and_state_checkboxes(page, world):
    cycle = Cycle.objects.get(name="Zafra Tucumán")
    first = approved_beneficiaries(cycle, world["gonzalez"].registered_by, 2)[0]
    login(page, "pagos")
    page.goto(page.base_url + "/pagos/cuotas/")
    month = page.get_by_label(re.compile(r"^Mes:?$"))
    assert month.get_attribute("type") == "month"
    page.get_by_label(CUIL).fill(first.worker.cuil_display)
    page.get_by_role("checkbox", name="Programada").check()
    page.get_by_role("button", name="Filtrar").click()
    count = first.installments.filter(status="due").count()
    expect(page.locator("p.count")).to_have_attribute("data-count", str(count))
    expect(page.locator("main table tbody tr")).to_have_count(count)
    no_axe_violations(page)


def test_review_queue_fits_1366_px_selects_all_counts_alerts_and_a_decided_enrollment_has_no_form(browser, live_server):
    from tests.e2e.test_browser import flagged_enrollment

    context = browser.new_context(locale="es-AR", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    try:
        make_user(Role.MINISTRY_REVIEWER, username="revisora")
        cycle = CycleFactory(name="Un período con un nombre bastante largo para la tabla de revisión")
        pending = [
            EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW, worker__last_name=f"Ruiz{i}")
            for i in range(3)
        ]
        flagged = flagged_enrollment(
            cycle=cycle,
            dni=30111222,
            last="Acosta",
            first="Miguel",
            registry_row=",30111222,Acosta,Miguel,1985-04-09,2026-01,2027-12",
            registered_by=pending[0].organisation,
        )
        decided = EnrollmentFactory(cycle=cycle, status=Enrollment.Status.APPROVED)
        login(page, "revisora")
        page.goto(page.base_url + "/revision/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        expect(page.get_by_role("button", name="Filtrar")).to_be_in_viewport()
        row = page.locator("main table.queue tbody tr", has_text="Acosta")
        expect(row.locator("td.alerts")).to_have_text(re.compile(r"^\d+ sin resolver$"))
        expect(page.locator("main table.queue tbody tr", has_text="Ruiz0").locator("td.alerts")).to_have_text("Ninguna")
        page.get_by_label("Marcar todas las de esta página").check()
        boxes = page.locator('main table.queue tbody input[name="enrollments"]')
        assert boxes.count() == 4
        for index in range(boxes.count()):
            expect(boxes.nth(index)).to_be_checked()
        page.get_by_label("Marcar todas las de esta página").uncheck()
        expect(boxes.first).not_to_be_checked()
        no_axe_violations(page)

        page.goto(page.base_url + f"/inscripciones/{decided.pk}/")
        expect(page.get_by_role("heading", name="Decidir")).to_have_count(0)
        expect(page.get_by_role("button", name="Registrar decisión")).to_have_count(0)

        page.goto(page.base_url + f"/inscripciones/{flagged.pk}/")
        page.get_by_label("Decisión").select_option(label="Aprobar")
        page.get_by_role("button", name="Registrar decisión").click()
        errors = page.locator("main .errors, main .errorlist")
        expect(errors.first).to_be_visible()
        text = page.locator("main").inner_text()
        first_error = errors.first.inner_text().strip()
        assert text.count(first_error) == 1, first_error
    finally:
        context.close()


def test_batch_page_lists_lines_months_and_held_installments_with_their_reasons(page, world):
    from payments.cbu_holds import HOLD_SHARED_CBU
    from payments.models import PaymentBatch

    cycle = Cycle.objects.get(name="Zafra Tucumán")
    office = world["gonzalez"].registered_by
    approved_beneficiaries(cycle, office, 2)
    # two workers on file with one CBU: their installments wait until a reviewer resolves it
    sharing = [e.worker for e in approved_beneficiaries(cycle, office, 2)]
    type(sharing[0]).objects.filter(pk=sharing[1].pk).update(cbu=sharing[0].cbu)
    make_user(Role.PAYMENTS_OFFICER, username="pagos2", first_name="Pablo", last_name="Segundo")

    login(page, "pagos")
    menu(page, "Pagos").click()
    page.get_by_label(re.compile(r"^Mes:?$")).fill("2026-06")
    page.get_by_role("button", name="Armar el lote del mes").click()
    expect(page.locator("#batch-progress")).to_contain_text(re.compile(r"Estado: Armado\b"))
    batch = PaymentBatch.objects.get()
    assert batch.item_count > 0
    lines = page.locator("h2:text-is('Transferencias') + .table-scroll table tbody tr")
    expect(lines).to_have_count(batch.item_count)  # the lines show without reloading
    header = page.locator("h2:text-is('Transferencias') + .table-scroll table thead")
    expect(header).to_contain_text("Mes")
    expect(header).to_contain_text("Cuota n.º")
    held = page.locator("table.held tbody")
    expect(held).to_contain_text(sharing[0].cuil_display)
    expect(held).to_contain_text(sharing[1].cuil_display)
    expect(held).to_contain_text(HOLD_SHARED_CBU)
    expect(page.get_by_role("button", name="Aprobar (segunda firma)")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Lote Lote")
    built = page.locator("dt:text-is('Armado por') + dd")
    expect(built).to_contain_text(re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d"))
    no_axe_violations(page)
    page.get_by_role("button", name="Salir").click()

    login(page, "pagos2")
    page.goto(page.base_url + f"/pagos/lotes/{batch.pk}/")
    page.get_by_role("button", name="Aprobar (segunda firma)").click()
    expect(page.locator("dt:text-is('Aprobado por') + dd")).to_contain_text("Pablo Segundo")


def test_worker_and_enrollment_pages_show_payments_and_the_history_in_words(page, world):
    from payments.models import Installment

    cycle = Cycle.objects.get(name="Zafra Tucumán")
    enrollment = approved_beneficiaries(cycle, world["gonzalez"].registered_by, 1)[0]
    installments = list(Installment.objects.filter(enrollment=enrollment).order_by("month"))
    assert installments

    login(page, "auditora")
    page.goto(page.base_url + f"/trabajadores/{enrollment.worker_id}/")
    table = page.locator("table.payments")
    expect(table.locator("tbody tr")).to_have_count(len(installments))
    expect(table).to_contain_text(installments[0].month.strftime("%m/%Y"))
    amount = f"{installments[0].amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    expect(table).to_contain_text(amount)
    page.goto(page.base_url + f"/inscripciones/{enrollment.pk}/")
    expect(page.locator("table.payments tbody tr")).to_have_count(len(installments))
    page.get_by_role("link", name="Historial de cambios").click()
    history = page.locator("table.audit")
    expect(history).to_contain_text("Pendiente de revisión → Aprobada")
    expect(history).not_to_contain_text("pending_review")
    expect(history.locator("tbody tr td").first).to_have_text(re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$"))
    no_axe_violations(page)

    page.goto(page.base_url + "/auditoria/")
    page.get_by_label(re.compile(r"^Qué:?$")).select_option(label="Inscripciones")
    page.get_by_role("button", name="Filtrar").click()
    expect(page.locator("table.audit")).to_contain_text("Inscripción: ")
    expect(page.locator("table.audit")).not_to_contain_text("enrollment.Enrollment")
    assert Decimal(installments[0].amount) > 0
