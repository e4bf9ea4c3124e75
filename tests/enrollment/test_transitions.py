import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from enrollment import services
from enrollment.models import Enrollment
from provinces.roles import Role
from tests.factories import CycleFactory, EnrollmentFactory, OrganisationFactory, WorkerFactory, make_user, province

pytestmark = pytest.mark.django_db
S = Enrollment.Status


@pytest.fixture
def officer():
    return make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


def test_officer_enrolls_worker_of_their_province(officer):
    cycle = CycleFactory()
    worker = WorkerFactory()
    enrollment = services.enroll_worker(by=officer, worker=worker, cycle=cycle)
    assert enrollment.status == S.SUBMITTED
    assert enrollment.registered_by == officer


def test_under_age_on_first_day_of_cycle_is_refused(officer):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    worker = WorkerFactory(birth_date=dt.date(2008, 5, 2))
    with pytest.raises(ValidationError, match="18 años"):
        services.enroll_worker(by=officer, worker=worker, cycle=cycle)
    worker.birth_date = dt.date(2008, 5, 1)
    worker.save()
    assert services.enroll_worker(by=officer, worker=worker, cycle=cycle).pk


def test_worker_residing_in_another_province_is_refused(officer):
    with pytest.raises(ValidationError, match="Reside en Mendoza"):
        services.enroll_worker(by=officer, worker=WorkerFactory(province=province("Mendoza")), cycle=CycleFactory())


def test_foreign_national_is_eligible(officer):
    worker = WorkerFactory(nationality="Bolivia")
    assert services.enroll_worker(by=officer, worker=worker, cycle=CycleFactory()).status == S.SUBMITTED


def test_closed_cycle_refuses_registration(officer):
    with pytest.raises(ValidationError, match="cerrada"):
        services.enroll_worker(by=officer, worker=WorkerFactory(), cycle=CycleFactory(registration_open=False))


def test_second_enrollment_in_same_cycle_is_refused(officer):
    cycle, worker = CycleFactory(), WorkerFactory()
    services.enroll_worker(by=officer, worker=worker, cycle=cycle)
    with pytest.raises(ValidationError, match="ya está inscripto"):
        services.enroll_worker(by=officer, worker=worker, cycle=cycle)


def test_officer_cannot_enroll_in_another_province(officer):
    cycle = CycleFactory(agreement__province=province("Mendoza"))
    with pytest.raises(PermissionDenied):
        services.enroll_worker(by=officer, worker=WorkerFactory(province=province("Mendoza")), cycle=cycle)


def test_quota_is_never_exceeded(officer):
    cycle = CycleFactory(quota=2)
    for _ in range(2):
        services.enroll_worker(by=officer, worker=WorkerFactory(), cycle=cycle)
    with pytest.raises(ValidationError, match="cupo"):
        services.enroll_worker(by=officer, worker=WorkerFactory(), cycle=cycle)


@pytest.mark.django_db(transaction=True)
def test_two_officers_racing_for_the_last_place_only_one_gets_it():
    officer_a = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    officer_b = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory(quota=1)
    workers = [WorkerFactory(), WorkerFactory()]
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(officer, worker):
        try:
            barrier.wait()
            services.enroll_worker(by=officer, worker=worker, cycle=cycle)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    pairs = zip([officer_a, officer_b], workers, strict=True)
    threads = [threading.Thread(target=attempt, args=args) for args in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Enrollment.objects.filter(cycle=cycle).count() == 1


def test_reviewer_approves_and_rejects_with_reason(reviewer):
    a = EnrollmentFactory(status=S.PENDING_REVIEW)
    services.approve_enrollment(enrollment=a, by=reviewer)
    assert a.status == S.APPROVED and a.status_changed_by == reviewer
    b = EnrollmentFactory(status=S.PENDING_REVIEW)
    with pytest.raises(ValidationError):
        services.reject_enrollment(enrollment=b, by=reviewer, reason="  ")
    services.reject_enrollment(enrollment=b, by=reviewer, reason="No reside en la provincia")
    assert b.status == S.REJECTED and b.status_reason == "No reside en la provincia"


def test_provincial_officer_cannot_approve(officer):
    enrollment = EnrollmentFactory(status=S.PENDING_REVIEW)
    with pytest.raises(PermissionDenied):
        services.approve_enrollment(enrollment=enrollment, by=officer)
    enrollment.refresh_from_db()
    assert enrollment.status == S.PENDING_REVIEW


def test_state_machine_refuses_skipping_states(reviewer):
    enrollment = EnrollmentFactory(status=S.REJECTED)
    with pytest.raises(ValidationError, match="no puede pasar"):
        services.approve_enrollment(enrollment=enrollment, by=reviewer)


def test_transition_is_in_the_audit_trail_with_who_and_why(reviewer):
    from pghistory.models import Events

    enrollment = EnrollmentFactory(status=S.PENDING_REVIEW)
    services.reject_enrollment(enrollment=enrollment, by=reviewer, reason="Duplicado con otro programa")
    event = Events.objects.tracks(enrollment).get(pgh_data__status=S.REJECTED)
    assert event.pgh_context["user"] == reviewer.pk
    assert event.pgh_context["reason"] == "Duplicado con otro programa"
