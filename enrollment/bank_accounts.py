"""Bank data is money: changes of a worker's CBU, and CBUs on file for more than one worker.

Rules:

- Only a brand-new worker's first registration writes a CBU directly. Any later change of a
  known worker's CBU (setting one where there was none included) is a :class:`CbuChangeRequest`
  made with :func:`request_cbu_change`, with a reason and, when there is one, a note of the
  evidence shown (bank certificate, ...).
- Who asks: a provincial or union officer who may see the worker, or a ministry reviewer. The
  caller's scope is checked on the *existing* worker exactly as reads do: a worker outside it
  answers the same not-found error as an unknown one (``Http404``).
- One pending request per worker (unique index on pending rows).
- While it is pending, the worker's unpaid installments are held with the reason
  :data:`HOLD_PENDING_CHANGE` and taken out of every batch whose bank file was not requested
  yet (the payments app does this through ``enrollment.seams.cbu_change_requested``, in the
  same transaction). A batch already sent to the bank is the bank's return's business.
- Who decides: a payments officer or a ministry reviewer who is not the requester (the
  database refuses ``decided_by = requested_by`` as well) and who verified a second factor.
  Approval writes the new CBU on the worker, under the worker's row lock, in the same
  transaction; approval and rejection both release the holds the request caused. The
  requester (or a reviewer) may cancel a pending request, which also releases them.
- A CBU on file for more than one worker is *shared* ("CBU compartido"): the registering
  officer is warned, reviewers see it in the queue, and batch building holds every line of
  those workers with :data:`HOLD_SHARED_CBU` until a reviewer confirms they are distinct
  holders (:func:`confirm_distinct_holders`, which covers exactly the workers holding it then)
  or the CBU is changed.

Every write runs inside ``pghistory.context`` with who and why, so the audit trail of the
request (and of the worker's ``cbu``) says it.
"""

from __future__ import annotations

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from stdnum.ar import cbu as cbu_number

from enrollment import seams
from enrollment.models import CbuChangeRequest, SharedCbuReview, Worker
from enrollment.selectors import workers_for
from provinces.roles import Role
from provinces.scoping import scope_of
from provinces.twofactor import require_verified

#: Hold reasons, stored in Spanish (the source language) so that releasing can find them;
#: pages show them through gettext.
HOLD_PENDING_CHANGE = gettext_noop("Cambio de CBU pendiente de aprobación")
HOLD_SHARED_CBU = gettext_noop("CBU compartido con otro/a trabajador/a")

REQUESTER_ROLES = (Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER, Role.MINISTRY_REVIEWER)
DECIDER_ROLES = (Role.PAYMENTS_OFFICER, Role.MINISTRY_REVIEWER)

Status = CbuChangeRequest.Status


def mask_cbu(cbu: str) -> str:
    """What lists show of a CBU: its last four digits."""
    return f"•••• {cbu[-4:]}" if cbu else ""


def clean_cbu(value: str) -> str:
    """The CBU as 22 digits, or ValidationError (python-stdnum checks both check digits)."""
    try:
        return cbu_number.validate(value or "")
    except cbu_number.ValidationError as error:
        raise ValidationError(
            {"cbu": _("El CBU %(cbu)s no es válido (22 dígitos con sus dígitos verificadores).") % {"cbu": value}}
        ) from error


def _visible_worker(*, by, worker_id: int, lock: bool = False) -> Worker:
    """The worker if ``by`` may see it, else the same 404 as an unknown worker."""
    qs = workers_for(by)
    if lock:
        qs = qs.select_for_update(of=("self",))
    found = qs.filter(pk=worker_id).first()
    if found is None:
        raise Http404(_("No existe ese/a trabajador/a."))
    return found


def may_request(user) -> bool:
    """Whether the user's role may ask for CBU changes (scope is checked on the worker)."""
    return scope_of(user).has_role(*REQUESTER_ROLES)


def may_decide(user, change: CbuChangeRequest | None = None) -> bool:
    """Whether ``user`` may approve or reject ``change`` (role, four eyes, second factor)."""
    from provinces.twofactor import is_verified

    if not scope_of(user).has_role(*DECIDER_ROLES) or not is_verified(user):
        return False
    return change is None or change.requested_by_id != user.pk


def why_cannot_decide(user, change: CbuChangeRequest) -> str:
    """Why ``user`` is not offered approve/reject on ``change`` ("" when they are)."""
    from provinces.twofactor import is_verified

    if not scope_of(user).has_role(*DECIDER_ROLES):
        return _("Deciden los cambios de CBU los oficiales de pagos y los revisores del Ministerio.")
    if change.requested_by_id == user.pk:
        return _("Usted pidió este cambio: lo aprueba o rechaza otra persona.")
    if not is_verified(user):
        return _("Para decidir un cambio de CBU verifique su segundo factor (código de la aplicación).")
    return ""


