"""The worker's own voice in the browser: she looks herself up on a phone-sized screen and files
a claim; a reviewer upholds it, and the re-opened enrollment and the message to her show."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from enrollment.models import Enrollment
from provinces.roles import Role
from tests.e2e.conftest import login, menu
from tests.factories import CycleFactory, EnrollmentFactory, OrganisationFactory, make_user, province

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rejected_worker():
    from enrollment.services import reject_enrollment

    office = OrganisationFactory(name="Secretaría de Empleo Tucumán", province=province("Tucumán"))
    reviewer = make_user(Role.MINISTRY_REVIEWER, username="revisora")
    enrollment = EnrollmentFactory(
        cycle=CycleFactory(name="Zafra Tucumán"),
        worker__last_name="Chocobar",
        worker__first_name="Ramona",
        worker__birth_date=dt.date(1984, 3, 25),
        worker__phone="0381 15-555-1234",
        worker__registered_by=office,
        status=Enrollment.Status.PENDING_REVIEW,
    )
    reject_enrollment(enrollment=enrollment, by=reviewer, reason="No figura en el padrón de cosecha")
    return enrollment


@pytest.fixture
def phone(browser, live_server):
    """A 390 px wide phone screen."""
    context = browser.new_context(locale="es-AR", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def no_axe_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_worker_looks_herself_up_on_a_phone_files_a_claim_and_a_reviewer_upholds_it(phone, page, rejected_worker):
    from claims.models import Claim

    worker = rejected_worker.worker
    phone.goto(phone.base_url + "/")
    phone.get_by_role("link", name="¿Es trabajador/a? Consulte su inscripción aquí.").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Consulte su inscripción")
    assert fits_the_screen(phone)
    no_axe_violations(phone)
    phone.get_by_label("CUIL").fill(worker.cuil_display)
    phone.get_by_label("Fecha de nacimiento").fill("25/03/1984")
    phone.get_by_role("button", name="Consultar").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Hola, Ramona")
    expect(phone.get_by_text("Su inscripción fue rechazada.")).to_be_visible()
    expect(phone.get_by_text("No figura en el padrón de cosecha")).to_be_visible()
    assert fits_the_screen(phone)
    no_axe_violations(phone)
    phone.get_by_label("¿Qué quiere reclamar?").select_option(label="Rechazo de la inscripción")
    phone.get_by_label("Cuéntenos qué pasó").fill("Trabajé en la zafra 2025: tengo los recibos de sueldo.")
    phone.get_by_role("button", name="Presentar reclamo").click()
    claim = Claim.objects.get()
    expect(phone.get_by_role("status")).to_contain_text(f"Recibimos su reclamo número {claim.pk}")
    expect(phone.get_by_text("Recibido")).to_be_visible()

    login(page, "revisora")
    menu(page, "Reclamos").click()
    page.get_by_role("link", name=str(claim.pk), exact=True).click()
    page.get_by_role("button", name="Tomar para revisión").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("En revisión")
    page.get_by_label("Motivo de la decisión").fill("Presentó los recibos de la zafra 2025.")
    page.get_by_role("button", name="Aceptar el reclamo").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Aceptado")
    expect(page.get_by_text("Inscripción reabierta para revisión.").first).to_be_visible()
    no_axe_violations(page)
    page.get_by_role("link", name="Chocobar, Ramona").click()
    expect(page.locator("#enrollments")).to_contain_text("Pendiente de revisión")
    expect(page.locator("#messages")).to_contain_text(f"su reclamo {claim.pk} fue aceptado")

    # The worker sees the decision when she looks herself up again.
    phone.goto(phone.base_url + "/consulta/")
    phone.get_by_label("CUIL").fill(worker.cuil)
    phone.get_by_label("Fecha de nacimiento").fill("25/03/1984")
    phone.get_by_role("button", name="Consultar").click()
    expect(phone.get_by_text("Su inscripción está en revisión en el Ministerio.")).to_be_visible()
    expect(phone.locator("#h-claims").locator("..")).to_contain_text("Aceptado")


def test_a_wrong_birth_date_on_the_phone_reads_like_an_unknown_cuil(phone, rejected_worker):
    worker = rejected_worker.worker
    phone.goto(phone.base_url + "/consulta/")
    phone.get_by_label("CUIL").fill(worker.cuil_display)
    phone.get_by_label("Fecha de nacimiento").fill("26/03/1984")
    phone.get_by_role("button", name="Consultar").click()
    expect(phone.get_by_role("alert")).to_contain_text("No encontramos una inscripción con esos datos")
    expect(phone.get_by_text("Chocobar")).to_have_count(0)
    assert fits_the_screen(phone)
