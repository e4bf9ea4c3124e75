import datetime as dt
from decimal import Decimal

import pytest

from enrollment.models import Enrollment
from enrollment.screening import services
from enrollment.screening.models import MatchFlag, Remuneration, ScreeningRules
from provinces.models import add_months
from tests.factories import CycleFactory, EnrollmentFactory, WorkerFactory

pytestmark = pytest.mark.django_db
SMVM = Decimal("300000.00")  # the fixture's SMVM for every month
EMPLOYER = "30500010912"


@pytest.fixture
def enrollment(smvm):
    return EnrollmentFactory(worker=WorkerFactory(), cycle=CycleFactory(first_month=dt.date(2026, 5, 1)))


def pay(cuil, months, gross, activity="agrarian", start=dt.date(2025, 5, 1)):
    for i in range(months):
        Remuneration.objects.create(
            cuil=cuil, month=add_months(start, i), employer_cuit=EMPLOYER, activity=activity, gross=Decimal(gross)
        )


def eligibility_flag(enrollment):
    services.screen_enrollments(enrollment_ids=[enrollment.pk])
    return MatchFlag.objects.filter(enrollment=enrollment, kind=MatchFlag.Kind.ELIGIBILITY).first()


def test_five_seasonal_months_above_half_smvm_is_eligible(enrollment):
    pay(enrollment.worker.cuil, 5, "200000")
    pay(enrollment.worker.cuil, 1, "1000", activity="other", start=dt.date(2026, 4, 1))  # SIPA data up to 04/2026
    assert eligibility_flag(enrollment) is None


def test_two_seasonal_months_is_stated_in_words(enrollment):
    pay(enrollment.worker.cuil, 2, "200000")
    flag = eligibility_flag(enrollment)
    assert flag.level == MatchFlag.Level.SAME
    assert "Solo 2 meses de trabajo estacional" in flag.reasons and "al menos 3" in flag.reasons


def test_months_below_half_smvm_do_not_count(enrollment):
    pay(enrollment.worker.cuil, 4, "149999.99")
    assert "Solo 0 meses" in eligibility_flag(enrollment).reasons


def test_more_than_ten_seasonal_months_is_not_seasonal(enrollment):
    pay(enrollment.worker.cuil, 12, "200000")
    assert "12 meses de trabajo estacional" in eligibility_flag(enrollment).reasons


def test_average_income_of_three_smvm_or_more_is_ineligible(enrollment):
    pay(enrollment.worker.cuil, 4, "950000")
    assert "no menor que 3 SMVM" in eligibility_flag(enrollment).reasons


def test_no_seasonal_work_at_all(enrollment):
    pay(enrollment.worker.cuil, 6, "400000", activity="other")
    assert "sin meses de trabajo agrario" in eligibility_flag(enrollment).reasons.lower()


def test_previous_period_started_less_than_ten_months_before(enrollment):
    """A re-entry is a flag of its own (tests/screening/test_fail_closed.py), not an eligibility one."""
    pay(enrollment.worker.cuil, 5, "200000")
    EnrollmentFactory(
        worker=enrollment.worker,
        cycle=CycleFactory(first_month=dt.date(2025, 9, 1)),
        status=Enrollment.Status.COMPLETED,
    )
    assert eligibility_flag(enrollment) is None
    reentry = MatchFlag.objects.get(enrollment=enrollment, kind=MatchFlag.Kind.REENTRY)
    assert "Solo 8 meses desde el inicio de su período anterior (09/2025)" in reentry.reasons


def test_previous_period_ten_months_before_is_fine(enrollment):
    pay(enrollment.worker.cuil, 5, "200000")
    EnrollmentFactory(
        worker=enrollment.worker,
        cycle=CycleFactory(first_month=dt.date(2025, 7, 1)),
        status=Enrollment.Status.COMPLETED,
    )
    assert eligibility_flag(enrollment) is None


