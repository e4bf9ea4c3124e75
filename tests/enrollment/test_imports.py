import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from enrollment import imports
from enrollment.imports import check, stage
from enrollment.models import Enrollment, ImportJob, ImportRow, ImportRowError, Worker
from provinces.roles import Role
from tests.enrollment.survey_files import HEADER, csv_bytes, row, upload, xlsx_bytes
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    crop,
    make_user,
    province,
)

pytestmark = pytest.mark.django_db
J = ImportJob.Status


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


@pytest.fixture
def cycle():
    return CycleFactory(first_month=dt.date(2026, 5, 1))


def analyse(officer, cycle, data: bytes, name="padron.csv") -> ImportJob:
    job = imports.create_import_job(by=officer, upload=upload(data, name), cycle=cycle)
    return imports.analyse_import(job_id=job.pk)


def run(officer, cycle, data: bytes, name="padron.csv") -> ImportJob:
    job = analyse(officer, cycle, data, name)
    assert job.status == J.READY, job.error_message
    imports.confirm_import(job=job, by=officer)
    return imports.apply_import(job_id=job.pk)


def problems(job) -> list[tuple]:
    return list(ImportRowError.objects.filter(job=job).values_list("row_number", "column", "message"))


def test_valid_list_is_summarised_then_created(officer, cycle):
    job = analyse(officer, cycle, csv_bytes([row(1), row(2), row(3)]))
    assert job.status == J.READY
    assert (job.total_rows, job.valid_rows, job.error_rows) == (3, 3, 0)
    assert (job.new_workers, job.known_workers, job.enrollments_to_create) == (3, 0, 3)
    assert Worker.objects.count() == 0, "nothing is created before confirmation"
    imports.confirm_import(job=job, by=officer)
    job = imports.apply_import(job_id=job.pk)
    assert job.status == J.DONE
    assert (job.created_workers, job.created_enrollments, job.over_quota) == (3, 3, 0)
    worker = Worker.objects.get(cuil=row(1)["cuil"])
    assert worker.last_name == "Núñez" and worker.last_name_norm == "NUNEZ"
    assert worker.dni == row(1)["cuil"][2:10]
    assert worker.registered_by == job.organisation
    enrollment = Enrollment.objects.get(worker=worker, cycle=cycle)
    assert enrollment.status == Enrollment.Status.SUBMITTED
    assert enrollment.registered_by == officer and enrollment.organisation == job.organisation
    assert imports.purge_staged_rows(job_id=job.pk) == 3
    assert not ImportRow.objects.filter(job=job).exists()


def test_semicolon_latin1_csv_is_read(officer, cycle):
    data = csv_bytes([row(1, apellido="Peñaloza"), row(2)], delimiter=";", encoding="latin-1")
    job = run(officer, cycle, data)
    assert job.created_enrollments == 2
    assert Worker.objects.filter(last_name="Peñaloza").exists()


def test_utf8_csv_with_bom_is_read(officer, cycle):
    job = run(officer, cycle, csv_bytes([row(1, apellido="Güemes")], bom=True))
    assert job.created_enrollments == 1
    assert Worker.objects.get().last_name == "Güemes"


def test_xlsx_is_read_with_numeric_and_date_cells(officer, cycle):
    r = row(1)
    r["cuil"] = int(r["cuil"])
    r["fecha_nacimiento"] = dt.datetime(1985, 3, 15)
    job = run(officer, cycle, xlsx_bytes([r, row(2)]), name="padron.xlsx")
    assert job.file_format == "xlsx" and job.created_enrollments == 2
    assert Worker.objects.get(cuil=str(r["cuil"])).birth_date == dt.date(1985, 3, 15)


def test_foreign_nationality_is_never_an_error(officer, cycle):
    job = run(officer, cycle, csv_bytes([row(1, nacionalidad="Bolivia"), row(2, nacionalidad="Paraguay")]))
    assert job.error_rows == 0 and job.created_enrollments == 2


