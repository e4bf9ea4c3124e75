"""How payments follows enrollment (see ``enrollment.seams``): approving an enrollment schedules
its installments, approving many schedules them in one statement, suspending or withdrawing one
cancels its unpaid installments, lifting a suspension schedules the months still to come and
those a reviewer says are owed (``payments.reinstatement``), a CBU change holds the worker's
money until it is decided (``payments.cbu_holds``), and screening asks payments for the aid in
force in a month.

Rules: every handler runs in the transaction of the enrollment's transition, so a refusal here
(budget, a worker already paid those months) undoes the transition. Connected once, from
``PaymentsConfig.ready()``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from enrollment import seams
from payments.cbu_holds import hold_for_change, release_for_change, release_shared
from payments.installments import cancel_unpaid_installments, schedule_installments, schedule_installments_bulk
from payments.rates import rate_for
from payments.reinstatement import left_to_pay, reschedule_after_reinstatement
from payments.selectors import payment_lines


def monthly_aid(month: dt.date) -> Decimal:
    """The aid in force in ``month`` (``ValidationError`` if no resolution is in force yet)."""
    return rate_for(month).amount


def connect_enrollment_seams() -> None:
    seams.enrollment_approved.connect(schedule_installments)
    seams.enrollments_approved_in_bulk.connect(schedule_installments_bulk)
    seams.enrollment_ended.connect(cancel_unpaid_installments)
    seams.enrollment_reinstated.connect(reschedule_after_reinstatement)
    seams.left_to_pay_after_reinstatement.provide(left_to_pay)
    seams.monthly_aid_in_force.provide(monthly_aid)
    seams.payment_history.provide(payment_lines)
    seams.cbu_change_requested.connect(hold_for_change)
    seams.cbu_change_decided.connect(release_for_change)
    seams.shared_cbu_resolved.connect(release_shared)
