"""Two checks of a worker's history that screening raises as flags of their own, and how a
reviewer accepts the first.

Rules:

- **Eligibility fails closed.** Without SIPA data before a period's first month the work
  history cannot be judged, so every enrollment of that period gets a *no SIPA data* flag at
  the blocking level: it is not approved until a ministry reviewer accepts the history seen by
  other means (pay slips, the RENATRE record), with a note, or until SIPA data arrives and a new
  screening clears the flag. An accepted flag stays accepted; it never reopens.
- **Re-entry.** A worker whose previous inter-harvest period (any province, not rejected or
  withdrawn) started fewer than ``ScreeningRules.min_months_since_previous`` months (10) before
  this period's start gets a *re-entry* flag at the blocking level, listing that period: the
  reviewer sees it on its own and rejects, or the flag clears if the earlier enrollment is
  withdrawn or rejected. It is a programme rule, not a match: it is not resolved as one.
"""

from __future__ import annotations

import datetime as dt

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Enrollment
from enrollment.screening.models import MatchFlag

#: match keys: one flag of each kind per enrollment
NO_SIPA_KEY = "sipa:none"
REENTRY_KEY = "reentry"


def no_sipa_reason(first_month: dt.date) -> str:
    return _(
        "No hay datos SIPA anteriores a %(month)s: la historia laboral no se pudo evaluar. Un revisor"
        " la acepta (con recibos, el registro de RENATRE u otra constancia) o se espera a que lleguen los datos."
    ) % {"month": f"{first_month:%m/%Y}"}


def reentry_reason(*, gap: int, previous: dt.date, minimum: int) -> str:
    text = _("solo %(gap)s meses desde el inicio de su período anterior (%(previous)s); se requieren %(min)s") % {
        "gap": gap,
        "previous": f"{previous:%m/%Y}",
        "min": minimum,
    }
    return text[:1].upper() + text[1:] + "."


def previous_period_starts(cursor, first_month: dt.date) -> list[tuple[int, dt.date]]:
    """For each candidate (``screen_cand`` ref) whose period starts in ``first_month``, the first
    month of the worker's latest earlier period in the programme (enrollments not rejected or
    withdrawn), one query."""
    cursor.execute(
        """
        SELECT c.ref, MAX(pc.first_month)
          FROM screen_cand c
          JOIN enrollment_enrollment pe ON pe.worker_id = c.worker_id AND pe.id <> c.ref
          JOIN provinces_cycle pc ON pc.id = pe.cycle_id
         WHERE c.month_from = %s AND pe.status <> ALL(%s) AND pc.first_month < %s
         GROUP BY c.ref
        """,
        [first_month, [str(s) for s in Enrollment.RELEASED_STATES], first_month],
    )
    return cursor.fetchall()


@transaction.atomic
def accept_unverified_history(*, flag: MatchFlag, by, note: str) -> MatchFlag:
    """A ministry reviewer accepts an enrollment's work history without SIPA data, saying how it
    was checked. Only an open *no SIPA data* flag is accepted; the note is required and audited.
    The flag stops blocking approval."""
    if by is None or not by.has_perm("screening.resolve_matchflag"):
        raise PermissionDenied(_("Solo revisores del Ministerio resuelven alertas."))
    if not (note or "").strip():
        raise ValidationError({"note": _("Escriba una nota que explique la decisión.")})
    locked = MatchFlag.objects.select_for_update().get(pk=flag.pk)
    if locked.kind != MatchFlag.Kind.NO_SIPA:
        raise ValidationError(_("Solo se acepta así una alerta por falta de datos SIPA."))
    if locked.status != MatchFlag.Status.OPEN:
        raise ValidationError(_("Esta alerta ya fue resuelta (%(status)s).") % {"status": locked.get_status_display()})
    with pghistory.context(user=by.pk, reason="historia laboral aceptada sin datos SIPA"):
        locked.status = MatchFlag.Status.ACCEPTED
        locked.note = note.strip()
        locked.resolved_by = by
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
    flag.refresh_from_db()
    return locked
