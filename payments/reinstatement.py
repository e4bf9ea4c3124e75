"""What payments does when a suspension is lifted (``enrollment.seams.enrollment_reinstated``).

Rules: the months that passed under the suspension are not paid — only the cycle's months from
the reinstatement's month on, and the earlier months a reviewer stated are owed, get an
installment again (the cancelled ones stay, with their reason, in the audit trail). Everything
else is ``schedule_installments``'s: the rate in force in each month, never a month twice, the
agreement's budget under its row lock. Runs in the reinstatement's transaction, so a refusal
undoes the reinstatement. An enrollment left with nothing to pay — every installment paid or
cancelled, no month left to schedule — is completed at once (``payments.lifecycle``), and
one paid meanwhile (a line already with the bank when it was suspended) becomes active.
Whether anything is left to pay is answered before the seam runs
(``enrollment.seams.left_to_pay_after_reinstatement``, ``left_to_pay``), so every follower of
the seam reads the same fact whatever order they run in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from enrollment.models import Enrollment
from payments.installments import months_to_schedule, schedule_installments
from payments.lifecycle import SETTLED_STATES, follow_paid_installments
from payments.models import Installment


def _months(enrollment: Enrollment, from_month: dt.date, owed_months: Iterable[dt.date]) -> set[dt.date]:
    return {month for month in enrollment.cycle.month_list if month >= from_month} | set(owed_months)


def left_to_pay(*, enrollment: Enrollment, by, from_month: dt.date, owed_months: Iterable[dt.date]) -> bool:
    """Whether the reinstated enrollment will have anything to pay: an installment not yet paid
    nor cancelled, or a month the reinstatement schedules again."""
    unsettled = Installment.objects.filter(enrollment_id=enrollment.pk).exclude(status__in=SETTLED_STATES).exists()
    return unsettled or bool(
        months_to_schedule(enrollment=enrollment, by=by, months=_months(enrollment, from_month, owed_months))
    )


def reschedule_after_reinstatement(
    *,
    enrollment: Enrollment,
    by,
    from_month: dt.date,
    owed_months: Iterable[dt.date],
    reason: str,
    left_to_pay: bool = True,
) -> list[Installment]:
    """Schedule the reinstated enrollment's months from ``from_month`` on and ``owed_months``."""
    months = _months(enrollment, from_month, owed_months)
    scheduled = schedule_installments(enrollment=enrollment, by=by, months=months)
    follow_paid_installments(enrollment_ids=[enrollment.pk], by=by)
    return scheduled
