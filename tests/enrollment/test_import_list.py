"""The survey lists page finds like every list: by file name, state, province, period,
organisation and a CUIL the list brings (before and after it is imported), with a total, paging
and CSV/XLSX exports of exactly what is filtered, within the user's scope."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from enrollment.models import ImportJob
from provinces.roles import Role
from tests.enrollment.survey_files import csv_bytes, row, upload
from tests.factories import CycleFactory, OrganisationFactory, crop, make_cuil, make_user, province
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db
URL = "enrollment:import_list"


@pytest.fixture
def world(client):
    office = OrganisationFactory(province=province("Tucumán"))
    officer = make_user(Role.PROVINCIAL_OFFICER, office)
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    sign_in(client, officer)
    for name, rows in (("aplicado.csv", [row(1), row(2)]), ("=HYPERLINK(1).csv", [row(3)])):
        client.post(reverse("enrollment:import_upload"), {"cycle": cycle.pk, "file": upload(csv_bytes(rows), name)})
    applied = ImportJob.objects.get(original_name="aplicado.csv")
    assert client.post(reverse("enrollment:import_confirm", args=[applied.pk])).status_code == 302
    applied.refresh_from_db()
    assert applied.status == ImportJob.Status.DONE
    staged = ImportJob.objects.get(original_name="=HYPERLINK(1).csv")
    mendoza_office = OrganisationFactory(province=province("Mendoza"))
    mendoza_officer = make_user(Role.PROVINCIAL_OFFICER, mendoza_office)
    mendoza = ImportJob.objects.create(
        file="padrones/vid.csv",
        original_name="vendimia-mendoza.csv",
        file_format="csv",
        sha256="0" * 64,
        uploaded_by=mendoza_officer,
        organisation=mendoza_office,
        cycle=CycleFactory(agreement__province=province("Mendoza"), crop=crop("vid")),
        status=ImportJob.Status.FAILED,
    )
    return {
        "client": client,
        "officer": officer,
        "applied": applied,
        "staged": staged,
        "mendoza": mendoza,
        "reviewer": make_user(Role.MINISTRY_REVIEWER),
    }


def count(response) -> int:
    return int(re.search(r'data-count="(\d+)"', response.content.decode()).group(1))


def listed(response) -> set[int]:
    return {job.pk for job in response.context["page"]}


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))


def test_survey_lists_are_found_by_a_cuil_they_bring_before_and_after_import(world):
    client = world["client"]
    sign_in(client, world["reviewer"])
    url = reverse(URL)
    staged_cuil, applied_cuil = make_cuil(40_000_003), make_cuil(40_000_001)
    assert listed(client.get(url, {"cuil": staged_cuil})) == {world["staged"].pk}
    shown = f"{applied_cuil[:2]}-{applied_cuil[2:10]}-{applied_cuil[10]}"
    assert listed(client.get(url, {"cuil": shown})) == {world["applied"].pk}
    assert listed(client.get(url, {"cuil": "4000000"})) == {world["staged"].pk, world["applied"].pk}
    assert count(client.get(url, {"cuil": make_cuil(39_999_999)})) == 0


def test_survey_lists_filter_by_name_state_and_province_with_a_total(world):
    client = world["client"]
    sign_in(client, world["reviewer"])
    url = reverse(URL)
    everything = client.get(url)
    assert count(everything) == 3 and "3 padrones" in everything.content.decode()
    assert listed(client.get(url, {"archivo": "APLICADO"})) == {world["applied"].pk}
    assert listed(client.get(url, {"estado": ["ready", "failed"]})) == {world["staged"].pk, world["mendoza"].pk}
    one = client.get(url, {"province": world["mendoza"].cycle.agreement.province_id})
    assert listed(one) == {world["mendoza"].pk} and "1 padrón" in one.content.decode()
    body = everything.content.decode()
    assert 'type="checkbox" name="estado" value="ready"' in body
    refused = client.get(url, {"cuil": "veinte"})
    assert count(refused) == 0 and 'role="alert"' in refused.content.decode()


def test_the_survey_lists_export_holds_what_is_filtered_and_is_safe(world):
    client = world["client"]
    sign_in(client, world["reviewer"])
    rows = read_csv(client.get(reverse(URL), {"estado": "ready", "exportar": "csv"}))
    assert rows[0][:2] == ["N°", "Archivo"] and len(rows) == 2
    assert rows[1][1] == "'=HYPERLINK(1).csv"
    response = client.get(reverse(URL), {"exportar": "xlsx"})
    values = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(values) == 4 and {v[0] for v in values[1:]} == {world[k].pk for k in ("applied", "staged", "mendoza")}


def test_an_officer_sees_and_exports_only_her_provinces_lists(world):
    client = world["client"]
    sign_in(client, world["officer"])
    url = reverse(URL)
    assert listed(client.get(url)) == {world["applied"].pk, world["staged"].pk}
    rows = read_csv(client.get(url, {"exportar": "csv"}))
    assert "vendimia-mendoza.csv" not in str(rows) and len(rows) == 3
    province_id = world["mendoza"].cycle.agreement.province_id
    refused = client.get(url, {"province": province_id, "exportar": "csv"})
    assert not refused.has_header("Content-Disposition") and "vendimia" not in refused.content.decode()
    assert count(client.get(url, {"province": province_id})) == 0


def test_a_list_mixing_periods_is_found_by_each_of_its_periods_and_provinces(world):
    from enrollment.models import ImportPeriod

    client = world["client"]
    sign_in(client, world["reviewer"])
    mendoza_cycle = world["mendoza"].cycle
    ImportPeriod.objects.create(job=world["staged"], cycle=mendoza_cycle)
    url = reverse(URL)
    province_id = mendoza_cycle.agreement.province_id
    assert listed(client.get(url, {"province": province_id})) == {world["mendoza"].pk, world["staged"].pk}
    assert listed(client.get(url, {"cycle": mendoza_cycle.pk})) == {world["mendoza"].pk, world["staged"].pk}
    assert listed(client.get(url, {"cycle": world["applied"].cycle_id, "estado": "done"})) == {world["applied"].pk}
