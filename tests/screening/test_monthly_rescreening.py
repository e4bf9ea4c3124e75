"""The monthly re-screening reads only the registry versions an enrollment has not been
screened against yet; what it has read is recorded (RegistryScan, RegistryCheck)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import TestCase

from enrollment.models import Enrollment
from enrollment.screening import services
from enrollment.screening.models import MatchFlag, RegistryCheck, RegistryScan, Remuneration
from payments import batches, installments
from payments.common import batch_month_for
from payments.models import Installment, PaymentBatch
from provinces.roles import Role
from tests.factories import CycleFactory, make_cuil, make_user
from tests.screening.test_screening import enrollment_of

pytestmark = pytest.mark.django_db
MAY, JUNE, JULY = dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)
RODRIGUEZ = f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09"
OTHER = f"{make_cuil(20999888)},,Paz,Ana,1990-01-01,2026-01,2026-12"


def two_enrollments():
    return enrollment_of(), enrollment_of(last="Paz", first="Lucía", dni=31222333, birth=dt.date(1990, 1, 2))


def scans(version):
    return list(RegistryScan.objects.filter(version=version).values_list("month", "enrollment_count"))


def test_an_unchanged_registry_is_not_read_again_the_next_month(load_registry):
    conflict, clean = two_enrollments()
    version = load_registry([OTHER])
    ids = [conflict.pk, clean.pk]
    assert services.screen_for_month(month=MAY, enrollment_ids=ids) == {}
    assert scans(version) == [(MAY, 2)]
    assert RegistryCheck.objects.filter(version=version).count() == 2

    assert services.screen_for_month(month=JUNE, enrollment_ids=ids) == {}
    assert scans(version) == [(MAY, 2)]  # nothing read for June: the registry did not change

    newcomer = enrollment_of(last="Sosa", first="Juan", dni=32444555, birth=dt.date(1991, 3, 3))
    services.screen_for_month(month=JUNE, enrollment_ids=[*ids, newcomer.pk])
    assert sorted(scans(version)) == [(MAY, 2), (JUNE, 1)]  # only the enrollment never read against it


def test_a_registry_loaded_after_the_last_screening_that_conflicts_holds(load_registry):
    conflict, clean = two_enrollments()
    first = load_registry([OTHER])
    ids = [conflict.pk, clean.pk]
    assert services.screen_for_month(month=MAY, enrollment_ids=ids) == {}

    second = load_registry([OTHER, f"{RODRIGUEZ},2026-06,2026-12"])  # new version of the same registry
    held = services.screen_for_month(month=JUNE, enrollment_ids=ids)
    assert list(held) == [conflict.pk] and "mismo CUIL" in held[conflict.pk]
    assert scans(second) == [(JUNE, 2)] and scans(first) == [(MAY, 2)]
    [flag] = MatchFlag.objects.filter(enrollment=conflict, kind=MatchFlag.Kind.REGISTRY)
    assert flag.month == JUNE and flag.status == MatchFlag.Status.OPEN

    # July: the finding still holds, without reading the registry again
    assert list(services.screen_for_month(month=JULY, enrollment_ids=ids)) == [conflict.pk]
    assert scans(second) == [(JUNE, 2)]


def test_a_benefit_found_for_a_later_month_holds_that_month_only(load_registry):
    conflict, clean = two_enrollments()
    version = load_registry([f"{RODRIGUEZ},2026-07,2026-07"])
    ids = [conflict.pk, clean.pk]
    assert services.screen_for_month(month=JUNE, enrollment_ids=ids) == {}  # read over the whole cycle
    assert MatchFlag.objects.filter(enrollment=conflict, kind=MatchFlag.Kind.REGISTRY).count() == 1
    assert list(services.screen_for_month(month=JULY, enrollment_ids=ids)) == [conflict.pk]
    assert services.screen_for_month(month=dt.date(2026, 8, 1), enrollment_ids=ids) == {}
    assert scans(version) == [(JUNE, 2)]


def test_registration_screening_counts_as_read(reviewer, load_registry):
    e = enrollment_of()
    version = load_registry([OTHER])
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    assert scans(version) == [(None, 1)]
    services.screen_for_month(month=JUNE, enrollment_ids=[e.pk])
    assert scans(version) == [(None, 1)]


def test_a_worker_whose_data_changed_is_read_again(load_registry):
    e = enrollment_of()
    version = load_registry([f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09,2026-06,2026-12"])
    e.worker.cuil = make_cuil(30999111)  # corrected CUIL: the registry's CUIL is no longer his
    e.worker.save()
    services.screen_for_month(month=MAY, enrollment_ids=[e.pk])
    e.worker.last_name, e.worker.first_name = "Gómez", "Pedro"
    e.worker.save()
    services.screen_for_month(month=JUNE, enrollment_ids=[e.pk])
    assert sorted(scans(version)) == [(MAY, 1), (JUNE, 1)]


def test_income_declared_for_the_month_holds_that_month(load_registry):
    e, clean = two_enrollments()
    Remuneration.objects.create(
        cuil=e.worker.cuil, month=JUNE, employer_cuit="30500010912", activity="other", gross=Decimal("90000")
    )
    ids = [e.pk, clean.pk]
    held = services.screen_for_month(month=JUNE, enrollment_ids=ids, monthly_aid=Decimal("64000"))
    assert list(held) == [e.pk] and "06/2026" in held[e.pk]
    assert services.screen_for_month(month=JULY, enrollment_ids=ids, monthly_aid=Decimal("64000")) == {}


def test_batch_of_a_later_month_holds_what_a_registry_loaded_since_finds(load_registry):
    reviewer, officer = make_user(Role.MINISTRY_REVIEWER), make_user(Role.PAYMENTS_OFFICER)
    cycle = CycleFactory(first_month=MAY, months=4)
    conflict = enrollment_of(cycle=cycle)
    clean = enrollment_of(last="Paz", first="Lucía", dni=31222333, birth=dt.date(1990, 1, 2), cycle=cycle)
    Enrollment.objects.filter(pk__in=[conflict.pk, clean.pk]).update(status=Enrollment.Status.APPROVED)
    installments.schedule_installments_bulk(enrollment_ids=[conflict.pk, clean.pk], by=reviewer)
    load_registry([OTHER])
    with TestCase.captureOnCommitCallbacks(execute=True):
        may = batches.request_batch(month=batch_month_for(MAY), by=officer)
    assert PaymentBatch.objects.get(pk=may.pk).item_count == 2

    version = load_registry([OTHER, f"{RODRIGUEZ},2026-06,2026-08"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        june = batches.request_batch(month=batch_month_for(JUNE), by=officer)
    june.refresh_from_db()
    assert (june.item_count, june.held_count) == (1, 1)
    held = conflict.installments.get(month=JUNE)
    assert held.status == Installment.Status.HELD and "mismo CUIL" in held.hold_reason
    assert scans(version) == [(JUNE, 2)]


def test_a_full_screening_writes_what_it_read_on_the_enrollment_not_a_row_per_version(reviewer, load_registry):
    e = enrollment_of()
    first = load_registry([OTHER])
    second = load_registry([OTHER], code="pension")
    services.screen_enrollments(enrollment_ids=[e.pk], by=reviewer)
    e.refresh_from_db()
    assert e.status == Enrollment.Status.PENDING_REVIEW
    assert sorted(e.screened_versions) == sorted([first.pk, second.pk]) and e.screened_at is not None
    assert not RegistryCheck.objects.filter(enrollment=e).exists()

    services.screen_for_month(month=JUNE, enrollment_ids=[e.pk])
    assert scans(first) == [(None, 1)] and scans(second) == [(None, 1)]  # both read already

    third = load_registry([OTHER, f"{RODRIGUEZ},2026-06,2026-12"])  # a new version of the first
    held = services.screen_for_month(month=JUNE, enrollment_ids=[e.pk])
    assert list(held) == [e.pk]
    assert scans(third) == [(JUNE, 1)] and scans(second) == [(None, 1)]  # only the new one is read
