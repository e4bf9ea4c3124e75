"""The installments list (Cuotas) finds by CUIL and by a month picker, and exports what it
lists: an officer's export holds only her province's installments."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from payments.models import Installment

pytestmark = pytest.mark.django_db

URL = "payments:installment_list"


def count(body: str) -> int:
    return int(re.search(r'data-count="(\d+)"', body).group(1))


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_month_is_a_picker_and_the_cuil_filter_reads_it_with_or_without_hyphens(activity, login):
    client = login(activity.world.users["payments"])
    body = client.get(reverse(URL)).content.decode()
    assert 'type="month"' in body and 'name="cuil"' in body
    installment = Installment.objects.select_related("worker").order_by("pk").first()
    worker = installment.worker
    mine = Installment.objects.filter(worker=worker).count()
    for typed in (worker.cuil_display, worker.cuil, worker.cuil[2:10]):
        assert count(client.get(reverse(URL), {"cuil": typed}).content.decode()) == mine, typed
    month = installment.month.strftime("%Y-%m")
    assert count(client.get(reverse(URL), {"cuil": worker.cuil, "month": month}).content.decode()) == 1


def test_an_unreadable_month_or_cuil_is_shown_as_an_error_and_lists_nothing(activity, login):
    client = login(activity.world.users["payments"])
    for query in ({"month": "2026-13"}, {"cuil": "20-ABC"}):
        body = client.get(reverse(URL), query).content.decode()
        assert count(body) == 0 and 'role="alert"' in body, query


def test_an_officers_installment_export_holds_only_her_provinces_rows(activity, login):
    world = activity.world
    client = login(world.users["mendoza"])
    rows = read_csv(client.get(reverse(URL), {"exportar": "csv"}))
    expected = Installment.objects.filter(province=world.mza_agreement.province)
    assert rows[0][:3] == ["Mes", "CUIL", "Apellido"]
    assert len(rows) - 1 == expected.count() > 0
    assert {row[5] for row in rows[1:]} == {"CONV-MZA"}
    cuils = {i.worker.cuil_display for i in expected.select_related("worker")}
    assert {row[1] for row in rows[1:]} == cuils
    # amounts read as numbers with a decimal comma
    assert all(re.fullmatch(r"\d+,\d\d", row[8]) for row in rows[1:])


def payment_rows(body: str) -> list[str]:
    table = re.search(r'<table class="payments">.*?</table>', body, re.S)
    assert table, "no payment history table"
    return re.findall(r"<tr>\s*<td>(\d\d/\d{4})</td>", table.group(0))


def test_worker_and_enrollment_pages_show_the_payment_history(activity, login):
    world = activity.world
    installment = Installment.objects.filter(province=world.tuc_agreement.province).order_by("pk").first()
    mine = Installment.objects.filter(worker=installment.worker).order_by("month", "number")
    client = login(world.users["tucuman"])
    body = client.get(reverse("enrollment:worker_detail", args=[installment.worker_id])).content.decode()
    assert payment_rows(body) == [i.month.strftime("%m/%Y") for i in mine]
    assert "Cuotas y pagos" in body
    enrollment = client.get(reverse("enrollment:enrollment_detail", args=[installment.enrollment_id])).content.decode()
    assert len(payment_rows(enrollment)) == Installment.objects.filter(enrollment=installment.enrollment).count()


def test_the_payment_history_stays_within_scope(activity, login):
    world = activity.world
    installment = Installment.objects.filter(province=world.tuc_agreement.province).order_by("pk").first()
    client = login(world.users["mendoza"])
    assert client.get(reverse("enrollment:worker_detail", args=[installment.worker_id])).status_code == 404
    assert client.get(reverse("enrollment:enrollment_detail", args=[installment.enrollment_id])).status_code == 404
    # a reviewer reads enrollments but not installments: no payment table at all
    reviewer = login(world.users["reviewer"])
    body = reviewer.get(reverse("enrollment:enrollment_detail", args=[installment.enrollment_id])).content.decode()
    assert 'class="payments"' not in body
