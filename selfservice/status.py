"""What the worker reads about herself, in plain words: each enrollment's state and why, its
installments and amounts, the next payment, and her claims. Reads only her own rows (found by
CUIL and birth date), never anyone else's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from claims.models import Claim
from claims.selectors import default_target
from enrollment.models import Enrollment, Worker
from enrollment.screening.entitlement_models import Entitlement
from payments.common import batch_month_for, first_of_month
from payments.models import BatchItem, Installment
from payments.pickup import pickup_words

ES = Enrollment.Status
IS = Installment.Status


def find_worker(*, cuil: str, birth_date) -> Worker | None:
    """The worker with that CUIL and birth date who is or was in the programme; ``None`` for
    an unknown CUIL, a wrong birth date and a worker never enrolled alike."""
    return Worker.objects.filter(cuil=cuil, birth_date=birth_date, enrollments__isnull=False).distinct().first()


_STATE_WORDS = {
    ES.SUBMITTED: gettext_lazy("Recibimos su inscripción y la estamos controlando."),
    ES.SCREENING: gettext_lazy("Recibimos su inscripción y la estamos controlando."),
    ES.PENDING_REVIEW: gettext_lazy("Su inscripción está en revisión en el Ministerio."),
    ES.APPROVED: gettext_lazy("Su inscripción fue aprobada."),
    ES.ACTIVE: gettext_lazy("Está cobrando la ayuda."),
    ES.COMPLETED: gettext_lazy("Terminó este período: ya se pagaron sus cuotas."),
    ES.REJECTED: gettext_lazy("Su inscripción fue rechazada."),
    ES.SUSPENDED: gettext_lazy("Su ayuda está suspendida."),
    ES.WITHDRAWN: gettext_lazy("Su inscripción fue dada de baja."),
}


def state_words(status: str) -> str:
    return str(_STATE_WORDS[ES(status)])


def installment_words(installment: Installment) -> str:
    if installment.status == IS.DUE:
        return _("Programada")
    if installment.status == IS.HELD:
        return _("Retenida: %(reason)s") % {"reason": installment.hold_words or _("en control")}
    if installment.status == IS.IN_BATCH:
        order = installment.pickup_order
        if order is not None and order.pickup_day is not None:
            return pickup_words(order.pickup_day)
        return _("En camino al banco")
    if installment.status == IS.PAID:
        if installment.paid_at:
            return _("Pagada el %(day)s") % {"day": installment.paid_at.strftime("%d/%m/%Y")}
        return _("Pagada")
    if installment.status == IS.REJECTED:
        return _("El banco no pudo acreditarla (%(reason)s): revise su CBU en su oficina.") % {
            "reason": installment.bank_reason or _("sin detalle")
        }
    return installment.get_status_display()


@dataclass
class EnrollmentView:
    enrollment: Enrollment
    words: str
    reason: str
    installments: list[tuple[Installment, str]] = field(default_factory=list)
    total: Decimal = Decimal("0")
    period: str = ""


def period_words(enrollment: Enrollment, entitled_months: int | None) -> str:
    """The period in words and, once her installments are scheduled, how many months of aid she is
    paid in it: "Período desde 06/2026, 4 meses. Le corresponden 2 meses de ayuda." """
    cycle = enrollment.cycle
    words = ngettext("Período desde %(first)s, %(n)s mes.", "Período desde %(first)s, %(n)s meses.", cycle.months) % {
        "first": cycle.first_month.strftime("%m/%Y"),
        "n": cycle.months,
    }
    if entitled_months is not None:
        paid = min(entitled_months, cycle.months)
        words += " " + ngettext("Le corresponde %(n)s mes de ayuda.", "Le corresponden %(n)s meses de ayuda.", paid) % {
            "n": paid
        }
    return words


@dataclass
class WorkerStatus:
    worker: Worker
    enrollments: list[EnrollmentView]
    next_payment: Installment | None
    next_payment_words: str
    claims: list[Claim]
    claim_subjects: list[tuple[str, str]]


def payment_batch_month(installment: Installment) -> dt.date:
    """The month of the batch that carries (or will carry) an installment: the batch it is in,
    or — paid "a mes vencido" — the batch of the month after it covers, never one already past."""
    line = (
        BatchItem.objects.filter(installment=installment, outcome=BatchItem.Outcome.PENDING)
        .values_list("batch__month", flat=True)
        .first()
    )
    if line is not None:
        return line
    return max(batch_month_for(installment.month), first_of_month(timezone.localdate()))


def worker_status(worker: Worker) -> WorkerStatus:
    enrollments = list(
        Enrollment.objects.filter(worker=worker)
        .select_related("cycle__agreement__province", "cycle__crop")
        .order_by("-cycle__first_month", "-pk")
    )
    installments = list(
        Installment.objects.filter(worker=worker)
        .exclude(status=IS.CANCELLED)
        .prefetch_related("batch_items")
        .order_by("month", "kind", "pk")
    )
    entitled = dict(
        Entitlement.objects.filter(enrollment__in=[e.pk for e in enrollments]).values_list("enrollment_id", "months")
    )
    views = []
    for enrollment in enrollments:
        shown = enrollment.status in (ES.REJECTED, ES.SUSPENDED, ES.WITHDRAWN)
        paid_in_it = enrollment.status in (ES.APPROVED, ES.ACTIVE, ES.COMPLETED, ES.SUSPENDED)
        own = [(i, installment_words(i)) for i in installments if i.enrollment_id == enrollment.pk]
        views.append(
            EnrollmentView(
                enrollment=enrollment,
                words=state_words(enrollment.status),
                reason=enrollment.status_reason if shown else "",
                installments=own,
                total=sum((i.amount for i, _words in own), Decimal("0")),
                period=period_words(enrollment, entitled.get(enrollment.pk) if paid_in_it else None),
            )
        )
    upcoming = [i for i in installments if i.status in (IS.DUE, IS.IN_BATCH)]
    next_payment = upcoming[0] if upcoming else None
    if next_payment is None:
        words = ""
    elif worker.cbu:
        words = _("Se transfiere a su cuenta (CBU terminado en %(end)s) con el lote de pagos de %(month)s.") % {
            "end": worker.cbu[-4:],
            "month": payment_batch_month(next_payment).strftime("%m/%Y"),
        }
    elif (order := next_payment.pickup_order) is not None and order.pickup_day is not None:
        words = _("%(pickup)s (hasta el %(until)s).") % {
            "pickup": pickup_words(order.pickup_day),
            "until": order.pickup_until.strftime("%d/%m/%Y") if order.pickup_until else "",
        }
    else:
        words = _(
            "No tenemos su CBU: cobra por ventanilla en Banco Nación con su DNI, el día que fija su último "
            "número; se lo avisamos cuando se arme el lote de pagos. Para cobrar por transferencia, cargue su "
            "CBU en su oficina de empleo o sindicato."
        )
    subjects = [
        (value, str(label))
        for value, label in Claim.Subject.choices
        if value == Claim.Subject.DATA_CORRECTION or default_target(worker=worker, subject=value)
    ]
    return WorkerStatus(
        worker=worker,
        enrollments=views,
        next_payment=next_payment,
        next_payment_words=words,
        claims=list(Claim.objects.filter(worker=worker).order_by("-created_at")),
        claim_subjects=subjects,
    )
