"""How enrollment decisions reach the outbox: enrollment announces them through its seams and
this app follows them (enrollment never imports notifications). The handlers run inside the
decision's transaction, so a message exists exactly when the decision was committed."""

from __future__ import annotations

from enrollment import seams
from enrollment.models import Enrollment


def _one(*, enrollment, by, **_ignored) -> None:
    from notifications.services import notify_enrollment_decisions

    notify_enrollment_decisions(enrollments=[enrollment])


def _many(*, enrollment_ids, by, **_ignored) -> None:
    from notifications.services import notify_enrollment_decisions

    enrollments = Enrollment.objects.filter(pk__in=list(enrollment_ids)).select_related("cycle", "worker")
    notify_enrollment_decisions(enrollments=list(enrollments))


def subscribe() -> None:
    seams.enrollment_approved.connect(_one)
    seams.enrollment_rejected.connect(_one)
    seams.enrollments_approved_in_bulk.connect(_many)
