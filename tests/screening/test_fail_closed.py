"""Eligibility fails closed (no SIPA data is a blocking flag a reviewer accepts, never a silent
pass), re-entry within 10 months is a flag of its own, and AUH and PROGRESAR are seeded as
compatible registries while any other registry is incompatible by default."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from enrollment.screening import services
from enrollment.screening.forms import RegistryForm
from enrollment.screening.history import accept_unverified_history
from enrollment.screening.models import ExternalRegistry, MatchFlag, Remuneration
from enrollment.screening.selectors import has_blocking_flags
from provinces.models import add_months
from provinces.roles import Role
from tests.factories import CycleFactory, EnrollmentFactory, WorkerFactory, make_user
from tests.twofactor import verify_if_needed

pytestmark = pytest.mark.django_db
S = Enrollment.Status
K = MatchFlag.Kind
MAY = dt.date(2026, 5, 1)


@pytest.fixture
def enrollment():
    return EnrollmentFactory(worker=WorkerFactory(), cycle=CycleFactory(first_month=MAY))


def screen(enrollment):
    services.screen_enrollments(enrollment_ids=[enrollment.pk])
    enrollment.refresh_from_db()
    return {f.kind: f for f in MatchFlag.objects.filter(enrollment=enrollment)}


def eligible_history(cuil, start=dt.date(2025, 5, 1), months=5, gross="200000"):
    for i in range(months):
        Remuneration.objects.create(
            cuil=cuil,
            month=add_months(start, i),
            employer_cuit="30500010912",
            activity="agrarian",
            gross=Decimal(gross),
        )


# --- no SIPA data -------------------------------------------------------------------------------


def test_no_sipa_data_before_the_period_is_a_blocking_flag_not_a_pass(enrollment, reviewer):
    flags = screen(enrollment)
    flag = flags[K.NO_SIPA]
    assert flag.level == MatchFlag.Level.SAME and flag.status == MatchFlag.Status.OPEN
    assert "No hay datos SIPA anteriores a 05/2026" in flag.reasons
    assert enrollment.status == S.PENDING_REVIEW and "1 alerta" in enrollment.status_reason
    assert has_blocking_flags(enrollment)
    with pytest.raises(ValidationError, match="bloquean"):
        enrollment_services.approve_enrollment(enrollment=enrollment, by=reviewer)


def test_sipa_data_before_the_period_raises_no_such_flag(enrollment, smvm):
    eligible_history(enrollment.worker.cuil)
    assert K.NO_SIPA not in screen(enrollment)
    assert not has_blocking_flags(enrollment)


def test_sipa_data_only_after_the_period_starts_still_fails_closed(enrollment, smvm):
    eligible_history(enrollment.worker.cuil, start=MAY)  # nothing before 05/2026
    assert K.NO_SIPA in screen(enrollment)


def test_a_reviewer_accepts_the_history_with_a_note_and_may_then_approve(enrollment, reviewer):
    flag = screen(enrollment)[K.NO_SIPA]
    accept_unverified_history(flag=flag, by=reviewer, note="Recibos de la zafra 2025 y constancia de RENATRE")
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.ACCEPTED and flag.resolved_by == reviewer
    assert not has_blocking_flags(enrollment)
    approved = enrollment_services.approve_enrollment(enrollment=enrollment, by=reviewer)
    assert approved.status == S.APPROVED


def test_an_accepted_flag_stays_accepted_when_screened_again(enrollment, reviewer):
    flag = screen(enrollment)[K.NO_SIPA]
    accept_unverified_history(flag=flag, by=reviewer, note="Recibos de sueldo")
    Enrollment.objects.filter(pk=enrollment.pk).update(status=S.SUBMITTED)
    again = screen(enrollment)[K.NO_SIPA]
    assert again.pk == flag.pk and again.status == MatchFlag.Status.ACCEPTED


def test_sipa_data_that_arrives_clears_the_open_flag(enrollment, smvm):
    flag = screen(enrollment)[K.NO_SIPA]
    eligible_history(enrollment.worker.cuil)
    Enrollment.objects.filter(pk=enrollment.pk).update(status=S.SUBMITTED)
    screen(enrollment)
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.CLEARED


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_only_a_reviewer_accepts_and_a_refusal_changes_nothing(enrollment, role):
    from tests.factories import OrganisationFactory, province

    flag = screen(enrollment)[K.NO_SIPA]
    organisation = OrganisationFactory(province=province("Tucumán")) if role == Role.PROVINCIAL_OFFICER else None
    with pytest.raises(PermissionDenied):
        accept_unverified_history(flag=flag, by=make_user(role, organisation), note="Recibos")
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.OPEN


def test_accepting_needs_a_note_and_only_an_open_no_sipa_flag(enrollment, reviewer, smvm):
    flag = screen(enrollment)[K.NO_SIPA]
    with pytest.raises(ValidationError, match="nota"):
        accept_unverified_history(flag=flag, by=reviewer, note="  ")
    accept_unverified_history(flag=flag, by=reviewer, note="Recibos")
    with pytest.raises(ValidationError, match="ya fue resuelta"):
        accept_unverified_history(flag=flag, by=reviewer, note="Otra vez")
    other = EnrollmentFactory(worker=WorkerFactory(), cycle=CycleFactory(first_month=MAY))
    eligible_history(other.worker.cuil, months=2)  # too few months: an eligibility flag
    eligibility = screen(other)[K.ELIGIBILITY]
    with pytest.raises(ValidationError, match="falta de datos SIPA"):
        accept_unverified_history(flag=eligibility, by=reviewer, note="Recibos")


def test_the_reviewer_accepts_on_the_flag_page_and_others_cannot(client, enrollment, reviewer):
    flag = screen(enrollment)[K.NO_SIPA]
    url = reverse("screening:flag_detail", args=[flag.pk])
    auditor = make_user(Role.AUDITOR)
    client.force_login(auditor)
    verify_if_needed(client, auditor)
    page = client.get(url).content.decode()
    assert "Sin datos SIPA" in page and "Aceptar la historia laboral" not in page
    assert client.post(url, {"note": "Recibos"}).status_code == 403
    client.force_login(reviewer)
    verify_if_needed(client, reviewer)
    page = client.get(url).content.decode()
    assert "Aceptar la historia laboral" in page and "Cómo se verificó la historia laboral" in page
    assert client.post(url, {"note": ""}).status_code == 200  # the form says the note is missing
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.OPEN
    response = client.post(url, {"note": "Constancia de RENATRE"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.ACCEPTED and flag.note == "Constancia de RENATRE"


# --- re-entry -----------------------------------------------------------------------------------


def test_a_previous_period_started_less_than_ten_months_before_is_a_reentry_flag(enrollment, smvm):
    eligible_history(enrollment.worker.cuil)
    EnrollmentFactory(worker=enrollment.worker, cycle=CycleFactory(first_month=dt.date(2025, 9, 1)), status=S.COMPLETED)
    flags = screen(enrollment)
    assert set(flags) == {K.REENTRY}
    flag = flags[K.REENTRY]
    assert flag.level == MatchFlag.Level.SAME
    assert flag.reasons == "Solo 8 meses desde el inicio de su período anterior (09/2025); se requieren 10."
    assert has_blocking_flags(enrollment)


def test_a_previous_period_ten_months_before_is_no_reentry(enrollment, smvm):
    eligible_history(enrollment.worker.cuil)
    EnrollmentFactory(worker=enrollment.worker, cycle=CycleFactory(first_month=dt.date(2025, 7, 1)), status=S.COMPLETED)
    assert screen(enrollment) == {}


def test_a_withdrawn_previous_enrollment_is_no_reentry_and_clears_the_flag(enrollment, smvm):
    eligible_history(enrollment.worker.cuil)
    previous = EnrollmentFactory(
        worker=enrollment.worker, cycle=CycleFactory(first_month=dt.date(2025, 9, 1)), status=S.APPROVED
    )
    flag = screen(enrollment)[K.REENTRY]
    Enrollment.objects.filter(pk=previous.pk).update(status=S.WITHDRAWN)
    Enrollment.objects.filter(pk=enrollment.pk).update(status=S.SUBMITTED)
    screen(enrollment)
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.CLEARED


def test_the_reentry_rule_comes_from_the_rules_in_force(enrollment, smvm):
    from enrollment.screening.models import ScreeningRules

    ScreeningRules.objects.create(effective_from=dt.date(2026, 1, 1), min_months_since_previous=6)
    eligible_history(enrollment.worker.cuil)
    EnrollmentFactory(worker=enrollment.worker, cycle=CycleFactory(first_month=dt.date(2025, 9, 1)), status=S.COMPLETED)
    assert K.REENTRY not in screen(enrollment)


# --- compatible registries ----------------------------------------------------------------------


def test_auh_and_progresar_are_seeded_as_compatible():
    seeded = {r.code: r for r in ExternalRegistry.objects.filter(code__in=["auh", "progresar"])}
    assert set(seeded) == {"auh", "progresar"}
    assert not seeded["auh"].is_incompatible and seeded["auh"].kind == ExternalRegistry.Kind.FAMILY_ALLOWANCE
    assert not seeded["progresar"].is_incompatible and seeded["progresar"].kind == ExternalRegistry.Kind.EDUCATION


def test_a_new_registry_is_incompatible_unless_the_ministry_says_otherwise():
    assert ExternalRegistry(code="nuevo", programme="Nuevo", kind="other").is_incompatible
    assert RegistryForm().initial.get("is_incompatible", RegistryForm().fields["is_incompatible"].initial) is True


def _list(registry_code, reviewer, worker):
    from enrollment.screening.models import RegistryVersion
    from tests.screening.conftest import csv_file

    registry = ExternalRegistry.objects.get(code=registry_code)
    version = RegistryVersion.objects.create(registry=registry, source_name="lista.csv", uploaded_by=reviewer)
    row = f"{worker.cuil},,{worker.last_name},{worker.first_name},{worker.birth_date:%Y-%m-%d},2026-01,2026-12"
    services.load_registry_version(version_id=version.pk, fileobj=csv_file([row]))


@pytest.mark.parametrize("code", ["auh", "progresar"])
def test_a_beneficiary_of_auh_or_progresar_in_the_same_months_raises_no_conflict(enrollment, reviewer, smvm, code):
    eligible_history(enrollment.worker.cuil)
    _list(code, reviewer, enrollment.worker)
    assert screen(enrollment) == {}


def test_the_same_beneficiary_in_an_incompatible_registry_is_a_conflict(enrollment, reviewer, smvm):
    eligible_history(enrollment.worker.cuil)
    services.save_registry(
        by=reviewer, code="pension", programme="Pensión", kind="pension_contributory", is_incompatible=True
    )
    _list("pension", reviewer, enrollment.worker)
    assert set(screen(enrollment)) == {K.REGISTRY}
