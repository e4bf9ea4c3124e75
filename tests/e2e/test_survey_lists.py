"""A union's survey list that mixes activities, in the browser: uploaded once, summarised per
period, confirmed, and each worker enrolled in the period of her activity."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from enrollment.models import Enrollment
from provinces.models import Cycle
from tests.e2e.conftest import login
from tests.e2e.test_browser import programme  # noqa: F401 - the browser tests' world
from tests.e2e.test_voice import no_axe_violations
from tests.factories import CycleFactory, crop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_union_officer_uploads_a_list_mixing_activities_and_each_worker_goes_to_its_period(
    page,
    programme,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    from tests.enrollment.survey_files import csv_bytes, row

    cane = Cycle.objects.get(name="Zafra Tucumán")
    lemon = CycleFactory(
        agreement=cane.agreement, crop=crop("limon"), name="Cosecha de limón", first_month=dt.date(2026, 9, 1)
    )
    survey = tmp_path / "padron-uatre.csv"
    survey.write_bytes(
        csv_bytes(
            [
                row(11),
                row(12, actividad="limon"),
                row(13, actividad="Limón"),
                row(14, provincia="Mendoza", localidad="Maipú", actividad="vid"),  # outside the union's province
            ]
        )
    )
    login(page, "uatre")
    page.goto(page.base_url + "/padrones/subir/")
    page.get_by_label("Período interzafra").select_option(label="Zafra Tucumán (Tucumán)")
    page.get_by_label("Padrón (CSV o XLSX)").set_input_files(str(survey))
    page.get_by_role("button", name="Subir y analizar").click()
    expect(page.get_by_role("button", name="Confirmar e inscribir")).to_be_visible()

    periods = page.get_by_role("table", name="Por período")
    expect(periods).to_be_visible()
    expect(periods.get_by_role("row", name="Zafra Tucumán")).to_contain_text("Caña de azúcar")
    expect(periods.get_by_role("row", name="Cosecha de limón")).to_contain_text("Limón")
    cells = periods.get_by_role("row", name="Cosecha de limón").get_by_role("cell")
    expect(cells.nth(2)).to_have_text("2")  # valid rows (after period, province, activity)
    expect(periods.get_by_role("row", name="Total").get_by_role("cell").nth(3)).to_have_text("1")  # in error
    expect(page.locator("#import-status")).to_contain_text("1 fila con errores no va a ningún período")
    expect(page.locator("#import-status")).to_contain_text("Su organización no inscribe en Mendoza")
    no_axe_violations(page)

    page.get_by_role("button", name="Confirmar e inscribir").click()
    expect(page.locator("#import-status")).to_contain_text("Inscripciones creadas")
    done = page.get_by_role("table", name="Por período")
    expect(done.get_by_role("row", name="Cosecha de limón").get_by_role("cell").last).to_have_text("0")
    expect(done.get_by_role("row", name="Cosecha de limón").get_by_role("cell").nth(8)).to_have_text("2")
    no_axe_violations(page)

    lemon_cuils = set(Enrollment.objects.filter(cycle=lemon).values_list("worker__cuil", flat=True))
    assert lemon_cuils == {row(12)["cuil"], row(13)["cuil"]}
    assert Enrollment.objects.filter(cycle=cane, worker__cuil=row(11)["cuil"]).exists()
    assert not Enrollment.objects.filter(worker__cuil=row(14)["cuil"]).exists()
