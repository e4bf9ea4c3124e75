"""What people do in the browser, per role, including what each role is refused."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from enrollment.identity import normalise_name
from enrollment.models import Enrollment
from provinces.models import Agreement, Cycle, Organisation
from provinces.roles import Role
from tests.e2e.conftest import authenticator, login, menu
from tests.factories import (
    AgreementFactory,
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    agrarian_history,
    crop,
    eligible_history,
    make_cuil,
    make_user,
    province,
)
from tests.twofactor import current_code, verified

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
        expect(menu(page, label)).to_be_visible()
    for label in absent:
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)
    menu(page, "Tablero").click()
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


def test_switching_the_language_to_english(page, programme):
    login(page, "revisora")
    page.get_by_label("Idioma").select_option("en")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(menu(page, "Agreements", navigation="Main navigation")).to_be_visible()
    expect(menu(page, "Dashboard", navigation="Main navigation")).to_be_visible()
    menu(page, "Dashboard", navigation="Main navigation").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_text("Enrollments by status")).to_be_visible()


def test_search_finds_a_worker_typed_without_accents_and_with_a_typo(page, programme):
    login(page, "tucuman")
    menu(page, "Buscar").click()
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
    device = authenticator("revisora")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # A ministry user then types the authenticator's code: the field has the focus, Enter submits.
    page.wait_for_url(re.compile(r".*/dos-pasos/verificar/.*"))
    expect(page.get_by_label("Código")).to_be_focused()
    page.keyboard.type(current_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url(page.base_url + "/")
    # First Tab: the skip link; then the brand link and the menu, in reading order.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Inicio"
    # The next stop is the first group's name: Enter opens it, Escape closes it again.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Inscripción"
    page.keyboard.press("Enter")
    expect(page.locator("details.menu-group").first).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(page.locator("details.menu-group[open]")).to_have_count(0)
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Inscripción"
    # Space opens it too; Tab reaches its first entry and Enter follows it.
    page.keyboard.press(" ")
    page.keyboard.press("Tab")
    label = page.evaluate("() => document.activeElement.textContent.trim()")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    current = page.get_by_role("navigation", name="Navegación principal").locator("a[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_text(label)
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
    report = page.get_by_role("region", name="Beneficiarios por período")
    report.get_by_label("Período interzafra").select_option(label="Zafra Tucumán (Tucumán)")
    report.get_by_label("XLSX (Excel)").check()
    with page.expect_download() as download_info:
        report.get_by_role("button", name="Descargar").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    rows = list(load_workbook(BytesIO(Path(download.path()).read_bytes())).active.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == ["González"]  # the approved beneficiary; the submitted one is not


def test_large_report_shows_progress_then_a_download_link(page, programme, settings, tmp_path):
    settings.REPORTS_INLINE_MAX_ROWS = 0  # every report goes through Celery (eager here)
    settings.MEDIA_ROOT = tmp_path
    login(page, "revisora")
    page.goto(page.base_url + "/informes/")
    report = page.get_by_role("region", name="Beneficiarios por período")
    report.get_by_label("Período interzafra").select_option(label="Vendimia (Mendoza)")
    report.get_by_label("CSV").check()
    report.get_by_role("button", name="Descargar").click()
    expect(page.get_by_role("status")).to_contain_text("Listo")
    expect(page.locator("progress")).to_have_attribute("value", "100")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Descargar")).click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert len(text.strip().splitlines()) == 2  # header + the approved Mendoza worker


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
    expect(page.get_by_text("1 inscripción aprobada.")).to_be_visible()
    page.goto(page.base_url + f"/trabajadores/{pending.worker_id}/legajo/")
    expect(page.locator("#enrollments")).to_contain_text("Aprobada")
    expect(page.locator("#history")).to_contain_text("Pendiente de revisión → Aprobada")


# --- screening flags -----------------------------------------------------------------------------


def flagged_enrollment(*, cycle, dni: int, last: str, first: str, registry_row: str, registered_by):
    """A submitted enrollment screened against a registry that lists the same person (a blocking flag)."""
    import io

    from enrollment.screening import services as screening
    from enrollment.screening.models import ExternalRegistry, RegistryVersion

    reviewer = make_user(Role.MINISTRY_REVIEWER)
    worker = WorkerFactory(
        cuil=make_cuil(dni),
        last_name=last,
        first_name=first,
        last_name_norm=normalise_name(last),
        first_name_norm=normalise_name(first),
        birth_date=dt.date(1985, 4, 9),
        registered_by=registered_by,
    )
    eligible_history(worker, cycle.first_month)  # SIPA data: the only finding is the registry's
    enrollment = EnrollmentFactory(worker=worker, cycle=cycle, status=Enrollment.Status.SUBMITTED)
    registry = ExternalRegistry.objects.filter(code="desempleo").first() or screening.save_registry(
        by=reviewer,
        code="desempleo",
        programme="Prestación por desempleo",
        kind=ExternalRegistry.Kind.UNEMPLOYMENT,
        is_incompatible=True,
    )
    version = RegistryVersion.objects.create(registry=registry, source_name="desempleo.csv", uploaded_by=reviewer)
    header = "cuil,dni,apellido,nombre,fecha_nacimiento,desde,hasta"
    screening.load_registry_version(version_id=version.pk, fileobj=io.BytesIO(f"{header}\n{registry_row}\n".encode()))
    screening.screen_enrollments(enrollment_ids=[enrollment.pk], by=reviewer)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.PENDING_REVIEW
    return enrollment


def open_from_review_queue(page, name: str) -> None:
    """The reviewer narrows the queue to blocking flags and opens the enrollment."""
    menu(page, "Revisión").click()
    page.get_by_label("Alertas de control").select_option(label="Con alertas que bloquean, sin resolver")
    page.get_by_role("button", name="Filtrar").click()
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def decide(page, action: str, reason: str = "") -> None:
    page.get_by_label("Decisión").select_option(label=action)
    if reason:
        page.get_by_label("Motivo").fill(reason)
    page.get_by_role("button", name="Registrar decisión").click()


def test_reviewer_resolves_a_flag_as_not_the_same_person_and_approves(page, programme):
    from enrollment.screening.models import MatchFlag, NotSamePerson

    cycle = Cycle.objects.get(name="Zafra Tucumán")
    enrollment = flagged_enrollment(
        cycle=cycle,
        dni=30111222,
        last="Acosta",
        first="Miguel Ángel",
        registry_row=",30111222,Acosta,Miguel Angel,1985-04-09,2026-01,2027-12",
        registered_by=programme["gonzalez"].registered_by,
    )
    # The same worker is also enrolled for next year's period, still to be screened.
    next_year = CycleFactory(
        agreement=AgreementFactory(
            province=cycle.agreement.province,
            number="CONV-TUC-2027",
            start_date=dt.date(2027, 1, 1),
            end_date=dt.date(2027, 12, 31),
        ),
        name="Zafra Tucumán 2027",
        first_month=dt.date(2027, 3, 1),
    )
    later = EnrollmentFactory(worker=enrollment.worker, cycle=next_year, status=Enrollment.Status.SUBMITTED)
    # The period's other workers meet the SIPA rules too, so re-screening it raises nothing of theirs.
    for other in Enrollment.objects.filter(cycle=cycle).exclude(worker=enrollment.worker).select_related("worker"):
        eligible_history(other.worker, cycle.first_month)
    login(page, "revisora")
    open_from_review_queue(page, "Acosta, Miguel Ángel")
    flags = page.locator("#flags")
    expect(flags).to_contain_text("Beneficio incompatible de otro programa")
    expect(flags).to_contain_text("Sin resolver")
    # An unresolved blocking flag: the approval is refused with a message that says why.
    decide(page, "Aprobar")
    expect(page.get_by_role("alert")).to_contain_text("alertas de control que bloquean la aprobación")
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.PENDING_REVIEW

    # The flag, side by side with the registry record it matched.
    flags.get_by_role("link", name="Beneficio incompatible de otro programa").click()
    table = page.locator("table.side-by-side")
    expect(table.locator("tr", has_text="Apellido")).to_contain_text("Acosta")
    expect(table.locator("tr", has_text="Fecha de nacimiento").locator("td").nth(0)).to_have_text("09/04/1985")
    expect(table.locator("tr", has_text="DNI")).to_contain_text("30111222")
    # The evidence, field by field: name and birth date agree, the DNI too (same DNI in the list).
    evidence = page.locator("table.evidence")
    expect(evidence.locator("tr", has_text="Fecha de nacimiento")).to_contain_text("Coincide")
    expect(evidence.locator("tr", has_text="DNI")).to_contain_text("el mismo DNI")
    page.get_by_label("No es la misma persona").check()
    page.get_by_label("Nota").fill("Otra persona: distinto CUIL y domicilio, verificado con ANSES")
    page.get_by_role("button", name="Resolver").click()
    expect(page.get_by_text("Alerta resuelta.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("verificado con ANSES")
    expect(page.get_by_role("button", name="Resolver")).to_have_count(0)

    # Screening runs again, over this period and over next year's (where the registry still
    # lists the person): the decision is remembered for the worker, nothing is raised again.
    for screened in (cycle, next_year):
        menu(page, "Controles").click()
        page.locator("#id_cycle").select_option(label=str(screened))
        page.get_by_role("button", name="Iniciar control").click()
        expect(page.locator("#run-progress")).to_contain_text("Terminado")
        expect(page.locator("#run-progress")).to_contain_text("0 alertas nuevas")
    page.get_by_role("link", name="Ver alertas").click()
    expect(page.get_by_role("heading", name="Alertas de control")).to_be_visible()
    expect(page.locator("main table")).not_to_contain_text("Acosta")
    assert [f.status for f in MatchFlag.objects.filter(enrollment=enrollment)] == [MatchFlag.Status.NOT_SAME]
    assert not MatchFlag.objects.filter(enrollment=later).exists()
    later.refresh_from_db()
    assert later.status == Enrollment.Status.PENDING_REVIEW  # it was screened
    assert NotSamePerson.objects.filter(worker=enrollment.worker).exists()

    # Now the enrollment is approved from its page.
    page.goto(page.base_url + f"/inscripciones/{enrollment.pk}/")
    expect(page.locator("#flags")).to_contain_text("No es la misma persona")
    decide(page, "Aprobar")
    expect(page.get_by_text("Decisión registrada: Aprobada.")).to_be_visible()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.APPROVED


def test_reviewer_confirms_the_same_person_and_approval_stays_refused(page, programme):
    from enrollment.screening.models import MatchFlag

    enrollment = flagged_enrollment(
        cycle=Cycle.objects.get(name="Zafra Tucumán"),
        dni=30222333,
        last="Rodríguez",
        first="Ramón",
        registry_row=f"{make_cuil(30222333)},,Rodriguez,Ramon,1985-04-09,2026-06,2026-12",
        registered_by=programme["gonzalez"].registered_by,
    )
    login(page, "revisora")
    open_from_review_queue(page, "Rodríguez, Ramón")
    page.locator("#flags").get_by_role("link").first.click()
    expect(page.locator("table.side-by-side tr", has_text="CUIL")).to_contain_text(enrollment.worker.cuil_display)
    page.get_by_label("Es la misma persona", exact=True).check()
    page.get_by_role("button", name="Resolver").click()
    # The note is required: the browser does not send the form without it.
    assert page.get_by_label("Nota").evaluate("el => el.validity.valueMissing")
    assert MatchFlag.objects.get(enrollment=enrollment).status == MatchFlag.Status.OPEN
    page.get_by_label("Nota").fill("Mismo CUIL: cobra la prestación por desempleo")
    page.get_by_role("button", name="Resolver").click()
    expect(page.get_by_text("Alerta resuelta.")).to_be_visible()
    page.get_by_role("link", name="Ir a la inscripción").click()
    expect(page.locator("#flags")).to_contain_text("Es la misma persona")
    decide(page, "Aprobar")
    expect(page.get_by_role("alert")).to_contain_text("alertas de control que bloquean la aprobación")
    decide(page, "Rechazar", "Cobra la prestación por desempleo en los mismos meses")
    expect(page.get_by_text("Decisión registrada: Rechazada.")).to_be_visible()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REJECTED


# --- payments ------------------------------------------------------------------------------------


def approved_beneficiaries(cycle, organisation, count: int) -> list[Enrollment]:
    """Approved through the service, so their monthly installments are scheduled."""
    from enrollment.services import approve_enrollment

    reviewer = make_user(Role.MINISTRY_REVIEWER)
    pending = [
        EnrollmentFactory(cycle=cycle, worker__registered_by=organisation, status=Enrollment.Status.PENDING_REVIEW)
        for _ in range(count)
    ]
    for enrollment in pending:  # eight months of agrarian pay: four months of aid
        agrarian_history(enrollment.worker, before=cycle.first_month, months=8)
    return [approve_enrollment(enrollment=enrollment, by=reviewer) for enrollment in pending]


def reload_until(page, locator, text: str, attempts: int = 20) -> None:
    """Background work (a real Celery worker) shows up on a later load of the page."""
    for _ in range(attempts):
        if text in locator.inner_text():
            return
        page.wait_for_timeout(500)
        page.reload()
    expect(locator).to_contain_text(text)


def test_payments_batch_is_built_approved_by_a_second_officer_exported_and_reconciled(page, programme):
    from payments.models import PaymentBatch

    cycle = Cycle.objects.get(name="Zafra Tucumán")
    approved_beneficiaries(cycle, programme["gonzalez"].registered_by, 3)
    make_user(Role.PAYMENTS_OFFICER, username="pagos2")

    login(page, "pagos")
    menu(page, "Pagos").click()
    page.get_by_label(re.compile(r"^Mes:?$")).fill("2026-06")  # a month in arrears: June's batch pays May
    page.get_by_role("button", name="Armar el lote del mes").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_contain_text(re.compile(r"Estado: Armado\b"))
    expect(page.get_by_text("Lote de 06/2026 — paga cuotas de 05/2026 y anteriores.")).to_be_visible()
    batch_url = page.url
    batch = PaymentBatch.objects.get()
    assert batch.item_count == 3
    # The officer who built it is not offered the approval: another officer signs second.
    expect(page.get_by_role("button", name="Aprobar (segunda firma)")).to_have_count(0)
    expect(page.get_by_text("Usted armó este lote: lo aprueba otro oficial de pagos (segunda firma).")).to_be_visible()
    expect(progress).to_contain_text(re.compile(r"Estado: Armado\b"))
    page.get_by_role("button", name="Salir").click()

    login(page, "pagos2")
    page.goto(batch_url)
    page.get_by_role("button", name="Aprobar (segunda firma)").click()
    expect(page.get_by_text("Lote aprobado.")).to_be_visible()
    page.get_by_role("button", name="Exportar CSV").click()
    # The file's link appears once the export is done (on the batch page, or on a progress page).
    link = page.get_by_role("link", name=re.compile(r"\.csv\b|Descargar")).first
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    lines = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
    header, details, trailer = lines[0].split(";"), [x.split(";") for x in lines[1:-1]], lines[-1].split(";")
    batch.refresh_from_db()
    assert header[0] == "H" and trailer[0] == "T"
    assert len(details) == int(trailer[1]) == 3
    amounts = [Decimal(d[5]) for d in details]
    assert sum(amounts) == Decimal(trailer[2]) == batch.total_amount
    assert {d[3] for d in details} == set(batch.items.values_list("cuil", flat=True))

    # The bank answers: two credited, one rejected.
    rows = [f"D;{d[1]};{d[3]};{d[5]};ACREDITADA;" for d in details[:2]]
    rows.append(f"D;{details[2][1]};{details[2][3]};{details[2][5]};RECHAZADA;CBU inexistente")
    content = "\n".join([f"H;{header[1]};{header[2]}", *rows, f"T;3;{trailer[2]}"]) + "\n"
    page.get_by_label("Archivo de respuesta del banco").set_input_files(
        files=[{"name": "respuesta.csv", "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_role("button", name="Conciliar respuesta del banco").click()
    expect(page.get_by_text("respuesta.csv recibido")).to_be_visible()
    reconciliations = page.locator("h2:text-is('Conciliaciones') + .table-scroll table")
    reload_until(page, reconciliations, "respuesta.csv")
    row = reconciliations.locator("tbody tr").first
    expect(row.locator("td").nth(2)).to_have_text("2")  # credited
    expect(row.locator("td").nth(3)).to_have_text("1")  # rejected
    expect(progress).to_contain_text("Conciliado")
    expect(page.locator("h2:text-is('Transferencias') + .table-scroll table")).to_contain_text(
        "Rechazada: CBU inexistente"
    )
    assert sorted(batch.items.values_list("outcome", flat=True)) == ["paid", "paid", "rejected"]


# --- training ------------------------------------------------------------------------------------


def test_provincial_officer_refers_a_beneficiary_to_a_course_until_it_is_full(page, programme):
    from tests.factories import CourseFactory
    from training.models import Referral

    course = CourseFactory(topic="Poda y cosecha mecanizada", capacity=1, provider__name="Escuela Agrotécnica Lules")
    active = EnrollmentFactory(
        cycle=Cycle.objects.get(name="Zafra Tucumán"),
        worker__last_name="Juárez",
        worker__last_name_norm="JUAREZ",
        worker__first_name="Pedro",
        worker__first_name_norm="PEDRO",
        worker__registered_by=programme["gonzalez"].registered_by,
        status=Enrollment.Status.ACTIVE,
    )

    def refer(worker_name: str) -> None:
        menu(page, "Trabajadores").click()
        page.get_by_role("row", name=re.compile(worker_name)).get_by_role("link").click()
        page.get_by_role("link", name="Derivaciones a capacitación y empleo").click()
        page.get_by_label("Inscripción").select_option(index=1)
        page.get_by_label("Línea").select_option(label="Formación profesional")
        page.get_by_label("Curso o entrenamiento").select_option(label=str(course))
        page.get_by_role("button", name="Derivar").click()

    login(page, "tucuman")
    refer("Juárez, Pedro")
    expect(page.get_by_text("Derivación registrada.")).to_be_visible()
    expect(page.locator("main table")).to_contain_text("Poda y cosecha mecanizada")

    menu(page, "Capacitación").click()
    page.get_by_role("link", name="Poda y cosecha mecanizada").click()
    expect(page.locator("main table")).to_contain_text("Juárez, Pedro")
    expect(page.locator("dl")).to_contain_text("1 / 1")

    # The only place is taken: the next referral is refused with the reason.
    refer("González, María Inés")
    expect(page.locator("main")).to_contain_text("El curso no tiene vacantes (cupo 1).")
    assert list(Referral.objects.values_list("worker_id", flat=True)) == [active.worker_id]


# --- union officer: a worker's status in the UI and through the API ------------------------------


def test_union_officer_checks_a_worker_in_the_ui_and_through_the_api_with_its_token(page, programme, browser):
    from api.models import StatusLookup

    union = Organisation.objects.get(name="UATRE Tucumán")
    worker = WorkerFactory(
        last_name="Chaile",
        first_name="Rosa",
        last_name_norm="CHAILE",
        first_name_norm="ROSA",
        registered_by=union,
    )
    EnrollmentFactory(worker=worker, cycle=Cycle.objects.get(name="Zafra Tucumán"), status=Enrollment.Status.APPROVED)
    outsider = programme["gonzalez"]  # registered by the provincial office, not by the union

    login(page, "uatre")
    menu(page, "Buscar").click()
    search = page.get_by_label("CUIL, DNI o apellido y nombre")
    search.fill(worker.cuil)
    search.press("Enter")
    page.get_by_role("link", name="Chaile, Rosa").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Chaile, Rosa")
    expect(page.locator("#enrollments")).to_contain_text("Zafra Tucumán")
    expect(page.locator("#enrollments")).to_contain_text("Aprobada")
    # Out of scope: the search does not find the other worker.
    page.goto(page.base_url + f"/buscar/?q={outsider.cuil}")
    expect(page.get_by_role("link", name=re.compile("González"))).to_have_count(0)

    menu(page, "API").click()
    page.get_by_label("Nombre (para qué sistema)").fill("Sistema de afiliados UATRE")
    page.get_by_role("button", name="Crear token").click()
    key = page.get_by_role("alert").locator("code").inner_text().strip()
    expect(page.locator("main table")).to_contain_text("Sistema de afiliados UATRE")

    # A client with no session, only the token.
    client = browser.new_context()
    try:
        url = page.base_url + "/api/v1/status/{}/"
        auth = {"Authorization": f"Token {key}"}
        found = client.request.get(url.format(worker.cuil), headers=auth)
        assert found.status == 200
        body = found.json()
        assert body["cuil"] == worker.cuil and body["last_name"] == "Chaile"
        assert [(e["cycle_name"], e["status"]) for e in body["enrollments"]] == [("Zafra Tucumán", "approved")]
        assert client.request.get(url.format(outsider.cuil), headers=auth).status == 404
        assert client.request.get(url.format(worker.cuil)).status in (401, 403)
    finally:
        client.close()
    assert sorted(StatusLookup.objects.filter(token__isnull=False).values_list("cuil", "result")) == sorted(
        [(worker.cuil, StatusLookup.Result.FOUND), (outsider.cuil, StatusLookup.Result.NOT_FOUND)]
    )


# --- refusals on the pages above -----------------------------------------------------------------


@pytest.fixture
def guarded(programme):
    """A built and an approved batch, an open flag, a Tucumán course, and a Mendoza officer."""
    from enrollment.screening.models import MatchFlag
    from payments import batches
    from tests.factories import CourseFactory

    tucuman = Cycle.objects.get(name="Zafra Tucumán")
    office = programme["gonzalez"].registered_by
    approved_beneficiaries(tucuman, office, 1)
    builder, second = programme["users"][Role.PAYMENTS_OFFICER], make_user(Role.PAYMENTS_OFFICER)
    approved = batches.request_batch(month=dt.date(2026, 6, 1), by=builder)  # built at once: Celery is eager
    batches.approve_batch(batch=approved, by=verified(second))
    built = batches.request_batch(month=dt.date(2026, 7, 1), by=builder)
    flagged = flagged_enrollment(
        cycle=tucuman,
        dni=30333444,
        last="Sosa",
        first="Carlos",
        registry_row=",30333444,Sosa,Carlos,1985-04-09,2026-01,2026-12",
        registered_by=office,
    )
    mendoza = Cycle.objects.get(name="Vendimia")
    mza_office = Organisation.objects.get(name="Subsecretaría de Trabajo Mendoza")
    make_user(Role.PROVINCIAL_OFFICER, mza_office, username="mendoza")
    return {
        "built": built,
        "approved": approved,
        "flag": MatchFlag.objects.get(enrollment=flagged),
        "course": CourseFactory(topic="Poda y cosecha mecanizada"),
        "mza_enrollment": Enrollment.objects.get(cycle=mendoza),
        "mza_agreement": programme["mza_agreement"],
        "gonzalez": programme["gonzalez"],
    }


def post_form(page, path: str, data: dict):
    """Submit a form by hand, with the session and CSRF token of the signed-in user."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(
        page.base_url + path, form={"csrfmiddlewaretoken": token, **data}, headers={"Referer": page.base_url + "/"}
    )


