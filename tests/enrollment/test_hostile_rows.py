"""Hostile rows in a survey list that mixes periods: the same CUIL in two periods (or, for a
national union, two provinces) is enrolled once; digits that are not ASCII, dates in odd forms
and huge numbers are row problems in words or read as the same digits — never a server error,
never a non-ASCII CUIL in the database."""

import datetime as dt

import pytest

from enrollment.models import Enrollment, Worker
from tests.enrollment.survey_files import row, upload, xlsx_bytes
from tests.enrollment.test_mixed_lists import (  # noqa: F401
    analyse,
    apply,
    national_officer,
    problems,
    tucuman,
    union_officer,
)

pytestmark = pytest.mark.django_db
REPEATED = (3, "cuil", "CUIL repetido en el archivo: ya figura en la fila 2.")


def test_the_same_cuil_in_two_periods_of_one_list_is_enrolled_once(union_officer, tucuman):  # noqa: F811
    job = analyse(union_officer, tucuman["cane"], [row(1), row(1, actividad="limon")])
    assert (job.valid_rows, job.error_rows) == (1, 1)
    assert problems(job) == [REPEATED]
    apply(union_officer, job)
    assert list(Enrollment.objects.values_list("cycle__name", flat=True)) == ["Zafra caña"]


def test_the_same_cuil_in_two_provinces_of_a_national_list_is_enrolled_once(national_officer, tucuman):  # noqa: F811
    rows = [row(1), row(1, provincia="Mendoza", localidad="Maipú", actividad="vid")]
    job = analyse(national_officer, tucuman["cane"], rows)
    assert problems(job) == [REPEATED]
    apply(national_officer, job)
    assert list(Enrollment.objects.values_list("cycle__name", flat=True)) == ["Zafra caña"]
    assert Worker.objects.get().province.name == "Tucumán"


ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_digits_that_are_not_ascii_and_odd_dates_are_row_problems_or_the_same_digits(
    union_officer,  # noqa: F811
    tucuman,  # noqa: F811
):
    rows = [
        row(1, cuil=row(1)["cuil"].translate(ARABIC)),
        row(2, cuil=row(2)["cuil"].translate(FULL_WIDTH)),
        row(3, fecha_nacimiento="²5/03/1985"),
        row(4, cbu="²" * 22),
        row(5, fecha_nacimiento="31/02/1985"),
        row(6, fecha_nacimiento="15/03/99999"),
        row(7, fecha_nacimiento="=TODAY()"),
        row(8, fecha_nacimiento="1e5"),
        row(9, cuil="+20-40000009-0"),
    ]
    job = analyse(union_officer, tucuman["cane"], rows)
    found = {(number, column) for number, column, _message in problems(job)}
    assert found == {
        (2, "cuil"),
        (4, "fecha_nacimiento"),
        (5, "cbu"),
        (6, "fecha_nacimiento"),
        (7, "fecha_nacimiento"),
        (8, "fecha_nacimiento"),
        (9, "fecha_nacimiento"),
        (10, "cuil"),
    }
    apply(union_officer, job)
    assert [w.cuil for w in Worker.objects.all()] == [row(2)["cuil"].replace("-", "")]
    assert all(c in "0123456789" for w in Worker.objects.all() for c in w.cuil + w.cbu)


def test_workbook_cells_with_odd_numbers_for_dates_and_cuils_are_row_problems(union_officer, tucuman):  # noqa: F811
    from enrollment import imports

    rows = [
        row(1, fecha_nacimiento=dt.datetime(1985, 3, 15)),
        row(2, fecha_nacimiento=-5),
        row(3, fecha_nacimiento=10**9),
        row(4, fecha_nacimiento=1e308),
        row(5, cuil=True),
    ]
    job = imports.create_import_job(by=union_officer, upload=upload(xlsx_bytes(rows), "p.xlsx"), cycle=tucuman["cane"])
    job = imports.analyse_import(job_id=job.pk)
    assert (job.valid_rows, job.error_rows) == (1, 4)
    assert {(number, column) for number, column, _message in problems(job)} == {
        (3, "fecha_nacimiento"),
        (4, "fecha_nacimiento"),
        (5, "fecha_nacimiento"),
        (6, "cuil"),
    }
