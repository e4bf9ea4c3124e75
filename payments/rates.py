"""The monthly aid: which rate is in force in a month, what an agreement's budget already
carries, and bringing installments up to a new (possibly retroactive) resolution.

Rules: the rate of a month is the latest resolution effective on or before it; a month with
no resolution in force has no rate (an error, never a zero). A retroactive rate never rewrites
an installment already paid or on its way to the bank: a ``difference`` installment pays the
gap, once per original installment and rate (unique index). Budgets are checked under the
agreements' row locks.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from payments.common import (
    I,
    require_manager,
)
from payments.models import Installment, Rate
from provinces.audit import prepare_bulk_audit


def rate_for(month: dt.date) -> Rate:
    """The rate in force in ``month``: the latest resolution effective on or before it."""
    rate = Rate.objects.filter(effective_month__lte=month).order_by("-effective_month").first()
    if rate is None:
        raise ValidationError(_("No hay monto de la ayuda vigente para %(month)s.") % {"month": f"{month:%m/%Y}"})
    return rate


def committed_amount(agreement_id: int) -> Decimal:
    """What the agreement's budget already carries: every installment not cancelled."""
    total = (
        Installment.objects.filter(agreement_id=agreement_id)
        .exclude(status=I.CANCELLED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or Decimal("0")


@transaction.atomic
def apply_retroactive_rate(*, rate: Rate, by) -> dict[str, int]:
    """Bring installments of months covered by a (possibly retroactive) rate up to it.

    Installments not yet on their way to the bank (scheduled, held, rejected) take the new
    amount. Those already paid or in a batch are never rewritten: a ``difference`` installment
    for the gap is scheduled instead, once per original installment and rate (unique index).
    The agreements' budgets are checked under their row locks. Idempotent.
    """
    require_manager(by)
    with connection.cursor() as cursor:
        prepare_bulk_audit(cursor)
        cursor.execute(
            "SELECT id FROM provinces_agreement WHERE id IN (SELECT DISTINCT agreement_id FROM payments_installment"
            " WHERE month >= %s AND status <> 'cancelled') ORDER BY id FOR UPDATE",
            [rate.effective_month],
        )
        agreement_ids = [row[0] for row in cursor.fetchall()]
        # what each agreement would add: the raise on unpaid ones plus the differences
        cursor.execute("DROP TABLE IF EXISTS payments_retro")
        cursor.execute(
            """
            CREATE TEMP TABLE payments_retro ON COMMIT DROP AS
            SELECT i.id, i.enrollment_id, i.worker_id, i.agreement_id, i.province_id, i.number, i.month, i.status,
                   %(amount)s - i.amount - coalesce(d.paid, 0) AS gap
              FROM payments_installment i
              JOIN payments_rate r ON r.id = i.rate_id
              LEFT JOIN (SELECT difference_of_id, sum(amount) AS paid FROM payments_installment
                          WHERE kind = 'difference' AND status <> 'cancelled' GROUP BY difference_of_id) d
                     ON d.difference_of_id = i.id
             WHERE i.kind = 'regular' AND i.month >= %(month)s AND i.status <> 'cancelled'
               AND r.effective_month < %(month)s
               AND NOT EXISTS (SELECT 1 FROM payments_rate newer WHERE newer.effective_month > %(month)s
                                AND newer.effective_month <= i.month)
               AND %(amount)s - i.amount - coalesce(d.paid, 0) > 0
            """,
            {"amount": rate.amount, "month": rate.effective_month},
        )
        cursor.execute(
            """
            SELECT a.number FROM (SELECT agreement_id, sum(gap) AS gap FROM payments_retro GROUP BY agreement_id) g
              JOIN provinces_agreement a ON a.id = g.agreement_id
              JOIN (SELECT agreement_id, sum(amount) AS total FROM payments_installment
                     WHERE status <> 'cancelled' GROUP BY agreement_id) c ON c.agreement_id = g.agreement_id
             WHERE c.total + g.gap > a.budget
            """
        )
        over = [row[0] for row in cursor.fetchall()]
        if over:
            raise ValidationError(
                _("El presupuesto no alcanza para aplicar la resolución en los convenios: %(list)s.")
                % {"list": ", ".join(over)}
            )
        with pghistory.context(user=by.pk, reason=f"resolución {rate.resolution}"):
            cursor.execute(
                """
                UPDATE payments_installment i SET amount = i.amount + r.gap, rate_id = %s, updated_at = now()
                  FROM payments_retro r WHERE r.id = i.id AND r.status IN ('due', 'held', 'rejected')
                """,
                [rate.pk],
            )
            raised = cursor.rowcount
            cursor.execute(
                """
                INSERT INTO payments_installment
                       (enrollment_id, worker_id, agreement_id, province_id, kind, number, month, rate_id, amount,
                        difference_of_id, status, hold_reason, bank_reason, cancel_reason, created_at, updated_at)
                SELECT enrollment_id, worker_id, agreement_id, province_id, 'difference', number, month, %s, gap,
                       id, 'due', '', '', '', now(), now()
                  FROM payments_retro WHERE status IN ('in_batch', 'paid')
                ON CONFLICT DO NOTHING
                """,
                [rate.pk],
            )
            differences = cursor.rowcount
    return {"raised": raised, "differences": differences, "agreements": len(agreement_ids)}