def refused_payment_batches(page, guarded, username):
    """Only payments officers approve and export batches; auditors read them."""
    from payments.models import BankFile, PaymentBatch

    built, approved = guarded["built"], guarded["approved"]
    response = page.goto(page.base_url + f"/pagos/lotes/{built.pk}/")
    if username == "auditora":  # reads, with no buttons
        assert response.status == 200
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_role("button", name="Aprobar (segunda firma)")).to_have_count(0)
        page.goto(page.base_url + f"/pagos/lotes/{approved.pk}/")
        expect(page.get_by_role("button", name="Exportar CSV")).to_have_count(0)
    else:
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert post_form(page, f"/pagos/lotes/{built.pk}/aprobar/", {}).status == 403
    assert post_form(page, f"/pagos/lotes/{approved.pk}/exportar/csv/", {}).status == 403
    statuses = dict(PaymentBatch.objects.values_list("pk", "status"))
    assert statuses == {built.pk: PaymentBatch.Status.BUILT, approved.pk: PaymentBatch.Status.APPROVED}
    assert not BankFile.objects.exists()


def refused_flag_resolution(page, guarded, username):
    """Only ministry reviewers resolve screening flags; auditors read them."""
    from enrollment.screening.models import MatchFlag

    flag = guarded["flag"]
    response = page.goto(page.base_url + f"/control/alertas/{flag.pk}/")
    if username == "auditora":  # reads the flag, with no form to resolve it
        assert response.status == 200
        expect(page.locator("table.side-by-side")).to_be_visible()
        expect(page.get_by_role("button", name="Resolver")).to_have_count(0)
    else:
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    answer = post_form(page, f"/control/alertas/{flag.pk}/", {"decision": "not_same", "note": "No corresponde"})
    assert answer.status == 403
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.OPEN


