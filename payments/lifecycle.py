"""What the money does to an enrollment's state: its first paid installment makes it active,
and once none of its installments is left to pay it is completed.

Rules: an approved enrollment with a paid installment becomes active; an active enrollment
with installments, every one of them paid or cancelled (none due, held, in a batch or rejected
by the bank and waiting to be re-issued), becomes completed — and so does an approved one
never paid whose installments are all cancelled (suspended, then reinstated with no month of
its entitlement left to schedule: nothing more will be paid, so it does not stay "approved").
A reinstatement applies these rules to its enrollment at once (``payments.reinstatement``).
Both moves go through
``enrollment.services`` (state machine, who and why on the rows, audit events) as one UPDATE
each, whatever the number of enrollments: a bank return file of 100,000 lines moves its
enrollments in two statements. Running them twice moves nothing twice. They run when a bank
return is applied (``payments.returns``), for the enrollments of that batch, and daily from
Celery beat (``payments.tasks.follow_paid_installments``) for every enrollment, which also
catches installments cancelled outside a return.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils.translation import gettext as _

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from payments.common import I

S = Enrollment.Status

#: An installment in one of these states leaves nothing more to pay.
SETTLED_STATES = (I.PAID, I.CANCELLED)


def _ids(sql: str, params: list) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _filter(batch_id: int | None, enrollment_ids: list[int] | None) -> tuple[str, list]:
    if enrollment_ids is not None:
        return " AND e.id = ANY(%s::bigint[])", [enrollment_ids]
    if batch_id is None:
        return "", []
    return (
        " AND e.id IN (SELECT n.enrollment_id FROM payments_batchitem b"
        " JOIN payments_installment n ON n.id = b.installment_id WHERE b.batch_id = %s)",
        [batch_id],
    )


@transaction.atomic
def follow_paid_installments(
    *, batch_id: int | None = None, enrollment_ids: list[int] | None = None, by=None, reason: str = ""
) -> dict[str, int]:
    """Activate the approved enrollments that were paid and complete those with nothing left to
    pay — those with a line in ``batch_id``, or ``enrollment_ids``, or all of them. Returns how
    many were activated and completed."""
    extra, params = _filter(batch_id, enrollment_ids)
    to_activate = _ids(
        "SELECT e.id FROM enrollment_enrollment e WHERE e.status = %s"
        " AND EXISTS (SELECT 1 FROM payments_installment n WHERE n.enrollment_id = e.id AND n.status = %s)" + extra,
        [str(S.APPROVED), str(I.PAID), *params],
    )
    activated = enrollment_services.activate_many(
        enrollment_ids=to_activate, by=by, reason=reason or _("Cobró la primera cuota")
    )
    to_complete = _ids(
        "SELECT e.id FROM enrollment_enrollment e WHERE e.status = ANY(%s)"
        " AND EXISTS (SELECT 1 FROM payments_installment n WHERE n.enrollment_id = e.id)"
        " AND NOT EXISTS (SELECT 1 FROM payments_installment n"
        "                  WHERE n.enrollment_id = e.id AND n.status <> ALL(%s))" + extra,
        [[str(S.ACTIVE), str(S.APPROVED)], [str(s) for s in SETTLED_STATES], *params],
    )
    completed = enrollment_services.complete_many(enrollment_ids=to_complete, by=by)
    return {"activated": len(activated), "completed": len(completed)}
