"""Survey lists cannot hurt the service: a file is measured before it is read."""

import pytest

from enrollment.imports import read as survey
from enrollment.imports.read import SurveyFileError, read_table
from tests.enrollment.hostile_files import (
    declared_only_xlsx,
    far_corner_xlsx,
    unreferenced_cells_xlsx,
    zip_bomb_xlsx,
)
from tests.enrollment.survey_files import HEADER, csv_bytes, row, xlsx_bytes


@pytest.fixture
def calamine_must_not_run(monkeypatch):
    """Fails the test if the workbook reaches calamine (which, for these files, aborts the whole
    process instead of raising)."""

    class Refused:
        @staticmethod
        def from_filelike(_handle):
            raise AssertionError("calamine was asked to read the file")

    monkeypatch.setattr(survey, "CalamineWorkbook", Refused)


@pytest.mark.parametrize("declare", [True, False], ids=["declared", "undeclared"])
def test_a_sheet_reaching_xfd1048576_is_refused_before_it_is_read(calamine_must_not_run, declare):
    data = far_corner_xlsx(declare=declare)
    assert len(data) < 2000
    with pytest.raises(SurveyFileError) as refused:
        read_table(data, "xlsx")
    assert "1.048.576" in str(refused.value) and "300.000" in str(refused.value)


def test_a_sheet_declaring_the_whole_grid_is_refused_by_its_dimension(calamine_must_not_run):
    with pytest.raises(SurveyFileError, match="300.000"):
        read_table(declared_only_xlsx(), "xlsx")


def test_cells_without_references_are_counted_one_by_one(calamine_must_not_run, settings):
    settings.SURVEY_LIST_MAX_COLUMNS = 60
    with pytest.raises(SurveyFileError, match="61 columnas y el máximo es 60"):
        read_table(unreferenced_cells_xlsx(61), "xlsx")


def test_cells_without_references_within_the_limits_are_read():
    rows = survey.read_rows(unreferenced_cells_xlsx(13), "xlsx")
    assert len(rows) == 2 and len(rows[0]) == 13


def test_a_zip_bomb_is_refused_before_it_is_inflated(calamine_must_not_run):
    data = zip_bomb_xlsx(60)
    assert len(data) < 200_000
    with pytest.raises(SurveyFileError, match="comprimida más de 100 veces"):
        read_table(data, "xlsx")


def test_an_xlsx_too_large_once_uncompressed_is_refused(calamine_must_not_run, settings):
    settings.SURVEY_LIST_MAX_XML_BYTES = 1024 * 1024
    settings.SURVEY_LIST_MAX_COMPRESSION_RATIO = 10_000
    with pytest.raises(SurveyFileError, match="descomprimida ocupa 2 MB y el máximo es 1 MB"):
        read_table(zip_bomb_xlsx(2), "xlsx")


def test_xlsx_over_the_row_limit_is_refused_and_at_the_limit_is_read(settings):
    settings.SURVEY_LIST_MAX_ROWS = 5
    assert len(read_table(xlsx_bytes([row(n) for n in range(5)]), "xlsx").rows) == 5
    with pytest.raises(SurveyFileError, match="fila 7 y el máximo es 5 filas"):
        read_table(xlsx_bytes([row(n) for n in range(6)]), "xlsx")


def test_xlsx_over_the_column_limit_is_refused(settings):
    settings.SURVEY_LIST_MAX_COLUMNS = 13
    assert read_table(xlsx_bytes([row(1)]), "xlsx").rows
    with pytest.raises(SurveyFileError, match="14 columnas y el máximo es 13"):
        read_table(xlsx_bytes([row(1)], header=[*HEADER, "extra"]), "xlsx")


def test_csv_over_the_row_limit_stops_at_the_first_row_past_it(settings):
    settings.SURVEY_LIST_MAX_ROWS = 5
    assert len(read_table(csv_bytes([row(n) for n in range(5)]) + b"\r\n" * 1000, "csv").rows) == 5
    with pytest.raises(SurveyFileError, match="fila 7 y el máximo es 5 filas"):
        read_table(csv_bytes([row(n) for n in range(6)]), "csv")


def test_csv_blank_lines_between_rows_keep_the_row_numbers(settings):
    second = csv_bytes([row(2)]).split(b"\r\n", 1)[1]
    data = csv_bytes([row(1)]) + b"\r\n\r\n" + second
    table = read_table(data, "csv")
    assert len(table.rows) == 4 and table.rows[1] == [] and table.rows[3][0] == row(2)["cuil"]


def test_csv_over_the_column_limit_is_refused(settings):
    settings.SURVEY_LIST_MAX_COLUMNS = 60
    with pytest.raises(SurveyFileError, match="61 columnas y el máximo es 60"):
        read_table(csv_bytes([row(1)], header=[*HEADER, *[f"x{n}" for n in range(48)]]), "csv")


@pytest.mark.django_db
def test_a_far_corner_list_fails_its_job_with_the_limit_and_reads_nothing(calamine_must_not_run):
    import datetime as dt

    from enrollment import imports
    from enrollment.models import ImportJob
    from provinces.roles import Role
    from tests.enrollment.survey_files import upload
    from tests.factories import CycleFactory, OrganisationFactory, make_user, province

    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    job = imports.create_import_job(by=officer, upload=upload(far_corner_xlsx(), "padron.xlsx"), cycle=cycle)
    job = imports.analyse_import(job_id=job.pk)
    assert job.status == ImportJob.Status.FAILED
    assert "máximo es 300.000 filas" in job.error_message
