"""Every new enrollment is screened before a reviewer sees it (submitted → screening → pending_review)."""

import pytest

from enrollment import services
from enrollment.models import Enrollment
from provinces.roles import Role
from tests.factories import CycleFactory, OrganisationFactory, WorkerFactory, make_user, province

S = Enrollment.Status


@pytest.mark.django_db
def test_enrolling_queues_screening_after_commit(django_capture_on_commit_callbacks):
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enrollment = services.enroll_worker(by=officer, worker=WorkerFactory(), cycle=CycleFactory())
    assert len(callbacks) == 1
    enrollment.refresh_from_db()
    assert enrollment.status == S.PENDING_REVIEW
    assert "Control terminado" in enrollment.status_reason


@pytest.mark.django_db
def test_screening_waits_for_the_commit(django_capture_on_commit_callbacks):
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enrollment = services.enroll_worker(by=officer, worker=WorkerFactory(), cycle=CycleFactory())
    assert len(callbacks) == 1  # queued, not yet run: it waits for the commit
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED


@pytest.mark.django_db
def test_screen_submitted_leaves_other_states_alone():
    approved = WorkerFactory()
    cycle = CycleFactory()
    done = Enrollment.objects.create(
        worker=approved, cycle=cycle, organisation=approved.registered_by, status=S.APPROVED
    )
    services.screen_submitted(enrollment_ids=[done.pk])
    done.refresh_from_db()
    assert done.status == S.APPROVED


@pytest.mark.django_db
def test_an_applied_survey_list_is_screened(django_capture_on_commit_callbacks):
    from enrollment import imports
    from enrollment.tasks import apply_import_job
    from tests.enrollment.test_imports import analyse, csv_bytes, row

    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    cycle = CycleFactory()
    job = analyse(officer, cycle, csv_bytes([row(1), row(2)]))
    imports.confirm_import(job=job, by=officer)
    with django_capture_on_commit_callbacks(execute=True):
        apply_import_job.delay(job.pk)
    statuses = set(Enrollment.objects.filter(cycle=cycle).values_list("status", flat=True))
    assert statuses == {S.PENDING_REVIEW}
