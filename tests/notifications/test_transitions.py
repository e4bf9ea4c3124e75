"""The worker is told when her benefit is suspended (the cause in words, never the reviewer's
note), reinstated (with the passed months paid) or withdrawn — once per event, through the
seams enrollment fires inside the transition's transaction."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enrollment.models import SuspensionCause
from enrollment.services import withdraw_enrollment
from enrollment.suspensions import reinstate_enrollment, suspend_enrollment
from notifications.models import Message
from notifications.transitions import notify_enrollment_ended, notify_reinstated
from tests.notifications.test_outbox import with_phone

pytestmark = pytest.mark.django_db

NOTE = "Alta en Transportes Pérez SRL informada por la AFIP, legajo 4411 (nota interna)"


def _messages(enrollment, kind):
    return list(Message.objects.filter(worker=enrollment.worker, kind=kind).values_list("body", flat=True))


def test_suspension_tells_the_cause_in_words_once_and_never_the_note(approved, reviewer):
    with_phone(approved.worker)
    suspended = suspend_enrollment(enrollment=approved, by=reviewer, cause=SuspensionCause.PAY_ABOVE_AID, note=NOTE)
    (body,) = _messages(approved, Message.Kind.SUSPENDED)
    assert body.startswith("Interzafra: su ayuda se suspendió porque figura con un sueldo registrado mayor")
    assert "reclame en" in body and len(body) <= 160
    assert "Pérez" not in body and "legajo" not in body and "pay_above_aid" not in body
    # telling the same suspension again writes nothing
    notify_enrollment_ended(enrollment=suspended)
    assert len(_messages(approved, Message.Kind.SUSPENDED)) == 1


@pytest.mark.parametrize(
    ("cause", "words"),
    [
        (SuspensionCause.INCOMPATIBLE_BENEFIT, "otro beneficio incompatible"),
        (SuspensionCause.MOVED_OUT, "domicilio fuera de la provincia"),
        (SuspensionCause.DEATH, "registro de fallecidos"),
        (SuspensionCause.OWN_REQUEST, "usted lo pidió"),
    ],
)
def test_each_cause_has_its_words(approved, reviewer, cause, words):
    with_phone(approved.worker)
    suspend_enrollment(enrollment=approved, by=reviewer, cause=cause, note=NOTE)
    (body,) = _messages(approved, Message.Kind.SUSPENDED)
    assert words in body and "legajo" not in body


def test_a_refused_suspension_tells_nothing(approved, reviewer, officer):
    with_phone(approved.worker)
    with pytest.raises(ValidationError):
        suspend_enrollment(enrollment=approved, by=reviewer, cause=SuspensionCause.PAY_ABOVE_AID, note=" ")
    with pytest.raises(PermissionDenied):
        suspend_enrollment(enrollment=approved, by=officer, cause=SuspensionCause.PAY_ABOVE_AID, note=NOTE)
    assert not Message.objects.filter(kind=Message.Kind.SUSPENDED).exists()


def test_reinstatement_tells_the_months_owed_once_and_not_the_reason(approved, reviewer):
    with_phone(approved.worker)
    suspend_enrollment(enrollment=approved, by=reviewer, cause=SuspensionCause.PAY_ABOVE_AID, note=NOTE)
    reinstated = reinstate_enrollment(
        enrollment=approved,
        by=reviewer,
        reason="El empleador Transportes Pérez informó la baja",
        owed_months=[dt.date(2026, 5, 1), dt.date(2026, 6, 1)],
        owed_reason="No cobró otra remuneración",
        today=dt.date(2026, 7, 10),
    )
    (body,) = _messages(approved, Message.Kind.REINSTATED)
    assert body.startswith("Interzafra: su ayuda fue rehabilitada.")
    assert "se le pagan 2 meses adeudados" in body and "Pérez" not in body and len(body) <= 160
    notify_reinstated(enrollment=reinstated, owed_months=[])
    assert len(_messages(approved, Message.Kind.REINSTATED)) == 1
    # a second suspension of the same enrollment is a new event, told again
    suspend_enrollment(enrollment=reinstated, by=reviewer, cause=SuspensionCause.FALSE_DATA, note=NOTE)
    assert len(_messages(approved, Message.Kind.SUSPENDED)) == 2


def test_reinstatement_without_owed_months_says_so_plainly(approved, reviewer):
    with_phone(approved.worker)
    suspend_enrollment(enrollment=approved, by=reviewer, cause=SuspensionCause.PAY_ABOVE_AID, note=NOTE)
    reinstate_enrollment(enrollment=approved, by=reviewer, reason="Revisado", today=dt.date(2026, 7, 10))
    (body,) = _messages(approved, Message.Kind.REINSTATED)
    assert "Vuelve a cobrar sus cuotas." in body and "adeudad" not in body


def test_withdrawal_is_told_once_without_the_officers_reason(approved, officer):
    with_phone(approved.worker)
    withdrawn = withdraw_enrollment(enrollment=approved, by=officer, reason="Se fue a trabajar a la finca de Gómez")
    (body,) = _messages(approved, Message.Kind.WITHDRAWN)
    assert body.startswith("Interzafra: su inscripción fue dada de baja a su pedido.")
    assert "Gómez" not in body and "reclame" in body and len(body) <= 160
    notify_enrollment_ended(enrollment=withdrawn)
    assert Message.objects.filter(kind=Message.Kind.WITHDRAWN).count() == 1


def test_a_worker_without_a_mobile_gets_nothing(approved, reviewer):
    approved.worker.phone = "0381 421-0000"
    approved.worker.save(update_fields=["phone"])
    suspend_enrollment(enrollment=approved, by=reviewer, cause=SuspensionCause.PAY_ABOVE_AID, note=NOTE)
    assert not Message.objects.filter(kind=Message.Kind.SUSPENDED).exists()
