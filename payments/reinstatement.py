"""What payments does when a suspension is lifted (``enrollment.seams.enrollment_reinstated``).

Rules: the months that passed under the suspension are not paid — only the cycle's months from
the reinstatement's month on, and the earlier months a reviewer stated are owed, get an
installment again (the cancelled ones stay, with their reason, in the audit trail). Everything
else is ``schedule_installments``'s: the rate in force in each month, never a month twice, the
agreement's budget under its row lock. Runs in the reinstatement's transaction, so a refusal
undoes the reinstatement. An enrollment left with nothing to pay — every installment paid or
cancelled, no month left to schedule — is completed at once (``payments.lifecycle``), and
one paid meanwhile (a line already with the bank when it was suspended) becomes active.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from enrollment.models import Enrollment
from payments.installments import schedule_installments
from payments.lifecycle import follow_paid_installments
from payments.models import Installment


def reschedule_after_reinstatement(
    *, enrollment: Enrollment, by, from_month: dt.date, owed_months: Iterable[dt.date], reason: str
) -> list[Installment]:
    """Schedule the reinstated enrollment's months from ``from_month`` on and ``owed_months``."""
    owed = set(owed_months)
    months = {month for month in enrollment.cycle.month_list if month >= from_month} | owed
    scheduled = schedule_installments(enrollment=enrollment, by=by, months=months)
    follow_paid_installments(enrollment_ids=[enrollment.pk], by=by)
    return scheduled
