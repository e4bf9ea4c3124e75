"""Beneficiaries per cycle as CSV and XLSX: the rows of the cycle within scope, written in the
request when small and by a Celery task with progress when large."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pghistory.models import Events

from enrollment.models import Enrollment
from reports import services
from reports.models import ReportJob

pytestmark = pytest.mark.django_db


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def content_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def expected_cuils(cycle, **filters):
    return sorted(
        Enrollment.objects.filter(
            cycle=cycle, status__in=["approved", "active", "completed", "suspended"], **filters
        ).values_list("worker__cuil", flat=True)
    )


def test_small_csv_is_written_in_the_request_with_the_cycles_beneficiaries(world, login):
    response = login(world.users["reviewer"]).post(
        reverse("reports:report_create", args=["beneficiaries"]), {"cycle": world.tuc_cane.pk, "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming  # sent as it is read, never built whole in memory
    assert f"beneficiarios-periodo-{world.tuc_cane.pk}.csv" in response["Content-Disposition"]
    header, *rows = csv_rows(content_of(response))
    assert header[:4] == ["CUIL", "DNI", "Apellido", "Nombre"]
    # Only approved-or-later enrollments: 3 approved; the submitted and rejected are not beneficiaries.
    assert sorted(r[0] for r in rows) == expected_cuils(world.tuc_cane) and len(rows) == 3
    assert {r[header.index("Estado")] for r in rows} == {"Aprobada"}


def test_xlsx_has_real_dates_and_the_same_rows(world, login):
    worker = Enrollment.objects.filter(cycle=world.mza_grapes, status="approved").first().worker
    worker.birth_date = dt.date(1990, 12, 31)
    worker.save()
    response = login(world.users["mendoza"]).post(
        reverse("reports:report_create", args=["beneficiaries"]), {"cycle": world.mza_grapes.pk, "format": "xlsx"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert sorted(r[0] for r in body) == expected_cuils(world.mza_grapes) and len(body) == 4
    birth = {r[0]: r[header.index("Fecha de nacimiento")] for r in body}[worker.cuil]
    assert birth.date() == dt.date(1990, 12, 31)


def test_union_exports_only_what_it_registered(world, login):
    response = login(world.users["union"]).post(
        reverse("reports:report_create", args=["beneficiaries"]), {"cycle": world.tuc_citrus.pk, "format": "csv"}
    )
    _header, *rows = csv_rows(content_of(response))
    assert sorted(r[0] for r in rows) == expected_cuils(world.tuc_citrus, organisation=world.union)
    response = login(world.users["union"]).post(
        reverse("reports:report_create", args=["beneficiaries"]), {"cycle": world.tuc_cane.pk, "format": "csv"}
    )
    _header, *rows = csv_rows(content_of(response))
    assert rows == []  # the office's approved cane workers are not the union's


def test_other_provinces_cycle_is_refused_with_a_message(world, login):
    client = login(world.users["tucuman"])
    response = client.post(
        reverse("reports:report_create", args=["beneficiaries"]), {"cycle": world.mza_grapes.pk, "format": "csv"}
    )
    assert response.status_code == 302
    assert ReportJob.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "Seleccione una opción válida" in page


def test_unknown_report_is_404(world, login):
    response = login(world.users["reviewer"]).post(reverse("reports:report_create", args=["nope"]), {})
    assert response.status_code == 404


def test_large_report_goes_to_celery_with_progress_and_only_its_requester_downloads_it(
    world, login, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_INLINE_MAX_ROWS = 2
    client = login(world.users["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:report_create", args=["beneficiaries"]), {"cycle": world.mza_grapes.pk, "format": "csv"}
        )
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:job_detail", args=[job.pk])
    assert job.status == ReportJob.Status.DONE
    assert (job.total_rows, job.done_rows, job.percent) == (4, 4, 100)
    page = client.get(response["Location"]).content.decode()
    assert 'value="100"' in page and reverse("reports:job_download", args=[job.pk]) in page
    download = client.get(reverse("reports:job_download", args=[job.pk]))
    _header, *rows = csv_rows(b"".join(download.streaming_content))
    assert sorted(r[0] for r in rows) == expected_cuils(world.mza_grapes)
    # Who exported which data is in the audit trail.
    event = Events.objects.tracks(job).get()
    assert event.pgh_context["user"] == world.users["reviewer"].pk
    # Somebody else, even an auditor, cannot open or download it.
    other = login(world.users["auditor"])
    assert other.get(reverse("reports:job_detail", args=[job.pk])).status_code == 404
    assert other.get(reverse("reports:job_download", args=[job.pk])).status_code == 404


def test_generating_a_report_twice_gives_the_same_file(world, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        job = services.request_report(
            by=world.users["reviewer"], kind="beneficiaries", params={"cycle": world.tuc_cane.pk}, format="csv"
        )
    job.refresh_from_db()
    first = job.file.read()
    job.file.close()
    # A crash after the file was written but before the job was marked done: run again.
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.RUNNING)
    again = services.generate_report(job_id=job.pk)
    assert again.file.read() == first
    assert len(list(tmp_path.rglob("*.csv"))) == 1  # the half-done file was replaced, not kept
    # A finished job is left alone.
    assert services.generate_report(job_id=job.pk).finished_at == again.finished_at


def test_report_job_progress_is_visible_while_running(world, login):
    job = ReportJob.objects.create(
        kind="beneficiaries",
        params={"cycle": world.tuc_cane.pk},
        format="xlsx",
        requested_by=world.users["reviewer"],
        status=ReportJob.Status.RUNNING,
        total_rows=2000,
        done_rows=500,
    )
    response = login(world.users["reviewer"]).get(reverse("reports:job_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'value="25"' in body
    assert "500 de 2.000 filas" in body


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised(world, login):
    enrollment = Enrollment.objects.filter(cycle=world.tuc_cane, status="approved").first()
    enrollment.worker.locality = '=HYPERLINK("http://x","clic")'
    enrollment.worker.save()
    client = login(world.users["reviewer"])
    url = reverse("reports:report_create", args=["beneficiaries"])
    response = client.post(url, {"cycle": world.tuc_cane.pk, "format": "csv"})
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    header, *rows = csv_rows(content_of(response))
    localities = [r[header.index("Localidad")] for r in rows]
    assert '\'=HYPERLINK("http://x","clic")' in localities
    sheet = load_workbook(io.BytesIO(client.post(url, {"cycle": world.tuc_cane.pk, "format": "xlsx"}).content)).active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value.startswith("'") for c in cells)


def test_a_user_without_a_role_gets_no_report(db, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("reports:report_list")).status_code == 403
    response = client.post(reverse("reports:report_create", args=["beneficiaries"]), {"cycle": 1, "format": "csv"})
    assert response.status_code == 403
    assert ReportJob.objects.count() == 0
