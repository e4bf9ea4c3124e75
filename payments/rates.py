"""The monthly aid: proposing a new resolution's amount and approving it (four eyes), which rate
is in force in a month, what an agreement's budget already carries, and bringing installments
up to a new (possibly retroactive) resolution.

Rules: a new amount is proposed by a payments officer and approved by another one, after a
second factor, never by its proposer (check constraint); until approved it is pending and
nothing uses it; approving it applies it to installments in the same transaction, so a budget
that cannot carry it leaves it pending. The rate of a month is the latest *approved* resolution
effective on or before it; a month with no resolution in force has no rate (an error, never a
zero). A retroactive rate never rewrites
an installment already paid or on its way to the bank: a ``difference`` installment pays the
gap, once per original installment and rate (unique index). Budgets are checked under the
agreements' row locks.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.common import (
    I,
    require_manager,
)
from payments.models import Installment, Rate
from provinces.audit import prepare_bulk_audit
from provinces.twofactor import require_verified

PROPOSE = "payments.propose_rate"
APPROVE = "payments.approve_rate"
R = Rate.Status


def _require(by, perm: str) -> None:
    if not (by is not None and by.is_authenticated and by.has_perm(perm)):
        raise PermissionDenied(_("Solo oficiales de pagos del Ministerio proponen y aprueban montos de la ayuda."))


def propose_rate(
    *,
    amount: Decimal,
    effective_month: dt.date,
    resolution: str,
    by,
    published_on: dt.date | None = None,
    notes: str = "",
) -> Rate:
    """Propose the monthly aid of a resolution, in force from ``effective_month`` (which may be
    past: a retroactive resolution). It stays pending — nothing schedules or pays with it — until
    another person approves it. One live resolution per month (unique index): a month that
    already has one, approved or waiting, is refused; a rejected proposal frees it."""
    _require(by, PROPOSE)
    amount = Decimal(amount)
    errors: dict[str, str] = {}
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("Indique un monto mayor que cero, con hasta dos decimales.")
    if not (resolution or "").strip():
        errors["resolution"] = _("Indique el número de la resolución.")
    month = effective_month.replace(day=1)
    live = Rate.objects.filter(effective_month=month).exclude(status=R.REJECTED).first()
    if live is not None:
        errors["effective_month"] = _("Ya hay una resolución %(state)s para %(month)s (%(resolution)s).") % {
            "state": live.get_status_display().lower(),
            "month": f"{month:%m/%Y}",
            "resolution": live.resolution,
        }
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic(), pghistory.context(user=by.pk, reason=f"monto propuesto: {resolution.strip()}"):
            return Rate.objects.create(
                amount=amount,
                effective_month=month,
                resolution=resolution.strip(),
                published_on=published_on,
                notes=(notes or "").strip(),
                status=R.PENDING,
                proposed_by=by,
                proposed_at=timezone.now(),
            )
    except IntegrityError as error:  # another proposal for the month committed meanwhile
        raise ValidationError(
            {"effective_month": _("Ya hay una resolución para %(month)s.") % {"month": f"{month:%m/%Y}"}}
        ) from error


def _lock_pending(rate: Rate) -> Rate:
    locked = Rate.objects.select_for_update().get(pk=rate.pk)
    if locked.status != R.PENDING:
        raise ValidationError(
            _("Solo se decide un monto pendiente (estado actual: %(status)s).")
            % {"status": locked.get_status_display().lower()}
        )
    return locked


@transaction.atomic
def approve_rate(*, rate: Rate, by) -> tuple[Rate, dict[str, int]]:
    """A second payments officer approves a proposed amount — never its proposer (also a check
    constraint) — after verifying a second factor, and it is applied at once
    (``apply_retroactive_rate``): unpaid installments of the months it covers take the new
    amount and paid ones get a difference. Everything in one transaction, so if a budget cannot
    carry it the rate stays pending and nothing changes. Returns the rate and what was applied."""
    _require(by, APPROVE)
    require_verified(by)
    locked = _lock_pending(rate)
    if locked.proposed_by_id == by.pk:
        raise PermissionDenied(_("Un monto lo aprueba otra persona: usted lo propuso."))
    with pghistory.context(user=by.pk, reason=f"monto aprobado: {locked.resolution}"):
        locked.status = R.APPROVED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
    return locked, apply_retroactive_rate(rate=locked, by=by)


@transaction.atomic
def reject_rate(*, rate: Rate, by, reason: str) -> Rate:
    """Turn a proposed amount down with a reason (its proposer may withdraw it the same way);
    nothing used it, and its month is free for another proposal."""
    _require(by, APPROVE)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indique por qué se rechaza.")})
    locked = _lock_pending(rate)
    with pghistory.context(user=by.pk, reason=reason.strip()):
        locked.status = R.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_reason = reason.strip()[:500]
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return locked


def rate_for(month: dt.date) -> Rate:
    """The rate in force in ``month``: the latest approved resolution effective on or before it."""
    rate = Rate.objects.filter(status=R.APPROVED, effective_month__lte=month).order_by("-effective_month").first()
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
    The agreements' budgets are checked under their row locks. Only an approved rate applies
    (``approve_rate`` calls this). Idempotent.
    """
    require_manager(by)
    if rate.status != R.APPROVED:
        raise ValidationError(_("Solo se aplica un monto aprobado por una segunda persona."))
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
                                AND newer.effective_month <= i.month AND newer.status = 'approved')
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
