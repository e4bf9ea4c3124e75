"""Suspensions that monthly re-screening proposes, and the reviewer's decision on each.

Rules:
- Before a month's batch, re-screening holds the installments of enrollments in conflict (as
  before) and, for the approved or active ones, proposes a suspension with the cause found:
  formal pay above the aid or self-employment income (``pay_above_aid``), a same-person match
  in an incompatible registry covering the month (``incompatible_benefit``, or ``death`` when
  the registry is a death registry), and a residence outside the agreement's province
  (``moved_out``). One statement inserts them all (set-based).
- At most one open proposal per enrollment and cause (database constraint). A proposal a
  reviewer dismissed is not raised again for the same finding (the same flag, or the same
  residence); a new finding is.
- A ministry reviewer accepts a proposal with a note of what was verified (the enrollment is
  suspended with its cause and that note, through ``suspend_enrollment``) or dismisses it with
  a reason; neither is possible without what the reviewer typed, and both are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pghistory
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment, SuspensionProposal
from enrollment.selectors import enrollments_for
from enrollment.services import _require_reviewer
from enrollment.suspensions import SUSPENDABLE, suspend_enrollment
from provinces.audit import prepare_bulk_audit

P = SuspensionProposal.Status

#: The registry kind whose same-person match means the worker died.
DEATH_REGISTRY_KIND = "death_registry"

_PROPOSE_SQL = """
    WITH found AS (
        SELECT f.enrollment_id, f.id AS flag_id, f.reasons AS detail,
               CASE WHEN f.kind = 'employment' THEN 'pay_above_aid'
                    WHEN r.kind = %(death_kind)s THEN 'death'
                    ELSE 'incompatible_benefit' END AS cause
          FROM screening_matchflag f
          LEFT JOIN screening_externalregistry r ON r.id = f.registry_id
         WHERE f.id = ANY(%(flag_ids)s::bigint[]) AND f.kind IN ('employment', 'registry')
        UNION ALL
        SELECT e.id, NULL, format(%(moved_text)s, wp.name, ap.name), 'moved_out'
          FROM enrollment_enrollment e
          JOIN enrollment_worker w ON w.id = e.worker_id
          JOIN provinces_cycle c ON c.id = e.cycle_id
          JOIN provinces_agreement a ON a.id = c.agreement_id
          JOIN provinces_province wp ON wp.id = w.province_id
          JOIN provinces_province ap ON ap.id = a.province_id
         WHERE e.id = ANY(%(ids)s::bigint[]) AND w.province_id <> a.province_id
    )
    INSERT INTO enrollment_suspensionproposal
           (enrollment_id, cause, month, detail, flag_id, status, created_at, decision_reason)
    SELECT DISTINCT ON (found.enrollment_id, found.cause)
           found.enrollment_id, found.cause, %(month)s, found.detail, found.flag_id, 'open', now(), ''
      FROM found
      JOIN enrollment_enrollment e ON e.id = found.enrollment_id
     WHERE e.status = ANY(%(states)s)
       AND NOT EXISTS (
            SELECT 1 FROM enrollment_suspensionproposal p
             WHERE p.enrollment_id = found.enrollment_id AND p.cause = found.cause
               AND (p.status = 'open'
                    OR (found.flag_id IS NOT NULL AND p.flag_id = found.flag_id)
                    OR (found.flag_id IS NULL AND p.detail = found.detail)))
     ORDER BY found.enrollment_id, found.cause, found.flag_id
    ON CONFLICT DO NOTHING
"""


def propose_suspensions(*, month: dt.date, enrollment_ids: Iterable[int], flag_ids: Iterable[int]) -> int:
    """Propose the suspensions this month's re-screening found (see the module's rules):
    ``flag_ids`` are the blocking flags in conflict in ``month``; ``enrollment_ids`` the
    enrollments re-screened (their residence is compared with the agreement's province).
    Returns how many proposals were created. Idempotent."""
    ids = sorted(set(enrollment_ids))
    flags = sorted(set(flag_ids))
    if not ids and not flags:
        return 0
    moved_text = _("Reside en %(residence)s y el convenio es de %(province)s.") % {
        "residence": "%1$s",
        "province": "%2$s",
    }
    params: dict[str, Any] = {
        "month": month.replace(day=1),
        "ids": ids,
        "flag_ids": flags,
        "death_kind": DEATH_REGISTRY_KIND,
        "moved_text": moved_text,
        "states": list(SUSPENDABLE),
    }
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        pghistory.context(reason="suspensión propuesta por el control mensual"),
    ):
        prepare_bulk_audit(cursor)
        cursor.execute(_PROPOSE_SQL, params)
        return cursor.rowcount


def proposals_for(user) -> QuerySet[SuspensionProposal]:
    """Proposals of the enrollments the user may see (the page is for ministry reviewers)."""
    return SuspensionProposal.objects.filter(enrollment__in=enrollments_for(user)).select_related(
        "enrollment__worker", "enrollment__cycle__agreement__province", "decided_by"
    )


def open_proposal_count(user) -> int:
    if not user.has_perm("enrollment.review_enrollment"):
        return 0
    return proposals_for(user).filter(status=P.OPEN, enrollment__status__in=SUSPENDABLE).count()


def _locked_open(proposal: SuspensionProposal) -> SuspensionProposal:
    locked = SuspensionProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != P.OPEN:
        raise ValidationError(_("Esta propuesta ya fue decidida."))
    return locked


@transaction.atomic
def accept_proposal(*, proposal: SuspensionProposal, by, note: str) -> Enrollment:
    """A reviewer accepts: the enrollment is suspended with the proposal's cause and the
    reviewer's ``note`` (what was verified), which is required — what the re-screening found
    is not a reviewer's check."""
    _require_reviewer(by)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Indique en la nota qué verificó antes de suspender.")})
    # The enrollment's row first, then the proposal's, as ``suspend_enrollment`` takes them (it
    # dismisses the enrollment's other open proposals): two proposals of one enrollment
    # accepted at once then wait for each other instead of deadlocking.
    enrollment = Enrollment.objects.select_for_update().get(pk=proposal.enrollment_id)
    locked = _locked_open(proposal)
    suspended = suspend_enrollment(enrollment=enrollment, by=by, cause=locked.cause, note=note, proposal=locked)
    proposal.refresh_from_db()
    return suspended


@transaction.atomic
def dismiss_proposal(*, proposal: SuspensionProposal, by, reason: str) -> SuspensionProposal:
    """A reviewer dismisses a proposal with a reason; the same finding is not proposed again."""
    _require_reviewer(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indique por qué se descarta la propuesta.")})
    locked = _locked_open(proposal)
    with pghistory.context(user=by.pk, reason=reason):
        locked.status = P.DISMISSED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    proposal.refresh_from_db()
    return locked