def test_thresholds_come_from_the_rules_in_force(enrollment):
    ScreeningRules.objects.create(effective_from=dt.date(2026, 1, 1), min_seasonal_months=6, max_seasonal_months=10)
    pay(enrollment.worker.cuil, 5, "200000")
    assert "al menos 6" in eligibility_flag(enrollment).reasons


def test_new_sipa_data_clears_the_eligibility_flag(enrollment):
    pay(enrollment.worker.cuil, 2, "200000")
    flag = eligibility_flag(enrollment)
    pay(enrollment.worker.cuil, 2, "200000", start=dt.date(2025, 9, 1))
    services.screen_enrollments(enrollment_ids=[enrollment.pk])
    flag.refresh_from_db()
    assert flag.status == MatchFlag.Status.CLEARED


def test_self_employment_in_cycle_months_is_a_conflict(enrollment):
    pay(enrollment.worker.cuil, 5, "200000")
    pay(enrollment.worker.cuil, 1, "10000", activity="self_employed", start=dt.date(2026, 6, 1))
    services.screen_enrollments(enrollment_ids=[enrollment.pk])
    [flag] = MatchFlag.objects.filter(enrollment=enrollment, kind=MatchFlag.Kind.EMPLOYMENT)
    assert "independiente" in flag.reasons


def test_sipa_file_loads_valid_rows_reports_bad_ones_and_upserts():
    import io

    cuil = WorkerFactory().cuil
    text = "\n".join(
        [
            "cuil;mes;cuit_empleador;actividad;remuneracion",
            f"{cuil};2025-06;{EMPLOYER};agraria;200000,50",
            f"{cuil};07/2025;{EMPLOYER};agroindustrial;180000",
            f"20111111111;2025-06;{EMPLOYER};agraria;1000",  # bad CUIL
            f"{cuil};2025-13;{EMPLOYER};agraria;1000",  # bad month
            f"{cuil};2025-08;{EMPLOYER};pesca;1000",  # unknown activity
            f"{cuil};2025-09;{EMPLOYER};agraria;-5",  # negative pay
        ]
    )
    outcome = services.load_remunerations(fileobj=io.BytesIO(text.encode()))
    assert (outcome["loaded"], outcome["rejected"]) == (2, 4)
    assert [e["row"] for e in outcome["errors"]] == [4, 5, 6, 7]
    assert "CUIL inválido" in outcome["errors"][0]["error"] and "actividad desconocida" in outcome["errors"][2]["error"]
    assert Remuneration.objects.get(cuil=cuil, month=dt.date(2025, 6, 1)).gross == Decimal("200000.50")
    # Loading a corrected file replaces the month's amount instead of duplicating it.
    fixed = f"cuil,mes,cuit_empleador,actividad,remuneracion\n{cuil},2025-06,{EMPLOYER},agraria,210000\n"
    services.load_remunerations(fileobj=io.BytesIO(fixed.encode()))
    assert Remuneration.objects.filter(cuil=cuil).count() == 2
    assert Remuneration.objects.get(cuil=cuil, month=dt.date(2025, 6, 1)).gross == Decimal("210000.00")


def test_load_sipa_command_loads_smvm_and_remunerations(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from enrollment.screening.models import MinimumWage

    smvm = tmp_path / "smvm.csv"
    smvm.write_text("mes,monto\n2024-10,271571.22\n11/2024,279718.36\nmal,1\n")
    err = StringIO()
    call_command("load_sipa", str(smvm), "--smvm", stdout=StringIO(), stderr=err)
    assert MinimumWage.objects.get(month=dt.date(2024, 11, 1)).amount == Decimal("279718.36")
    assert "Fila 4" in err.getvalue()
    cuil = WorkerFactory().cuil
    sipa = tmp_path / "sipa.csv"
    sipa.write_text(f"cuil,mes,cuit_empleador,actividad,remuneracion\n{cuil},2024-10,{EMPLOYER},agraria,150000\n")
    out = StringIO()
    call_command("load_sipa", str(sipa), stdout=out, stderr=StringIO())
    assert "1 remuneraciones cargadas" in out.getvalue()