@pytest.mark.parametrize(
    ("overrides", "column", "fragment"),
    [
        ({"cuil": "20400000010"}, "cuil", "dígito verificador"),
        ({"cuil": "2040000"}, "cuil", "11 dígitos"),
        ({"cbu": "0110599520000001234567"}, "cbu", "CBU"),
        ({"fecha_nacimiento": "31/02/1990"}, "fecha_nacimiento", "no existe"),
        ({"fecha_nacimiento": "01/01/2090"}, "fecha_nacimiento", "futura"),
        ({"fecha_nacimiento": "01/01/1890"}, "fecha_nacimiento", "no es plausible"),
        ({"fecha_nacimiento": "02/05/2008"}, "fecha_nacimiento", "Menor de 18"),
        ({"provincia": "Atlántida"}, "provincia", "desconocida"),
        ({"provincia": "Mendoza"}, "provincia", "no inscribe en Mendoza"),
        ({"actividad": "soja"}, "actividad", "desconocida"),
        ({"actividad": "vid"}, "actividad", "No hay un período de Vid / uva abierto en Tucumán"),
        ({"sexo": "Z"}, "sexo", "no reconocido"),
        ({"apellido": ""}, "apellido", "obligatorio"),
    ],
)
def test_bad_row_is_reported_with_row_and_column_and_not_created(officer, cycle, overrides, column, fragment):
    job = analyse(officer, cycle, csv_bytes([row(1), row(2, **overrides), row(3)]))
    assert job.status == J.READY
    assert (job.valid_rows, job.error_rows) == (2, 1)
    reported = problems(job)
    assert any(r == 3 and c == column and fragment in m for r, c, m in reported), reported
    imports.confirm_import(job=job, by=officer)
    imports.apply_import(job_id=job.pk)
    assert Enrollment.objects.filter(cycle=cycle).count() == 2


def test_under_age_limit_is_the_cycles_first_day(officer, cycle):
    job = analyse(officer, cycle, csv_bytes([row(1, fecha_nacimiento="01/05/2008")]))
    assert job.valid_rows == 1


def test_duplicate_row_in_file_is_reported_once_kept_once(officer, cycle):
    job = analyse(officer, cycle, csv_bytes([row(1), row(2), row(1)]))
    assert (job.valid_rows, job.error_rows) == (2, 1)
    assert problems(job) == [(4, "cuil", "CUIL repetido en el archivo: ya figura en la fila 2.")]


def test_missing_required_column_fails_the_file(officer, cycle):
    header = [h for h in HEADER if h != "fecha_nacimiento"]
    job = analyse(officer, cycle, csv_bytes([row(1)], header=header))
    assert job.status == J.FAILED
    assert "fecha_nacimiento" in job.error_message
    assert problems(job) == [(0, "", job.error_message)]


def test_header_only_file_fails_with_clear_message(officer, cycle):
    job = analyse(officer, cycle, csv_bytes([]))
    assert job.status == J.FAILED and "no tiene filas" in job.error_message


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("padron.pdf", b"%PDF-1.4 ...", "Solo se aceptan"),
        ("padron.xlsx", b"cuil,apellido\n", "no es una planilla"),
        ("padron.csv", b"PK\x03\x04binary", "no es texto"),
        ("padron.csv", b"", "vacío"),
    ],
)
def test_files_that_are_not_survey_lists_are_refused_at_upload(officer, cycle, name, data, fragment):
    with pytest.raises(ValidationError) as error:
        imports.create_import_job(by=officer, upload=upload(data, name), cycle=cycle)
    assert fragment in " ".join(error.value.message_dict["file"])
    assert not ImportJob.objects.exists()


def test_blank_csv_fails_as_empty(officer, cycle):
    job = analyse(officer, cycle, b"\r\n\r\n  \r\n")
    assert job.status == J.FAILED and "vacío" in job.error_message


def test_fifty_megabyte_file_is_refused_with_the_limit(officer, cycle):
    big = upload(b"x" * (50 * 1024 * 1024), "padron.csv")
    with pytest.raises(ValidationError) as error:
        imports.create_import_job(by=officer, upload=big, cycle=cycle)
    assert "50.0 MB" in error.value.message_dict["file"][0] and "máximo es 40 MB" in error.value.message_dict["file"][0]


def test_corrupt_xlsx_fails_with_message(officer, cycle):
    job = analyse(officer, cycle, b"PK\x03\x04" + b"\x00" * 200, name="padron.xlsx")
    assert job.status == J.FAILED and "XLSX" in job.error_message


def test_reuploading_the_same_file_creates_no_duplicates(officer, cycle):
    data = csv_bytes([row(1), row(2)])
    run(officer, cycle, data)
    second = analyse(officer, cycle, data)
    assert (second.known_workers, second.new_workers, second.already_enrolled, second.enrollments_to_create) == (
        2,
        0,
        2,
        0,
    )
    imports.confirm_import(job=second, by=officer)
    second = imports.apply_import(job_id=second.pk)
    assert (second.created_workers, second.created_enrollments) == (0, 0)
    assert Worker.objects.count() == 2 and Enrollment.objects.count() == 2


