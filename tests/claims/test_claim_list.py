"""The claims list finds like every list: CUIL and name search, the domain's filters, a total,
paging, and CSV/XLSX exports of exactly what is filtered, within the user's scope and safe in a
spreadsheet."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from claims import services
from claims.models import Claim
from enrollment.models import Enrollment
from tests.factories import CycleFactory, EnrollmentFactory, OrganisationFactory, WorkerFactory, crop, province
from tests.twofactor import sign_in, verify_client

pytestmark = pytest.mark.django_db
URL = "claims:list"


@pytest.fixture
def claims(rejected, reviewer):
    tucuman = services.file_claim(
        by=None, worker=rejected.worker, subject="rejection", enrollment=rejected, description="=HYPERLINK(1)"
    )
    office = OrganisationFactory(province=province("Mendoza"))
    mendoza = EnrollmentFactory(
        status=Enrollment.Status.SUBMITTED,
        cycle=CycleFactory(agreement__province=province("Mendoza"), crop=crop("vid")),
        worker__registered_by=office,
        worker__province=province("Mendoza"),
        worker__last_name="Quiroga",
    )
    decided = services.file_claim(by=None, worker=mendoza.worker, subject="data_correction", description="Apellido mal")
    services.take_claim(claim=decided, by=reviewer)
    services.deny_claim(claim=decided, by=reviewer, resolution="Los datos son correctos")
    other = services.file_claim(by=None, worker=mendoza.worker, subject="data_correction", description="DNI mal")
    return {"tucuman": tucuman, "mendoza": other, "decided": decided}


def login(client, user):
    sign_in(client, user)
    verify_client(client, user)
    return client


def count(response) -> int:
    return int(re.search(r'data-count="(\d+)"', response.content.decode()).group(1))


def listed(response) -> set[int]:
    return {c.pk for c in response.context["page"]}


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_claims_list_filters_by_cuil_name_state_and_subject(client, claims, reviewer):
    login(client, reviewer)
    url = reverse(URL)
    opened = client.get(url)
    assert listed(opened) == {claims["tucuman"].pk, claims["mendoza"].pk} and count(opened) == 2
    assert "2 reclamos" in opened.content.decode()
    worker = claims["mendoza"].worker
    for typed in (worker.cuil_display, worker.cuil, worker.cuil[2:10]):
        assert listed(client.get(url, {"cuil": typed})) == {claims["mendoza"].pk}, typed
    assert listed(client.get(url, {"name": "quir", "status": "all"})) == {claims["mendoza"].pk, claims["decided"].pk}
    assert listed(client.get(url, {"status": "denied"})) == {claims["decided"].pk}
    assert listed(client.get(url, {"subject": "rejection"})) == {claims["tucuman"].pk}
    assert listed(client.get(url, {"province": province("Mendoza").pk, "status": "all"})) == {
        claims["mendoza"].pk,
        claims["decided"].pk,
    }
    one = client.get(url, {"status": "denied", "subject": "data_correction"})
    assert count(one) == 1 and "1 reclamo" in one.content.decode()


def test_a_claims_filter_the_form_cannot_read_lists_nothing(client, claims, reviewer):
    login(client, reviewer)
    response = client.get(reverse(URL), {"cuil": "veinte"})
    assert count(response) == 0 and 'role="alert"' in response.content.decode()
    export = client.get(reverse(URL), {"cuil": "veinte", "exportar": "csv"})
    assert not export.has_header("Content-Disposition")


def test_the_claims_export_holds_exactly_what_is_filtered(client, claims, reviewer):
    login(client, reviewer)
    rows = read_csv(client.get(reverse(URL), {"status": "all", "exportar": "csv"}))
    assert rows[0][:3] == ["N°", "CUIL", "Apellido"] and len(rows) == 4
    rows = read_csv(client.get(reverse(URL), {"province": province("Mendoza").pk, "exportar": "csv"}))
    assert [int(row[0]) for row in rows[1:]] == [claims["mendoza"].pk]
    response = client.get(reverse(URL), {"subject": "rejection", "exportar": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    values = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(values) == 2 and values[1][0] == claims["tucuman"].pk
    assert values[1][1] == claims["tucuman"].worker.cuil_display
    assert values[1][13] == "'=HYPERLINK(1)"


def test_an_officers_claims_list_and_export_hold_only_her_province(client, claims, officer):
    login(client, officer)
    assert listed(client.get(reverse(URL), {"status": "all"})) == {claims["tucuman"].pk}
    rows = read_csv(client.get(reverse(URL), {"status": "all", "exportar": "csv"}))
    assert [int(row[0]) for row in rows[1:]] == [claims["tucuman"].pk]
    assert "Quiroga" not in str(rows)
    refused = client.get(reverse(URL), {"province": province("Mendoza").pk, "exportar": "csv"})
    assert not refused.has_header("Content-Disposition") and "Quiroga" not in refused.content.decode()


def test_the_claims_list_pages_fifty_at_a_time(client, claims, reviewer):
    workers = WorkerFactory.create_batch(55)
    Claim.objects.bulk_create(
        Claim(worker=worker, subject="data_correction", description="x", due_on=claims["tucuman"].due_on)
        for worker in workers
    )
    login(client, reviewer)
    first = client.get(reverse(URL))
    assert count(first) == 57 and len(first.context["page"]) == 50
    assert len(client.get(reverse(URL), {"page": 2}).context["page"]) == 7
    assert len(read_csv(client.get(reverse(URL), {"page": 2, "exportar": "csv"}))) == 58
