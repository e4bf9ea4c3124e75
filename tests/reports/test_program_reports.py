"""Payments per month and province, and referrals and outcomes, as CSV and XLSX: rows within
scope, amounts as plain numbers, and only for the roles that may read them."""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from payments.models import Installment
from reports import services
from reports.models import ReportJob
from training.models import Referral

pytestmark = pytest.mark.django_db
IS = Installment.Status


def csv_rows(content: bytes) -> tuple[list[str], list[list[str]]]:
    assert content.startswith(b"\xef\xbb\xbf")
    header, *rows = csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")
    return header, rows


def post(client, kind, **data):
    return client.post(reverse("reports:report_create", args=[kind]), {"format": "csv", **data})


def expected_payments(**filters):
    """The report's figures computed row by row in Python, independently of its query."""
    totals: dict = defaultdict(lambda: defaultdict(Decimal))
    for i in Installment.objects.filter(**filters).exclude(status=IS.CANCELLED).select_related("province", "agreement"):
        key = (f"{i.month:%Y-%m}", i.province.name, i.agreement.number)
        stage = {IS.PAID: "paid", IS.REJECTED: "rejected", IS.HELD: "held"}.get(i.status, "pending")
        for name in ("scheduled", stage):
            totals[key][name + "_n"] += 1
            totals[key][name] += i.amount
    return totals


def test_payments_report_has_a_row_per_month_province_and_agreement_adding_up(activity, login):
    response = post(login(activity.world.users["payments"]), "payments")
    assert response.status_code == 200
    assert "pagos-por-mes-y-provincia.csv" in response["Content-Disposition"]
    header, rows = csv_rows(b"".join(response.streaming_content))
    assert header[:5] == ["Mes", "Provincia", "Convenio", "Cuotas programadas", "Importe programado"]
    expected = expected_payments()
    assert [tuple(r[:3]) for r in rows] == sorted(expected)
    for row in rows:
        want = expected[tuple(row[:3])]
        got = dict(zip(header, row, strict=True))
        assert int(got["Cuotas programadas"]) == want["scheduled_n"]
        assert Decimal(got["Importe programado"]) == want["scheduled"]
        assert int(got["Cuotas pagadas"]) == want["paid_n"] and Decimal(got["Importe pagado"]) == want["paid"]
        assert int(got["Cuotas rechazadas por el banco"]) == want["rejected_n"]
        assert Decimal(got["Importe rechazado"]) == want["rejected"]
        assert Decimal(got["Importe retenido"]) == want["held"]
        assert int(got["Cuotas pendientes (programadas o en lote)"]) == want["pending_n"]
    june_tuc = next(r for r in rows if r[:2] == ["2026-06", "Tucumán"])
    # Plain numbers in the file: a dot for decimals, no thousands separator.
    assert june_tuc[3:7] == ["5", "445001.50", "1", "95000.50"]


def test_payments_report_range_and_province_narrow_the_rows(activity, login):
    mendoza = activity.world.mza_agreement.province_id
    response = post(
        login(activity.world.users["auditor"]),
        "payments",
        first_month="2026-06",
        last_month="2026-06",
        province=mendoza,
        format="xlsx",
    )
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    row = dict(zip(header, body[0], strict=True))
    assert row["Mes"] == dt.datetime(2026, 6, 1)  # a real date cell
    assert (row["Provincia"], row["Convenio"], row["Cuotas programadas"]) == ("Mendoza", "CONV-MZA", 3)
    assert row["Importe pagado"] == pytest.approx(220000.50)  # a number cell
    assert row["Cuotas retenidas"] == 1


def test_payments_report_refuses_a_range_backwards(activity, login):
    client = login(activity.world.users["payments"])
    response = post(client, "payments", first_month="2026-07", last_month="2026-05")
    assert response.status_code == 302
    assert "El mes inicial es posterior al final" in client.get(response["Location"]).content.decode()


def test_roles_outside_payments_cannot_ask_for_the_payments_report(activity, login):
    client = login(activity.world.users["reviewer"])
    assert post(client, "payments").status_code == 403
    assert 'action="/informes/payments/generar/"' not in client.get(reverse("reports:report_list")).content.decode()
    assert ReportJob.objects.count() == 0


def test_payments_report_is_offered_to_payments_roles(activity, login):
    body = login(activity.world.users["payments"]).get(reverse("reports:report_list")).content.decode()
    assert 'action="/informes/payments/generar/"' in body
    assert 'action="/informes/referrals/generar/"' not in body  # referrals are not a payments matter


def test_the_list_of_requested_reports_names_each_by_its_title(activity, login, settings, tmp_path):
    settings.REPORTS_INLINE_MAX_ROWS = 0  # every report becomes a job
    settings.MEDIA_ROOT = tmp_path
    client = login(activity.world.users["payments"])
    post(client, "payments")
    assert ReportJob.objects.get().kind == "payments"
    body = client.get(reverse("reports:report_list")).content.decode()
    assert "<td>Pagos por mes y provincia · CSV</td>" in body