def refused_other_provinces_course(page, guarded):
    """A Mendoza officer neither sees a Tucumán course or beneficiary nor refers anyone to the course."""
    from training.models import Referral

    course, gonzalez = guarded["course"], guarded["gonzalez"]
    assert page.goto(page.base_url + f"/capacitacion/cursos/{course.pk}/").status == 404
    expect(page.locator("body")).not_to_contain_text("Poda y cosecha mecanizada")
    assert page.goto(page.base_url + f"/capacitacion/trabajadores/{gonzalez.pk}/").status == 404
    # Its own beneficiary cannot be sent to the other province's course either.
    mza = guarded["mza_enrollment"]
    page.goto(page.base_url + f"/capacitacion/trabajadores/{mza.worker_id}/")
    expect(page.get_by_label("Curso o entrenamiento").locator("option", has_text="Poda")).to_have_count(0)
    answer = post_form(
        page,
        f"/capacitacion/trabajadores/{mza.worker_id}/",
        {"enrollment": mza.pk, "line": "vocational", "course": course.pk},
    )
    assert answer.status == 200 and "Derivación registrada" not in answer.text()
    assert not Referral.objects.exists()


# URLs each role is refused (with the status), besides the checks above; "{...}" are filled from
# the fixture, so out-of-scope records answer 404 exactly like missing ones.
REFUSALS = {
    "revisora": [("/accesos/", 403)],
    "pagos": [("/convenios/nuevo/", 403), ("/accesos/", 403)],
    "auditora": [("/periodos/nuevo/", 403), ("/organizaciones/nueva/", 403), ("/accesos/nueva-cuenta/", 403)],
    "tucuman": [
        ("/accesos/", 403),
        ("/auditoria/", 403),
        ("/convenios/nuevo/", 403),
        ("/convenios/{mza_agreement}/", 404),
    ],
    "uatre": [("/auditoria/", 403), ("/convenios/nuevo/", 403), ("/trabajadores/{gonzalez}/legajo/", 404)],
    "mendoza": [("/trabajadores/{gonzalez}/legajo/", 404)],
}