def workers_sharing_cbu(*, cbu: str, exclude_worker_id: int | None = None) -> QuerySet[Worker]:
    """Every worker (any scope) with ``cbu`` on file, but ``exclude_worker_id``."""
    qs = Worker.objects.filter(cbu=cbu) if cbu else Worker.objects.none()
    if exclude_worker_id is not None:
        qs = qs.exclude(pk=exclude_worker_id)
    return qs


def shared_cbu_warning(*, cbu: str, worker: Worker | None = None) -> str:
    """The warning a registering officer sees when ``cbu`` is on file for another worker (""
    otherwise). It names nobody: the other worker may be outside the officer's scope."""
    if not cbu or not workers_sharing_cbu(cbu=cbu, exclude_worker_id=getattr(worker, "pk", None)).exists():
        return ""
    return _(
        "CBU compartido: ese CBU ya figura para otro/a trabajador/a. Un/a revisor/a del Ministerio lo "
        "verificará y las cuotas quedan retenidas hasta entonces."
    )


@transaction.atomic
def request_cbu_change(*, worker: Worker, cbu: str, by, reason: str, evidence: str = "") -> CbuChangeRequest:
    """Ask to change ``worker``'s CBU to ``cbu`` (see the module's rules).

    Raises Http404 for a worker the caller may not see, PermissionDenied for a role that may
    not ask, ValidationError for an invalid or unchanged CBU, a missing reason or a request
    already pending.
    """
    locked = _visible_worker(by=by, worker_id=worker.pk, lock=True)
    if not may_request(by):
        raise PermissionDenied(_("Piden cambios de CBU los oficiales provinciales y de sindicatos, y los revisores."))
    reason, evidence = (reason or "").strip(), (evidence or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("Indique el motivo del cambio.")]
    try:
        new_cbu = clean_cbu(cbu)
    except ValidationError as error:
        errors.update(error.message_dict)
        new_cbu = ""
    if new_cbu and new_cbu == locked.cbu:
        errors["cbu"] = [_("Ese es el CBU que ya tiene registrado.")]
    if errors:
        raise ValidationError(errors)
    if CbuChangeRequest.objects.filter(worker=locked, status=Status.PENDING).exists():
        raise ValidationError(
            {"cbu": [_("Ya hay un cambio de CBU pendiente para este/a trabajador/a: espere su decisión.")]}
        )
    with pghistory.context(user=by.pk, reason=f"pedido de cambio de CBU: {reason}"):
        try:
            with transaction.atomic():
                change = CbuChangeRequest.objects.create(
                    worker=locked,
                    old_cbu=locked.cbu,
                    new_cbu=new_cbu,
                    reason=reason,
                    evidence=evidence,
                    requested_by=by,
                )
        except IntegrityError as error:  # another request for the worker a moment ago
            raise ValidationError(
                {"cbu": [_("Ya hay un cambio de CBU pendiente para este/a trabajador/a: espere su decisión.")]}
            ) from error
        seams.cbu_change_requested.run(change=change, by=by)
    return change


def _lock_pending(*, change: CbuChangeRequest, by) -> tuple[Worker, CbuChangeRequest]:
    """Worker row, then request row, locked (the order request_cbu_change takes)."""
    worker = _visible_worker(by=by, worker_id=change.worker_id, lock=True)
    locked = CbuChangeRequest.objects.select_for_update().get(pk=change.pk)
    if locked.status != Status.PENDING:
        raise ValidationError(
            _("Este cambio de CBU ya fue decidido (%(status)s).") % {"status": locked.get_status_display()}
        )
    return worker, locked


def _require_decider(*, by, change: CbuChangeRequest) -> None:
    if not scope_of(by).has_role(*DECIDER_ROLES):
        raise PermissionDenied(_("Deciden los cambios de CBU los oficiales de pagos y los revisores del Ministerio."))
    if change.requested_by_id == by.pk:
        raise PermissionDenied(_("Usted pidió este cambio: lo aprueba o rechaza otra persona."))
    require_verified(by)


def _decide(change: CbuChangeRequest, *, by, status: str, note: str) -> None:
    change.status = status
    change.decided_by = by
    change.decided_at = timezone.now()
    change.decision_note = note
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


