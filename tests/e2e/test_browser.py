"""What people do in the browser, per role, including what each role is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from enrollment.identity import normalise_name
from enrollment.models import Enrollment
from provinces.models import Agreement, Cycle
from provinces.roles import Role
from tests.e2e.conftest import login
from tests.factories import (
    AgreementFactory,
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    crop,
    make_user,
    province,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def programme():
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    tuc_office = OrganisationFactory(name="Secretaría de Empleo Tucumán", province=tucuman)
    mza_office = OrganisationFactory(name="Subsecretaría de Trabajo Mendoza", province=mendoza)
    union = OrganisationFactory(name="UATRE Tucumán", kind="union", province=tucuman)
    tuc_cycle = CycleFactory(agreement=AgreementFactory(province=tucuman, number="CONV-TUC"), name="Zafra Tucumán")
    mza_cycle = CycleFactory(
        agreement=AgreementFactory(province=mendoza, number="CONV-MZA"), crop=crop("vid"), name="Vendimia"
    )
    gonzalez = WorkerFactory(
        last_name="González",
        first_name="María Inés",
        last_name_norm=normalise_name("González"),
        first_name_norm=normalise_name("María Inés"),
        registered_by=tuc_office,
    )
    EnrollmentFactory(worker=gonzalez, cycle=tuc_cycle, status=Enrollment.Status.APPROVED)
    EnrollmentFactory(cycle=tuc_cycle, worker__registered_by=union, status=Enrollment.Status.SUBMITTED)
    EnrollmentFactory(cycle=mza_cycle, worker__registered_by=mza_office, status=Enrollment.Status.APPROVED)
    users = {
        Role.MINISTRY_REVIEWER: make_user(Role.MINISTRY_REVIEWER, username="revisora"),
        Role.PAYMENTS_OFFICER: make_user(Role.PAYMENTS_OFFICER, username="pagos"),
        Role.AUDITOR: make_user(Role.AUDITOR, username="auditora"),
        Role.PROVINCIAL_OFFICER: make_user(Role.PROVINCIAL_OFFICER, tuc_office, username="tucuman"),
        Role.UNION_OFFICER: make_user(Role.UNION_OFFICER, union, username="uatre"),
    }
    return {"users": users, "gonzalez": gonzalez, "mza_agreement": mza_cycle.agreement}


# Menu entries each role must see, and ones it must not.
NAVIGATION = {
    "revisora": (["Convenios", "Inscripciones", "Auditoría", "Tablero", "Buscar", "Informes"], []),
    "pagos": (["Convenios", "Inscripciones", "Tablero", "Buscar", "Informes"], ["Auditoría"]),
    "auditora": (["Auditoría", "Tablero", "Informes"], []),
    "tucuman": (["Trabajadores", "Inscripciones", "Tablero", "Buscar"], ["Auditoría"]),
    "uatre": (["Trabajadores", "Tablero", "Buscar"], ["Auditoría"]),
}


@pytest.mark.parametrize("username", list(NAVIGATION))
def test_each_role_logs_in_navigates_its_menu_and_sees_its_dashboard(page, programme, username):
    login(page, username)
    nav = page.get_by_role("navigation", name="Navegación principal")
    present, absent = NAVIGATION[username]
    for label in present:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    for label in absent:
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)
    nav.get_by_role("link", name="Tablero", exact=True).click()
    expect(page.get_by_role("heading", name="Tablero", level=1)).to_be_visible()
    # The vendored Chart.js drew the status chart (no network is needed).
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('#enrollments_by_status canvas'))"
    )
    # Following a figure opens the list with exactly that many rows.
    figure = page.locator("#enrollments_by_status tbody tr").first
    value = int(figure.locator("td").inner_text().replace(".", ""))
    figure.locator("th a").click()
    expect(page.locator("p.count")).to_have_attribute("data-count", str(value))
    page.get_by_role("button", name="Salir").click()
    expect(page.get_by_role("heading", name="Ingresar")).to_be_visible()


def test_provincial_officer_sees_only_its_province_on_the_dashboard(page, programme):
    login(page, "tucuman")
    page.goto(page.base_url + "/tablero/")
    section = page.locator("#enrollments_by_province")
    expect(section).to_contain_text("Tucumán")
    expect(section).not_to_contain_text("Mendoza")


def test_reviewer_creates_an_agreement_and_a_cycle(page, programme):
    login(page, "revisora")
    page.goto(page.base_url + "/convenios/nuevo/")
    page.get_by_label("Provincia").select_option(label="Salta")
    page.get_by_label("Número de convenio").fill("CONV-2026-SAL-01")
    page.get_by_label("Denominación").fill("Convenio Interzafra Salta 2026")
    page.get_by_label("Inicio de vigencia").fill("2026-01-01")
    page.get_by_label("Fin de vigencia").fill("2026-12-31")
    page.get_by_label("Presupuesto (ARS)").fill("350000000.50")
    page.get_by_label("Estado").select_option(label="Vigente")
    page.locator("#id_quotas-0-crop").select_option(label="Tabaco")
    page.locator("#id_quotas-0-quota").fill("3000")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Convenio CONV-2026-SAL-01 guardado.")).to_be_visible()
    expect(page.get_by_text("350.000.000,50")).to_be_visible()  # es-AR money
    agreement = Agreement.objects.get(number="CONV-2026-SAL-01")

    page.goto(page.base_url + f"/periodos/nuevo/?agreement={agreement.pk}")
    page.get_by_label("Actividad").select_option(label="Tabaco")
    page.get_by_label("Denominación").fill("Interzafra tabaco Salta 2026")
    page.get_by_label("Primer mes").fill("2026-06")
    page.get_by_label("Cantidad de meses").fill("3")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Período Interzafra tabaco Salta 2026 guardado.")).to_be_visible()
    cycle = Cycle.objects.get(name="Interzafra tabaco Salta 2026")
    assert (cycle.agreement_id, cycle.months, cycle.first_month.isoformat()) == (agreement.pk, 3, "2026-06-01")


def test_provincial_officer_is_refused_the_agreement_form_and_other_provinces_agreement(page, programme):
    login(page, "tucuman")
    response = page.goto(page.base_url + "/convenios/nuevo/")
    assert response.status == 403
    response = page.goto(page.base_url + f"/convenios/{programme['mza_agreement'].pk}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("CONV-MZA")


def test_union_officer_is_refused_other_workers_page(page, programme):
    login(page, "uatre")
    response = page.goto(page.base_url + f"/trabajadores/{programme['gonzalez'].pk}/legajo/")
    assert response.status == 404


def test_switching_the_language_to_english(page, programme):
    login(page, "revisora")
    page.get_by_label("Idioma").select_option("en")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Agreements", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Dashboard", exact=True)).to_be_visible()
    nav.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_text("Enrollments by status")).to_be_visible()


def test_search_finds_a_worker_typed_without_accents_and_with_a_typo(page, programme):
    login(page, "tucuman")
    page.get_by_role("navigation", name="Navegación principal").get_by_role("link", name="Buscar").click()
    search = page.get_by_label("CUIL, DNI o apellido y nombre")
    search.fill("gonzales maria")
    search.press("Enter")
    result = page.get_by_role("link", name=re.compile("González, María Inés"))
    expect(result).to_be_visible()
    result.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("González, María Inés")
    expect(page.locator("#enrollments")).to_contain_text("Zafra Tucumán")
    expect(page.locator("#enrollments")).to_contain_text("Aprobada")


def test_keyboard_only_login_skip_link_and_menu(page, programme):
    from tests.factories import PASSWORD

    page.goto(page.base_url + "/ingresar/")
    # The user field has the focus on arrival: type, Tab to the password, Enter submits.
    expect(page.get_by_label("Usuario")).to_be_focused()
    page.keyboard.type("revisora")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Contraseña")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(page.base_url + "/")
    # First Tab: the skip link; then the brand link and the menu, in reading order.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Inicio"
    # Enter on a focused menu entry follows it.
    for _ in range(6):
        page.keyboard.press("Tab")
    label = page.evaluate("() => document.activeElement.textContent.trim()")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=label, exact=True).first).to_have_attribute("aria-current", "page")
    # The skip link jumps to the content.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_officer_downloads_the_beneficiaries_of_a_cycle_as_xlsx(page, programme):
    from io import BytesIO

    from openpyxl import load_workbook

    login(page, "tucuman")
    page.goto(page.base_url + "/informes/")
    page.get_by_label("Período interzafra").select_option(label="Zafra Tucumán (Tucumán)")
    page.get_by_label("XLSX (Excel)").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Descargar").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    rows = list(load_workbook(BytesIO(Path(download.path()).read_bytes())).active.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == ["González"]  # the approved beneficiary; the submitted one is not


def test_large_report_shows_progress_then_a_download_link(page, programme, settings, tmp_path):
    settings.REPORTS_INLINE_MAX_ROWS = 0  # every report goes through Celery (eager here)
    settings.MEDIA_ROOT = tmp_path
    login(page, "revisora")
    page.goto(page.base_url + "/informes/")
    page.get_by_label("Período interzafra").select_option(label="Vendimia (Mendoza)")
    page.get_by_label("CSV").check()
    page.get_by_role("button", name="Descargar").click()
    expect(page.get_by_role("status")).to_contain_text("Listo")
    expect(page.locator("progress")).to_have_attribute("value", "100")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Descargar")).click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert len(text.strip().splitlines()) == 2  # header + the approved Mendoza worker


# (user, URL, status): each role is refused what it may not do, and sees nothing out of scope.
REFUSALS = [
    ("pagos", "/convenios/nuevo/", 403),
    ("auditora", "/periodos/nuevo/", 403),
    ("auditora", "/organizaciones/nueva/", 403),
    ("uatre", "/auditoria/", 403),
    ("tucuman", "/auditoria/", 403),
    ("uatre", "/convenios/nuevo/", 403),
]


@pytest.mark.parametrize(("username", "path", "status"), REFUSALS)
def test_each_role_is_refused_what_it_may_not_do(page, programme, username, path, status):
    login(page, username)
    response = page.goto(page.base_url + path)
    assert response.status == status
    expect(page.get_by_role("heading", level=1)).to_be_visible()  # a proper error page, not a blank one


def test_officer_uploads_a_survey_list_and_confirms_it_and_the_dashboard_counts_it(page, programme, tmp_path):
    from tests.enrollment.survey_files import csv_bytes, row

    survey = tmp_path / "padron.csv"
    survey.write_bytes(csv_bytes([row(1), row(2), row(3, cbu="999")]))
    login(page, "tucuman")
    page.goto(page.base_url + "/tablero/")
    before = int(page.locator("#enrollments_by_status tfoot td").inner_text().replace(".", ""))
    page.goto(page.base_url + "/padrones/subir/")
    page.get_by_label("Período interzafra").select_option(label="Zafra Tucumán (Tucumán)")
    page.get_by_label("Padrón (CSV o XLSX)").set_input_files(str(survey))
    page.get_by_role("button", name="Subir y analizar").click()
    expect(page.get_by_role("button", name="Confirmar e inscribir")).to_be_visible()
    page.get_by_role("button", name="Confirmar e inscribir").click()
    expect(page.locator("#import-status")).to_contain_text("Inscripciones creadas")
    page.goto(page.base_url + "/tablero/")
    expect(page.locator("#enrollments_by_status tfoot td")).to_have_text(str(before + 2))
    # The new workers are found by name, typed without accents.
    page.goto(page.base_url + "/buscar/?q=nunez jose 1")
    expect(page.get_by_role("link", name=re.compile("Núñez, José 1"))).to_be_visible()


def test_reviewer_approves_from_the_review_queue_and_the_worker_page_tells_it(page, programme):
    pending = EnrollmentFactory(
        cycle=Cycle.objects.get(name="Zafra Tucumán"),
        worker__last_name="Chocobar",
        worker__last_name_norm="CHOCOBAR",
        worker__first_name="Ramona",
        worker__first_name_norm="RAMONA",
        status=Enrollment.Status.PENDING_REVIEW,
    )
    login(page, "revisora")
    page.goto(page.base_url + "/revision/")
    page.get_by_label("Chocobar, Ramona").check()
    page.get_by_label("Decisión").select_option("approve")
    page.get_by_role("button", name="Aplicar a las marcadas").click()
    expect(page.get_by_text("1 inscripciones aprobadas.")).to_be_visible()
    page.goto(page.base_url + f"/trabajadores/{pending.worker_id}/legajo/")
    expect(page.locator("#enrollments")).to_contain_text("Aprobada")
    expect(page.locator("#history")).to_contain_text("pending_review → approved")
