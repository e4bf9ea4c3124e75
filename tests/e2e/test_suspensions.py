"""A reviewer suspends a beneficiary with a coded cause, reinstates her paying one month stated
as owed, and decides a suspension the monthly re-screening proposed — in the browser, with an
accessibility check on each page, the enrollment page also on a 390 px wide screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrollment.models import Enrollment, SuspensionProposal
from payments.models import Installment
from provinces.models import add_months
from provinces.roles import Role
from tests.e2e.conftest import login
from tests.e2e.test_voice import fits_the_screen, no_axe_violations
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    agrarian_history,
    make_user,
    province,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def month(offset: int) -> dt.date:
    return add_months(timezone.localdate().replace(day=1), offset)


@pytest.fixture
def beneficiary():
    from enrollment.services import approve_enrollment

    office = OrganisationFactory(name="Secretaría de Empleo Tucumán", province=province("Tucumán"))
    reviewer = make_user(Role.MINISTRY_REVIEWER, username="revisora")
    enrollment = EnrollmentFactory(
        cycle=CycleFactory(name="Zafra Tucumán", first_month=month(-2), months=4),
        worker__last_name="Chocobar",
        worker__first_name="Ramona",
        worker__registered_by=office,
        status=Enrollment.Status.PENDING_REVIEW,
    )
    agrarian_history(enrollment.worker, before=enrollment.cycle.first_month, months=8)  # four months of aid
    return approve_enrollment(enrollment=enrollment, by=reviewer)


def test_reviewer_suspends_and_reinstates_paying_one_owed_month(page, browser, live_server, beneficiary):
    login(page, "revisora")
    page.goto(page.base_url + f"/inscripciones/{beneficiary.pk}/")
    no_axe_violations(page)
    page.get_by_label("Causa de la suspensión").select_option(label="Beneficio incompatible")
    page.get_by_label("Nota").fill("Figura en el padrón de pensiones no contributivas desde marzo.")
    page.get_by_role("button", name="Suspender", exact=True).click()
    expect(page.locator("#suspension-cause")).to_contain_text("Beneficio incompatible")
    no_axe_violations(page)

    owed = month(-1).strftime("%m/%Y")
    page.get_by_label("Por qué se rehabilita").fill("La pensión es de otra persona con el mismo apellido.")
    page.get_by_label(owed).check()
    page.get_by_label("Por qué se adeudan esos meses").fill("No cobraba la pensión ese mes.")
    page.get_by_role("button", name="Rehabilitar", exact=True).click()
    expect(page.get_by_text("Inscripción rehabilitada")).to_be_visible()
    expect(page.locator("#suspensions")).to_contain_text(owed)
    no_axe_violations(page)
    live = Installment.objects.filter(enrollment=beneficiary).exclude(status=Installment.Status.CANCELLED)
    assert sorted(live.values_list("month", flat=True)) == [month(-1), month(0), month(1)]

    # The same page on a phone-sized screen: nothing wider than the screen.
    context = browser.new_context(locale="es-AR", viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    phone.base_url = live_server.url
    login(phone, "revisora")
    phone.goto(phone.base_url + f"/inscripciones/{beneficiary.pk}/")
    assert fits_the_screen(phone)
    context.close()


def test_reviewer_dismisses_a_proposed_suspension_from_the_review_area(page, beneficiary):
    from enrollment.suspension_proposals import propose_suspensions

    worker = beneficiary.worker
    worker.province = province("Salta")
    worker.save()
    propose_suspensions(month=month(0), enrollment_ids=[beneficiary.pk], flag_ids=[])
    login(page, "revisora")
    page.goto(page.base_url + "/revision/")
    page.get_by_role("link", name="1 suspensión propuesta por el control mensual").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Suspensiones propuestas")
    no_axe_violations(page)
    page.get_by_label("Decisión").select_option(label="Descartar")
    page.get_by_label("Nota").fill("Trabaja en Salta en temporada; su domicilio sigue en Tucumán.")
    page.get_by_role("button", name="Registrar decisión").click()
    expect(page.get_by_text("Propuesta descartada.")).to_be_visible()
    expect(page.locator("#decided")).to_contain_text("Descartada")
    no_axe_violations(page)
    assert SuspensionProposal.objects.get().status == SuspensionProposal.Status.DISMISSED


def test_accepting_a_proposed_suspension_without_a_note_is_refused_next_to_the_note(page, beneficiary):
    from enrollment.suspension_proposals import propose_suspensions

    worker = beneficiary.worker
    worker.province = province("Salta")
    worker.save()
    propose_suspensions(month=month(0), enrollment_ids=[beneficiary.pk], flag_ids=[])
    login(page, "revisora")
    page.goto(page.base_url + "/revision/suspensiones/")
    page.get_by_label("Decisión").select_option(label="Suspender con esta causa")
    page.get_by_role("button", name="Registrar decisión").click()
    note = page.get_by_role("textbox", name="Nota")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(note).to_have_accessible_description(re.compile("Indique en la nota qué verificó antes de suspender"))
    expect(page.get_by_label("Decisión")).to_have_value("accept")
    no_axe_violations(page)
    assert SuspensionProposal.objects.get().status == SuspensionProposal.Status.OPEN
    note.fill("Confirmó en la oficina que ahora vive en Salta.")
    page.get_by_role("button", name="Registrar decisión").click()
    expect(page.locator("li.success")).to_contain_text("Inscripción suspendida")
    beneficiary.refresh_from_db()
    assert beneficiary.status == Enrollment.Status.SUSPENDED