def test_overlapping_list_adds_only_the_new_people(officer, cycle):
    run(officer, cycle, csv_bytes([row(1), row(2)]))
    job = run(officer, cycle, csv_bytes([row(2), row(3)]))
    assert (job.created_workers, job.created_enrollments) == (1, 1)
    assert Enrollment.objects.filter(cycle=cycle).count() == 3


def test_known_worker_keeps_identity_and_bank_data_and_gets_new_contact_data(officer, cycle):
    worker = WorkerFactory(
        cuil=row(1)["cuil"],
        last_name="Núñez",
        first_name="José 1",
        birth_date=dt.date(1985, 3, 15),
        phone="",
        locality="Monteros",
        renatre="R-STORED",
        nationality="Bolivia",
    )
    stored_cbu = worker.cbu
    job = run(officer, cycle, csv_bytes([row(1, apellido="NUÑEZ", telefono="381 5555555", domicilio="")]))
    assert (job.created_workers, job.updated_workers, job.created_enrollments) == (0, 1, 1)
    worker.refresh_from_db()
    assert worker.last_name == "Núñez" and worker.phone == "381 5555555" and worker.locality == "Famaillá"
    assert (worker.cbu, worker.renatre, worker.nationality) == (stored_cbu, "R-STORED", "Bolivia")


def test_applying_twice_creates_nothing_more(officer, cycle):
    job = run(officer, cycle, csv_bytes([row(1), row(2)]))
    ImportJob.objects.filter(pk=job.pk).update(status=J.CONFIRMED)  # as if the task were delivered again
    again = imports.apply_import(job_id=job.pk)
    assert again.created_enrollments == 0
    assert Enrollment.objects.filter(cycle=cycle).count() == 2


def test_crash_half_way_through_apply_loses_nothing_and_retry_finishes(officer, cycle, worker_lost_before_done):
    job = analyse(officer, cycle, csv_bytes([row(1), row(2), row(3)]))
    imports.confirm_import(job=job, by=officer)
    with pytest.raises(ConnectionError):
        imports.apply_import(job_id=job.pk)
    assert Worker.objects.count() == 0 and Enrollment.objects.count() == 0
    job.refresh_from_db()
    assert job.status == J.CONFIRMED and job.rows.count() == 3
    worker_lost_before_done.recover()
    job = imports.apply_import(job_id=job.pk)
    assert job.status == J.DONE and job.created_enrollments == 3
    assert Enrollment.objects.filter(cycle=cycle).count() == 3


def test_crash_during_analysis_is_retried_from_the_start(officer, cycle, monkeypatch):
    job = imports.create_import_job(by=officer, upload=upload(csv_bytes([row(1), row(2, cbu="1")])), cycle=cycle)
    real = stage._summarise
    monkeypatch.setattr(stage, "_summarise", lambda job, **_k: (_ for _ in ()).throw(ConnectionError("lost")))
    with pytest.raises(ConnectionError):
        imports.analyse_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == J.ANALYSING and not job.rows.exists() and not job.errors.exists()
    monkeypatch.setattr(stage, "_summarise", real)
    job = imports.analyse_import(job_id=job.pk)
    assert job.status == J.READY and (job.valid_rows, job.error_rows) == (1, 1)
    assert job.errors.count() == 1


def test_quota_is_respected_in_the_bulk_path(officer):
    cycle = CycleFactory(quota=3)
    EnrollmentFactory(cycle=cycle)  # one place already taken
    job = analyse(officer, cycle, csv_bytes([row(n) for n in range(1, 5)]))
    assert job.quota_available == 2
    imports.confirm_import(job=job, by=officer)
    job = imports.apply_import(job_id=job.pk)
    assert (job.created_enrollments, job.over_quota) == (2, 2)
    assert Enrollment.objects.filter(cycle=cycle).count() == 3
    assert [r for r, c, m in problems(job) if "cupo" in m] == [4, 5]


