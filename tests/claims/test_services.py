import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.test import override_settings

from claims import services
from claims.models import Claim
from enrollment.models import Enrollment
from enrollment.screening.models import MatchFlag, NotSamePerson
from payments.models import Installment
from provinces.calendar import add_business_days
from tests.factories import EnrollmentFactory, WorkerFactory, make_cbu, province

pytestmark = pytest.mark.django_db
C = Claim.Status


def file_rejection(rejected, by=None):
    return services.file_claim(
        by=by,
        worker=rejected.worker,
        subject=Claim.Subject.REJECTION,
        enrollment=rejected,
        description="Trabajé en la zafra 2025, tengo recibos.",
    )


def test_business_days_skip_weekends_and_national_holidays():
    # Friday 22 May 2026 + 1 business day: Monday 25 May is the May Revolution holiday.
    assert add_business_days(dt.date(2026, 5, 22), 1) == dt.date(2026, 5, 26)
    assert add_business_days(dt.date(2026, 12, 4), 3) == dt.date(2026, 12, 11)  # 7 and 8 Dec are holidays


@override_settings(CLAIM_DUE_BUSINESS_DAYS=5)
def test_worker_files_her_own_claim_received_with_due_date(rejected):
    claim = file_rejection(rejected)
    assert claim.status == C.RECEIVED
    assert claim.filed_by_kind == Claim.FiledBy.WORKER
    assert claim.channel == Claim.Channel.SELF_SERVICE
    assert claim.filed_by is None
    from django.utils import timezone

    assert claim.due_on == add_business_days(timezone.localdate(), 5)
    assert claim.events.count() == 1


def test_officer_files_on_behalf_and_union_is_recorded_as_union(rejected, officer, union_officer, union):
    claim = file_rejection(rejected, by=officer)
    assert (claim.filed_by_kind, claim.channel, claim.filed_by) == (Claim.FiledBy.OFFICER, "office", officer)
    other = EnrollmentFactory(status=Enrollment.Status.SUBMITTED, worker__registered_by=union, organisation=union)
    union_claim = services.file_claim(
        by=union_officer,
        worker=other.worker,
        subject=Claim.Subject.DATA_CORRECTION,
        description="El apellido está mal escrito",
        channel=Claim.Channel.API,
    )
    assert (union_claim.filed_by_kind, union_claim.organisation) == (Claim.FiledBy.UNION, union)


def test_officer_cannot_file_for_a_worker_outside_their_scope(rejected, mendoza_officer, union_officer):
    for user in (mendoza_officer, union_officer):
        with pytest.raises(PermissionDenied):
            file_rejection(rejected, by=user)
    assert not Claim.objects.exists()


def test_ministry_roles_do_not_file_on_behalf(rejected, reviewer):
    with pytest.raises(PermissionDenied):
        file_rejection(rejected, by=reviewer)


def test_claim_must_contest_something_of_that_worker_in_a_matching_state(rejected, approved):
    with pytest.raises(ValidationError, match="no es de esta persona"):
        services.file_claim(by=None, worker=WorkerFactory(), subject="rejection", enrollment=rejected, description="x")
    with pytest.raises(ValidationError, match="inscripción rechazada"):
        services.file_claim(by=None, worker=approved.worker, subject="rejection", enrollment=approved, description="x")
    with pytest.raises(ValidationError, match="cuota retenida"):
        services.file_claim(
            by=None,
            worker=approved.worker,
            subject="hold",
            installment=approved.installments.first(),
            description="x",
        )
    with pytest.raises(ValidationError, match="Cuente"):
        services.file_claim(by=None, worker=rejected.worker, subject="rejection", enrollment=rejected, description=" ")
    assert not Claim.objects.exists()


def test_filing_the_same_open_claim_twice_returns_the_first(rejected):
    first = file_rejection(rejected)
    assert file_rejection(rejected).pk == first.pk
    assert Claim.objects.count() == 1


def test_database_keeps_one_open_claim_per_subject(rejected):
    first = file_rejection(rejected)
    with pytest.raises(IntegrityError):
        Claim.objects.create(
            worker=first.worker,
            subject=first.subject,
            enrollment=first.enrollment,
            filed_by_kind="worker",
            channel="self_service",
            description="otra vez",
            due_on=first.due_on,
        )


