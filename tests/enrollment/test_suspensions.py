"""Suspension with a coded cause, reinstatement with the months stated as owed, and withdrawal
at the worker's request: who may make each one, and what each leaves behind."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from enrollment import services
from enrollment.models import Enrollment, Suspension, SuspensionCause
from enrollment.suspensions import reinstate_enrollment, suspend_enrollment
from payments.models import Installment
from provinces.models import Organisation, add_months
from provinces.roles import Role
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    agrarian_history,
    make_user,
    province,
)

pytestmark = pytest.mark.django_db
S = Enrollment.Status
I = Installment.Status  # noqa: E741


def month(offset: int) -> dt.date:
    return add_months(timezone.localdate().replace(day=1), offset)


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


@pytest.fixture
def approved(reviewer):
    """An approved enrollment whose four months started two months ago."""

    def make(**kwargs):
        kwargs.setdefault("cycle", CycleFactory(first_month=month(-2), months=4))
        enrollment = EnrollmentFactory(status=S.PENDING_REVIEW, **kwargs)
        agrarian_history(enrollment.worker, before=enrollment.cycle.first_month, months=8)  # 4 months of aid
        return services.approve_enrollment(enrollment=enrollment, by=reviewer)

    return make


def test_causes_are_coded_with_spanish_labels():
    assert SuspensionCause.values == [
        "pay_above_aid",
        "incompatible_benefit",
        "moved_out",
        "death",
        "false_data",
        "own_request",
    ]
    assert SuspensionCause.DEATH.label == "Fallecimiento"


def test_reviewer_suspends_with_a_cause_and_a_note_recorded_and_audited(approved, reviewer):
    from pghistory.models import Events

    enrollment = approved()
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="moved_out", note="Vive en Salta desde marzo")
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUSPENDED
    assert enrollment.status_reason == "Se mudó fuera de la provincia del convenio: Vive en Salta desde marzo"
    suspension = Suspension.objects.get(enrollment=enrollment)
    assert (suspension.cause, suspension.note, suspension.previous_status) == (
        "moved_out",
        "Vive en Salta desde marzo",
        S.APPROVED,
    )
    assert suspension.suspended_by == reviewer and suspension.lifted_at is None
    event = Events.objects.tracks(enrollment).get(pgh_data__status=S.SUSPENDED)
    assert event.pgh_context["user"] == reviewer.pk
    assert set(enrollment.installments.values_list("status", flat=True)) == {I.CANCELLED}


@pytest.mark.parametrize(("cause", "note"), [("", "nota"), ("mudanza", "nota"), ("death", "  ")])
def test_a_suspension_needs_a_known_cause_and_a_note(approved, reviewer, cause, note):
    enrollment = approved()
    with pytest.raises(ValidationError):
        suspend_enrollment(enrollment=enrollment, by=reviewer, cause=cause, note=note)
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED and not Suspension.objects.exists()
    assert enrollment.installments.filter(status=I.DUE).count() == 4


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER, Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_only_a_reviewer_suspends_or_reinstates(approved, reviewer, role):
    org = None
    if role in (Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER):
        kind = Organisation.Kind.PROVINCIAL_OFFICE if role == Role.PROVINCIAL_OFFICER else Organisation.Kind.UNION
        org = OrganisationFactory(kind=kind, province=province("Tucumán"))
    user = make_user(role, org)
    enrollment = approved(worker=WorkerFactory(registered_by=org) if org else WorkerFactory())
    with pytest.raises(PermissionDenied):
        suspend_enrollment(enrollment=enrollment, by=user, cause="death", note="Acta")
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="death", note="Acta")
    with pytest.raises(PermissionDenied):
        reinstate_enrollment(enrollment=enrollment, by=user, reason="Error")
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUSPENDED


@pytest.mark.parametrize("status", [S.PENDING_REVIEW, S.REJECTED, S.WITHDRAWN, S.COMPLETED])
def test_only_approved_or_active_enrollments_are_suspended(reviewer, status):
    enrollment = EnrollmentFactory(status=status)
    with pytest.raises(ValidationError):
        suspend_enrollment(enrollment=enrollment, by=reviewer, cause="false_data", note="DNI adulterado")
    enrollment.refresh_from_db()
    assert enrollment.status == status


def test_reinstatement_returns_to_the_interrupted_state_and_records_the_months_owed(approved, reviewer):
    enrollment = approved()
    Enrollment.objects.filter(pk=enrollment.pk).update(status=S.ACTIVE)
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="incompatible_benefit", note="Pensión")
    reinstate_enrollment(
        enrollment=enrollment,
        by=reviewer,
        reason="La pensión empezó después del período",
        owed_months=[month(-2)],
        owed_reason="No cobraba la pensión en ese mes",
    )
    enrollment.refresh_from_db()
    assert enrollment.status == S.ACTIVE
    assert enrollment.status_reason == "La pensión empezó después del período"
    suspension = Suspension.objects.get(enrollment=enrollment)
    assert suspension.lifted_by == reviewer and suspension.lifted_at is not None
    assert suspension.owed_months == [month(-2)]
    live = sorted(enrollment.installments.exclude(status=I.CANCELLED).values_list("month", flat=True))
    assert live == [month(-2), month(0), month(1)]  # the month before this one passed, not owed


def test_reinstatement_without_owed_months_pays_none_of_the_passed_ones(approved, reviewer):
    enrollment = approved()
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Alta en SIPA")
    reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="Baja del empleo")
    live = sorted(enrollment.installments.exclude(status=I.CANCELLED).values_list("month", flat=True))
    assert live == [month(0), month(1)]
    # A second suspension and reinstatement does not pay them either, and nothing twice.
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Otra alta")
    reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="Baja otra vez")
    live = sorted(enrollment.installments.exclude(status=I.CANCELLED).values_list("month", flat=True))
    assert live == [month(0), month(1)]
    assert Suspension.objects.filter(enrollment=enrollment, lifted_at__isnull=False).count() == 2


def _moves(enrollment) -> list[str]:
    from pghistory.models import Events

    seen = [e.pgh_data["status"] for e in Events.objects.tracks(enrollment).order_by("pgh_id")]
    return [state for i, state in enumerate(seen) if i == 0 or seen[i - 1] != state]


def test_never_paid_and_reinstated_with_nothing_left_to_pay_it_is_completed_not_left_approved(approved, reviewer):
    enrollment = approved(cycle=CycleFactory(first_month=month(-6), months=4))  # every month has passed
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Alta en SIPA")
    reinstated = reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="El alta era de otra persona")
    assert reinstated.status == enrollment.status == S.COMPLETED
    assert set(enrollment.installments.values_list("status", flat=True)) == {I.CANCELLED}
    assert enrollment.status_changed_by == reviewer
    assert _moves(enrollment)[-4:] == [S.APPROVED, S.SUSPENDED, S.APPROVED, S.COMPLETED]
    assert Suspension.objects.get(enrollment=enrollment).lifted_by == reviewer


def test_the_worker_reinstated_with_nothing_left_is_not_told_she_collects_again(approved, reviewer):
    from notifications.models import Message
    from tests.notifications.test_outbox import with_phone

    enrollment = approved(cycle=CycleFactory(first_month=month(-6), months=4))  # every month has passed
    with_phone(enrollment.worker)
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Alta en SIPA")
    reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="El alta era de otra persona")
    (body,) = Message.objects.filter(worker=enrollment.worker, kind=Message.Kind.REINSTATED).values_list(
        "body", flat=True
    )
    assert body.startswith("Interzafra: su ayuda fue rehabilitada. No le quedan cuotas por cobrar")
    assert "Vuelve a cobrar" not in body and len(body) <= 160


@pytest.mark.parametrize("order", ["payments first", "notifications first"])
def test_the_reinstatement_message_does_not_depend_on_the_order_of_the_seams_followers(
    approved, reviewer, monkeypatch, order
):
    """The seam carries whether anything is left to pay, answered before any follower runs: the
    message is the same whether payments (which completes the enrollment) runs before or after."""
    from enrollment import seams
    from notifications.models import Message
    from tests.notifications.test_outbox import with_phone

    handlers = list(seams.enrollment_reinstated.handlers)
    if order == "notifications first":
        handlers.reverse()
    monkeypatch.setattr(seams.enrollment_reinstated, "_handlers", handlers)
    finished = approved(cycle=CycleFactory(first_month=month(-6), months=4))  # every month has passed
    going_on = approved()
    for enrollment in (finished, going_on):
        with_phone(enrollment.worker)
        suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Alta en SIPA")
        reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="El alta era de otra persona")
    bodies = {e: Message.objects.get(worker=e.worker, kind=Message.Kind.REINSTATED).body for e in (finished, going_on)}
    assert "No le quedan cuotas por cobrar" in bodies[finished] and "Vuelve a cobrar" not in bodies[finished]
    assert "Vuelve a cobrar sus cuotas" in bodies[going_on]
    finished.refresh_from_db()
    going_on.refresh_from_db()
    assert (finished.status, going_on.status) == (S.COMPLETED, S.APPROVED)


def test_reinstated_with_a_month_owed_it_stays_approved_until_that_month_is_paid(approved, reviewer):
    enrollment = approved(cycle=CycleFactory(first_month=month(-6), months=4))
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Alta en SIPA")
    reinstate_enrollment(
        enrollment=enrollment,
        by=reviewer,
        reason="El alta era de otra persona",
        owed_months=[month(-5)],
        owed_reason="No cobró otra remuneración ese mes",
    )
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED
    assert list(enrollment.installments.filter(status=I.DUE).values_list("month", flat=True)) == [month(-5)]


def test_active_and_reinstated_with_nothing_left_to_pay_it_is_completed_at_once(approved, reviewer):
    enrollment = approved(cycle=CycleFactory(first_month=month(-6), months=4))
    Installment.objects.filter(enrollment=enrollment, number=1).update(status=I.PAID, paid_at=timezone.now())
    Enrollment.objects.filter(pk=enrollment.pk).update(status=S.ACTIVE)
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Alta en SIPA")
    reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="El alta era de otra persona")
    enrollment.refresh_from_db()
    assert enrollment.status == S.COMPLETED
    assert enrollment.installments.get(number=1).status == I.PAID


@pytest.mark.parametrize(
    ("owed", "owed_reason", "field"),
    [
        ([month(0)], "Se adeuda", "owed_months"),  # this month is not a passed one: it is paid anyway
        ([month(-3)], "Se adeuda", "owed_months"),  # before the cycle
        ([month(-1)], "", "owed_reason"),  # owed without saying why
    ],
)
def test_owed_months_must_have_passed_in_the_cycle_and_have_a_reason(approved, reviewer, owed, owed_reason, field):
    enrollment = approved()
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="death", note="Acta")
    with pytest.raises(ValidationError) as error:
        reinstate_enrollment(
            enrollment=enrollment, by=reviewer, reason="Error de registro", owed_months=owed, owed_reason=owed_reason
        )
    assert field in error.value.message_dict
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUSPENDED
    assert not enrollment.installments.exclude(status=I.CANCELLED).exists()


def test_only_a_suspended_enrollment_is_reinstated_and_with_a_reason(approved, reviewer):
    enrollment = approved()
    with pytest.raises(ValidationError):
        reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="Sin motivo")
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="death", note="Acta")
    with pytest.raises(ValidationError):
        reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="   ")
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUSPENDED


def test_the_database_keeps_one_open_suspension_per_enrollment(approved, reviewer):
    enrollment = approved()
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="death", note="Acta")
    with pytest.raises(IntegrityError), transaction.atomic():
        Suspension.objects.create(enrollment=enrollment, cause="death", note="otra", previous_status=S.APPROVED)


# --- withdrawal at the worker's request ------------------------------------------------------


def test_the_registering_union_withdraws_its_enrollment_and_another_union_cannot(approved):
    union = OrganisationFactory(kind=Organisation.Kind.UNION, province=province("Tucumán"))
    other = OrganisationFactory(kind=Organisation.Kind.UNION, province=province("Tucumán"))
    enrollment = approved(worker=WorkerFactory(registered_by=union))
    with pytest.raises(PermissionDenied):
        services.withdraw_enrollment(enrollment=enrollment, by=make_user(Role.UNION_OFFICER, other), reason="Pidió")
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED
    services.withdraw_enrollment(
        enrollment=enrollment, by=make_user(Role.UNION_OFFICER, union), reason="Pidió la baja por nota"
    )
    enrollment.refresh_from_db()
    assert enrollment.status == S.WITHDRAWN and enrollment.status_reason == "Pidió la baja por nota"
    assert set(enrollment.installments.values_list("status", flat=True)) == {I.CANCELLED}


@pytest.mark.parametrize("role", [Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_national_roles_other_than_reviewers_cannot_withdraw(approved, role):
    enrollment = approved()
    with pytest.raises(PermissionDenied):
        services.withdraw_enrollment(enrollment=enrollment, by=make_user(role), reason="Pidió")
    enrollment.refresh_from_db()
    assert enrollment.status == S.APPROVED


def test_a_provincial_officer_withdraws_in_their_province_only(approved):
    enrollment = approved()
    mendoza = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Mendoza")))
    with pytest.raises(PermissionDenied):
        services.withdraw_enrollment(enrollment=enrollment, by=mendoza, reason="Pidió")
    tucuman = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    with pytest.raises(ValidationError):
        services.withdraw_enrollment(enrollment=enrollment, by=tucuman, reason=" ")
    services.withdraw_enrollment(enrollment=enrollment, by=tucuman, reason="Pidió la baja")
    enrollment.refresh_from_db()
    assert enrollment.status == S.WITHDRAWN


def test_a_suspended_enrollment_can_be_withdrawn_and_then_not_reinstated(approved, reviewer):
    enrollment = approved()
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="own_request", note="Lo pidió")
    services.withdraw_enrollment(enrollment=enrollment, by=reviewer, reason="Confirmó la baja")
    with pytest.raises(ValidationError):
        reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="Error")
    enrollment.refresh_from_db()
    assert enrollment.status == S.WITHDRAWN
