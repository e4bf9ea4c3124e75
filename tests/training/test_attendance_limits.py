"""An attendance CSV cannot hurt the service: limits before its rows are checked, and a short
page however many rows are wrong."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollment.models import Enrollment
from provinces.roles import Role
from tests.factories import (
    PASSWORD,
    CourseFactory,
    EnrollmentFactory,
    OrganisationFactory,
    make_cuil,
    make_user,
    province,
)
from training import services
from training.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


@pytest.fixture
def course(officer):
    course = CourseFactory(sessions=10)
    services.refer_worker(
        by=officer, enrollment=EnrollmentFactory(status=Enrollment.Status.ACTIVE), line="vocational", course=course
    )
    return course


def strangers(n: int) -> bytes:
    """``n`` rows of people never referred to the course: one problem each."""
    return ("cuil,asistencias\n" + "".join(f"{make_cuil(77_000_000 + k)},1\n" for k in range(n))).encode()


def post(client, officer, course, data: bytes):
    assert client.login(username=officer.username, password=PASSWORD)
    return client.post(f"/capacitacion/cursos/{course.pk}/asistencia/", {"file": SimpleUploadedFile("a.csv", data)})


def test_a_nine_megabyte_attendance_csv_answers_a_short_page_with_the_limit(client, officer, course):
    line = strangers(1).split(b"\n", 1)[1]
    data = b"cuil,asistencias\n" + line * (9 * 1024 * 1024 // len(line))
    assert len(data) > 9_000_000
    response = post(client, officer, course, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "máximo de 2.048 kB" in page
    assert len(response.content) < 60_000
    assert not Referral.objects.filter(course=course, sessions_attended__gt=0).exists()


def test_problems_past_the_cap_are_counted_not_listed(client, officer, course, settings):
    settings.ATTENDANCE_MAX_ERRORS = 5
    result = services.import_attendance(by=officer, course=course, data=strangers(12))
    assert [line for line, _ in result.errors] == [2, 3, 4, 5, 6] and result.unlisted_errors == 7
    page = post(client, officer, course, strangers(12)).content.decode()
    assert page.count("no fue derivado/a a este curso") == 5
    assert "y 7 errores más en el archivo." in page


def test_rows_past_the_limit_refuse_the_file(officer, course, settings):
    settings.ATTENDANCE_MAX_ROWS = 3
    assert [line for line, _ in services.import_attendance(by=officer, course=course, data=strangers(3)).errors] == [
        2,
        3,
        4,
    ]
    result = services.import_attendance(by=officer, course=course, data=strangers(4))
    assert result.errors == [(1, "El archivo tiene más de 3 filas: un curso no tiene tantas personas derivadas.")]


def test_columns_past_the_limit_refuse_the_file(officer, course, settings):
    settings.ATTENDANCE_MAX_COLUMNS = 20
    wide_heading = "cuil," + ",".join(f"x{n}" for n in range(20)) + "\n"
    result = services.import_attendance(by=officer, course=course, data=wide_heading.encode())
    assert result.errors == [(1, "El archivo tiene más de 20 columnas.")]
    wide_row = "cuil,asistencias\n" + make_cuil(77_000_001) + ",1" + ",x" * 19 + "\n"
    result = services.import_attendance(by=officer, course=course, data=wide_row.encode())
    assert result.errors == [(1, "El archivo tiene más de 20 columnas.")]
