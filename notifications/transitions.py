"""Messages to the worker when her benefit is suspended, reinstated or withdrawn.

Rules: enrollment announces these transitions through its seams (``enrollment_ended``,
``enrollment_reinstated``; see ``notifications.subscriptions``) and the message is queued in the
transition's transaction. The worker reads the cause in words (``texts.SUSPENSION_CAUSE_WORDS``)
— never the reviewer's note, the reinstatement's reason or the officer's reason for a withdrawal,
which may name other people or registries. Once per event: a suspension is keyed by its record
(``suspension:<id>`` and ``suspension:<id>:lifted``), a withdrawal by its enrollment (a
withdrawal is final).
"""

from __future__ import annotations

from django.utils import translation

from enrollment.models import Enrollment, Suspension
from notifications import texts
from notifications.models import Message
from notifications.services import queue_message

K = Message.Kind
S = Enrollment.Status


def notify_enrollment_ended(*, enrollment: Enrollment) -> int:
    """Tell the worker her benefit was suspended (and why, in words) or withdrawn."""
    with translation.override("es-ar"):
        if enrollment.status == S.WITHDRAWN:
            return queue_message(
                worker=enrollment.worker,
                kind=K.WITHDRAWN,
                event_key=f"enrollment:{enrollment.pk}:withdrawn",
                body=texts.withdrawn(),
            )
        if enrollment.status != S.SUSPENDED:
            return 0
        suspension = Suspension.objects.filter(enrollment=enrollment, lifted_at__isnull=True).order_by("-pk").first()
        if suspension is None:
            return 0
        return queue_message(
            worker=enrollment.worker,
            kind=K.SUSPENDED,
            event_key=f"suspension:{suspension.pk}",
            body=texts.suspended(cause=suspension.cause),
        )


def notify_reinstated(*, enrollment: Enrollment, owed_months, left_to_pay: bool = True) -> int:
    """Tell the worker her benefit was reinstated, and how many passed months are paid; with
    nothing ``left_to_pay`` (the seam carries it), that nothing is left to collect."""
    suspension = (
        Suspension.objects.filter(enrollment=enrollment, lifted_at__isnull=False).order_by("-lifted_at", "-pk").first()
    )
    if suspension is None:
        return 0
    with translation.override("es-ar"):
        return queue_message(
            worker=enrollment.worker,
            kind=K.REINSTATED,
            event_key=f"suspension:{suspension.pk}:lifted",
            body=texts.reinstated(owed=len(list(owed_months)), finished=not left_to_pay),
        )