def test_take_then_deny_with_reason(rejected, reviewer):
    claim = file_rejection(rejected)
    with pytest.raises(ValidationError):  # not taken yet
        services.deny_claim(claim=claim, by=reviewer, resolution="No corresponde")
    services.take_claim(claim=claim, by=reviewer)
    assert (claim.status, claim.taken_by) == (C.IN_REVIEW, reviewer)
    with pytest.raises(ValidationError, match="motivo"):
        services.deny_claim(claim=claim, by=reviewer, resolution="  ")
    services.deny_claim(claim=claim, by=reviewer, resolution="Los recibos son de otra campaña")
    assert claim.status == C.DENIED and claim.decided_by == reviewer
    rejected.refresh_from_db()
    assert rejected.status == Enrollment.Status.REJECTED
    with pytest.raises(ValidationError):  # decided claims stay decided
        services.uphold_claim(claim=claim, by=reviewer, resolution="Cambio de opinión")


def test_database_refuses_a_decision_without_reason(rejected):
    claim = file_rejection(rejected)
    with pytest.raises(IntegrityError):
        Claim.objects.filter(pk=claim.pk).update(status=C.DENIED)


def test_officers_and_auditors_cannot_take_or_decide(rejected, officer, auditor, reviewer):
    claim = file_rejection(rejected)
    for user in (officer, auditor):
        with pytest.raises(PermissionDenied):
            services.take_claim(claim=claim, by=user)
    services.take_claim(claim=claim, by=reviewer)
    for user in (officer, auditor):
        with pytest.raises(PermissionDenied):
            services.uphold_claim(claim=claim, by=user, resolution="ok")
    claim.refresh_from_db()
    assert claim.status == C.IN_REVIEW


def test_upheld_rejection_reopens_the_enrollment_for_review(rejected, reviewer):
    claim = file_rejection(rejected)
    services.take_claim(claim=claim, by=reviewer)
    services.uphold_claim(claim=claim, by=reviewer, resolution="Presentó recibos de la zafra")
    rejected.refresh_from_db()
    assert claim.status == C.UPHELD
    assert "reabierta" in claim.effect
    assert rejected.status == Enrollment.Status.PENDING_REVIEW
    assert rejected.status_changed_by == reviewer
    assert "Presentó recibos" in rejected.status_reason
    event = rejected.events.order_by("-pgh_id").first()
    assert event.status == Enrollment.Status.PENDING_REVIEW
    assert event.pgh_context.metadata["user"] == reviewer.pk


def test_reopen_only_rejected_and_only_by_reviewers(approved, rejected, reviewer, payer):
    from enrollment.services import reopen_enrollment

    with pytest.raises(ValidationError):
        reopen_enrollment(enrollment=approved, by=reviewer, reason="x")
    with pytest.raises(PermissionDenied):
        reopen_enrollment(enrollment=rejected, by=payer, reason="x")
    with pytest.raises(ValidationError):
        reopen_enrollment(enrollment=rejected, by=reviewer, reason="")


def test_reopen_takes_a_place_of_the_quota_again(rejected, reviewer):
    from enrollment.services import reopen_enrollment
    from provinces.models import AgreementQuota

    cycle = rejected.cycle
    AgreementQuota.objects.filter(agreement=cycle.agreement, crop=cycle.crop).update(quota=1)
    EnrollmentFactory(cycle=cycle, status=Enrollment.Status.APPROVED)
    with pytest.raises(ValidationError, match="cupo"):
        reopen_enrollment(enrollment=rejected, by=reviewer, reason="Reclamo aceptado")


def test_payments_officer_cannot_uphold_a_rejection_claim_and_nothing_changes(rejected, payer):
    claim = file_rejection(rejected)
    services.take_claim(claim=claim, by=payer)
    with pytest.raises(PermissionDenied):
        services.uphold_claim(claim=claim, by=payer, resolution="ok")
    claim.refresh_from_db()
    rejected.refresh_from_db()
    assert (claim.status, rejected.status) == (C.IN_REVIEW, Enrollment.Status.REJECTED)


