"""How enrollment decisions and transitions (suspended, reinstated, withdrawn) reach the
outbox: enrollment announces them through its seams and this app follows them (enrollment never
imports notifications). The handlers run inside the
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


def _ended(*, enrollment, by, **_ignored) -> None:
    from notifications.transitions import notify_enrollment_ended

    notify_enrollment_ended(enrollment=enrollment)


def _reinstated(*, enrollment, by, owed_months=(), left_to_pay=True, **_ignored) -> None:
    from notifications.transitions import notify_reinstated

    notify_reinstated(enrollment=enrollment, owed_months=owed_months, left_to_pay=left_to_pay)


def subscribe() -> None:
    seams.enrollment_approved.connect(_one)
    seams.enrollment_rejected.connect(_one)
    seams.enrollments_approved_in_bulk.connect(_many)
    seams.enrollment_ended.connect(_ended)
    seams.enrollment_reinstated.connect(_reinstated)
