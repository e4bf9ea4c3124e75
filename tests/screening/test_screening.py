import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from enrollment.screening import services
from enrollment.screening.models import MatchFlag, NotSamePerson, Remuneration
from enrollment.screening.selectors import has_blocking_flags
from tests.factories import (
    AgreementFactory,
    CycleFactory,
    EnrollmentFactory,
    WorkerFactory,
    eligible_history,
    make_cuil,
    province,
)

pytestmark = pytest.mark.django_db
S = Enrollment.Status
BIRTH = dt.date(1985, 4, 9)


def enrollment_of(last="Rodríguez", first="Ramón Alberto", birth=BIRTH, dni=30111222, cycle=None, **kw):
    """An enrollment whose worker has an eligible SIPA history, so that what screening finds is
    about the matching (eligibility fails closed without SIPA data)."""
    worker = WorkerFactory(cuil=make_cuil(dni), last_name=last, first_name=first, birth_date=birth, **kw)
    cycle = cycle or CycleFactory()
    eligible_history(worker, cycle.first_month)
    return EnrollmentFactory(worker=worker, cycle=cycle)


def flags(enrollment, kind=None):
    qs = MatchFlag.objects.filter(enrollment=enrollment)
    return list(qs.filter(kind=kind) if kind else qs)


def test_clean_enrollment_goes_to_review_without_flags(reviewer):
    e = enrollment_of()
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    e.refresh_from_db()
    assert e.status == S.PENDING_REVIEW
    assert flags(e) == []
    assert "sin alertas" in e.status_reason


