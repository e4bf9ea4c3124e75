"""The worker's own voice in the demo: a claim in each state (received, in review, upheld with
its effect, denied), filed by workers on the public page and by an office, and messages in the
outbox. Everything goes through the services, as in real use. Idempotent: once the demo has
claims, nothing is added."""

from __future__ import annotations

from claims import services as claims
from claims.models import Claim
from enrollment.models import Enrollment
from enrollment.services import approve_enrollment
from notifications import services as notifications
from payments.models import Installment


def seed_voice(*, users: dict) -> None:
    if Claim.objects.exists():
        return
    reviewer, payer, office = users["revisora"], users["pagos"], users["tucuman"]
    # Rejections for residence (no screening flag blocks them once re-opened).
    rejected = list(
        Enrollment.objects.filter(status=Enrollment.Status.REJECTED, status_reason__startswith="No reside")
        .select_related("worker")
        .order_by("pk")[:3]
    )
    held = list(Installment.objects.filter(status=Installment.Status.HELD).select_related("worker").order_by("pk")[:2])
    filed = []
    for enrollment, text in zip(
        rejected,
        [
            "Vivo en la provincia desde hace diez años: tengo el certificado de domicilio.",
            "Me mudé el año pasado pero volví para la cosecha; puedo presentar el contrato de alquiler.",
            "Mi DNI tiene el domicilio de la provincia.",
        ],
        strict=False,
    ):
        filed.append(
            claims.file_claim(
                by=None, worker=enrollment.worker, subject="rejection", enrollment=enrollment, description=text
            )
        )
    for installment in held[:1]:
        filed.append(
            claims.file_claim(
                by=None,
                worker=installment.worker,
                subject="hold",
                installment=installment,
                description="No tengo ningún otro plan ni pensión.",
            )
        )
    tucuman_worker = (
        Enrollment.objects.filter(cycle__agreement__province__name="Tucumán").select_related("worker").first()
    )
    if tucuman_worker is not None:
        claims.file_claim(
            by=office,
            worker=tucuman_worker.worker,
            subject="data_correction",
            description="El segundo apellido figura mal escrito en el padrón.",
        )
    # received: filed[0] stays as it is; in review: filed[1]; upheld (re-opens the enrollment,
    # then approved): filed[2]; denied: the hold claim.
    if len(filed) > 1:
        claims.take_claim(claim=filed[1], by=reviewer)
    if len(filed) > 2:
        claims.take_claim(claim=filed[2], by=reviewer)
        claims.uphold_claim(claim=filed[2], by=reviewer, resolution="El DNI acredita domicilio en la provincia.")
        # The re-opened enrollment is decided again from the review queue, as a reviewer would.
        approve_enrollment(
            enrollment=filed[2].enrollment, by=reviewer, reason="Reclamo aceptado: reside en la provincia."
        )
    if len(filed) > 3:
        claims.take_claim(claim=filed[3], by=payer)
        claims.deny_claim(
            claim=filed[3],
            by=payer,
            resolution="El padrón de pensiones registra el beneficio en los meses del período.",
        )
    notifications.queue_payment_events()
