"""What an officer trips on in a day's work, each seen in the browser: the review queue's flash
agrees with its number, the registration page tells the CBU's consequence and every problem at
once, dates are typed dd/mm/aaaa whatever the browser's language, the shipped survey template
imports nothing and big numbers carry their separators, the dashboard's columns have one title
each, the menu is grouped on one line, a superuser is shown the way to the administration and
the site icon is served."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from enrollment.models import Enrollment
from provinces.models import AgreementQuota, Cycle
from tests.e2e.conftest import login
from tests.e2e.test_browser import programme  # noqa: F401 - the browser tests' world
from tests.e2e.test_voice import no_axe_violations
from tests.factories import EnrollmentFactory, UserFactory, make_cuil

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(programme):  # noqa: F811 - the fixture imported above
    return programme


def test_the_review_queues_flash_agrees_with_how_many_were_decided(page, world):
    cycle = Cycle.objects.get(name="Zafra Tucumán")
    one = EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW, worker__last_name="Sosa")
    two = [
        EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW, worker__last_name=f"Vera{i}")
        for i in range(2)
    ]
    login(page, "revisora")
    page.goto(page.base_url + "/revision/")
    decision = page.locator("fieldset.decision")
    page.locator(f"#e{one.pk}").check()
    decision.get_by_label("Decisión").select_option(label="Rechazar")
    decision.get_by_label(re.compile("^Motivo")).fill("No reside en la provincia")
    decision.get_by_role("button", name="Aplicar a las marcadas").click()
    expect(page.get_by_text("1 inscripción rechazada.", exact=True)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("1 inscripciones")

    for enrollment in two:
        page.locator(f"#e{enrollment.pk}").check()
    decision.get_by_label("Decisión").select_option(label="Aprobar")
    decision.get_by_role("button", name="Aplicar a las marcadas").click()
    expect(page.get_by_text("2 inscripciones aprobadas.", exact=True)).to_be_visible()
    assert Enrollment.objects.get(pk=one.pk).status == Enrollment.Status.REJECTED
    assert {e.status for e in Enrollment.objects.filter(pk__in=[e.pk for e in two])} == {Enrollment.Status.APPROVED}


def test_registration_tells_the_cbus_consequence_and_a_bad_cuil_with_an_under_age_date_at_once(page, world):
    login(page, "tucuman")
    page.goto(page.base_url + "/inscribir/")
    cbu = page.get_by_label(re.compile(r"^CBU:?$"))
    # the field is optional, and the page says what its absence means for the payments
    notice = page.locator("#cbu-pickup")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Sin CBU se paga por ventanilla")
    assert "cbu-pickup" in cbu.get_attribute("aria-describedby").split()

    page.get_by_label("Período interzafra").select_option(label="Zafra Tucumán (Tucumán)")
    good = make_cuil(30555666)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    page.get_by_label(re.compile(r"^CUIL:?$")).fill(bad)
    page.get_by_label(re.compile(r"^Apellido:?$")).fill("Ibáñez")
    page.get_by_label(re.compile(r"^Nombre:?$")).fill("Lucía")
    page.get_by_label("Fecha de nacimiento").fill("01/01/2015")
    page.get_by_label("Localidad").fill("Famaillá")
    page.get_by_role("button", name="Registrar e inscribir").click()
    main = page.locator("main")
    expect(main).to_contain_text("El dígito verificador del CUIL")
    expect(main).to_contain_text("Debe tener 18 años cumplidos el 01/05/2026")
    assert not Enrollment.objects.filter(worker__last_name="Ibáñez").exists()


def test_date_fields_read_dd_mm_aaaa_in_an_english_browser_too(browser, live_server, world):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    try:
        login(page, "auditora")
        page.goto(page.base_url + "/auditoria/")
        since = page.get_by_label(re.compile(r"^Desde el día:?$"))
        assert since.get_attribute("type") == "text"  # not the browser's own picker, mm/dd here
        expect(since).to_have_attribute("placeholder", "dd/mm/aaaa")
        since.fill("05/01/2026")
        page.get_by_role("button", name="Filtrar").click()
        expect(page.get_by_label(re.compile(r"^Desde el día:?$"))).to_have_value("05/01/2026")
        expect(page.get_by_role("alert")).to_have_count(0)
    finally:
        context.close()


def test_the_survey_template_imports_nothing_and_the_quota_reads_with_separators(page, world, tmp_path):
    from tests.enrollment.survey_files import csv_bytes, row

    cycle = Cycle.objects.get(name="Zafra Tucumán")
    AgreementQuota.objects.filter(agreement=cycle.agreement, crop=cycle.crop).update(quota=12000)
    login(page, "tucuman")
    page.goto(page.base_url + "/padrones/subir/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Descargar la plantilla CSV").click()
    template = download_info.value
    page.get_by_label("Período interzafra").select_option(label="Zafra Tucumán (Tucumán)")
    with open(template.path(), "rb") as handle:
        data = handle.read()
    page.get_by_label("Padrón (CSV o XLSX)").set_input_files(
        files=[{"name": "plantilla_padron.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Subir y analizar").click()
    status = page.locator("#import-status")
    expect(status).to_contain_text("Fila de ejemplo de la plantilla")
    expect(status.locator("tr", has_text="Inscripciones a crear").first.locator("td")).to_have_text("0")
    expect(status.locator("tr", has_text="Filas con errores (no se importan)").locator("td")).to_have_text("3")
    expect(status).to_contain_text("Ninguna fila del padrón es válida: no hay nada que inscribir.")
    expect(page.get_by_role("button", name="Confirmar e inscribir")).to_have_count(0)

    survey = tmp_path / "padron.csv"
    survey.write_bytes(csv_bytes([row(1), row(2)]))
    page.goto(page.base_url + "/padrones/subir/")
    page.get_by_label("Período interzafra").select_option(label="Zafra Tucumán (Tucumán)")
    page.get_by_label("Padrón (CSV o XLSX)").set_input_files(str(survey))
    page.get_by_role("button", name="Subir y analizar").click()
    expect(page.get_by_role("button", name="Confirmar e inscribir")).to_be_visible()
    available = status.locator("tr", has_text="Cupo disponible al analizar").locator("td")
    expect(available).to_have_text(re.compile(r"^1\d\.\d{3}$"))
    no_axe_violations(page)


def test_each_dashboard_table_titles_its_columns_once(page, world):
    for username in ("revisora", "pagos", "tucuman"):
        login(page, username)
        page.goto(page.base_url + "/tablero/")
        expect(page.get_by_role("heading", name="Tablero", level=1)).to_be_visible()
        for table in page.locator("main table").all():
            headers = [h.strip() for h in table.locator("thead th").all_inner_texts() if h.strip()]
            assert len(headers) == len(set(headers)), (username, headers)
        page.get_by_role("button", name="Salir").click()


def test_the_menu_is_grouped_by_task_on_one_line(page, world):
    login(page, "revisora")
    nav = page.get_by_role("navigation", name="Navegación principal")
    groups = nav.locator("details.menu-group")
    assert groups.count() >= 3
    # the groups are closed: a handful of entries, all on one line at 1,280 px
    tops = nav.locator("ul.menu > li").evaluate_all("items => items.map(li => li.getBoundingClientRect().top)")
    assert max(tops) - min(tops) < 12, tops  # less than a line apart
    assert len(tops) <= 8, tops
    first = groups.first
    first.locator("summary").click()
    expect(first.get_by_role("link").first).to_be_visible()


def test_a_superuser_lands_on_a_page_that_leads_to_the_administration(page, world):
    UserFactory(username="soporte", is_staff=True, is_superuser=True)
    login(page, "soporte")
    main = page.locator("main")
    expect(main.locator(".warning")).to_have_count(0)
    expect(main).not_to_contain_text("no tiene un rol asignado")
    page.get_by_role("link", name="Ir a la administración").click()
    page.wait_for_url(re.compile(r".*/admin/$"))
    expect(page.locator("#site-name, h1").first).to_be_visible()
    assert "/ingresar/" not in page.url


def test_every_page_finds_its_icon(page, world):
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
    login(page, "revisora")
    page.goto(page.base_url + "/tablero/")
    page.goto(page.base_url + "/admin/login/")
    assert missing == []
    response = page.request.get(page.base_url + "/favicon.ico")
    assert response.ok and "svg" in response.headers["content-type"], (response.status, response.headers)
    page.goto(page.base_url + "/")
    icon = page.evaluate("() => document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).ok
