"""Enrollment's seams: what happens elsewhere when an enrollment changes state, and what
enrollment asks of the apps above it. Payments fills them in ``PaymentsConfig.ready()``.

Rules: the handlers run inside the transaction of the transition that fires them, so a handler
that refuses (a budget exceeded, a worker already paid those months) undoes the transition too.
Each seam must be filled before it is needed; an empty one raises ``SeamNotFilled``.

- ``enrollment_approved``: ``(*, enrollment, by)`` after one enrollment is approved
  (payments schedules its installments).
- ``enrollments_approved_in_bulk``: ``(*, enrollment_ids, by)`` after many are approved together
  (payments schedules all their installments in one statement).
- ``enrollment_ended``: ``(*, enrollment, by, reason)`` after an enrollment is suspended or
  withdrawn (payments cancels its unpaid installments; notifications tells the worker, the
  cause in words and never the note).
- ``enrollment_reinstated``: ``(*, enrollment, by, from_month, owed_months, reason, left_to_pay)``
  after a suspension is lifted (payments schedules the cycle's months from ``from_month`` on and
  the earlier ``owed_months`` a reviewer stated; the months that passed under the suspension are
  not paid otherwise; notifications tells the worker). ``left_to_pay`` was answered before any
  follower ran (``left_to_pay_after_reinstatement``), so no follower depends on another's work.
- ``cbu_change_requested``: ``(*, change, by)`` after a CBU change is requested, with the
  worker row locked (payments holds the worker's due installments and takes their lines out of
  batches whose bank file was not requested).
- ``cbu_change_decided``: ``(*, change, by)`` after a CBU change is approved, rejected or
  cancelled (payments releases what the request held).
- ``shared_cbu_resolved``: ``(*, worker_ids, by)`` after a reviewer confirms that the workers
  sharing a CBU are distinct holders (payments releases their shared-CBU holds).
- ``enrollment_rejected``: ``(*, enrollment, by)`` after one enrollment is rejected (notifications
  tells the worker why and how to claim). Nobody following it is not an error.
- ``payment_history``: ``(*, user, worker=None, enrollment=None) -> list[dict] | None``, the
  installments of a worker or of one enrollment that ``user`` may read, each with its batch and
  the bank's outcome (payments answers; None for a role that may not read installments).
- ``left_to_pay_after_reinstatement``: ``(*, enrollment, by, from_month, owed_months) -> bool``,
  whether the enrollment reinstated from ``from_month`` with ``owed_months`` will have anything
  to pay (payments answers: an installment not settled, or a month to schedule again).
- ``monthly_aid_in_force``: ``(month) -> Decimal``, the aid in force in ``month``; raises
  ``ValidationError`` when no resolution is in force yet (payments answers from its rate table).
"""

from __future__ import annotations

from provinces.seams import Provider, Seam, SeamNotFilled

__all__ = [
    "SeamNotFilled",
    "cbu_change_decided",
    "cbu_change_requested",
    "enrollment_approved",
    "enrollment_ended",
    "enrollment_reinstated",
    "enrollment_rejected",
    "enrollments_approved_in_bulk",
    "left_to_pay_after_reinstatement",
    "monthly_aid_in_force",
    "payment_history",
    "shared_cbu_resolved",
]

enrollment_approved = Seam("enrollment approved")
enrollments_approved_in_bulk = Seam("enrollments approved in bulk")
enrollment_ended = Seam("enrollment suspended or withdrawn")
enrollment_reinstated = Seam("enrollment reinstated")
enrollment_rejected = Seam("enrollment rejected", required=False)
left_to_pay_after_reinstatement = Provider("whether a reinstated enrollment has anything left to pay")
monthly_aid_in_force = Provider("monthly aid in force in a month")
payment_history = Provider("installments of a worker or an enrollment, with batch and bank outcome")
cbu_change_requested = Seam("CBU change requested")
cbu_change_decided = Seam("CBU change decided")
shared_cbu_resolved = Seam("shared CBU resolved")
