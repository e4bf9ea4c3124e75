"""The difference owed on one installment that was paid below the rate in force for its month
(an upheld "wrong amount" claim): a ``difference`` installment for the gap, due in the next
batch — never a rewrite of what was paid.

Rules: only payments officers act on money; only a paid (or in-batch) regular installment has a
difference; the gap is the rate in force for the month minus what was paid minus differences
already scheduled, and must be positive; one difference per installment and rate (the unique
index on ``(difference_of, rate)``); the agreement's budget is checked under its row lock.
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from payments.common import I, require_manager
from payments.models import Installment
from payments.rates import committed_amount, rate_for
from provinces.models import Agreement


@transaction.atomic
def pay_difference(*, installment: Installment, by, reason: str) -> Installment:
    """Schedule what is still owed on ``installment`` at the rate in force for its month."""
    require_manager(by)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indique por qué se paga la diferencia.")})
    agreement = Agreement.objects.select_for_update().get(pk=installment.agreement_id)
    locked = Installment.objects.select_for_update().get(pk=installment.pk)
    if locked.kind != Installment.Kind.REGULAR or locked.status not in (I.PAID, I.IN_BATCH):
        raise ValidationError(_("Solo se paga una diferencia sobre una cuota mensual ya pagada o en un lote."))
    rate = rate_for(locked.month)
    already = locked.differences.exclude(status=I.CANCELLED).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    gap = rate.amount - locked.amount - already
    if gap <= 0:
        raise ValidationError(
            _("La cuota de %(month)s se pagó por %(paid)s, el monto vigente (%(rate)s): no hay diferencia que pagar.")
            % {"month": f"{locked.month:%m/%Y}", "paid": _money(locked.amount + already), "rate": _money(rate.amount)}
        )
    if committed_amount(agreement.pk) + gap > agreement.budget:
        raise ValidationError(
            _("El presupuesto del convenio %(number)s no alcanza para pagar la diferencia.")
            % {"number": agreement.number}
        )
    if locked.differences.filter(rate=rate, cancelled_at__isnull=True).exists():
        raise ValidationError(_("Ya hay una diferencia programada para esta cuota con la resolución vigente."))
    with pghistory.context(user=by.pk, reason=reason.strip()):
        return Installment.objects.create(
            enrollment_id=locked.enrollment_id,
            worker_id=locked.worker_id,
            agreement_id=locked.agreement_id,
            province_id=locked.province_id,
            kind=Installment.Kind.DIFFERENCE,
            number=locked.number,
            month=locked.month,
            rate=rate,
            amount=gap,
            difference_of=locked,
            status=I.DUE,
        )


def _money(amount: Decimal) -> str:
    whole, cents = f"{amount:,.2f}".split(".")
    return f"${whole.replace(',', '.')},{cents}"