@pytest.mark.parametrize("username", list(REFUSALS))
def test_each_role_is_refused_what_it_may_not_do(page, guarded, username):
    login(page, username)
    ids = {"mza_agreement": guarded["mza_agreement"].pk, "gonzalez": guarded["gonzalez"].pk}
    for path, status in REFUSALS[username]:
        response = page.goto(page.base_url + path.format(**ids))
        assert (path, response.status) == (path, status)
        expect(page.get_by_role("heading", level=1)).to_be_visible()  # a proper error page, not a blank one
        expect(page.locator("body")).not_to_contain_text("CONV-MZA")
    if username != "pagos":
        refused_payment_batches(page, guarded, username)
    if username != "revisora":
        refused_flag_resolution(page, guarded, username)
    if username == "mendoza":
        refused_other_provinces_course(page, guarded)


def test_access_administrators_create_a_payments_officer_who_chooses_a_password_and_enrols(page, programme):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    make_user(Role.ACCESS_ADMIN, username="accesos")
    make_user(Role.ACCESS_ADMIN, username="accesos2")
    login(page, "accesos")
    menu(page, "Accesos").click()
    page.get_by_role("link", name="Nueva cuenta").click()
    expect(page.locator('input[type="password"]')).to_have_count(0)
    page.get_by_label("Usuario").fill("pagos3")
    page.get_by_label("Nombre").fill("Elena")
    page.get_by_label("Apellido").fill("Ruiz")
    page.get_by_label("Correo electrónico").fill("elena@example.org")
    page.get_by_label("Organización").select_option(label="Ministerio de Trabajo, Empleo y Seguridad Social")
    page.get_by_label("Rol").select_option(label="Oficial de pagos del Ministerio")
    page.get_by_label("Motivo").fill("alta por concurso")
    page.get_by_role("button", name="Crear la cuenta").click()
    link = page.locator("code.link").inner_text()
    expect(page.get_by_text("queda pendiente hasta que otro/a administrador/a")).to_be_visible()
    page.get_by_role("link", name="Accesos", exact=True).first.click()
    expect(page.get_by_text("Lo decide otro/a administrador/a.")).to_be_visible()
    page.get_by_role("button", name="Salir").click()

    login(page, "accesos2")
    page.goto(page.base_url + "/accesos/")
    page.get_by_role("button", name="Aprobar").click()
    expect(page.get_by_text("Rol aprobado y otorgado a pagos3.")).to_be_visible()
    page.get_by_role("button", name="Salir").click()

    page.goto(link)
    page.get_by_label(re.compile(r"^Contraseña nueva:?$")).fill("una-clave-larga-2027")
    page.get_by_label(re.compile(r"^Confirmación de contraseña nueva:?$")).fill("una-clave-larga-2027")
    page.get_by_role("button", name="Guardar la contraseña").click()
    expect(page.get_by_role("heading", name="Ingresar")).to_be_visible()
    page.goto(link)
    expect(page.get_by_text("Este enlace ya fue usado")).to_be_visible()

    page.goto(page.base_url + "/ingresar/")
    page.get_by_label("Usuario").fill("pagos3")
    page.get_by_label("Contraseña").fill("una-clave-larga-2027")
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url(re.compile(r".*/dos-pasos/activar/.*"))
    expect(page.locator(".qr svg")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    device = TOTPDevice.objects.get(user__username="pagos3", confirmed=False)
    page.get_by_label("Código").fill(current_code(device))
    page.get_by_role("button", name="Confirmar").click()
    expect(page.locator("ul.backup-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continuar").click()
    expect(menu(page, "Pagos")).to_be_visible()
