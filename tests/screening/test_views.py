import io

import pytest
from django.urls import reverse

from enrollment.screening import services
from enrollment.screening.models import ExternalRegistry, MatchFlag, RegistryVersion, ScreeningRun
from provinces.roles import Role
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    eligible_history,
    make_cuil,
    make_user,
    province,
)
from tests.twofactor import verify_if_needed

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    verify_if_needed(client, user)
    return client


@pytest.fixture
def flag(reviewer, load_registry):
    worker = WorkerFactory(cuil=make_cuil(30111222), last_name="Acosta", first_name="Miguel Ángel")
    enrollment = EnrollmentFactory(worker=worker, cycle=CycleFactory())
    eligible_history(worker, enrollment.cycle.first_month)
    load_registry([f",,Acosta,Miguel Angel,{worker.birth_date:%Y-%m-%d},2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[enrollment.pk], by=reviewer)
    return MatchFlag.objects.get(enrollment=enrollment)


def outsider(who: int):
    if who == 0:
        return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    if who == 1:
        return make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=province("Tucumán")))
    return make_user(Role.PAYMENTS_OFFICER)


def test_reviewer_sees_flag_side_by_side_and_resolves_it(client, reviewer, flag):
    c = client_for(client, reviewer)
    page = c.get(reverse("screening:flag_list"))
    assert page.status_code == 200 and "Acosta" in page.content.decode()
    detail = c.get(reverse("screening:flag_detail", args=[flag.pk])).content.decode()
    assert "Miguel Angel" in detail and "Miguel Ángel" in detail and "Resolver" in detail
    response = c.post(reverse("screening:flag_detail", args=[flag.pk]), {"decision": "not_same", "note": "Otro DNI"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.NOT_SAME and flag.resolved_by == reviewer


def test_resolving_without_note_shows_the_error(client, reviewer, flag):
    response = client_for(client, reviewer).post(reverse("screening:flag_detail", args=[flag.pk]), {"decision": "same"})
    assert response.status_code == 200
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.OPEN


def test_auditor_reads_but_cannot_resolve(client, flag):
    c = client_for(client, make_user(Role.AUDITOR))
    detail = c.get(reverse("screening:flag_detail", args=[flag.pk]))
    assert detail.status_code == 200 and "Resolver" not in detail.content.decode()
    assert (
        c.post(reverse("screening:flag_detail", args=[flag.pk]), {"decision": "same", "note": "x"}).status_code == 403
    )
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.OPEN
    assert c.get(reverse("screening:registry_list")).status_code == 200
    assert (
        c.post(reverse("screening:registry_list"), {"code": "x", "programme": "X", "kind": "other"}).status_code == 403
    )


@pytest.mark.parametrize("who", [0, 1, 2])
def test_provincial_union_and_payments_officers_get_403(client, flag, who):
    c = client_for(client, outsider(who))
    for url in (
        reverse("screening:flag_list"),
        reverse("screening:flag_detail", args=[flag.pk]),
        reverse("screening:registry_list"),
        reverse("screening:registry_detail", args=[flag.registry_id]),
        reverse("screening:run_list"),
    ):
        assert c.get(url).status_code == 403, url
    assert (
        c.post(reverse("screening:flag_detail", args=[flag.pk]), {"decision": "same", "note": "x"}).status_code == 403
    )


def test_navigation_shows_screening_only_to_ministry_reviewers_and_auditors(client, reviewer):
    assert "Alertas de control" in client_for(client, reviewer).get(reverse("home")).content.decode()
    client.logout()
    assert "Alertas de control" not in client_for(client, outsider(0)).get(reverse("home")).content.decode()


def test_reviewer_creates_registry_and_uploads_a_file(
    client, reviewer, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    c = client_for(client, reviewer)
    response = c.post(
        reverse("screening:registry_list"),
        {
            "code": "pension-nc",
            "programme": "Pensiones no contributivas",
            "kind": "pension_non_contributory",
            "is_incompatible": "on",
        },
    )
    registry = ExternalRegistry.objects.get(code="pension-nc")
    assert response.status_code == 302 and registry.is_incompatible
    upload = io.BytesIO(
        b"cuil,apellido,nombre,fecha_nacimiento,desde,hasta\n20301112221,Paz,Ana,1990-01-01,2026-01,2026-12\n"
        + f"{make_cuil(30111222)},Luna,Rosa,1980-02-03,2026-01,2026-12\n".encode()
    )
    upload.name = "pensiones.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("screening:registry_detail", args=[registry.pk]), {"file": upload})
    assert response.status_code == 302
    version = RegistryVersion.objects.get(registry=registry)
    assert version.status == RegistryVersion.Status.CURRENT and version.rows_loaded == 1 and version.rows_rejected == 1
    page = c.get(reverse("screening:registry_detail", args=[registry.pk])).content.decode()
    assert "Fila 2" in page and "CUIL inválido" in page


def test_reviewer_starts_a_run_over_a_cycle_and_sees_progress(client, reviewer, django_capture_on_commit_callbacks):
    cycle = CycleFactory()
    enrollments = [EnrollmentFactory(cycle=cycle) for _ in range(3)]
    c = client_for(client, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("screening:run_list"), {"cycle": cycle.pk})
    run = ScreeningRun.objects.get()
    assert response.status_code == 302
    assert (run.status, run.total, run.done) == (ScreeningRun.Status.DONE, 3, 3)
    for e in enrollments:
        e.refresh_from_db()
        assert e.status == "pending_review"
    fragment = c.get(reverse("screening:run_detail", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "3/3" in fragment and "hx-trigger" not in fragment
    assert c.post(reverse("screening:run_list"), {}).status_code == 200  # no cycle nor month: form error


def test_enrollment_page_lists_its_flags_for_reviewers_and_auditors_and_the_flag_links_back(client, reviewer, flag):
    enrollment_url = reverse("enrollment:enrollment_detail", args=[flag.enrollment_id])
    flag_url = reverse("screening:flag_detail", args=[flag.pk])
    for user in (reviewer, make_user(Role.AUDITOR)):
        client.logout()
        page = client_for(client, user).get(enrollment_url)
        assert page.status_code == 200
        assert [f.pk for f in page.context["flags"]] == [flag.pk]
        assert f'href="{flag_url}"' in page.content.decode()
    detail = client_for(client, reviewer).get(flag_url).content.decode()
    assert f'href="{enrollment_url}"' in detail


def test_refused_approval_page_still_lists_the_blocking_flag(client, reviewer, flag):
    response = client_for(client, reviewer).post(
        reverse("enrollment:decide", args=[flag.enrollment_id]), {"action": "approve", "reason": ""}
    )
    assert response.status_code == 400
    assert "bloquean la aprobación" in response.content.decode()
    assert [f.pk for f in response.context["flags"]] == [flag.pk]


def test_enrollment_page_shows_no_flags_to_officers_of_its_province(client, flag):
    officer = make_user(Role.PROVINCIAL_OFFICER, flag.enrollment.worker.registered_by)
    page = client_for(client, officer).get(reverse("enrollment:enrollment_detail", args=[flag.enrollment_id]))
    assert page.status_code == 200
    assert page.context["flags"] is None
    assert reverse("screening:flag_detail", args=[flag.pk]) not in page.content.decode()


def test_flag_page_shows_field_by_field_evidence_in_es_ar_formats(client, reviewer, flag):
    detail = client_for(client, reviewer).get(reverse("screening:flag_detail", args=[flag.pk])).content.decode()
    assert "Evidencia campo por campo" in detail
    # Names and birth date agree; the registry has no DNI, so that field is missing.
    assert detail.count("Coincide") == 2 and "Falta" in detail and "No coincide" not in detail
    worker = flag.enrollment.worker
    assert f"{worker.birth_date:%d/%m/%Y}" in detail and worker.birth_date.isoformat() not in detail
    assert f"20-30111222-{worker.cuil[-1]}" in detail


def test_cuil_conflict_is_shown_side_by_side_with_what_disagrees_and_can_be_resolved(client, reviewer, load_registry):
    worker = WorkerFactory(cuil=make_cuil(30111333), last_name="Acosta", first_name="Miguel Ángel")
    enrollment = EnrollmentFactory(worker=worker, cycle=CycleFactory())
    eligible_history(worker, enrollment.cycle.first_month)
    load_registry([f"{worker.cuil},,Ledesma,Rosa Beatriz,1961-07-30,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[enrollment.pk], by=reviewer)
    conflict = MatchFlag.objects.get(enrollment=enrollment)
    assert conflict.kind == MatchFlag.Kind.CUIL_CONFLICT
    c = client_for(client, reviewer)
    detail = c.get(reverse("screening:flag_detail", args=[conflict.pk])).content.decode()
    assert "Mismo CUIL con otros datos personales" in detail
    assert "Ledesma" in detail and "Acosta" in detail and "30/07/1961" in detail
    assert detail.count("No coincide") == 2  # name and birth date
    assert "el mismo DNI" in detail and "Resolver" in detail
    response = c.post(
        reverse("screening:flag_detail", args=[conflict.pk]), {"decision": "not_same", "note": "CUIL mal cargado"}
    )
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == MatchFlag.Status.NOT_SAME
