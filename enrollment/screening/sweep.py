"""The sweeper of enrollments left without their screening.

A new enrollment is screened by a Celery task queued when it is created
(``enrollment.services.queue_screening``). If that task fails for good (an error, its retries
spent, a worker that died), the enrollment stays "submitted" or "screening" and no reviewer ever
sees it. Every ten minutes Celery beat runs ``requeue_stale_screening``:

Rules: an enrollment in "submitted" or "screening" whose state last changed more than
``SCREENING_STALE_AFTER_MINUTES`` ago (30 by default) is queued for screening again, once
(``MAX_REQUEUES``): the task already failed once, and a second failure stops the sweeper for that
enrollment. Such an enrollment stays on the reviewers' home page ("N inscripciones sin controlar
desde hace más de …"), with the last error the task raised, until someone looks into it; the
log says it too. One INSERT … ON CONFLICT picks and counts them, whatever their number; the rows
of enrollments that moved on are deleted. The screening task records its error
(``record_failure``) before it gives up.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from enrollment.models import Enrollment

logger = logging.getLogger(__name__)
S = Enrollment.Status

#: The states of an enrollment not screened yet.
UNSCREENED = (S.SUBMITTED, S.SCREENING)
#: Times the sweeper queues one enrollment again: the task had failed once; another failure stops it.
MAX_REQUEUES = 1
#: Characters of an error kept on the row.
ERROR_CHARS = 500


def stale_after_minutes() -> int:
    return max(1, getattr(settings, "SCREENING_STALE_AFTER_MINUTES", 30))


def _cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(minutes=stale_after_minutes())


def stale(enrollments: QuerySet[Enrollment], *, now: dt.datetime | None = None) -> QuerySet[Enrollment]:
    """Those of ``enrollments`` left unscreened for longer than the setting."""
    return (
        enrollments.filter(status__in=UNSCREENED)
        .alias(since=Coalesce("status_changed_at", "created_at"))
        .filter(since__lt=_cutoff(now))
    )


def given_up(enrollments: QuerySet[Enrollment], *, now: dt.datetime | None = None) -> QuerySet[Enrollment]:
    """Those of the stale ``enrollments`` the sweeper queued again already, and will not again."""
    return stale(enrollments, now=now).filter(
        Q(stale_screening__requeues__gte=MAX_REQUEUES), stale_screening__requeued_at__lt=_cutoff(now)
    )


def last_error(enrollments: QuerySet[Enrollment]) -> str:
    """The most recent error recorded for ``enrollments``' screening, or ""."""
    from enrollment.screening.models import StaleScreening

    found = (
        StaleScreening.objects.filter(enrollment__in=enrollments.values("pk"))
        .exclude(last_error="")
        .order_by("-failed_at")
        .values_list("last_error", flat=True)
        .first()
    )
    return found or ""


@transaction.atomic
def requeue_stale_screening(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Queue screening again for the enrollments left unscreened (see the module's rules).
    Returns how many were queued and how many are left to a person."""
    from enrollment.services import queue_screening

    now = now or timezone.now()
    cutoff = _cutoff(now)
    states = [str(s) for s in UNSCREENED]
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM screening_stalescreening s USING enrollment_enrollment e"
            " WHERE e.id = s.enrollment_id AND e.status <> ALL(%s)",
            [states],
        )
        cursor.execute(
            "INSERT INTO screening_stalescreening AS s (enrollment_id, requeues, requeued_at, last_error)"
            " SELECT e.id, 1, %s, '' FROM enrollment_enrollment e"
            " WHERE e.status = ANY(%s) AND COALESCE(e.status_changed_at, e.created_at) < %s"
            " ON CONFLICT (enrollment_id) DO UPDATE SET requeues = s.requeues + 1, requeued_at = EXCLUDED.requeued_at"
            " WHERE s.requeues < %s AND (s.requeued_at IS NULL OR s.requeued_at < %s)"
            " RETURNING s.enrollment_id",
            [now, states, cutoff, MAX_REQUEUES, cutoff],
        )
        queued = sorted(row[0] for row in cursor.fetchall())
    queue_screening(enrollment_ids=queued)
    left = given_up(Enrollment.objects.all(), now=now).exclude(pk__in=queued)
    count = left.count()
    if count:
        logger.error(
            "%s enrollment(s) still unscreened after being queued again; last error: %s",
            count,
            last_error(left) or "none recorded (the worker stopped)",
        )
    return {"queued": len(queued), "given_up": count}


def record_failure(*, enrollment_ids: Iterable[int], error: BaseException) -> None:
    """Note ``error`` on the enrollments of a screening task that gives up (those still
    unscreened), in its own transaction; never raises over the task's own error."""
    text = (f"{type(error).__name__}: {error}")[:ERROR_CHARS]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO screening_stalescreening AS s (enrollment_id, requeues, last_error, failed_at)"
                " SELECT e.id, 0, %s, now() FROM enrollment_enrollment e"
                " WHERE e.id = ANY(%s::bigint[]) AND e.status = ANY(%s)"
                " ON CONFLICT (enrollment_id) DO UPDATE SET last_error = EXCLUDED.last_error,"
                " failed_at = EXCLUDED.failed_at",
                [text, sorted(set(enrollment_ids)), [str(s) for s in UNSCREENED]],
            )
    except DatabaseError:
        logger.exception("could not record the screening failure of %s enrollment(s)", len(set(enrollment_ids)))
