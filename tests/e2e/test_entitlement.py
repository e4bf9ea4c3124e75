"""The entitlement table in the browser, on a phone-sized screen: a reviewer proposes a table,
is not offered its approval, a payments officer approves it; the enrollment page tells the
months with the reason. Each page fits 390 px and passes axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from enrollment.models import Enrollment
from enrollment.screening.models import EntitlementRuleSet
from provinces.roles import Role
from tests.e2e.conftest import login
from tests.e2e.test_voice import fits_the_screen, no_axe_violations
from tests.factories import CycleFactory, EnrollmentFactory, agrarian_history, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(locale="es-AR", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def test_a_table_is_proposed_by_one_and_approved_by_another_and_the_enrollment_tells_its_months(phone_page):
    page = phone_page
    make_user(Role.MINISTRY_REVIEWER, username="revisora")
    make_user(Role.PAYMENTS_OFFICER, username="pagos")
    cycle = CycleFactory(first_month=dt.date(2027, 3, 1), months=4, name="Zafra 2027")
    enrollment = EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW)
    agrarian_history(enrollment.worker, before=cycle.first_month, months=5)

    login(page, "revisora")
    page.goto(page.base_url + "/control/meses-de-ayuda/")
    expect(page.get_by_role("heading", name="Meses de ayuda por trabajador/a", level=1)).to_be_visible()
    assert fits_the_screen(page)
    no_axe_violations(page)
    page.get_by_role("link", name="Proponer una tabla nueva").click()
    page.get_by_label("Vigente desde").fill("2027-01-01")
    page.get_by_label("Fundamento (resolución o motivo)").fill("Res. MTEySS 10/2026")
    # The form starts from the table in force (0–4 → 2, 5–7 → 3, 8–12 → 4): 5 months now pay 4.
    page.get_by_label("Tramo 1: hasta").fill("4")
    page.get_by_label("Tramo 2: desde").fill("5")
    page.get_by_label("Tramo 2: hasta").fill("12")
    page.get_by_label("Tramo 2: meses de ayuda").fill("4")
    page.get_by_label("Tramo 3: desde").fill("")
    page.get_by_label("Tramo 3: hasta").fill("")
    page.get_by_label("Tramo 3: meses de ayuda").fill("")
    assert fits_the_screen(page)
    no_axe_violations(page)
    page.get_by_role("button", name="Proponer").click()
    expect(page.get_by_text("Tabla propuesta.")).to_be_visible()
    expect(page.get_by_text("Usted propuso esta tabla: la aprueba o rechaza otra persona.")).to_be_visible()
    expect(page.get_by_role("button", name="Aprobar la tabla")).to_have_count(0)
    assert fits_the_screen(page)
    no_axe_violations(page)
    table_url = page.url
    page.get_by_role("button", name="Salir").click()

    login(page, "pagos")
    page.goto(table_url)
    page.get_by_label("Nota de la decisión").fill("Conforme con la resolución")
    page.get_by_role("button", name="Aprobar la tabla").click()
    expect(page.get_by_text("Tabla aprobada.")).to_be_visible()
    assert EntitlementRuleSet.objects.get(effective_from=dt.date(2027, 1, 1)).status == "approved"
    page.get_by_role("button", name="Salir").click()

    login(page, "revisora")
    page.goto(page.base_url + f"/inscripciones/{enrollment.pk}/")
    expect(page.locator("#entitlement")).to_contain_text(
        "4 meses: 5 meses con remuneración agraria o agroindustrial registrada entre 03/2026 y 02/2027 "
        "(tabla vigente desde 01/01/2027)"
    )
    assert fits_the_screen(page)
    no_axe_violations(page)