def test_upheld_flag_claim_resolves_it_as_not_the_same_person(open_flag, reviewer):
    claim = services.file_claim(
        by=None, worker=open_flag.enrollment.worker, subject="flag", flag=open_flag, description="No cobro pensión"
    )
    assert claim.enrollment == open_flag.enrollment
    services.take_claim(claim=claim, by=reviewer)
    services.uphold_claim(claim=claim, by=reviewer, resolution="Es un homónimo: otro DNI")
    open_flag.refresh_from_db()
    assert open_flag.status == MatchFlag.Status.NOT_SAME
    assert NotSamePerson.objects.filter(worker=open_flag.enrollment.worker, match_key=open_flag.match_key).exists()


def test_upheld_hold_claim_releases_the_installment(held, payer):
    claim = services.file_claim(
        by=None, worker=held.worker, subject="hold", installment=held, description="Ya no cobro esa pensión"
    )
    services.take_claim(claim=claim, by=payer)
    services.uphold_claim(claim=claim, by=payer, resolution="La baja de la pensión consta desde abril")
    held.refresh_from_db()
    assert held.status == Installment.Status.DUE and held.hold_reason == ""


def _suspended_claim(approved, reviewer):
    from enrollment.suspensions import suspend_enrollment

    suspend_enrollment(enrollment=approved, by=reviewer, cause="incompatible_benefit", note="Pensión en el padrón")
    claim = services.file_claim(
        by=None, worker=approved.worker, subject="hold", enrollment=approved, description="Nunca cobré esa pensión"
    )
    services.take_claim(claim=claim, by=reviewer)
    return claim


def test_upheld_suspension_claim_reinstates_and_pays_the_months_passed_under_it(approved, reviewer):
    from enrollment.models import Suspension

    claim = _suspended_claim(approved, reviewer)
    services.uphold_claim(claim=claim, by=reviewer, resolution="Es otra persona con el mismo apellido")
    approved.refresh_from_db()
    claim.refresh_from_db()
    assert approved.status == Enrollment.Status.APPROVED and claim.status == C.UPHELD
    assert "rehabilitada" in claim.effect
    suspension = Suspension.objects.get(enrollment=approved)
    # The cycle (May–August 2026) passed under the suspension: the reviewer's decision owes it.
    assert suspension.owed_months == approved.cycle.month_list and suspension.owed_reason
    assert approved.installments.filter(status=Installment.Status.DUE).count() == 4


def test_a_payments_officer_cannot_uphold_a_suspension_claim_and_nothing_changes(approved, reviewer, payer):
    claim = _suspended_claim(approved, reviewer)
    with pytest.raises(PermissionDenied):
        services.uphold_claim(claim=claim, by=payer, resolution="ok")
    approved.refresh_from_db()
    claim.refresh_from_db()
    assert (approved.status, claim.status) == (Enrollment.Status.SUSPENDED, C.IN_REVIEW)
    assert not approved.installments.filter(status=Installment.Status.DUE).exists()


def test_upheld_not_received_claim_reissues_a_bank_rejected_installment(approved, payer):
    installment = approved.installments.get(number=1)
    Installment.objects.filter(pk=installment.pk).update(status=Installment.Status.REJECTED, bank_reason="CBU cerrado")
    worker = approved.worker
    worker.cbu = make_cbu(987654)
    worker.save()
    claim = services.file_claim(
        by=None, worker=worker, subject="not_received", installment=installment, description="No me llegó mayo"
    )
    services.take_claim(claim=claim, by=payer)
    services.uphold_claim(claim=claim, by=payer, resolution="CBU corregido")
    installment.refresh_from_db()
    assert installment.status == Installment.Status.DUE


def test_upholding_a_not_received_claim_with_nothing_to_correct_is_refused(approved, payer):
    installment = approved.installments.get(number=1)
    claim = services.file_claim(
        by=None, worker=approved.worker, subject="not_received", installment=installment, description="No cobré"
    )
    services.take_claim(claim=claim, by=payer)
    with pytest.raises(ValidationError, match="Programada"):
        services.uphold_claim(claim=claim, by=payer, resolution="ok")
    claim.refresh_from_db()
    assert claim.status == C.IN_REVIEW


