"""Enrollments left without their screening: the sweeper queues them once more; a second failure
stops it, and the reviewers' home page says how many and why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from enrollment import services
from enrollment.models import Enrollment
from enrollment.screening import sweep
from enrollment.screening.models import StaleScreening
from enrollment.tasks import screen_new_enrollments
from provinces.roles import Role
from tests.factories import CycleFactory, EnrollmentFactory, make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db
S = Enrollment.Status


def left(minutes: int, status=S.SUBMITTED) -> Enrollment:
    enrollment = EnrollmentFactory(cycle=CycleFactory(), status=status)
    since = timezone.now() - dt.timedelta(minutes=minutes)
    Enrollment.objects.filter(pk=enrollment.pk).update(status_changed_at=since, created_at=since)
    return enrollment


def test_an_enrollment_left_unscreened_is_screened_again_and_a_recent_one_is_left_alone(
    django_capture_on_commit_callbacks,
):
    old, stuck_half_way, recent = left(45), left(45, S.SCREENING), left(5)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep.requeue_stale_screening() == {"queued": 2, "given_up": 0}
    statuses = dict(
        Enrollment.objects.filter(pk__in=[old.pk, stuck_half_way.pk, recent.pk]).values_list("pk", "status")
    )
    assert statuses == {old.pk: S.PENDING_REVIEW, stuck_half_way.pk: S.PENDING_REVIEW, recent.pk: S.SUBMITTED}
    # the next sweep forgets the ones that moved on
    sweep.requeue_stale_screening()
    assert not StaleScreening.objects.exists()


def test_the_threshold_is_a_setting(settings, django_capture_on_commit_callbacks):
    settings.SCREENING_STALE_AFTER_MINUTES = 60
    enrollment = left(45)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep.requeue_stale_screening()["queued"] == 0
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED


def test_a_screening_that_fails_twice_stops_and_the_reviewers_home_page_says_why(
    monkeypatch, django_capture_on_commit_callbacks, client
):
    enrollment = left(0)

    def broken(**kwargs):
        raise RuntimeError("registro de pensiones ilegible")

    monkeypatch.setattr(services, "screen_submitted", broken)
    with pytest.raises(RuntimeError):
        screen_new_enrollments.delay([enrollment.pk])  # the task as queued at registration
    noted = StaleScreening.objects.get(enrollment=enrollment)
    assert noted.requeues == 0 and "registro de pensiones ilegible" in noted.last_error

    later = timezone.now() + dt.timedelta(minutes=31)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        sweep.requeue_stale_screening(now=later)  # queued once more: fails the same way
    noted.refresh_from_db()
    assert noted.requeues == 1
    # half an hour after that it is not queued a third time: a person must look into it
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = sweep.requeue_stale_screening(now=later + dt.timedelta(minutes=31))
    assert result == {"queued": 0, "given_up": 1} and callbacks == []
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED

    # what the reviewer reads (now: the requeue is more than 30 minutes old)
    StaleScreening.objects.filter(pk=enrollment.pk).update(requeued_at=timezone.now() - dt.timedelta(minutes=31))
    Enrollment.objects.filter(pk=enrollment.pk).update(status_changed_at=timezone.now() - dt.timedelta(minutes=90))
    sign_in(client, make_user(Role.MINISTRY_REVIEWER))
    page = client.get("/").content.decode()
    assert "1 inscripción sin controlar desde hace más de 30 minutos" in page
    assert "1 inscripción cuyo control falló dos veces: RuntimeError: registro de pensiones ilegible" in page
    # each line opens the list of exactly those enrollments
    for key in ("vencido", "fallido"):
        assert f"/inscripciones/?sin_controlar={key}" in page
        listed = client.get(f"/inscripciones/?sin_controlar={key}").content.decode()
        assert enrollment.worker.last_name in listed and 'data-count="1"' in listed
    assert 'data-count="0"' in client.get("/inscripciones/?sin_controlar=fallido&status=approved").content.decode()
