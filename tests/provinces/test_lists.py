"""Lists that find: one CUIL filter for every way people type it, filters the form refuses shown
as errors (never read as "every one"), a total, and an export of exactly what is filtered, within
the user's scope and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from enrollment.models import Enrollment
from provinces.filters import cuil_digits
from provinces.roles import Role
from tests.factories import (
    AgreementFactory,
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    crop,
    make_cuil,
    make_user,
    province,
)
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    tuc_office = OrganisationFactory(name="Oficina Tucumán", province=tucuman)
    mza_office = OrganisationFactory(name="Oficina Mendoza", province=mendoza)
    tuc_cycle = CycleFactory(agreement=AgreementFactory(province=tucuman, number="CONV-TUC"), name="Zafra")
    mza_cycle = CycleFactory(
        agreement=AgreementFactory(province=mendoza, number="CONV-MZA"), crop=crop("vid"), name="Vendimia"
    )
    ana = WorkerFactory(cuil=make_cuil(22275822, "27"), last_name="Núñez", first_name="Ana", registered_by=tuc_office)
    hostile = WorkerFactory(last_name="=HYPERLINK(1)", first_name="@Robo", registered_by=tuc_office)
    other = WorkerFactory(province=mendoza, last_name="Quiroga", first_name="Luis", registered_by=mza_office)
    EnrollmentFactory(worker=ana, cycle=tuc_cycle, status=Enrollment.Status.APPROVED)
    EnrollmentFactory(worker=hostile, cycle=tuc_cycle, status=Enrollment.Status.SUBMITTED)
    EnrollmentFactory(worker=other, cycle=mza_cycle, status=Enrollment.Status.APPROVED)
    return {
        "ana": ana,
        "hostile": hostile,
        "other": other,
        "tucuman": make_user(Role.PROVINCIAL_OFFICER, tuc_office),
        "auditor": make_user(Role.AUDITOR),
    }


def client_for(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def count(body: str) -> int:
    import re

    return int(re.search(r'data-count="(\d+)"', body).group(1))


def test_cuil_is_read_with_or_without_hyphens_and_in_part():
    assert cuil_digits("27-22275822-4") == "27222758224"
    assert cuil_digits("27222758224") == "27222758224"
    assert cuil_digits(" 22275822 ") == "22275822"
    assert cuil_digits("22.275.822") == "22275822"
    for refused in ("abc", "27-2227x", "1" * 12, "", "\x00"):
        assert cuil_digits(refused) is None


@pytest.mark.parametrize("typed", ["__full__", "__digits__", "22275822", "2227"])
def test_one_cuil_filter_finds_the_worker_however_it_is_typed(world, typed):
    ana = world["ana"]
    typed = {"__full__": ana.cuil_display, "__digits__": ana.cuil}.get(typed, typed)
    client = client_for(world["auditor"])
    for name in ("enrollment:worker_list", "enrollment:enrollment_list"):
        body = client.get(reverse(name), {"cuil": typed}).content.decode()
        assert count(body) == 1, (name, typed)
        assert "Núñez" in body and "Quiroga" not in body


def test_a_cuil_filter_the_form_cannot_read_is_an_error_and_lists_nothing(world):
    client = client_for(world["auditor"])
    response = client.get(reverse("enrollment:worker_list"), {"cuil": "veinte"})
    body = response.content.decode()
    assert count(body) == 0 and "Núñez" not in body
    assert "Escriba el CUIL con números" in body and 'role="alert"' in body
    # and no export of "every one" is offered for it, nor served
    assert "exportar=csv" not in body
    export = client.get(reverse("enrollment:worker_list"), {"cuil": "veinte", "exportar": "csv"})
    assert not export.has_header("Content-Disposition") and "Núñez" not in export.content.decode()


def test_enrollment_states_are_checkboxes_and_several_can_be_ticked(world):
    client = client_for(world["auditor"])
    url = reverse("enrollment:enrollment_list")
    body = client.get(url).content.decode()
    assert 'type="checkbox" name="status" value="approved"' in body
    assert '<select name="status"' not in body and "multiple" not in body
    assert count(client.get(url, {"status": ["approved"]}).content.decode()) == 2
    assert count(client.get(url, {"status": ["approved", "submitted"]}).content.decode()) == 3


def test_the_total_reads_in_words_with_separators(world):
    client = client_for(world["auditor"])
    assert "3 trabajadores/as" in client.get(reverse("enrollment:worker_list")).content.decode()
    assert "1 inscripción" in client.get(reverse("enrollment:enrollment_list"), {"cuil": "2227"}).content.decode()


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_an_officers_export_holds_only_her_rows_and_is_safe_in_a_spreadsheet(world):
    client = client_for(world["tucuman"])
    response = client.get(reverse("enrollment:worker_list"), {"exportar": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="trabajadores.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["CUIL", "Apellido", "Nombre"]
    names = sorted(row[1] for row in rows[1:])
    assert names == ["'=HYPERLINK(1)", "Núñez"]  # Mendoza's worker is not hers; the formula is text
    assert "'@Robo" in {row[2] for row in rows[1:]}
    assert world["ana"].cuil_display in {row[0] for row in rows[1:]}


def test_the_export_holds_exactly_what_is_filtered_in_csv_and_xlsx(world):
    client = client_for(world["auditor"])
    url = reverse("enrollment:enrollment_list")
    rows = read_csv(client.get(url, {"status": "approved", "exportar": "csv"}))
    assert sorted(row[1] for row in rows[1:]) == ["Núñez", "Quiroga"]
    response = client.get(url, {"status": "approved", "province": world["other"].province_id, "exportar": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert values[0][0] == "CUIL" and len(values) == 2
    assert values[1][:3] == (world["other"].cuil_display, "Quiroga", "Luis")
    # every page, not only the one shown
    everyone = read_csv(client.get(url, {"exportar": "csv", "page": "2"}))
    assert len(everyone) == 4


def test_an_officer_cannot_widen_her_list_with_another_provinces_filter(world):
    client = client_for(world["tucuman"])
    url = reverse("enrollment:worker_list")
    body = client.get(url, {"province": world["other"].province_id}).content.decode()
    assert count(body) == 0 and "Quiroga" not in body and "Seleccione una opción válida" in body
    refused = client.get(url, {"province": world["other"].province_id, "exportar": "csv"})
    assert not refused.has_header("Content-Disposition") and "Quiroga" not in refused.content.decode()
