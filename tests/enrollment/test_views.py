import datetime as dt
import re

import pytest
from django.apps import apps
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Enrollment, ImportApplyPart, ImportJob, Worker
from provinces.roles import Role
from tests.enrollment.survey_files import csv_bytes, row, upload
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    make_cbu,
    make_cuil,
    make_user,
    province,
)
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db
S = Enrollment.Status


@pytest.fixture
def tucuman_office():
    return OrganisationFactory(province=province("Tucumán"))


@pytest.fixture
def officer(tucuman_office):
    return make_user(Role.PROVINCIAL_OFFICER, tucuman_office)


@pytest.fixture
def mendoza_officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Mendoza")))


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


@pytest.fixture
def cycle():
    return CycleFactory(first_month=dt.date(2026, 5, 1))


def client_for(client, user):
    sign_in(client, user)
    return client


def form_data(cycle, **overrides):
    data = {
        "cycle": cycle.pk,
        "cuil": make_cuil(31_222_333),
        "last_name": "Quispe",
        "first_name": "Ana",
        "birth_date": "1988-04-02",
        "sex": "F",
        "nationality": "Perú",
        "phone": "",
        "address": "",
        "province": province("Tucumán").pk,
        "locality": "Lules",
        "cbu": make_cbu(9),
        "renatre": "",
    }
    data.update(overrides)
    return data


# --- registration form -----------------------------------------------------------------------


def test_officer_registers_and_enrolls_in_one_form(client, officer, cycle):
    response = client_for(client, officer).post(reverse("enrollment:register"), form_data(cycle))
    worker = Worker.objects.get()
    assert response.status_code == 302 and response.url == reverse("enrollment:worker_detail", args=[worker.pk])
    assert Enrollment.objects.get().cycle == cycle and worker.nationality == "Perú"


def test_bad_cuil_shows_inline_error_and_saves_nothing(client, officer, cycle):
    response = client_for(client, officer).post(reverse("enrollment:register"), form_data(cycle, cuil="20312223330"))
    assert response.status_code == 200
    assert "dígito verificador" in response.context["form"].errors["cuil"][0]
    assert not Worker.objects.exists()


def test_under_age_is_reported_and_nothing_saved(client, officer, cycle):
    response = client_for(client, officer).post(
        reverse("enrollment:register"), form_data(cycle, birth_date="2008-06-01")
    )
    assert "18 años" in str(response.context["form"].non_field_errors())
    assert not Worker.objects.exists() and not Enrollment.objects.exists()


def test_form_offers_only_cycles_of_the_users_scope(client, officer, cycle):
    mendoza_cycle = CycleFactory(agreement__province=province("Mendoza"))
    closed = CycleFactory(registration_open=False)
    response = client_for(client, officer).get(reverse("enrollment:register"))
    offered = set(response.context["form"].fields["cycle"].queryset)
    assert cycle in offered and mendoza_cycle not in offered and closed not in offered
    response = client.post(reverse("enrollment:register"), form_data(mendoza_cycle))
    assert "cycle" in response.context["form"].errors and not Worker.objects.exists()


def test_the_one_person_form_does_not_speak_of_rows_and_files(client, officer, cycle):
    """The survey-list upload explains where each row of a file goes; registering one person
    has no rows, so its period field does not say so."""
    signed_in = client_for(client, officer)
    one = signed_in.get(reverse("enrollment:register")).content.decode()
    assert "Cada fila va al período" not in one
    assert "Cada fila va al período" in signed_in.get(reverse("enrollment:import_upload")).content.decode()