@pytest.mark.parametrize("role", ["tucuman", "mendoza", "union", "union_b"])
def test_provincial_and_union_officers_get_the_payments_report_of_their_scope(two_unions, login, role):
    world = two_unions.world
    scope = {
        "tucuman": {"province": world.tuc_agreement.province},
        "mendoza": {"province": world.mza_agreement.province},
        "union": {"enrollment__organisation": world.union},
        "union_b": {"enrollment__organisation": two_unions.union_b},
    }[role]
    client = login(world.users[role])
    assert 'action="/informes/payments/generar/"' in client.get(reverse("reports:report_list")).content.decode()
    response = post(client, "payments")
    assert response.status_code == 200
    header, rows = csv_rows(b"".join(response.streaming_content))
    expected = expected_payments(**scope)
    # a real part of the country's
    assert (
        0
        < sum(v["scheduled_n"] for v in expected.values())
        < sum(v["scheduled_n"] for v in expected_payments().values())
    )
    assert [tuple(r[:3]) for r in rows] == sorted(expected)
    for row in rows:
        want = expected[tuple(row[:3])]
        got = dict(zip(header, row, strict=True))
        assert int(got["Cuotas programadas"]) == want["scheduled_n"]
        assert Decimal(got["Importe programado"]) == want["scheduled"]
        assert Decimal(got["Importe pagado"]) == want["paid"] and Decimal(got["Importe retenido"]) == want["held"]
        assert Decimal(got["Importe rechazado"]) == want["rejected"]


def test_a_province_or_agreement_out_of_scope_is_refused_in_the_payments_report(two_unions, login):
    world = two_unions.world
    for role, data in (
        ("tucuman", {"province": world.mza_agreement.province_id}),
        ("tucuman", {"agreement": world.mza_agreement.pk}),
        ("union", {"agreement": world.mza_agreement.pk}),
    ):
        client = login(world.users[role])
        response = post(client, "payments", **data)
        assert response.status_code == 302, (role, data)
        assert "opción válida" in client.get(response["Location"]).content.decode(), (role, data)
    assert ReportJob.objects.count() == 0


def referral_cuils(**filters):
    return sorted(Referral.objects.filter(**filters).values_list("worker__cuil", flat=True))


def test_referrals_report_has_one_row_per_referral_with_its_outcome(activity, login):
    response = post(login(activity.world.users["reviewer"]), "referrals")
    assert response.status_code == 200
    header, rows = csv_rows(b"".join(response.streaming_content))
    assert sorted(r[0] for r in rows) == referral_cuils() and len(rows) == 9
    completed = [dict(zip(header, r, strict=True)) for r in rows if r[header.index("Estado")] == "Finalizada"]
    assert len(completed) == 2
    assert {r["Obtuvo empleo"] for r in completed} == {"Sí"}
    assert {r["Empleador"] for r in completed} == {"Finca El Ceibo"}
    assert {r["Fecha de derivación"] for r in completed} == {"2026-06-10"}
    assert {r["Línea"] for r in completed} == {"Formación profesional"}


def test_provincial_officer_exports_only_referrals_in_its_scope(activity, login):
    world = activity.world
    response = post(login(world.users["tucuman"]), "referrals", format="xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    provinces = {r[header.index("Provincia del convenio")] for r in body}
    # Its five beneficiaries, and the Mendoza one on a course held in Tucumán (that course's
    # roster is Tucumán's to follow); no other Mendoza referral.
    assert len(body) == 6
    assert sorted(r[0] for r in body) == sorted(
        referral_cuils(enrollment__cycle__agreement__province__name="Tucumán")
        + referral_cuils(enrollment__cycle__agreement__province__name="Mendoza", course=activity.tuc_course)
    )
    assert provinces == {"Tucumán", "Mendoza"}
    # Asking for Mendoza's cycle is refused: not a choice within Tucumán's scope.
    client = login(world.users["tucuman"])
    refused = post(client, "referrals", cycle=world.mza_grapes.pk)
    assert refused.status_code == 302 and ReportJob.objects.count() == 0


def test_referrals_report_by_cycle(activity, login):
    world = activity.world
    response = post(login(world.users["mendoza"]), "referrals", cycle=world.mza_grapes.pk)
    _header, rows = csv_rows(b"".join(response.streaming_content))
    assert sorted(r[0] for r in rows) == referral_cuils(enrollment__cycle=world.mza_grapes)
    assert f"derivaciones-periodo-{world.mza_grapes.pk}.csv" in response["Content-Disposition"]


@pytest.mark.parametrize("role", ["payments", "union"])
def test_roles_outside_training_cannot_ask_for_the_referrals_report(activity, login, role):
    assert post(login(activity.world.users[role]), "referrals").status_code == 403


def test_large_payments_report_goes_to_celery_with_progress(
    activity, login, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_INLINE_MAX_ROWS = 2
    client = login(activity.world.users["payments"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "payments", first_month="2026-05")
    job = ReportJob.objects.get()
    assert response["Location"] == reverse("reports:job_detail", args=[job.pk])
    assert job.status == ReportJob.Status.DONE and (job.total_rows, job.done_rows) == (4, 4)
    assert job.params == {"first_month": "2026-05", "last_month": "", "province": None, "agreement": None}
    download = client.get(reverse("reports:job_download", args=[job.pk]))
    _header, rows = csv_rows(b"".join(download.streaming_content))
    assert [tuple(r[:3]) for r in rows] == sorted(expected_payments())


def test_a_report_job_cannot_be_requested_without_the_reports_permission(activity):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.request_report(by=activity.world.users["reviewer"], kind="payments", params={}, format="csv")
    assert ReportJob.objects.count() == 0
