"""A newcomer on a phone (390 px): list pages, record pages and forms never scroll sideways, even
with long names in their menus and long numbers in their cells — a wide table scrolls inside its
own box; filters, form rows and the worker's file stack instead."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from enrollment.models import Enrollment
from tests.e2e.conftest import login
from tests.e2e.test_browser import programme  # noqa: F401 - the fixture, shared
from tests.factories import AgreementFactory, CycleFactory, EnrollmentFactory, OrganisationFactory, province

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 390
OVERFLOW = """() => document.documentElement.scrollWidth"""


@pytest.fixture
def long_names(programme):  # noqa: F811
    """A period, an agreement and an office with names as long as the real ones."""
    tucuman = province("Tucumán")
    office = OrganisationFactory(
        name="Secretaría de Empleo y Capacitación Laboral de la Provincia de Tucumán", province=tucuman
    )
    cycle = CycleFactory(
        agreement=AgreementFactory(province=tucuman, number="CONV-2026-TUC-CITRICOS-Y-TABACO-01"),
        name="Interzafra Cítricos, Tabaco y Caña de Azúcar de la Provincia de Tucumán 2026",
    )
    enrollment = EnrollmentFactory(
        cycle=cycle,
        worker__registered_by=office,
        worker__cbu="0110162700000000000628",
        status=Enrollment.Status.APPROVED,
    )
    return enrollment


def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, long_names):
    context = browser.new_context(locale="es-AR", viewport={"width": WIDTH, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    worker = long_names.worker
    pages = {
        "revisora": [
            "/inscripciones/",
            "/trabajadores/",
            "/reclamos/",
            "/convenios/",
            "/periodos/",
            "/convenios/nuevo/",
            "/control/meses-de-ayuda/nueva/",
            f"/trabajadores/{worker.pk}/legajo/",
            f"/inscripciones/{long_names.pk}/",
        ],
        "pagos": ["/pagos/lotes/", "/pagos/montos/", "/pagos/cuotas/"],
    }
    wide = {}
    for username, paths in pages.items():
        login(page, username)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, path
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            width = page.evaluate(OVERFLOW)
            if width > WIDTH:
                wide[f"{username} {path}"] = width
        page.get_by_role("button", name="Salir").click()
    context.close()
    assert wide == {}