def test_registry_match_by_cuil_in_overlapping_months_blocks(reviewer, load_registry):
    e = enrollment_of()
    load_registry([f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-06,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e, MatchFlag.Kind.REGISTRY)
    assert flag.level == MatchFlag.Level.SAME
    assert "mismo CUIL" in flag.reasons and "Programa desempleo" in flag.reasons
    assert flag.matched["apellido"] == "Rodriguez"
    assert has_blocking_flags(e)
    with pytest.raises(ValidationError, match="bloquean"):
        enrollment_services.approve_enrollment(enrollment=e, by=reviewer)


def test_registry_benefit_outside_cycle_months_is_no_conflict(reviewer, load_registry):
    e = enrollment_of()  # cycle 05/2026–08/2026
    load_registry([f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2025-01,2026-04"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert flags(e) == []


def test_compatible_registry_is_ignored(reviewer, load_registry):
    e = enrollment_of()
    load_registry(
        [f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-01,2026-12"], code="progresar", incompatible=False
    )
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert flags(e) == []


def test_registry_match_by_dni_without_cuil(reviewer, load_registry):
    e = enrollment_of()
    load_registry([",30111222,Rodriguez,Ramon Alberto,1985-04-09,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    assert "mismo DNI" in flag.reasons and flag.level == MatchFlag.Level.SAME


def test_sound_alike_name_and_birth_date_with_another_known_dni_is_for_review_not_same_person(reviewer, load_registry):
    # Issue 19: two known DNIs that differ are evidence against; name and birth date alone do not
    # make "the same person" (a namesake born the same day), but a reviewer sees the pair.
    e = enrollment_of(last="Benítez", first="Silvia Noemí")
    load_registry([f"{make_cuil(29876543)},,Venites,Silvia Noemi,1985-04-09,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    assert flag.level == MatchFlag.Level.POSSIBLE and flag.kind == MatchFlag.Kind.REGISTRY
    assert "DNI distinto" in flag.reasons and "suenan igual" in flag.reasons


def test_fuzzy_registry_match_with_swapped_birth_date(reviewer, load_registry):
    e = enrollment_of(last="Sosa", first="Carlos Daniel")
    load_registry([",,Sosa,Carlos Daniel,1985-09-04,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    assert "invertidos" in flag.reasons


def test_namesake_with_other_birth_date_and_dni_is_not_flagged(reviewer, load_registry):
    e = enrollment_of(last="González", first="María")
    load_registry([f"{make_cuil(25111333)},,Gonzalez,Maria,1979-12-30,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert flags(e) == []


def test_placeholder_birth_date_is_a_possible_match_that_does_not_block(reviewer, load_registry):
    e = enrollment_of(last="Acosta", first="Miguel Ángel")
    load_registry([",,Acosta,Miguel Angel,1900-01-01,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    assert flag.level == MatchFlag.Level.POSSIBLE and "genérica" in flag.reasons
    assert not has_blocking_flags(e)


def test_same_person_in_overlapping_cycle_of_another_province(reviewer):
    tucuman = enrollment_of()
    mendoza_cycle = CycleFactory(
        agreement=AgreementFactory(province=province("Mendoza")), first_month=dt.date(2026, 7, 1)
    )
    mendoza = enrollment_of(
        last="Rodriguez", first="Ramon Alberto", dni=30111229, cycle=mendoza_cycle, province=province("Mendoza")
    )
    services.screen_enrollments(enrollment_ids=[mendoza.pk], by=reviewer)
    [flag] = flags(mendoza, MatchFlag.Kind.PROGRAMME)
    assert flag.matched_enrollment == tucuman and flag.level == MatchFlag.Level.SAME
    assert "DNI con un dígito distinto" in flag.reasons


def test_same_worker_in_overlapping_cycle_is_flagged_and_not_in_later_cycle(reviewer):
    first = enrollment_of()
    overlapping = EnrollmentFactory(worker=first.worker, cycle=CycleFactory(first_month=dt.date(2026, 8, 1)))
    later = EnrollmentFactory(worker=first.worker, cycle=CycleFactory(first_month=dt.date(2027, 6, 1)))
    services.screen_enrollments(enrollment_ids=[overlapping.pk, later.pk], by=reviewer)
    [flag] = flags(overlapping, MatchFlag.Kind.PROGRAMME)
    assert "mismo trabajador" in flag.reasons
    assert flags(later, MatchFlag.Kind.PROGRAMME) == []


def test_namesake_in_programme_with_other_birth_date_is_not_flagged(reviewer):
    enrollment_of(last="Gómez", first="José Luis", birth=dt.date(1970, 2, 1), dni=20111111)
    other = enrollment_of(last="Gomez", first="Jose Luis", birth=dt.date(1990, 7, 15), dni=35111111)
    services.screen_enrollments(enrollment_ids=[other.pk], by=reviewer)
    assert flags(other) == []


def test_not_the_same_person_is_remembered(reviewer, load_registry):
    e = enrollment_of(last="Acosta", first="Miguel Ángel")
    load_registry([",,Acosta,Miguel Angel,1985-04-09,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    with pytest.raises(ValidationError):
        services.resolve_flag(flag=flag, by=reviewer, same_person=False, note="  ")
    services.resolve_flag(flag=flag, by=reviewer, same_person=False, note="Otro DNI verificado en ANSES")
    assert NotSamePerson.objects.filter(worker=e.worker).exists()
    assert not has_blocking_flags(e)
    # A new version of the registry lists the same person again: not raised again.
    load_registry([",,Acosta,Miguel Angel,1985-04-09,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert [f.status for f in flags(e)] == [MatchFlag.Status.NOT_SAME]
    enrollment_services.approve_enrollment(enrollment=e, by=reviewer)


def test_confirmed_same_person_keeps_blocking(reviewer, load_registry):
    e = enrollment_of()
    load_registry([f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-06,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    services.resolve_flag(flag=flag, by=reviewer, same_person=True, note="Cobra desempleo")
    assert has_blocking_flags(e)


def test_only_reviewers_resolve(load_registry, reviewer):
    from provinces.roles import Role
    from tests.factories import make_user

    e = enrollment_of()
    load_registry([f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-06,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    with pytest.raises(PermissionDenied):
        services.resolve_flag(flag=flags(e)[0], by=make_user(Role.AUDITOR), same_person=False, note="x")


def test_screening_twice_raises_nothing_new(reviewer, load_registry):
    e = enrollment_of()
    load_registry([f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-06,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert len(flags(e)) == 1


def test_replaced_registry_clears_flags_it_no_longer_supports(reviewer, load_registry):
    e = enrollment_of()
    load_registry([f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-06,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    load_registry([f"{make_cuil(20999888)},,Paz,Ana,1990-01-01,2026-06,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert [f.status for f in flags(e)] == [MatchFlag.Status.CLEARED]
    assert not has_blocking_flags(e)


def test_formal_pay_above_the_aid_in_cycle_months_is_a_conflict(reviewer):
    e = enrollment_of()
    cuil = e.worker.cuil
    Remuneration.objects.create(
        cuil=cuil, month=dt.date(2026, 6, 1), employer_cuit="30500010912", activity="other", gross=Decimal("90000")
    )
    Remuneration.objects.create(
        cuil=cuil, month=dt.date(2026, 7, 1), employer_cuit="30500010912", activity="other", gross=Decimal("50000")
    )
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer, monthly_aid=Decimal("64000"))
    [flag] = flags(e, MatchFlag.Kind.EMPLOYMENT)
    assert "06/2026" in flag.reasons and "64.000,00" in flag.reasons
    assert flag.level == MatchFlag.Level.SAME


def test_screen_for_month_holds_conflicts_of_that_month_only(reviewer, load_registry):
    held_one = enrollment_of()
    fine = enrollment_of(last="Paz", first="Lucía", dni=31222333, birth=dt.date(1990, 1, 2))
    load_registry([f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-07,2026-07"])
    assert services.screen_for_month(month=dt.date(2026, 6, 1), enrollment_ids=[held_one.pk, fine.pk]) == {}
    held = services.screen_for_month(month=dt.date(2026, 7, 1), enrollment_ids=[held_one.pk, fine.pk])
    assert list(held) == [held_one.pk] and "mismo CUIL" in held[held_one.pk]
    assert MatchFlag.objects.filter(enrollment=held_one, kind=MatchFlag.Kind.REGISTRY).exists()


def test_screen_for_month_respects_not_same_decision(reviewer, load_registry):
    e = enrollment_of(last="Acosta", first="Miguel Ángel")
    load_registry([",,Acosta,Miguel Angel,1985-04-09,2026-01,2026-12"])
    held = services.screen_for_month(month=dt.date(2026, 6, 1), enrollment_ids=[e.pk])
    assert e.pk in held
    services.resolve_flag(flag=flags(e)[0], by=reviewer, same_person=False, note="Otra persona")
    assert services.screen_for_month(month=dt.date(2026, 6, 1), enrollment_ids=[e.pk]) == {}


def test_month_run_holds_approved_enrollments_and_records_progress(
    reviewer, load_registry, django_capture_on_commit_callbacks
):
    from enrollment.screening.models import ScreeningRun

    conflict = enrollment_of()
    clean = enrollment_of(last="Paz", first="Lucía", dni=31222333, birth=dt.date(1990, 1, 2))
    Enrollment.objects.filter(pk__in=[conflict.pk, clean.pk]).update(status=S.APPROVED)
    load_registry([f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-07,2026-07"])
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_run(by=reviewer, month=dt.date(2026, 7, 1), label="julio")
    run.refresh_from_db()
    assert (run.status, run.total, run.done) == (ScreeningRun.Status.DONE, 2, 2)
    assert "1 retenidas" in run.message
    assert MatchFlag.objects.filter(enrollment=conflict, month=dt.date(2026, 7, 1)).exists()
    # Running the task again changes nothing.
    services.execute_run(run_id=run.pk)
    assert MatchFlag.objects.filter(enrollment=conflict).count() == 1


# --- name frequency: a rare full name is evidence, a common one is not ------------------------

FILLER_SURNAMES = ["González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez", "Pérez"]
FILLER_NAMES = ["María", "Juan", "Carlos", "Rosa", "José", "Ana", "Luis", "Marta"]


def common_names_registry() -> list[str]:
    """A registry where González and María are everywhere, with dates and DNIs (other people)."""
    rows = []
    for i, last in enumerate(FILLER_SURNAMES):
        for j, first in enumerate(FILLER_NAMES):
            dni = 40000000 + i * 10 + j
            rows.append(f",{dni},{last},{first},19{60 + i}-0{1 + j}-1{j},2026-01,2026-12")
    for i in range(8):
        rows.append(f",{41000000 + i},González,María {FILLER_NAMES[i]},1970-02-1{i},2026-01,2026-12")
    return rows


def test_rare_full_name_without_date_or_id_blocks_as_same_person(reviewer, load_registry):
    e = enrollment_of(last="Insaurralde Echeverría", first="Romina Belén")
    load_registry([*common_names_registry(), ",,Insaurralde Echeverria,Romina Belen,1900-01-01,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    assert flag.level == MatchFlag.Level.SAME
    assert "poco frecuente" in flag.reasons and "genérica" in flag.reasons
    assert has_blocking_flags(e)


def test_common_full_name_without_date_or_id_is_only_possible(reviewer, load_registry):
    e = enrollment_of(last="González", first="María", dni=30999888)
    load_registry([*common_names_registry(), ",,Gonzalez,Maria,1900-01-01,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    assert flag.level == MatchFlag.Level.POSSIBLE and "poco frecuente" not in flag.reasons
    assert not has_blocking_flags(e)


def test_rare_name_borne_by_two_candidates_is_only_possible_for_each(reviewer, load_registry):
    cycle = CycleFactory()
    one = enrollment_of(last="Insaurralde Echeverría", first="Romina Belén", cycle=cycle)
    namesake = enrollment_of(
        last="Insaurralde Echeverría", first="Romina Belén", dni=31555444, birth=dt.date(1990, 7, 1), cycle=cycle
    )
    load_registry([*common_names_registry(), ",,Insaurralde Echeverria,Romina Belen,1900-01-01,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[one.pk, namesake.pk], by=reviewer)
    for e in (one, namesake):
        [flag] = flags(e, MatchFlag.Kind.REGISTRY)
        assert flag.level == MatchFlag.Level.POSSIBLE


def test_rare_name_listed_twice_in_the_registry_is_only_possible(reviewer, load_registry):
    e = enrollment_of(last="Insaurralde Echeverría", first="Romina Belén")
    load_registry(
        [
            *common_names_registry(),
            ",,Insaurralde Echeverria,Romina Belen,1900-01-01,2026-01,2026-12",
            ",,Insaurralde Echeverría,Romina Belén,,2026-01,2026-12",
        ]
    )
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert {f.level for f in flags(e)} == {MatchFlag.Level.POSSIBLE}


def test_rare_namesake_born_on_another_date_is_not_flagged(reviewer, load_registry):
    e = enrollment_of(last="Insaurralde Echeverría", first="Romina Belén")
    load_registry([*common_names_registry(), ",,Insaurralde Echeverria,Romina Belen,1971-10-30,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert flags(e) == []


def test_rare_namesake_with_another_known_dni_is_not_same_person(reviewer, load_registry):
    e = enrollment_of(last="Insaurralde Echeverría", first="Romina Belén")
    load_registry(
        [
            *common_names_registry(),
            f"{make_cuil(25111333, '27')},,Insaurralde Echeverria,Romina Belen,1900-01-01,2026-01,2026-12",
        ]
    )
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert all(f.level == MatchFlag.Level.POSSIBLE for f in flags(e))
    assert not has_blocking_flags(e)


def test_rare_name_with_a_typo_and_same_birth_date_blocks_but_a_common_one_does_not(reviewer, load_registry):
    cycle = CycleFactory()
    rare = enrollment_of(last="Sólees", first="Ana", birth=dt.date(1963, 7, 22), cycle=cycle)
    common = enrollment_of(last="Díaz", first="José", dni=30999888, birth=dt.date(1971, 3, 5), cycle=cycle)
    load_registry(
        [
            *common_names_registry(),
            ",,Sloees,Ana,1963-07-22,2026-01,2026-12",  # a transposition, no ID
            ",,Díza,José,1971-03-05,2026-01,2026-12",
        ]
    )
    services.screen_enrollments(enrollment_ids=[rare.pk, common.pk], by=reviewer)
    [flag] = flags(rare)
    assert flag.level == MatchFlag.Level.SAME and "poco frecuente" in flag.reasons
    [flag] = flags(common)
    assert flag.level == MatchFlag.Level.POSSIBLE


# --- issue 19 --------------------------------------------------------------------------------


def test_registry_listing_the_workers_cuil_with_another_person_is_a_blocking_cuil_conflict(reviewer, load_registry):
    e = enrollment_of()
    load_registry([f"{make_cuil(30111222)},,Ledesma,Rosa Beatriz,1961-07-30,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    assert flag.kind == MatchFlag.Kind.CUIL_CONFLICT and flag.level == MatchFlag.Level.SAME
    assert "otros datos personales" in flag.reasons
    assert flag.matched["apellido"] == "Ledesma"
    assert has_blocking_flags(e)
    with pytest.raises(ValidationError, match="bloquean"):
        enrollment_services.approve_enrollment(enrollment=e, by=reviewer)
    # Before a payment batch the enrollment is held in every month while the conflict is open.
    held = services.screen_for_month(month=dt.date(2026, 5, 1), enrollment_ids=[e.pk])
    assert "Mismo CUIL con otros datos personales" in held[e.pk]


def test_cuil_conflict_resolved_as_not_the_same_person_releases_the_enrollment(reviewer, load_registry):
    e = enrollment_of()
    load_registry([f"{make_cuil(30111222)},,Ledesma,Rosa Beatriz,1961-07-30,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e)
    services.resolve_flag(flag=flag, by=reviewer, same_person=False, note="El padrón tiene mal el CUIL.")
    assert not has_blocking_flags(e)
    assert services.screen_for_month(month=dt.date(2026, 5, 1), enrollment_ids=[e.pk]) == {}


def test_shared_dni_alone_with_other_name_birth_date_and_sex_raises_no_flag(reviewer, load_registry):
    e = enrollment_of(last="Pérez", first="Juan Carlos")  # CUIL 20-30111222-x: male
    other = make_cuil(30111222, prefix="27")
    load_registry([f"{other},,Ledesma,Rosa Beatriz,1961-07-30,2026-01,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert flags(e) == []


def test_same_name_with_a_placeholder_birth_date_and_a_dni_typo_is_found(reviewer, load_registry):
    # The registry lists the DNI with one digit mistyped and no real birth date: the name block
    # now admits a DNI sharing four digits (it only admitted records without DNI).
    e = enrollment_of()
    load_registry([",30111223,Rodriguez,Ramon Alberto,1900-01-01,2026-06,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e, MatchFlag.Kind.REGISTRY)
    assert flag.level == MatchFlag.Level.SAME
    assert "DNI con un dígito distinto" in flag.reasons and "genérica" in flag.reasons


def test_same_name_and_year_with_a_transposed_birth_date_and_a_dni_typo_is_found(reviewer, load_registry):
    # 10/02/1985 typed 20/01/1985: neither day nor month agree, so only the DNI sharing four
    # digits puts the pair in the name block.
    e = enrollment_of(birth=dt.date(1985, 2, 10))
    load_registry([",30111232,Rodriguez,Ramon Alberto,1985-01-20,2026-06,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    [flag] = flags(e, MatchFlag.Kind.REGISTRY)
    assert flag.level == MatchFlag.Level.SAME
    assert "fecha de nacimiento con un dígito distinto" in flag.reasons


def test_same_name_and_year_with_another_birth_date_and_an_unrelated_dni_is_not_flagged(reviewer, load_registry):
    e = enrollment_of(birth=dt.date(1985, 2, 10))
    load_registry([",17555888,Rodriguez,Ramon Alberto,1985-01-20,2026-06,2026-12"])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert flags(e, MatchFlag.Kind.REGISTRY) == []