def test_claims_for_is_scoped(rejected, officer, mendoza_officer, union_officer, auditor):
    from claims.selectors import claims_for

    claim = file_rejection(rejected)
    assert list(claims_for(officer)) == [claim]
    assert list(claims_for(auditor)) == [claim]
    assert not claims_for(mendoza_officer).exists()
    assert not claims_for(union_officer).exists()


def test_overdue_counts(rejected, reviewer):
    from claims.selectors import claim_counts

    claim = file_rejection(rejected)
    Claim.objects.filter(pk=claim.pk).update(due_on=dt.date(2020, 1, 1))
    counts = claim_counts(user=reviewer)
    assert counts["received"] == 1 and counts["overdue"] == 1


def test_worker_of_another_province_cannot_be_claimed_for_by_provincial_officer(officer):
    worker = WorkerFactory(province=province("Mendoza"))
    with pytest.raises(PermissionDenied):
        services.file_claim(by=officer, worker=worker, subject="data_correction", description="x")


def _paid(approved, number=1):
    installment = approved.installments.get(number=number)
    Installment.objects.filter(pk=installment.pk).update(status=Installment.Status.PAID)
    installment.refresh_from_db()
    return installment


def _wrong_amount_claim(installment, by):
    claim = services.file_claim(
        by=None,
        worker=installment.worker,
        subject="wrong_amount",
        installment=installment,
        description="Me pagaron menos que a mis compañeros",
    )
    services.take_claim(claim=claim, by=by)
    return claim


def test_upheld_wrong_amount_claim_schedules_the_difference_to_the_rate_in_force(approved, payer):
    from payments.models import Rate

    paid = _paid(approved)
    Rate.objects.create(effective_month=dt.date(2026, 5, 1), amount=Decimal("70000.00"), resolution="Res. 9/2026")
    claim = _wrong_amount_claim(paid, payer)
    services.uphold_claim(claim=claim, by=payer, resolution="La resolución 9/2026 rige desde mayo")
    difference = Installment.objects.get(difference_of=paid)
    assert difference.kind == Installment.Kind.DIFFERENCE and difference.status == Installment.Status.DUE
    assert difference.amount == Decimal("6000.00") and difference.month == paid.month
    claim.refresh_from_db()
    assert claim.status == C.UPHELD and "$6.000,00" in claim.effect

    # the same gap is never scheduled twice
    from payments.differences import pay_difference

    with pytest.raises(ValidationError, match="no hay diferencia"):
        pay_difference(installment=paid, by=payer, reason="otra vez")
    assert Installment.objects.filter(difference_of=paid).count() == 1


def test_a_wrong_amount_claim_on_an_installment_paid_at_the_rate_in_force_is_refused(approved, payer):
    paid = _paid(approved)
    claim = _wrong_amount_claim(paid, payer)
    with pytest.raises(ValidationError, match="no hay diferencia que pagar"):
        services.uphold_claim(claim=claim, by=payer, resolution="Revisado")
    claim.refresh_from_db()
    assert claim.status == C.IN_REVIEW and not Installment.objects.filter(difference_of=paid).exists()


def test_only_payments_officers_pay_a_difference(approved, reviewer, payer):
    from payments.differences import pay_difference
    from payments.models import Rate

    paid = _paid(approved)
    Rate.objects.create(effective_month=dt.date(2026, 5, 1), amount=Decimal("70000.00"), resolution="Res. 9/2026")
    claim = _wrong_amount_claim(paid, reviewer)
    with pytest.raises(PermissionDenied):
        services.uphold_claim(claim=claim, by=reviewer, resolution="La resolución 9/2026 rige desde mayo")
    assert not Installment.objects.filter(difference_of=paid).exists()
    with pytest.raises(ValidationError, match="ya pagada"):
        pay_difference(installment=approved.installments.get(number=2), by=payer, reason="x")
