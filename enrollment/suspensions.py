"""Suspending a benefit with a coded cause, and lifting the suspension (reinstatement).

Rules:
- Only a ministry reviewer suspends or reinstates, an approved or active enrollment, with a
  cause from ``SuspensionCause`` and a note (the note is free text; the cause is not). The
  suspension is recorded (``Suspension``) with the state it interrupted; the enrollment's
  unpaid installments are cancelled (``seams.enrollment_ended``) and any other open proposal
  of a suspension for it is closed.
- Reinstating returns the enrollment to the state it was in (approved or active) with a reason;
  when that leaves nothing to pay (every installment paid or cancelled, no month left to
  schedule), payments completes it in the same transaction (*Finalizada*).
  The months that passed under the suspension — every month of the cycle before the month of
  the reinstatement — are not paid unless the reviewer states which are owed and why; the
  months from the reinstatement's month on are scheduled again (``seams.enrollment_reinstated``,
  payments).
- Every change runs through ``_transition`` (row lock, who/when/why on the row) inside
  ``pghistory.context``, so the audit trail carries the same who and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment import seams
from enrollment.models import Enrollment, Suspension, SuspensionCause, SuspensionProposal
from enrollment.services import S, _require_reviewer, _transition

#: Lifting a suspension: outside the ordinary flow, so not in ``TRANSITIONS``.
REINSTATING: dict[str, set[str]] = {state: set() for state in S.values} | {S.SUSPENDED: {S.APPROVED, S.ACTIVE}}

#: States a suspension may interrupt.
SUSPENDABLE = (S.APPROVED, S.ACTIVE)


def _clean_cause(cause: str) -> str:
    if cause not in SuspensionCause.values:
        raise ValidationError({"cause": _("Elija la causa de la suspensión.")})
    return cause


@transaction.atomic
def suspend_enrollment(
    *, enrollment: Enrollment, by, cause: str, note: str, proposal: SuspensionProposal | None = None
) -> Enrollment:
    """A ministry reviewer suspends an approved or active enrollment for a coded ``cause``,
    with a ``note``; its unpaid installments are cancelled (see the module's rules)."""
    _require_reviewer(by)
    cause = _clean_cause(cause)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Indique una nota que explique la suspensión.")})
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if locked.status not in SUSPENDABLE:
        raise ValidationError(
            _("Solo se suspenden inscripciones aprobadas o activas (estado actual: %(status)s).")
            % {"status": locked.get_status_display()}
        )
    reason = f"{SuspensionCause(cause).label}: {note}"
    suspended = _transition(enrollment=enrollment, to=S.SUSPENDED, by=by, reason=reason)
    with pghistory.context(user=by.pk, reason=reason):
        suspension = Suspension.objects.create(
            enrollment=suspended, cause=cause, note=note, previous_status=locked.status, suspended_by=by
        )
        now = timezone.now()
        open_proposals = SuspensionProposal.objects.filter(enrollment=suspended, status=SuspensionProposal.Status.OPEN)
        if proposal is not None:
            open_proposals.filter(pk=proposal.pk).update(
                status=SuspensionProposal.Status.ACCEPTED,
                decided_by=by,
                decided_at=now,
                decision_reason=note,
                suspension=suspension,
            )
        open_proposals.update(
            status=SuspensionProposal.Status.DISMISSED,
            decided_by=by,
            decided_at=now,
            decision_reason=_("La inscripción ya fue suspendida: %(reason)s") % {"reason": reason},
            suspension=suspension,
        )
    seams.enrollment_ended.run(enrollment=suspended, by=by, reason=reason)
    return suspended


def open_suspension(enrollment: Enrollment) -> Suspension | None:
    return enrollment.suspensions.filter(lifted_at__isnull=True).order_by("-pk").first()


def months_passed_under(enrollment: Enrollment, *, today: dt.date | None = None) -> list[dt.date]:
    """The cycle's months before the month of ``today``: a reinstatement pays them only if a
    reviewer states they are owed."""
    from_month = (today or timezone.localdate()).replace(day=1)
    return [month for month in enrollment.cycle.month_list if month < from_month]


def _clean_owed(enrollment: Enrollment, owed_months: Iterable[dt.date], *, today: dt.date) -> list[dt.date]:
    passed = set(months_passed_under(enrollment, today=today))
    owed = sorted({month.replace(day=1) for month in owed_months})
    wrong = [month for month in owed if month not in passed]
    if wrong:
        raise ValidationError(
            {
                "owed_months": _(
                    "Solo se declaran adeudados meses del período ya transcurridos; no corresponde %(months)s."
                )
                % {"months": ", ".join(f"{m:%m/%Y}" for m in wrong)}
            }
        )
    return owed


@transaction.atomic
def reinstate_enrollment(
    *,
    enrollment: Enrollment,
    by,
    reason: str,
    owed_months: Iterable[dt.date] = (),
    owed_reason: str = "",
    today: dt.date | None = None,
) -> Enrollment:
    """A ministry reviewer lifts a suspension (see the module's rules): the enrollment returns to
    the state the suspension interrupted; the months from ``today``'s month on are scheduled
    again, and of the months already passed only ``owed_months``, which need ``owed_reason``."""
    _require_reviewer(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indique por qué se rehabilita la inscripción.")})
    today = today or timezone.localdate()
    locked = Enrollment.objects.select_for_update().select_related("cycle").get(pk=enrollment.pk)
    if locked.status != S.SUSPENDED:
        raise ValidationError(
            _("Solo se rehabilitan inscripciones suspendidas (estado actual: %(status)s).")
            % {"status": locked.get_status_display()}
        )
    owed = _clean_owed(locked, owed_months, today=today)
    owed_reason = (owed_reason or "").strip()
    if owed and not owed_reason:
        raise ValidationError({"owed_reason": _("Indique por qué se adeudan esos meses.")})
    suspension = open_suspension(locked)
    target = suspension.previous_status if suspension and suspension.previous_status in SUSPENDABLE else S.APPROVED
    reinstated = _transition(enrollment=enrollment, to=target, by=by, reason=reason, allowed=REINSTATING)
    if suspension is not None:
        with pghistory.context(user=by.pk, reason=reason):
            suspension.lifted_at = timezone.now()
            suspension.lifted_by = by
            suspension.lift_reason = reason
            suspension.owed_months = owed
            suspension.owed_reason = owed_reason if owed else ""
            suspension.save(update_fields=["lifted_at", "lifted_by", "lift_reason", "owed_months", "owed_reason"])
    from_month = today.replace(day=1)
    # Asked before any follower runs, so each reads the same fact (payments answers).
    left_to_pay = seams.left_to_pay_after_reinstatement(
        enrollment=reinstated, by=by, from_month=from_month, owed_months=owed
    )
    seams.enrollment_reinstated.run(
        enrollment=reinstated, by=by, from_month=from_month, owed_months=owed, reason=reason, left_to_pay=left_to_pay
    )
    # Payments may have completed it at once: nothing left to pay (``payments.reinstatement``).
    reinstated.refresh_from_db()
    enrollment.refresh_from_db()
    return reinstated
