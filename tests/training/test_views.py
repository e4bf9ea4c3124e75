import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollment.models import Enrollment
from provinces.roles import Role
from tests.factories import (
    CourseFactory,
    EnrollmentFactory,
    OrganisationFactory,
    ProviderFactory,
    make_user,
    province,
)
from tests.twofactor import verify_if_needed
from training import services
from training.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


def login(client, user):
    client.force_login(user)
    verify_if_needed(client, user)
    return client


def test_officer_sees_course_roster_with_attendance(client, officer):
    course = CourseFactory(sessions=8)
    enrollment = EnrollmentFactory(status=Enrollment.Status.ACTIVE)
    referral = services.refer_worker(by=officer, enrollment=enrollment, line="vocational", course=course)
    Referral.objects.filter(pk=referral.pk).update(sessions_attended=5)
    page = login(client, officer).get(f"/capacitacion/cursos/{course.pk}/").content.decode()
    assert enrollment.worker.cuil_display in page and "5 / 8" in page


def test_worker_page_links_to_the_workers_referrals(client, officer):
    enrollment = EnrollmentFactory(status=Enrollment.Status.ACTIVE)
    page = login(client, officer).get(f"/trabajadores/{enrollment.worker_id}/").content.decode()
    assert f"/capacitacion/trabajadores/{enrollment.worker_id}/" in page


def test_officer_cannot_open_another_provinces_course(client, officer):
    course = CourseFactory(provider=ProviderFactory(province=province("Salta")))
    assert login(client, officer).get(f"/capacitacion/cursos/{course.pk}/").status_code == 404


@pytest.mark.parametrize("role", [Role.UNION_OFFICER, Role.PAYMENTS_OFFICER])
def test_roles_without_training_are_forbidden(client, role):
    org = OrganisationFactory(kind="union") if role == Role.UNION_OFFICER else None
    client = login(client, make_user(role, org))
    for url in ("/capacitacion/cursos/", "/capacitacion/resumen/", "/capacitacion/directorio/"):
        assert client.get(url).status_code == 403


def test_auditor_reads_but_cannot_create_courses(client):
    client = login(client, make_user(Role.AUDITOR))
    assert client.get("/capacitacion/cursos/").status_code == 200
    assert client.get("/capacitacion/cursos/nuevo/").status_code == 403


def test_attendance_upload_reports_row_errors_and_saves_nothing(client, officer):
    course = CourseFactory()
    referral = services.refer_worker(
        by=officer, enrollment=EnrollmentFactory(status="active"), line="vocational", course=course
    )
    data = f"cuil,asistencias\n{referral.worker.cuil},4\n20-1,3\n".encode()
    response = login(client, officer).post(
        f"/capacitacion/cursos/{course.pk}/asistencia/", {"file": SimpleUploadedFile("a.csv", data)}
    )
    assert response.status_code == 400 and "Fila 3" in response.content.decode()
    referral.refresh_from_db()
    assert referral.sessions_attended == 0
    ok = f"cuil,asistencias\n{referral.worker.cuil},4\n".encode()
    response = client.post(f"/capacitacion/cursos/{course.pk}/asistencia/", {"file": SimpleUploadedFile("a.csv", ok)})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.sessions_attended == 4


def test_attendance_typed_with_a_superscript_digit_is_a_row_error_not_a_server_error(client, officer):
    course = CourseFactory()
    referral = services.refer_worker(
        by=officer, enrollment=EnrollmentFactory(status="active"), line="vocational", course=course
    )
    data = f"cuil,asistencias\n{referral.worker.cuil},²\n".encode()  # "²".isdigit(), but not a number
    response = login(client, officer).post(
        f"/capacitacion/cursos/{course.pk}/asistencia/", {"file": SimpleUploadedFile("a.csv", data)}
    )
    assert response.status_code == 400 and "Asistencias debe ser un número" in response.content.decode()
    referral.refresh_from_db()
    assert referral.sessions_attended == 0


@pytest.mark.parametrize("cycle", ["²", "9" * 30])
def test_the_referral_summary_ignores_a_period_it_cannot_read(client, officer, cycle):
    assert login(client, officer).get("/capacitacion/resumen/", {"cycle": cycle}).status_code == 200


def test_officer_refers_from_the_workers_page_and_sees_the_report(client, officer):
    enrollment = EnrollmentFactory(status="active")
    course = CourseFactory()
    client = login(client, officer)
    url = f"/capacitacion/trabajadores/{enrollment.worker_id}/"
    response = client.post(url, {"enrollment": enrollment.pk, "line": "vocational", "course": course.pk})
    assert response.status_code == 302
    referral = Referral.objects.get()
    response = client.post(f"/capacitacion/derivaciones/{referral.pk}/estado/", {"status": "accepted"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"
    report = client.get("/capacitacion/resumen/").content.decode()
    assert "Tucumán" in report


def test_officer_creates_provider_office_and_course(client, officer):
    client = login(client, officer)
    tucuman = province("Tucumán")
    assert (
        client.post("/capacitacion/instituciones/nueva/", {"name": "CFP 1", "province": tucuman.pk}).status_code == 302
    )
    data = {"name": "OE Famaillá", "province": tucuman.pk, "locality": "Famaillá"}
    assert client.post("/capacitacion/oficinas/nueva/", data).status_code == 302
    provider = ProviderFactory()
    data = {
        "provider": provider.pk,
        "kind": "vocational",
        "topic": "Poda",
        "place": "INTA",
        "province": tucuman.pk,
        "start_date": "2026-06-01",
        "end_date": "2026-06-30",
        "capacity": 15,
        "modality": "in_person",
        "sessions": 4,
    }
    assert client.post("/capacitacion/cursos/nuevo/", data).status_code == 302
    salta = dict(data, province=province("Salta").pk)
    response = client.post("/capacitacion/cursos/nuevo/", salta)
    assert response.status_code == 200  # Salta is not offered to a Tucumán officer: form error