@pytest.mark.parametrize("role", [Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_national_roles_cannot_open_the_registration_form(client, role, cycle):
    user = make_user(role)
    assert client_for(client, user).get(reverse("enrollment:register")).status_code == 403
    assert client.post(reverse("enrollment:register"), form_data(cycle)).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("enrollment:register"))
    assert response.status_code == 302 and "ingresar" in response.url


# --- worker and enrollment pages --------------------------------------------------------------


def test_worker_page_of_another_province_is_404(client, mendoza_officer):
    worker = WorkerFactory()
    EnrollmentFactory(worker=worker)
    assert (
        client_for(client, mendoza_officer).get(reverse("enrollment:worker_detail", args=[worker.pk])).status_code
        == 404
    )


def test_union_officer_sees_only_what_its_organisation_registered(client):
    union = OrganisationFactory(kind="union", province=province("Tucumán"))
    other_union = OrganisationFactory(kind="union", province=province("Tucumán"))
    officer = make_user(Role.UNION_OFFICER, union)
    own = EnrollmentFactory(worker__registered_by=union)
    foreign = EnrollmentFactory(worker__registered_by=other_union)
    c = client_for(client, officer)
    assert c.get(reverse("enrollment:worker_detail", args=[own.worker_id])).status_code == 200
    assert c.get(reverse("enrollment:enrollment_detail", args=[own.pk])).status_code == 200
    assert c.get(reverse("enrollment:worker_detail", args=[foreign.worker_id])).status_code == 404
    assert c.get(reverse("enrollment:enrollment_detail", args=[foreign.pk])).status_code == 404
    listed = list(c.get(reverse("enrollment:enrollment_list")).context["page"])
    assert listed == [own]


def test_enrollment_page_of_another_province_is_404(client, mendoza_officer):
    enrollment = EnrollmentFactory()
    response = client_for(client, mendoza_officer).get(reverse("enrollment:enrollment_detail", args=[enrollment.pk]))
    assert response.status_code == 404


def test_decision_shows_on_the_workers_page(client, officer, reviewer):
    enrollment = EnrollmentFactory(status=S.PENDING_REVIEW, organisation=officer.memberships.get().organisation)
    client_for(client, reviewer).post(
        reverse("enrollment:decide", args=[enrollment.pk]), {"action": "reject", "reason": "Percibe otro programa"}
    )
    page = client_for(client, officer).get(reverse("enrollment:worker_detail", args=[enrollment.worker_id]))
    history = page.context["history"]
    assert [h["status"] for h in history] == ["Pendiente de revisión", "Rechazada"]
    assert history[-1]["reason"] == "Percibe otro programa" and history[-1]["by"] == reviewer
    assert "Percibe otro programa" in page.content.decode()


# --- decisions --------------------------------------------------------------------------------


def test_reviewer_approves_one(client, reviewer):
    enrollment = EnrollmentFactory(status=S.PENDING_REVIEW)
    response = client_for(client, reviewer).post(
        reverse("enrollment:decide", args=[enrollment.pk]), {"action": "approve"}
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED and enrollment.status_changed_by == reviewer


def test_rejection_without_reason_is_refused(client, reviewer):
    enrollment = EnrollmentFactory(status=S.PENDING_REVIEW)
    response = client_for(client, reviewer).post(
        reverse("enrollment:decide", args=[enrollment.pk]), {"action": "reject", "reason": " "}
    )
    assert response.status_code == 400 and "motivo" in str(response.context["form"].errors["reason"])
    enrollment.refresh_from_db()
    assert enrollment.status == S.PENDING_REVIEW


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_only_reviewers_decide(client, role):
    organisation = None
    if role == Role.PROVINCIAL_OFFICER:
        organisation = OrganisationFactory(province=province("Tucumán"))
    elif role == Role.UNION_OFFICER:
        organisation = OrganisationFactory(kind="union", province=province("Tucumán"))
    user = make_user(role, organisation)
    enrollment = EnrollmentFactory(status=S.PENDING_REVIEW, organisation=organisation or OrganisationFactory())
    c = client_for(client, user)
    assert c.post(reverse("enrollment:decide", args=[enrollment.pk]), {"action": "approve"}).status_code == 403
    assert c.get(reverse("enrollment:review_queue")).status_code == 403
    assert (
        c.post(reverse("enrollment:review_queue"), {"enrollments": [enrollment.pk], "action": "approve"}).status_code
        == 403
    )
    enrollment.refresh_from_db()
    assert enrollment.status == S.PENDING_REVIEW


def test_review_queue_filters_by_province_cycle_and_status(client, reviewer):
    tucuman = EnrollmentFactory(status=S.PENDING_REVIEW)
    mendoza = EnrollmentFactory(
        status=S.PENDING_REVIEW,
        cycle=CycleFactory(agreement__province=province("Mendoza")),
        worker__province=province("Mendoza"),
    )
    submitted = EnrollmentFactory(status=S.SUBMITTED)
    c = client_for(client, reviewer)
    default = set(c.get(reverse("enrollment:review_queue")).context["page"])
    assert default == {tucuman, mendoza}
    by_province = set(c.get(reverse("enrollment:review_queue"), {"province": province("Mendoza").pk}).context["page"])
    assert by_province == {mendoza}
    by_cycle = set(c.get(reverse("enrollment:review_queue"), {"cycle": tucuman.cycle_id}).context["page"])
    assert by_cycle == {tucuman}
    by_status = set(c.get(reverse("enrollment:review_queue"), {"status": S.SUBMITTED}).context["page"])
    assert by_status == {submitted}


def test_bulk_approve_and_bulk_reject_with_required_reason(client, reviewer):
    a, b, c_ = (EnrollmentFactory(status=S.PENDING_REVIEW) for _ in range(3))
    c = client_for(client, reviewer)
    url = reverse("enrollment:review_queue")
    assert c.post(url, {"enrollments": [a.pk, b.pk], "action": "approve"}).status_code == 302
    response = c.post(url, {"enrollments": [c_.pk], "action": "reject", "reason": ""})
    assert response.status_code == 400
    c_.refresh_from_db()
    assert c_.status == S.PENDING_REVIEW
    assert c.post(url, {"enrollments": [c_.pk], "action": "reject", "reason": "Fuera de término"}).status_code == 302
    statuses = {e.pk: (e.status, e.status_reason) for e in Enrollment.objects.all()}
    assert statuses[a.pk][0] == statuses[b.pk][0] == S.APPROVED
    assert statuses[c_.pk] == (S.REJECTED, "Fuera de término")


def test_the_registration_form_warns_that_without_cbu_the_worker_collects_at_the_branch(client, officer, cycle):
    page = client_for(client, officer).get(reverse("enrollment:register")).content.decode()
    assert "Sin CBU se paga por ventanilla:" in page
    assert "cobra cada cuota en una sucursal del Banco Nación con su DNI" in page
    assert "el día que fija el último número del DNI" in page
    # The notice is read with the CBU field.
    assert re.search(r'<input[^>]*name="cbu"[^>]*aria-describedby="check-cbu cbu-pickup"', page)
    assert 'id="cbu-pickup"' in page


def test_a_bad_cuil_and_an_under_age_birth_date_are_both_told_at_once(client, officer, cycle):
    c = client_for(client, officer)
    response = c.post(reverse("enrollment:register"), form_data(cycle, cuil="20312223330", birth_date="10/06/2010"))
    errors = response.context["form"].errors
    assert "cuil" in errors and "birth_date" in errors, errors
    assert errors["birth_date"] == ["Debe tener 18 años cumplidos el 01/05/2026 (primer día del período)."]
    assert Worker.objects.count() == 0
    # A bad CUIL with a bad CBU: both as well, and nothing stored.
    response = c.post(reverse("enrollment:register"), form_data(cycle, cuil="20312223330", cbu="123"))
    assert {"cuil", "cbu"} <= set(response.context["form"].errors)
    # With a valid CUIL the under-age date is still told next to the date, with the other problems.
    response = c.post(reverse("enrollment:register"), form_data(cycle, birth_date="10/06/2010", cbu="123"))
    assert {"birth_date", "cbu"} <= set(response.context["form"].errors)
    assert Worker.objects.count() == 0


def test_birth_date_is_typed_and_shown_as_dd_mm_aaaa_whatever_the_interface_language(client, officer, cycle):
    c = client_for(client, officer)
    page = c.get(reverse("enrollment:register")).content.decode()
    field = re.search(r'<input[^>]*name="birth_date"[^>]*>', page).group(0)
    assert 'type="text"' in field and 'placeholder="dd/mm/aaaa"' in field
    assert "id_birth_date-format" in field and 'id="id_birth_date-format"' in page
    # Day first in English too (a browser's date field there would read 05/12 as 12 May).
    c.cookies["django_language"] = "en"
    response = c.post(reverse("enrollment:register"), form_data(cycle, birth_date="05/12/1988"))
    assert response.status_code == 302, response.context["form"].errors
    assert Worker.objects.get().birth_date == dt.date(1988, 12, 5)
    bad = c.post(reverse("enrollment:register"), form_data(cycle, cuil=make_cuil(31_222_334), birth_date="31/02/1988"))
    assert "birth_date" in bad.context["form"].errors
    assert 'value="31/02/1988"' in bad.content.decode()


def test_digits_that_are_not_ascii_in_a_date_or_a_cbu_are_form_errors_not_server_errors(client, officer, cycle):
    """A "²" passes str.isdigit() but not int(): a date or a CBU typed with such characters is
    told back as an error on its field, like any other unreadable value."""
    c = client_for(client, officer)
    response = c.post(reverse("enrollment:register"), form_data(cycle, birth_date="02/04/¹⁹⁸⁸"))
    assert response.status_code == 200 and "birth_date" in response.context["form"].errors
    response = c.post(reverse("enrollment:register"), form_data(cycle, cbu="²" * 22))
    assert response.status_code == 200 and "cbu" in response.context["form"].errors
    assert not Worker.objects.exists()


def test_a_single_bulk_decision_is_reported_in_the_singular(client, reviewer):
    one, two, three = (EnrollmentFactory(status=S.PENDING_REVIEW) for _ in range(3))
    c = client_for(client, reviewer)
    url = reverse("enrollment:review_queue")
    page = c.post(url, {"enrollments": [one.pk], "action": "reject", "reason": "Fuera de término"}, follow=True)
    assert "1 inscripción rechazada." in page.content.decode()
    page = c.post(url, {"enrollments": [two.pk, three.pk], "action": "approve"}, follow=True)
    assert "2 inscripciones aprobadas." in page.content.decode()


def test_import_summary_figures_use_argentine_thousands_separators():
    job = ImportJob(status=ImportJob.Status.READY, total_rows=12500, enrollments_to_create=12000, quota_available=11988)
    html = render_to_string("enrollment/_import_status.html", {"job": job})
    assert "11.988" in html and "12.500" in html
    assert "11988" not in html


# --- survey-list imports ----------------------------------------------------------------------


def upload_list(client, officer, cycle, data, name="padron.csv"):
    return client_for(client, officer).post(
        reverse("enrollment:import_upload"), {"cycle": cycle.pk, "file": upload(data, name)}
    )


def test_upload_analyse_confirm_through_the_pages(client, officer, cycle):
    response = upload_list(client, officer, cycle, csv_bytes([row(1), row(2), row(3, cbu="999")]))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("enrollment:import_detail", args=[job.pk])
    page = client.get(response.url)
    assert page.context["job"].status == ImportJob.Status.READY
    assert "Confirmar e inscribir" in page.content.decode()
    progress = client.get(reverse("enrollment:import_progress", args=[job.pk]))
    assert progress.status_code == 200 and b"hx-trigger" not in progress.content
    errors = client.get(reverse("enrollment:import_errors_csv", args=[job.pk]))
    text = b"".join(errors.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == "fila;columna;valor;problema" and "4;cbu;999;" in text
    assert client.post(reverse("enrollment:import_confirm", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_enrollments == 2


def test_progress_block_polls_while_working(client, officer, cycle):
    response = upload_list(client, officer, cycle, csv_bytes([row(1)]))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.ANALYSING, total_rows=10, processed_rows=4)
    progress = client.get(reverse("enrollment:import_progress", args=[job.pk]))
    assert b'hx-trigger="every 1s"' in progress.content and b'value="40"' in progress.content
    assert response.status_code == 302


def test_progress_block_counts_the_rows_saved_while_a_list_is_applied(client, officer, cycle):
    upload_list(client, officer, cycle, csv_bytes([row(1), row(2), row(3)]))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CONFIRMED)
    progress = client.get(reverse("enrollment:import_progress", args=[job.pk]))
    assert b'max="3" value="0"' in progress.content and "0 de 3 filas válidas guardadas" in progress.content.decode()
    ImportApplyPart.objects.create(
        job=job,
        part=0,
        parts=2,
        rows=2,
        created_workers=2,
        updated_workers=0,
        created_enrollments=2,
        finished_at=timezone.now(),
    )
    progress = client.get(reverse("enrollment:import_progress", args=[job.pk]))
    assert b'hx-trigger="every 1s"' in progress.content and b'max="3" value="2"' in progress.content
    assert "2 de 3 filas válidas guardadas" in progress.content.decode()


def test_fifty_megabyte_upload_shows_the_limit(client, officer, cycle):
    response = upload_list(client, officer, cycle, b"x" * (50 * 1024 * 1024))
    assert response.status_code == 200
    assert "máximo es 40 MB" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists()


def test_non_survey_file_shows_inline_error(client, officer, cycle):
    response = upload_list(client, officer, cycle, b"%PDF-1.4", name="padron.pdf")
    assert "Solo se aceptan archivos CSV o XLSX" in response.context["form"].errors["file"][0]


def test_import_pages_of_another_province_are_404(client, officer, mendoza_officer, cycle):
    upload_list(client, officer, cycle, csv_bytes([row(1)]))
    job = ImportJob.objects.get()
    c = client_for(client, mendoza_officer)
    for name in ("import_detail", "import_progress", "import_errors_csv"):
        assert c.get(reverse(f"enrollment:{name}", args=[job.pk])).status_code == 404
    for name in ("import_confirm", "import_cancel", "import_resume"):
        assert c.post(reverse(f"enrollment:{name}", args=[job.pk])).status_code == 404
    assert list(c.get(reverse("enrollment:import_list")).context["page"]) == []
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY


def test_union_officer_sees_only_its_organisations_imports(client, cycle):
    union = OrganisationFactory(kind="union", province=province("Tucumán"))
    other = OrganisationFactory(kind="union", province=province("Tucumán"))
    mine, theirs = make_user(Role.UNION_OFFICER, union), make_user(Role.UNION_OFFICER, other)
    upload_list(client, mine, cycle, csv_bytes([row(1)]))
    job = ImportJob.objects.get()
    assert job.organisation == union
    c = client_for(client, theirs)
    assert c.get(reverse("enrollment:import_detail", args=[job.pk])).status_code == 404
    assert c.post(reverse("enrollment:import_confirm", args=[job.pk])).status_code == 404
    assert list(c.get(reverse("enrollment:import_list")).context["page"]) == []
    c = client_for(client, mine)
    assert list(c.get(reverse("enrollment:import_list")).context["page"]) == [job]
    assert c.post(reverse("enrollment:import_confirm", args=[job.pk])).status_code == 302


@pytest.mark.parametrize("role", [Role.MINISTRY_REVIEWER, Role.AUDITOR])
def test_ministry_reads_imports_but_cannot_upload_or_confirm(client, officer, cycle, role):
    upload_list(client, officer, cycle, csv_bytes([row(1)]))
    job = ImportJob.objects.get()
    c = client_for(client, make_user(role))
    assert c.get(reverse("enrollment:import_detail", args=[job.pk])).status_code == 200
    assert c.get(reverse("enrollment:import_upload")).status_code == 403
    assert c.post(reverse("enrollment:import_confirm", args=[job.pk])).status_code == 403
    assert c.post(reverse("enrollment:import_cancel", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY


def test_navigation_shows_each_role_its_entries(client, officer, reviewer):
    labels = [i["label"] for i in client_for(client, officer).get(reverse("home")).context["nav_items"]]
    assert "Nueva inscripción" in labels and "Padrones" in labels and "Revisión" not in labels
    labels = [i["label"] for i in client_for(client, reviewer).get(reverse("home")).context["nav_items"]]
    assert "Revisión" in labels and "Nueva inscripción" not in labels


def test_fields_are_checked_as_they_change(client, officer, cycle):
    c = client_for(client, officer)
    url = reverse("enrollment:register_check")
    bad = c.post(f"{url}?field=cuil", {"cuil": "20312223330"})
    assert bad.status_code == 200 and "dígito verificador" in bad.content.decode()
    good = c.post(f"{url}?field=cuil", {"cuil": make_cuil(31_222_333)})
    assert "errorlist" not in good.content.decode()
    assert "no existe" in c.post(f"{url}?field=birth_date", {"birth_date": "31/02/1990"}).content.decode()
    assert "CBU" in c.post(f"{url}?field=cbu", {"cbu": "123"}).content.decode()
    assert c.post(f"{url}?field=last_name", {"last_name": "X"}).status_code == 404


def test_field_check_names_a_known_worker_only_within_scope(client, officer, mendoza_officer):
    worker = WorkerFactory(last_name="Quispe")
    url = reverse("enrollment:register_check") + "?field=cuil"
    assert "Ya registrado/a" in client_for(client, officer).post(url, {"cuil": worker.cuil}).content.decode()
    assert "Quispe" not in client_for(client, mendoza_officer).post(url, {"cuil": worker.cuil}).content.decode()
    assert client_for(client, make_user(Role.AUDITOR)).post(url, {"cuil": worker.cuil}).status_code == 403


def test_reupload_of_the_same_file_is_pointed_out(client, officer, cycle):
    data = csv_bytes([row(1)])
    upload_list(client, officer, cycle, data)
    first = ImportJob.objects.get()
    upload_list(client, officer, cycle, data)
    second = ImportJob.objects.exclude(pk=first.pk).get()
    page = client.get(reverse("enrollment:import_detail", args=[second.pk]))
    assert page.context["same_file"] == first
    assert "Este mismo archivo ya se subió" in page.content.decode()
    assert client.get(reverse("enrollment:import_detail", args=[first.pk])).context["same_file"] is None


def test_review_queue_filters_by_unresolved_flags(client, reviewer):
    flag = apps.get_model("screening", "MatchFlag")
    blocked = EnrollmentFactory(status=S.PENDING_REVIEW)
    doubtful = EnrollmentFactory(status=S.PENDING_REVIEW)
    clear = EnrollmentFactory(status=S.PENDING_REVIEW)
    common = {"kind": "programme", "score": "0.990", "reasons": "prueba"}
    flag.objects.create(enrollment=blocked, level="same", match_key="a", **common)
    flag.objects.create(enrollment=doubtful, level="possible", match_key="b", **common)
    flag.objects.create(enrollment=clear, level="same", match_key="c", status="not_same", **common)
    c = client_for(client, reviewer)
    url = reverse("enrollment:review_queue")
    assert set(c.get(url, {"flags": "open"}).context["page"]) == {blocked, doubtful}
    assert set(c.get(url, {"flags": "blocking"}).context["page"]) == {blocked}
    assert set(c.get(url, {"flags": "none"}).context["page"]) == {clear}
