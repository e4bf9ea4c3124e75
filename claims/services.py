"""Writes of claims: filing, taking for review, upholding and denying.

Rules:
- A worker files her own claims from the public status page (``by=None``, after proving her
  CUIL and birth date); provincial and union officers file on behalf of workers and
  enrollments within their scope. What a claim contests must belong to that worker and be in a
  state the claim makes sense for (a rejected enrollment, an open match flag, a held
  installment or suspended enrollment, an installment for payment claims).
- A claim is due ``CLAIM_DUE_BUSINESS_DAYS`` business days after it is filed (national holidays
  skipped). One open claim per worker, subject and contested record (database constraint).
- ``received → in_review → upheld | denied``; taking and deciding need ``claims.decide_claim``
  (ministry reviewers and payments officers); a decision needs a reason.
- An upheld claim acts only through the services that own the record: it re-opens a rejected
  enrollment (``reopen_enrollment``), resolves a flag as not the same person (``resolve_flag``),
  releases a held installment (``release_hold``), re-issues a bank-rejected one
  (``reissue_installment``), lifts a suspension (``reinstate_enrollment``, with the months
  that passed under it stated as owed) or, for a wrong amount, schedules the difference to the
  rate in force for the month (``pay_difference``). Each checks its own permission: a reviewer
  re-opens, resolves flags and reinstates, a payments officer releases, re-issues and pays
  differences. If the effect is refused, the claim stays in review (one transaction).
- Every write runs inside ``pghistory.context`` with who and why; deciding queues the worker's
  "claim resolved" message in the outbox in the same transaction (``notifications``).
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claim
from enrollment.models import Enrollment, Worker
from enrollment.screening.models import MatchFlag
from enrollment.screening.services import resolve_flag
from enrollment.selectors import enrollments_for, workers_for
from enrollment.services import registering_organisation, reopen_enrollment
from enrollment.suspensions import months_passed_under, reinstate_enrollment
from notifications.services import notify_claim_resolved
from notifications.texts import money as _money
from payments.differences import pay_difference
from payments.installments import reissue_installment, release_hold
from payments.models import Installment
from provinces.calendar import add_business_days
from provinces.models import Organisation
from provinces.roles import Role
from provinces.scoping import scope_of

S = Claim.Subject
MAX_DESCRIPTION = 2000


def _check_target(
    *, worker: Worker, subject: str, enrollment: Enrollment | None, flag: MatchFlag | None, installment
) -> None:
    if enrollment is not None and enrollment.worker_id != worker.pk:
        raise ValidationError({"enrollment": _("La inscripción no es de esta persona.")})
    if flag is not None and flag.enrollment.worker_id != worker.pk:
        raise ValidationError({"flag": _("La alerta no es de esta persona.")})
    if installment is not None and installment.worker_id != worker.pk:
        raise ValidationError({"installment": _("La cuota no es de esta persona.")})
    if subject == S.REJECTION and (enrollment is None or enrollment.status != Enrollment.Status.REJECTED):
        raise ValidationError({"enrollment": _("Indique la inscripción rechazada que reclama.")})
    if subject == S.FLAG and (
        flag is None
        or flag.status != MatchFlag.Status.OPEN
        or flag.kind not in (MatchFlag.Kind.PROGRAMME, MatchFlag.Kind.REGISTRY)
    ):
        raise ValidationError({"flag": _("Indique la alerta sin resolver que reclama.")})
    if subject == S.HOLD and not (
        (installment is not None and installment.status == Installment.Status.HELD)
        or (enrollment is not None and enrollment.status == Enrollment.Status.SUSPENDED)
    ):
        raise ValidationError({"installment": _("Indique la cuota retenida o la inscripción suspendida.")})
    if subject in (S.NOT_RECEIVED, S.WRONG_AMOUNT) and (
        installment is None or installment.status == Installment.Status.CANCELLED
    ):
        raise ValidationError({"installment": _("Indique la cuota que reclama.")})


def _filer(by) -> tuple[str, Organisation]:
    scope = scope_of(by)
    if not scope.has_role(Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER) or not by.has_perm("claims.add_claim"):
        raise PermissionDenied(_("Solo oficiales provinciales y de sindicatos presentan reclamos por otra persona."))
    organisation = registering_organisation(by)
    union = organisation.kind in (Organisation.Kind.UNION, Organisation.Kind.PRODUCERS_ASSOCIATION)
    return (Claim.FiledBy.UNION if union else Claim.FiledBy.OFFICER), organisation


@transaction.atomic
def file_claim(
    *,
    by,
    worker: Worker,
    subject: str,
    description: str,
    enrollment: Enrollment | None = None,
    flag: MatchFlag | None = None,
    installment: Installment | None = None,
    channel: str | None = None,
) -> Claim:
    """File a claim (see the module's rules). ``by=None`` is the worker herself on the public
    page. Filing the same open claim again returns the one already filed."""
    if subject not in S.values:
        raise ValidationError({"subject": _("Elija qué reclama.")})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Cuente brevemente qué reclama.")})
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError({"description": _("Use como máximo %(n)s caracteres.") % {"n": MAX_DESCRIPTION}})
    if flag is not None and enrollment is None:
        enrollment = flag.enrollment
    if installment is not None and enrollment is None:
        enrollment = installment.enrollment
    kind: str
    organisation: Organisation | None
    if by is None:
        kind, organisation, channel = Claim.FiledBy.WORKER, None, Claim.Channel.SELF_SERVICE
    else:
        kind, organisation = _filer(by)
        channel = channel or Claim.Channel.OFFICE
        if not workers_for(by).filter(pk=worker.pk).exists():
            raise PermissionDenied(_("No puede presentar reclamos por esta persona."))
        if enrollment is not None and not enrollments_for(by).filter(pk=enrollment.pk).exists():
            raise PermissionDenied(_("No puede presentar reclamos sobre esta inscripción."))
    _check_target(worker=worker, subject=subject, enrollment=enrollment, flag=flag, installment=installment)
    existing = Claim.objects.filter(
        worker=worker,
        subject=subject,
        enrollment=enrollment,
        flag=flag,
        installment=installment,
        status__in=Claim.OPEN_STATES,
    ).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    with pghistory.context(user=getattr(by, "pk", None), reason="reclamo presentado"):
        try:
            with transaction.atomic():
                return Claim.objects.create(
                    worker=worker,
                    subject=subject,
                    enrollment=enrollment,
                    flag=flag,
                    installment=installment,
                    filed_by_kind=kind,
                    channel=channel,
                    organisation=organisation,
                    filed_by=by,
                    description=description,
                    due_on=add_business_days(today, settings.CLAIM_DUE_BUSINESS_DAYS),
                )
        except IntegrityError as error:  # the same claim filed a moment ago
            raise ValidationError(_("Este reclamo se acaba de presentar.")) from error


def _require_decider(by) -> None:
    if not (by is not None and by.is_authenticated and by.has_perm("claims.decide_claim")):
        raise PermissionDenied(_("Solo el Ministerio revisa y resuelve reclamos."))


def _locked(claim: Claim, *, expected: str) -> Claim:
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if locked.status != expected:
        raise ValidationError(
            _("El reclamo está «%(status)s»: no se puede hacer eso.") % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def take_claim(*, claim: Claim, by) -> Claim:
    """A ministry reviewer or payments officer takes a received claim for review."""
    _require_decider(by)
    locked = _locked(claim, expected=Claim.Status.RECEIVED)
    with pghistory.context(user=by.pk, reason="reclamo en revisión"):
        locked.status = Claim.Status.IN_REVIEW
        locked.taken_by = by
        locked.taken_at = timezone.now()
        locked.save(update_fields=["status", "taken_by", "taken_at"])
    claim.refresh_from_db()
    return locked


def _apply_effect(claim: Claim, *, by, resolution: str) -> str:
    """What upholding does, through the service that owns the record. Returns it in words."""
    reason = _("Reclamo %(id)s aceptado: %(resolution)s") % {"id": claim.pk, "resolution": resolution}
    if claim.subject == S.REJECTION and claim.enrollment is not None:
        reopen_enrollment(enrollment=claim.enrollment, by=by, reason=reason)
        return _("Inscripción reabierta para revisión.")
    if claim.subject == S.FLAG and claim.flag is not None:
        resolve_flag(flag=claim.flag, by=by, same_person=False, note=reason)
        return _("Alerta resuelta: no es la misma persona.")
    installment = claim.installment
    if claim.subject in (S.HOLD, S.NOT_RECEIVED) and installment is not None:
        installment.refresh_from_db()
        if installment.status == Installment.Status.HELD:
            release_hold(installment=installment, by=by, reason=reason)
            return _("Cuota liberada: entra en el próximo lote de pago.")
        if installment.status == Installment.Status.REJECTED:
            reissue_installment(installment=installment, by=by)
            return _("Cuota reemitida: entra en el próximo lote de pago.")
    if claim.subject == S.WRONG_AMOUNT and installment is not None:
        difference = pay_difference(installment=installment, by=by, reason=reason)
        return _("Diferencia de %(amount)s programada: entra en el próximo lote de pago.") % {
            "amount": _money(difference.amount)
        }
    if claim.subject == S.HOLD and claim.enrollment is not None:
        enrollment = claim.enrollment
        enrollment.refresh_from_db()
        if enrollment.status == Enrollment.Status.SUSPENDED:
            # Upholding the claim says the suspension should not have been: the months that
            # passed under it are owed, for the reason the reviewer gives.
            reinstate_enrollment(
                enrollment=enrollment,
                by=by,
                reason=reason,
                owed_months=months_passed_under(enrollment),
                owed_reason=reason,
            )
            return _("Inscripción rehabilitada: se pagan los meses adeudados y los que faltan del período.")
    if claim.subject == S.HOLD:
        raise ValidationError(_("No hay cuota retenida ni inscripción suspendida que corregir."))
    if claim.subject == S.NOT_RECEIVED:
        raise ValidationError(
            _("La cuota está «%(status)s»: no hay retención ni rechazo del banco que corregir.")
            % {"status": installment.get_status_display() if installment else "—"}
        )
    # Data are corrected by the office that registered the worker (or, for names and birth date,
    # through an identity review): upholding records the decision for them to act on.
    return _("Sin efecto automático: la corrección la hace el área responsable.")


@transaction.atomic
def uphold_claim(*, claim: Claim, by, resolution: str) -> Claim:
    """Uphold a claim in review with a reason; its effect runs through the owning service."""
    _require_decider(by)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("Indique el motivo de la decisión.")})
    locked = _locked(claim, expected=Claim.Status.IN_REVIEW)
    effect = _apply_effect(locked, by=by, resolution=resolution)
    return _decide(locked, by=by, status=Claim.Status.UPHELD, resolution=resolution, effect=effect, claim=claim)


@transaction.atomic
def deny_claim(*, claim: Claim, by, resolution: str) -> Claim:
    """Deny a claim in review; the worker is told why, so a reason is required."""
    _require_decider(by)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("Indique el motivo de la decisión.")})
    locked = _locked(claim, expected=Claim.Status.IN_REVIEW)
    return _decide(locked, by=by, status=Claim.Status.DENIED, resolution=resolution, effect="", claim=claim)


def _decide(locked: Claim, *, by, status: str, resolution: str, effect: str, claim: Claim) -> Claim:
    with pghistory.context(user=by.pk, reason=f"reclamo {Claim.Status(status).label.lower()}"):
        locked.status = status
        locked.resolution = resolution
        locked.effect = effect
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "resolution", "effect", "decided_by", "decided_at"])
    notify_claim_resolved(claim=locked)
    claim.refresh_from_db()
    return locked