@transaction.atomic
def approve_cbu_change(*, change: CbuChangeRequest, by, note: str = "") -> CbuChangeRequest:
    """A second person (payments officer or reviewer, not the requester, second factor
    verified) approves: the worker's CBU becomes the new one, in this transaction, and the holds
    the request caused are released."""
    worker, locked = _lock_pending(change=change, by=by)
    _require_decider(by=by, change=locked)
    note = (note or "").strip()
    if worker.cbu != locked.old_cbu:
        raise ValidationError(_("El CBU del/de la trabajador/a cambió desde el pedido: rechácelo y pida otro."))
    with pghistory.context(user=by.pk, reason=f"cambio de CBU aprobado: {note or locked.reason}"):
        _decide(locked, by=by, status=Status.APPROVED, note=note)
        worker.cbu = locked.new_cbu
        worker.save(update_fields=["cbu", "updated_at"])
        seams.cbu_change_decided.run(change=locked, by=by)
    change.refresh_from_db()
    return locked


@transaction.atomic
def reject_cbu_change(*, change: CbuChangeRequest, by, note: str) -> CbuChangeRequest:
    """A second person rejects, with a reason: the CBU stays as it was and the holds the
    request caused are released."""
    _worker, locked = _lock_pending(change=change, by=by)
    _require_decider(by=by, change=locked)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Indique por qué se rechaza el cambio.")]})
    with pghistory.context(user=by.pk, reason=f"cambio de CBU rechazado: {note}"):
        _decide(locked, by=by, status=Status.REJECTED, note=note)
        seams.cbu_change_decided.run(change=locked, by=by)
    change.refresh_from_db()
    return locked


@transaction.atomic
def cancel_cbu_change(*, change: CbuChangeRequest, by, note: str) -> CbuChangeRequest:
    """The requester (or a ministry reviewer) withdraws a pending request, with a reason; the
    CBU stays and the holds are released."""
    _worker, locked = _lock_pending(change=change, by=by)
    if locked.requested_by_id != by.pk and not scope_of(by).has_role(Role.MINISTRY_REVIEWER):
        raise PermissionDenied(_("Cancela un pedido quien lo hizo o un/a revisor/a del Ministerio."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Indique por qué se cancela el pedido.")]})
    with pghistory.context(user=by.pk, reason=f"cambio de CBU cancelado: {note}"):
        _decide(locked, by=by, status=Status.CANCELLED, note=note)
        seams.cbu_change_decided.run(change=locked, by=by)
    change.refresh_from_db()
    return locked


# --------------------------------------------------------------------------- shared CBUs

#: The CBUs on file for more than one worker that no reviewer's decision covers, with their
#: workers: one statement (the batch build and the reviewers' queue read it).
UNRESOLVED_SHARED_CBUS_SQL = """
    SELECT s.cbu, s.worker_ids
      FROM (SELECT w.cbu, array_agg(w.id ORDER BY w.id) AS worker_ids
              FROM enrollment_worker w
             WHERE w.cbu <> ''
             GROUP BY w.cbu
            HAVING count(*) > 1) s
     WHERE NOT EXISTS (SELECT 1 FROM enrollment_sharedcbureview r
                        WHERE r.cbu = s.cbu AND r.worker_ids @> s.worker_ids)
"""


def unresolved_shared_cbus() -> list[tuple[str, list[int]]]:
    """(CBU, worker ids) of every shared CBU still waiting for a reviewer."""
    with connection.cursor() as cursor:
        cursor.execute(UNRESOLVED_SHARED_CBUS_SQL + " ORDER BY s.cbu")
        return [(cbu, list(ids)) for cbu, ids in cursor.fetchall()]


@transaction.atomic
def confirm_distinct_holders(*, cbu: str, by, note: str) -> SharedCbuReview:
    """A ministry reviewer (second factor verified) confirms that the workers now holding
    ``cbu`` are distinct holders of one account; their lines are paid again from the next
    batch. The decision covers exactly those workers: another one with the same CBU later is
    flagged again."""
    if not scope_of(by).has_role(Role.MINISTRY_REVIEWER):
        raise PermissionDenied(_("Resuelven los CBU compartidos los revisores del Ministerio."))
    require_verified(by)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Indique qué se verificó (por ejemplo, titulares distintos confirmados).")]})
    ids = list(Worker.objects.select_for_update().filter(cbu=cbu).order_by("pk").values_list("pk", flat=True))
    if len(ids) < 2:
        raise Http404(_("Ese CBU no está compartido."))
    with pghistory.context(user=by.pk, reason=f"CBU compartido: {note}"):
        review, _created = SharedCbuReview.objects.update_or_create(
            cbu=cbu, defaults={"worker_ids": ids, "note": note, "decided_by": by, "decided_at": timezone.now()}
        )
        seams.shared_cbu_resolved.run(worker_ids=ids, by=by)
    return review
