"""Survey lists that mix activities (and, for a national union, provinces): each row goes to the
open period of its province and activity that the uploader registers in, one summary per
period, and confirming writes every period at once."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from enrollment import imports
from enrollment.models import Enrollment, IdentityReview, ImportJob, ImportPeriod, ImportRow, ImportRowError, Worker
from provinces.roles import Role
from tests.enrollment.survey_files import HEADER, csv_bytes, row, upload
from tests.factories import (
    AgreementFactory,
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
def tucuman():
    """One agreement in Tucumán with an open period for sugar cane (May) and one for lemons
    (September), and an agreement in Mendoza with one for grapes."""
    agreement = AgreementFactory(province=province("Tucumán"), number="CONV-TUC")
    cane = CycleFactory(agreement=agreement, crop=crop("cana"), name="Zafra caña", first_month=dt.date(2026, 5, 1))
    lemon = CycleFactory(agreement=agreement, crop=crop("limon"), name="Cosecha limón", first_month=dt.date(2026, 9, 1))
    grapes = CycleFactory(
        agreement=AgreementFactory(province=province("Mendoza"), number="CONV-MZA"),
        crop=crop("vid"),
        name="Vendimia",
        first_month=dt.date(2026, 5, 1),
    )
    return {"cane": cane, "lemon": lemon, "grapes": grapes}


@pytest.fixture
def union_officer():
    return make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=province("Tucumán")))


@pytest.fixture
def national_officer():
    return make_user(Role.UNION_OFFICER, OrganisationFactory(name="UATRE nacional", kind="union", province=None))


def analyse(user, cycle, rows, **kwargs) -> ImportJob:
    job = imports.create_import_job(by=user, upload=upload(csv_bytes(rows, **kwargs)), cycle=cycle)
    return imports.analyse_import(job_id=job.pk)


def apply(user, job) -> ImportJob:
    imports.confirm_import(job=job, by=user)
    return imports.apply_import(job_id=job.pk)


def periods(job) -> dict[str, tuple]:
    return {
        p.cycle.name: (p.valid_rows, p.error_rows, p.new_workers, p.enrollments_to_create, p.quota_available)
        for p in ImportPeriod.objects.filter(job=job).select_related("cycle")
    }


def problems(job) -> list[tuple]:
    return list(ImportRowError.objects.filter(job=job).values_list("row_number", "column", "message"))


def enrolled_in(cycle) -> set[str]:
    return set(Enrollment.objects.filter(cycle=cycle).values_list("worker__cuil", flat=True))


def test_a_union_list_mixing_activities_goes_row_by_row_to_each_period(union_officer, tucuman):
    rows = [
        row(1),
        row(2, actividad="limon"),
        row(3, actividad="Caña de azúcar"),
        row(4, actividad="tabaco"),  # no open tobacco period in Tucumán
        row(5, actividad="limon", cbu="123"),  # a problem of its own, in the lemon period
    ]
    job = analyse(union_officer, tucuman["cane"], rows)
    assert job.status == J.READY
    assert (job.total_rows, job.valid_rows, job.error_rows, job.enrollments_to_create) == (5, 3, 2, 3)
    # One summary: per period valid, in error, new, to create, places left; the job holds the totals.
    assert periods(job) == {"Zafra caña": (2, 0, 2, 2, 1000), "Cosecha limón": (1, 1, 1, 1, 1000)}
    assert dict(ImportRow.objects.filter(job=job).values_list("row_number", "cycle_id")) == {
        2: tucuman["cane"].pk,
        3: tucuman["lemon"].pk,
        4: tucuman["cane"].pk,
    }
    assert (5, "actividad", "No hay un período de Tabaco abierto en Tucumán.") in problems(job)
    assert Worker.objects.count() == 0, "nothing is written before confirming"

    job = apply(union_officer, job)
    assert (job.status, job.created_workers, job.created_enrollments) == (J.DONE, 3, 3)
    assert enrolled_in(tucuman["cane"]) == {row(1)["cuil"], row(3)["cuil"]}
    assert enrolled_in(tucuman["lemon"]) == {row(2)["cuil"]}
    assert not Worker.objects.filter(cuil__in=[row(4)["cuil"], row(5)["cuil"]]).exists()
    assert dict(ImportPeriod.objects.filter(job=job).values_list("cycle__name", "created_enrollments")) == {
        "Zafra caña": 2,
        "Cosecha limón": 1,
    }
    assert sorted(imports.submitted_enrollment_ids(job=job)) == sorted(
        Enrollment.objects.filter(worker__cuil__in=[row(n)["cuil"] for n in (1, 2, 3)]).values_list("pk", flat=True)
    )


def test_a_national_union_list_mixing_provinces_goes_to_each_provinces_period(national_officer, tucuman):
    rows = [row(1), row(2, provincia="Mendoza", localidad="Maipú", actividad="vid"), row(3, actividad="limon")]
    job = analyse(national_officer, tucuman["cane"], rows)
    assert (job.valid_rows, job.error_rows) == (3, 0)
    assert set(periods(job)) == {"Zafra caña", "Cosecha limón", "Vendimia"}
    apply(national_officer, job)
    assert enrolled_in(tucuman["grapes"]) == {row(2)["cuil"]}
    assert Worker.objects.get(cuil=row(2)["cuil"]).province == province("Mendoza")
    assert enrolled_in(tucuman["cane"]) == {row(1)["cuil"]} and enrolled_in(tucuman["lemon"]) == {row(3)["cuil"]}


@pytest.mark.parametrize("role", [Role.UNION_OFFICER, Role.PROVINCIAL_OFFICER])
def test_rows_of_a_province_outside_the_uploaders_scope_are_row_errors_never_written(role, tucuman):
    kind = "union" if role == Role.UNION_OFFICER else "provincial_office"
    user = make_user(role, OrganisationFactory(kind=kind, province=province("Tucumán")))
    rows = [row(1), row(2, provincia="Mendoza", localidad="Maipú", actividad="vid")]
    job = analyse(user, tucuman["cane"], rows)
    assert (job.valid_rows, job.error_rows) == (1, 1)
    assert problems(job) == [(3, "provincia", "Su organización no inscribe en Mendoza: esta fila no se importa.")]
    assert set(periods(job)) == {"Zafra caña"}
    apply(user, job)
    assert not Worker.objects.filter(cuil=row(2)["cuil"]).exists()
    assert not Enrollment.objects.filter(cycle=tucuman["grapes"]).exists()


def test_the_quota_is_checked_per_period_and_the_first_rows_of_each_get_the_places(union_officer, tucuman):
    cane_quota = tucuman["cane"].agreement.quotas.get(crop=crop("cana"))
    cane_quota.quota = 2
    cane_quota.save()
    EnrollmentFactory(cycle=tucuman["cane"])  # one of the two places taken
    rows = [row(1), row(2, actividad="limon"), row(3), row(4, actividad="limon"), row(5)]
    job = analyse(union_officer, tucuman["cane"], rows)
    assert periods(job)["Zafra caña"] == (3, 0, 3, 3, 1)
    assert periods(job)["Cosecha limón"] == (2, 0, 2, 2, 1000)
    job = apply(union_officer, job)
    assert (job.created_enrollments, job.over_quota) == (3, 2)
    assert enrolled_in(tucuman["cane"]) >= {row(1)["cuil"]}
    assert not enrolled_in(tucuman["cane"]) & {row(3)["cuil"], row(5)["cuil"]}
    assert enrolled_in(tucuman["lemon"]) == {row(2)["cuil"], row(4)["cuil"]}
    over = [(r, m) for r, c, m in problems(job) if "cupo" in m]
    assert over == [(4, "Sin lugar en el cupo de Caña de azúcar del convenio CONV-TUC."), (6, over[1][1])]
    cane = ImportPeriod.objects.get(job=job, cycle=tucuman["cane"])
    lemon = ImportPeriod.objects.get(job=job, cycle=tucuman["lemon"])
    assert (cane.created_enrollments, cane.over_quota, lemon.created_enrollments, lemon.over_quota) == (1, 2, 2, 0)


def test_a_file_without_the_province_and_activity_columns_goes_to_the_chosen_period(union_officer, tucuman):
    header = [h for h in HEADER if h not in ("provincia", "actividad")]
    job = analyse(union_officer, tucuman["lemon"], [row(1), row(2)], header=header)
    assert (job.status, job.valid_rows, job.error_rows) == (J.READY, 2, 0)
    apply(union_officer, job)
    assert enrolled_in(tucuman["lemon"]) == {row(1)["cuil"], row(2)["cuil"]}
    assert Worker.objects.get(cuil=row(1)["cuil"]).province == province("Tucumán")


def test_the_age_is_checked_on_the_first_day_of_the_rows_period(union_officer, tucuman):
    # 18 on 15/08/2026: too young for May's cane period, old enough for September's lemons.
    rows = [row(1, fecha_nacimiento="15/08/2008"), row(2, fecha_nacimiento="15/08/2008", actividad="limon")]
    job = analyse(union_officer, tucuman["cane"], rows)
    assert (job.valid_rows, job.error_rows) == (1, 1)
    assert problems(job) == [(2, "fecha_nacimiento", "Menor de 18 años el 01/05/2026 (primer día del período).")]
    assert periods(job)["Zafra caña"][1] == 1, "the row in error is counted in its period"


def test_of_several_open_periods_of_one_activity_the_chosen_one_or_the_one_of_its_month(union_officer, tucuman):
    later_cane = CycleFactory(
        agreement=tucuman["cane"].agreement, crop=crop("cana"), name="Zafra tardía", first_month=dt.date(2026, 9, 1)
    )
    # Chosen on the form: the rows of its activity go there.
    job = analyse(union_officer, later_cane, [row(1)])
    assert set(periods(job)) == {"Zafra tardía"}
    # Another activity chosen: the cane period starting the same month as the chosen one.
    job = analyse(union_officer, tucuman["lemon"], [row(2)])
    assert set(periods(job)) == {"Zafra tardía"}
    # Neither: which one is not guessed.
    july = CycleFactory(
        agreement=tucuman["grapes"].agreement, crop=crop("vid"), name="Poda", first_month=dt.date(2026, 7, 1)
    )
    national = make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=None))
    job = analyse(national, july, [row(3)])
    assert job.valid_rows == 0
    assert problems(job) == [
        (
            2,
            "actividad",
            "Hay varios períodos de Caña de azúcar abiertos en Tucumán: suba estas filas en otro padrón, "
            "eligiendo el período.",
        )
    ]


def test_a_closed_period_is_no_route_and_a_period_closing_before_confirming_stops_the_list(union_officer, tucuman):
    tucuman["lemon"].registration_open = False
    tucuman["lemon"].save()
    job = analyse(union_officer, tucuman["cane"], [row(1), row(2, actividad="limon")])
    assert problems(job) == [(3, "actividad", "No hay un período de Limón abierto en Tucumán.")]

    tucuman["lemon"].registration_open = True
    tucuman["lemon"].save()
    job = analyse(union_officer, tucuman["cane"], [row(3), row(4, actividad="limon")])
    tucuman["lemon"].registration_open = False
    tucuman["lemon"].save()
    with pytest.raises(ValidationError, match="Cosecha limón"):
        imports.confirm_import(job=job, by=union_officer)


def test_confirming_needs_a_member_who_registers_in_every_period_of_the_list(national_officer, tucuman):
    job = analyse(national_officer, tucuman["cane"], [row(1), row(2, provincia="Mendoza", actividad="vid")])
    colleague = make_user(Role.UNION_OFFICER, job.organisation)
    imports.confirm_import(job=job, by=colleague)
    assert ImportJob.objects.get(pk=job.pk).status == J.CONFIRMED
    outsider = make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=province("Tucumán")))
    job = analyse(national_officer, tucuman["cane"], [row(3), row(4, provincia="Mendoza", actividad="vid")])
    with pytest.raises(PermissionDenied):
        imports.confirm_import(job=job, by=outsider)


def test_a_review_item_of_a_list_carries_the_period_of_its_row(union_officer, tucuman):
    elsewhere = OrganisationFactory(kind="union", province=province("Tucumán"))
    WorkerFactory(cuil=row(1)["cuil"], registered_by=elsewhere)  # not the union's: held for review
    job = analyse(union_officer, tucuman["cane"], [row(1, actividad="limon"), row(2)])
    assert periods(job)["Cosecha limón"][:2] == (1, 0)
    assert ImportPeriod.objects.get(job=job, cycle=tucuman["lemon"]).review_rows == 1
    apply(union_officer, job)
    review = IdentityReview.objects.get(import_job=job)
    assert review.cycle == tucuman["lemon"]


def test_the_job_page_shows_the_summary_per_period_and_the_totals(client, union_officer, tucuman):
    job = analyse(union_officer, tucuman["cane"], [row(1), row(2, actividad="limon"), row(3, actividad="tabaco")])
    client.force_login(union_officer)
    page = client.get(reverse("enrollment:import_detail", args=[job.pk])).content.decode()
    assert "Por período" in page
    assert "Zafra caña" in page and "Cosecha limón" in page and "Total" in page
    assert "1 fila con errores no va a ningún período" in page


@pytest.mark.django_db(transaction=True)
def test_a_long_mixed_list_is_applied_in_chunks_each_row_in_its_period(settings, union_officer, tucuman):
    settings.SURVEY_LIST_PARALLEL_MIN_ROWS = 4
    settings.SURVEY_LIST_APPLY_SESSIONS = 2
    settings.SURVEY_LIST_APPLY_CHUNK_ROWS = 2
    rows = [row(n, actividad="limon" if n % 2 else "cana") for n in range(1, 8)]
    job = apply(union_officer, analyse(union_officer, tucuman["cane"], rows))
    assert job.applied_parts.count() == 4
    assert (job.status, job.created_workers, job.created_enrollments) == (J.DONE, 7, 7)
    assert enrolled_in(tucuman["lemon"]) == {row(n)["cuil"] for n in (1, 3, 5, 7)}
    assert enrolled_in(tucuman["cane"]) == {row(n)["cuil"] for n in (2, 4, 6)}
    assert dict(ImportPeriod.objects.filter(job=job).values_list("cycle__name", "created_enrollments")) == {
        "Zafra caña": 3,
        "Cosecha limón": 4,
    }
