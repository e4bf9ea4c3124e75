"""A list of many wrong rows stores at most SURVEY_LIST_MAX_ERRORS problems (the rest counted),
its problems CSV is streamed, and "Descartar" works in every state but done."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from enrollment import imports, tasks
from enrollment.imports import read, stage
from enrollment.imports.read import SurveyFileError, read_table
from enrollment.models import Enrollment, ImportJob, ImportRow
from provinces.roles import Role
from tests.enrollment.hostile_files import near_empty_rows_xlsx
from tests.enrollment.survey_files import csv_bytes, row, upload
from tests.factories import PASSWORD, CycleFactory, OrganisationFactory, make_user, province

J = ImportJob.Status


@pytest.fixture
def officer(db):
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


@pytest.fixture
def cycle(db):
    return CycleFactory(first_month=dt.date(2026, 5, 1))


def near_empty_csv(rows: int) -> bytes:
    """``rows`` rows with only a CUIL-looking ``x``: every required column is missing."""
    return csv_bytes([{"cuil": "x"} for _ in range(rows)])


def test_a_million_near_empty_rows_are_refused_before_they_are_read(monkeypatch):
    data = near_empty_rows_xlsx(1_000_000)
    assert len(data) < 8 * 1024 * 1024

    class Refused:
        @staticmethod
        def from_filelike(_handle):
            raise AssertionError("calamine was asked to read the file")

    monkeypatch.setattr(read, "CalamineWorkbook", Refused)
    with pytest.raises(SurveyFileError, match="y el máximo es 300.000 filas"):
        read_table(data, "xlsx")


@pytest.mark.django_db
def test_problems_past_the_cap_are_counted_and_not_stored(officer, cycle, settings):
    settings.SURVEY_LIST_MAX_ERRORS = 100
    job = imports.create_import_job(by=officer, upload=upload(near_empty_csv(300)), cycle=cycle)
    job = imports.analyse_import(job_id=job.pk)
    assert job.status == J.READY and job.error_rows == 300
    stored = job.errors.count()
    assert stored == 100
    # every row has the same problems: CUIL, names, birth date, sex, province, locality, activity...
    per_row = job.errors.filter(row_number=2).count()
    assert per_row == 8
    assert job.unlisted_errors == 300 * per_row - 100


@pytest.mark.django_db
def test_the_problems_csv_streams_every_stored_problem_and_says_how_many_more(client, officer, cycle, settings):
    settings.SURVEY_LIST_MAX_ERRORS = 5000
    job = imports.create_import_job(by=officer, upload=upload(near_empty_csv(1000)), cycle=cycle)
    job = imports.analyse_import(job_id=job.pk)
    assert client.login(username=officer.username, password=PASSWORD)
    response = client.get(reverse("enrollment:import_errors_csv", args=[job.pk]))
    assert response.status_code == 200 and response.streaming
    pieces = [piece if isinstance(piece, bytes) else piece.encode() for piece in response.streaming_content]
    assert len(pieces) > 3 and max(len(piece) for piece in pieces) < 80_000  # one piece at a time in memory
    lines = b"".join(pieces).decode("utf-8-sig").splitlines()
    assert lines[0] == "fila;columna;valor;problema"
    assert len(lines) == 1 + 5000 + 1
    more = f"{job.unlisted_errors:,}".replace(",", ".")
    assert lines[-1] == f";;;y {more} errores más, no listados (se guardan los primeros 5.000)."
    page = client.get(reverse("enrollment:import_detail", args=[job.pk])).content.decode()
    assert f"y {more} errores más, no listados" in page


@pytest.mark.django_db
@pytest.mark.parametrize("status", [J.QUEUED, J.ANALYSING, J.READY, J.FAILED, J.CONFIRMED])
def test_a_job_is_discarded_in_every_state_before_done_and_its_late_task_does_nothing(
    officer, cycle, status, monkeypatch
):
    job = imports.create_import_job(by=officer, upload=upload(csv_bytes([row(1), row(2)])), cycle=cycle)
    if status in (J.READY, J.CONFIRMED):
        imports.analyse_import(job_id=job.pk)
    if status == J.CONFIRMED:
        imports.confirm_import(job=ImportJob.objects.get(pk=job.pk), by=officer)
    ImportJob.objects.filter(pk=job.pk).update(status=status)
    job = imports.cancel_import(job=ImportJob.objects.get(pk=job.pk), by=officer)
    assert job.status == J.CANCELLED and not ImportRow.objects.filter(job=job).exists()
    assert imports.cancel_import(job=job, by=officer).status == J.CANCELLED  # twice: no error
    ran = []
    monkeypatch.setattr(imports, "analyse_import", lambda **kw: ran.append("analyse"))
    monkeypatch.setattr(imports, "apply_import", lambda **kw: ran.append("apply"))
    tasks.analyse_import_job.delay(job.pk)
    tasks.apply_import_job.delay(job.pk)
    assert ran == [] and ImportJob.objects.get(pk=job.pk).status == J.CANCELLED
    assert not Enrollment.objects.filter(cycle=cycle).exists()


@pytest.mark.django_db
def test_an_applied_job_is_not_discarded(officer, cycle):
    from django.core.exceptions import ValidationError

    job = imports.create_import_job(by=officer, upload=upload(csv_bytes([row(1)])), cycle=cycle)
    imports.analyse_import(job_id=job.pk)
    imports.confirm_import(job=ImportJob.objects.get(pk=job.pk), by=officer)
    imports.apply_import(job_id=job.pk)
    with pytest.raises(ValidationError, match="ya fue importado"):
        imports.cancel_import(job=ImportJob.objects.get(pk=job.pk), by=officer)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [J.QUEUED, J.ANALYSING, J.FAILED, J.CONFIRMED])
def test_the_page_offers_descartar_in_every_state_before_done(client, officer, cycle, status):
    job = imports.create_import_job(by=officer, upload=upload(csv_bytes([row(1)])), cycle=cycle)
    ImportJob.objects.filter(pk=job.pk).update(status=status)
    assert client.login(username=officer.username, password=PASSWORD)
    page = client.get(reverse("enrollment:import_detail", args=[job.pk])).content.decode()
    assert reverse("enrollment:import_cancel", args=[job.pk]) in page
    client.post(reverse("enrollment:import_cancel", args=[job.pk]))
    assert ImportJob.objects.get(pk=job.pk).status == J.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_discarding_while_the_analysis_runs_is_immediate_and_the_analysis_keeps_nothing(monkeypatch):
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    job = imports.create_import_job(by=officer, upload=upload(csv_bytes([row(n) for n in range(1, 30)])), cycle=cycle)
    real_copy_rows = stage.copy_rows
    outcome = {}

    def discard_from_another_session(*args, **kwargs):
        # The analysis' transaction holds its lock on the job row here.
        def discard():
            try:
                outcome["status"] = imports.cancel_import(job=ImportJob.objects.get(pk=job.pk), by=officer).status
            finally:
                connections.close_all()

        thread = threading.Thread(target=discard)
        thread.start()
        thread.join(30)
        assert not thread.is_alive(), "discarding waited for the analysis"
        return real_copy_rows(*args, **kwargs)

    monkeypatch.setattr(stage, "copy_rows", discard_from_another_session)
    result = imports.analyse_import(job_id=job.pk)
    assert outcome["status"] == J.CANCELLED
    assert result.status == J.CANCELLED
    assert not ImportRow.objects.filter(job_id=job.pk).exists()
    connection.close()