def test_errors_csv_names_row_column_and_problem(officer, cycle):
    job = analyse(officer, cycle, csv_bytes([row(1, cuil="20400000010", cbu="123")]))
    out = io.StringIO()
    imports.write_errors_csv(job=job, out=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "fila;columna;valor;problema"
    assert lines[1].startswith("2;cuil;20400000010;El dígito verificador")
    assert lines[2].startswith("2;cbu;123;El CBU 123")


def test_officer_of_another_province_cannot_upload_for_the_cycle(cycle):
    other = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Mendoza")))
    with pytest.raises(PermissionDenied):
        imports.create_import_job(by=other, upload=upload(csv_bytes([row(1)])), cycle=cycle)


def test_only_the_uploading_organisation_confirms(officer, cycle):
    job = analyse(officer, cycle, csv_bytes([row(1)]))
    colleague_elsewhere = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    with pytest.raises(PermissionDenied):
        imports.confirm_import(job=job, by=colleague_elsewhere)
    with pytest.raises(PermissionDenied):
        imports.confirm_import(job=job, by=make_user(Role.MINISTRY_REVIEWER))


def test_closed_cycle_cannot_be_confirmed(officer, cycle):
    job = analyse(officer, cycle, csv_bytes([row(1)]))
    cycle.registration_open = False
    cycle.save()
    with pytest.raises(ValidationError, match="cerrada"):
        imports.confirm_import(job=job, by=officer)


def test_a_list_without_a_valid_row_cannot_be_confirmed_and_offers_no_confirmation(officer, cycle, client):
    job = analyse(officer, cycle, csv_bytes([row(1, cuil="20400000010"), row(2, fecha_nacimiento="31/02/1985")]))
    assert job.status == ImportJob.Status.READY and job.valid_rows == 0 and job.error_rows == 2
    with pytest.raises(ValidationError, match="Ninguna fila del padrón es válida") as refused:
        imports.confirm_import(job=job, by=officer)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY
    client.force_login(officer)
    page = client.get(f"/padrones/{job.pk}/").content.decode()
    assert f'<p class="warning">{refused.value.messages[0]}</p>' in page and "Confirmar e inscribir" not in page
    assert "Descartar" in page
    # One source of the words: the page shows the service's refusal, the template does not repeat it.
    template = Path(settings.BASE_DIR, "enrollment/templates/enrollment/_import_status.html").read_text()
    assert "Ninguna fila" not in template and "nothing_to_confirm" in template


def test_imported_rows_are_in_the_audit_trail_with_who_and_why(officer, cycle):
    from pghistory.models import Events

    job = run(officer, cycle, csv_bytes([row(1), row(2)]))
    for obj in [*Worker.objects.all(), *Enrollment.objects.all()]:
        event = Events.objects.tracks(obj).get()
        assert event.pgh_label == "insert"
        assert event.pgh_context["user"] == officer.pk
        assert event.pgh_context["reason"] == f"importación de padrón {job.pk}"
        assert event.pgh_data["id"] == obj.pk
    worker = Worker.objects.get(cuil=row(1)["cuil"])
    assert Events.objects.tracks(worker).get().pgh_data["last_name_norm"] == "NUNEZ"
    # the triggers are back on for what follows in the same transaction
    later = WorkerFactory()
    assert Events.objects.tracks(later).count() == 1
    worker.phone = "0800"
    worker.save()
    assert Events.objects.tracks(worker).count() == 2


@pytest.mark.parametrize("name", ["plantilla_padron.csv", "plantilla_padron.xlsx"])
def test_shipped_templates_have_every_column_and_examples_that_are_never_imported(officer, cycle, name):
    from pathlib import Path

    from enrollment.imports.read import COLUMNS, read_table

    data = (Path(__file__).resolve().parents[2] / "enrollment" / "static" / "enrollment" / name).read_bytes()
    table = read_table(data, name.rsplit(".", 1)[1])
    assert [h for h in table.headers if h] == list(COLUMNS)
    # The examples mix activities and provinces, as a national union's list does; none is imported.
    assert {tuple(r[table.columns[f]] for f in ("province", "crop")) for r in table.rows} == {
        ("Tucumán", "cana"),
        ("Tucumán", "limon"),
        ("Mendoza", "vid"),
    }
    national = make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=None))
    CycleFactory(agreement__province=province("Mendoza"), crop=crop("vid"))
    CycleFactory(agreement=cycle.agreement, crop=crop("limon"))
    job = analyse(national, cycle, data, name=name)
    assert (job.valid_rows, job.error_rows, job.enrollments_to_create) == (0, 3, 0)
    message = "Fila de ejemplo de la plantilla: bórrela y cargue en su lugar los datos de cada persona."
    assert problems(job) == [(2, "cuil", message), (3, "cuil", message), (4, "cuil", message)]


def test_the_xlsx_template_documents_every_column_on_a_sheet_the_import_does_not_read():
    from pathlib import Path

    from openpyxl import load_workbook

    from enrollment.imports.read import COLUMNS

    path = Path(__file__).resolve().parents[2] / "enrollment" / "static" / "enrollment" / "plantilla_padron.xlsx"
    book = load_workbook(path)
    assert book.sheetnames == ["padron", "columnas"]
    notes = {heading: text for heading, text in book["columnas"].iter_rows(min_row=2, values_only=True) if heading}
    assert list(notes) == list(COLUMNS)
    assert "período abierto de su provincia y actividad" in notes["provincia"]
    assert "mezclar actividades" in notes["actividad"]


