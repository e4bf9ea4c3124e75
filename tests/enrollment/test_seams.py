"""Enrollment's transitions reach payments through named seams that payments fills at start-up."""

import pytest
from django.core.exceptions import ValidationError

from enrollment import seams, services
from enrollment.models import Enrollment
from enrollment.suspensions import suspend_enrollment
from payments.installments import cancel_unpaid_installments, schedule_installments, schedule_installments_bulk
from payments.models import Installment
from payments.reinstatement import reschedule_after_reinstatement
from provinces.roles import Role
from provinces.seams import Provider, Seam, SeamNotFilled, quota_in_use
from tests.factories import EnrollmentFactory, agrarian_history, make_user

S = Enrollment.Status


def test_payments_fills_every_enrollment_seam_at_start_up():
    assert schedule_installments in seams.enrollment_approved.handlers
    assert schedule_installments_bulk in seams.enrollments_approved_in_bulk.handlers
    assert cancel_unpaid_installments in seams.enrollment_ended.handlers
    assert reschedule_after_reinstatement in seams.enrollment_reinstated.handlers
    assert seams.monthly_aid_in_force.is_filled
    assert quota_in_use.is_filled


def test_a_seam_nobody_filled_says_so_when_needed():
    with pytest.raises(SeamNotFilled, match="No app follows"):
        Seam("something happened").run(x=1)
    with pytest.raises(SeamNotFilled, match="No app answers"):
        Provider("a question")()


def test_handlers_run_in_order_and_one_connected_twice_runs_once():
    calls = []

    def first(**kwargs):
        calls.append(("first", kwargs))

    def second(**kwargs):
        calls.append(("second", kwargs))

    seam = Seam("counted")
    seam.connect(first)
    seam.connect(second)
    seam.connect(first)
    seam.run(x=1)
    assert calls == [("first", {"x": 1}), ("second", {"x": 1})]


@pytest.mark.django_db
def test_approval_without_payments_following_it_is_refused_and_changes_nothing(monkeypatch):
    """If no app schedules the installments, approving would leave a beneficiary never paid:
    the approval fails loudly and the enrollment stays pending."""
    enrollment = EnrollmentFactory(status=S.PENDING_REVIEW)
    monkeypatch.setattr(seams.enrollment_approved, "_handlers", [])
    with pytest.raises(SeamNotFilled):
        services.approve_enrollment(enrollment=enrollment, by=make_user(Role.MINISTRY_REVIEWER))
    enrollment.refresh_from_db()
    assert enrollment.status == S.PENDING_REVIEW


@pytest.mark.django_db
def test_a_handler_that_refuses_undoes_the_transition(monkeypatch):
    enrollment = EnrollmentFactory(status=S.PENDING_REVIEW)

    def refuse(**kwargs):
        raise ValidationError("presupuesto agotado")

    monkeypatch.setattr(seams.enrollment_approved, "_handlers", [schedule_installments, refuse])
    with pytest.raises(ValidationError, match="presupuesto agotado"):
        services.approve_enrollment(enrollment=enrollment, by=make_user(Role.MINISTRY_REVIEWER))
    enrollment.refresh_from_db()
    assert enrollment.status == S.PENDING_REVIEW
    assert not Installment.objects.filter(enrollment=enrollment).exists()


@pytest.mark.django_db
def test_approval_schedules_through_the_seam_and_suspension_cancels_through_it():
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    pending = EnrollmentFactory(status=S.PENDING_REVIEW)
    agrarian_history(pending.worker, before=pending.cycle.first_month, months=8)  # entitled to 4 months
    enrollment = services.approve_enrollment(enrollment=pending, by=reviewer)
    months = enrollment.cycle.months
    assert Installment.objects.filter(enrollment=enrollment, status=Installment.Status.DUE).count() == months
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="death", note="Acta de defunción")
    assert Installment.objects.filter(enrollment=enrollment, status=Installment.Status.CANCELLED).count() == months