def test_an_example_row_left_among_real_ones_is_refused_and_the_others_are_imported(officer, cycle):
    example = row(1, cuil="EJEMPLO " + row(1)["cuil"])
    job = analyse(officer, cycle, csv_bytes([example, row(2)]))
    assert (job.valid_rows, job.error_rows) == (1, 1)
    assert [p[0] for p in problems(job)] == [2]
    imports.confirm_import(job=job, by=officer)
    imports.apply_import(job_id=job.pk)
    assert Worker.objects.filter(cuil=row(1)["cuil"]).count() == 0
    assert Worker.objects.filter(cuil=row(2)["cuil"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_import_and_form_racing_for_the_last_places_never_exceed_the_quota():
    import threading

    from django.db import connection

    from enrollment import services

    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory(quota=2, first_month=dt.date(2026, 5, 1))
    job = analyse(officer, cycle, csv_bytes([row(1), row(2)]))
    imports.confirm_import(job=job, by=officer)
    walk_in = WorkerFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def apply():
        try:
            barrier.wait()
            outcomes.append(("import", imports.apply_import(job_id=job.pk).created_enrollments))
        finally:
            connection.close()

    def enroll():
        try:
            barrier.wait()
            services.enroll_worker(by=officer, worker=walk_in, cycle=cycle)
            outcomes.append(("form", 1))
        except ValidationError:
            outcomes.append(("form", 0))
        finally:
            connection.close()

    threads = [threading.Thread(target=apply), threading.Thread(target=enroll)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Enrollment.objects.filter(cycle=cycle).count() == 2
    assert sum(n for _, n in outcomes) == 2


def test_errors_csv_does_not_carry_formulas_from_the_upload(officer, cycle):
    job = analyse(officer, cycle, csv_bytes([row(1, sexo='=HYPERLINK("http://x")')]))
    out = io.StringIO()
    imports.write_errors_csv(job=job, out=out)
    assert "'=HYPERLINK" in out.getvalue()


def test_row_numbers_match_the_spreadsheet_when_the_heading_is_not_on_row_one(officer, cycle):
    data = b"\r\n;;;\r\n" + csv_bytes([row(1), row(2, cbu="5")], delimiter=";")
    job = analyse(officer, cycle, data)
    assert problems(job)[0][:2] == (5, "cbu")


def test_a_late_duplicate_analysis_leaves_a_confirmed_job_alone(officer, cycle):
    job = analyse(officer, cycle, csv_bytes([row(1)]))
    imports.confirm_import(job=job, by=officer)
    assert imports.analyse_import(job_id=job.pk).status == J.CONFIRMED
    job.refresh_from_db()
    assert job.status == J.CONFIRMED and job.rows.count() == 1


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_rows_are_being_staged(monkeypatch):
    """The valid rows stream into COPY inside the analysis transaction; the progress bar still
    sees the count of checked rows as it grows, and the staging commits whole at the end."""
    from django.db import DEFAULT_DB_ALIAS, connections

    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    job = imports.create_import_job(
        by=officer, upload=upload(csv_bytes([row(1), row(2), row(3, cbu="1")])), cycle=cycle
    )
    monkeypatch.setattr(check, "PROGRESS_EVERY", 1)
    seen = []
    real = stage.validate_rows

    def watched(table, *, progress, **kwargs):
        def report(done):
            progress(done)
            other = connections.create_connection(DEFAULT_DB_ALIAS)
            try:
                with other.cursor() as cursor:
                    cursor.execute(
                        "SELECT processed_rows, (SELECT count(*) FROM enrollment_importrow WHERE job_id = %s)"
                        " FROM enrollment_importjob WHERE id = %s",
                        [job.pk, job.pk],
                    )
                    seen.append(cursor.fetchone())
            finally:
                other.close()

        return real(table, progress=report, **kwargs)

    monkeypatch.setattr(stage, "validate_rows", watched)
    job = imports.analyse_import(job_id=job.pk)
    # rows checked so far are visible; the staged rows are not until the analysis commits
    assert seen == [(1, 0), (2, 0)]
    assert job.status == J.READY and (job.valid_rows, job.error_rows) == (2, 1)
    assert ImportRow.objects.filter(job=job).count() == 2
