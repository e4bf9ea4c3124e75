"""Identity reviews: registrations held for a ministry reviewer instead of touching a worker.

Rules:

* A known CUIL arriving with other names (compared folded) or another birth date is a *data
  conflict*, whoever sends it: the stored worker is not changed.
* A known CUIL arriving from a caller outside whose scope the worker is (registered by another
  organisation) is held as *registered by another organisation*: nothing of the worker is
  changed, and nothing of it is shown to the caller.
* One survey list carrying one CUIL for two different people holds every such row.
* The submitter sees what they sent and the item's state; only reviewers and auditors see the
  stored values beside it. Only a ministry reviewer decides, with a reason, once:
  "same person — keep the stored data" (the enrollment asked for is created with the stored
  identity), "same person — correct with the data sent" (names and birth date replaced, then the
  enrollment created), "another person — wrong CUIL" (refused; the submitter checks the CUIL).
  Bank data never changes through a decision.
"""

from __future__ import annotations

import datetime as dt

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.identity import normalise_name
from enrollment.models import Enrollment, IdentityReview, Worker
from enrollment.services import enroll_worker
from provinces.models import Cycle, Organisation
from provinces.scoping import scope_of

Kind = IdentityReview.Kind
Decision = IdentityReview.Decision

#: The worker's fields a review holds, in the order they are shown.
SUBMITTED_FIELDS = (
    "cuil",
    "last_name",
    "first_name",
    "birth_date",
    "sex",
    "nationality",
    "phone",
    "address",
    "province",
    "locality",
    "cbu",
    "renatre",
)
#: The fields whose disagreement with the stored worker makes a data conflict.
IDENTITY_FIELDS = ("last_name", "first_name", "birth_date")


def payload_of(values: dict) -> dict:
    """Cleaned worker values (``WorkerDataCleaner``) as the JSON a review stores: the model's
    field names, the province by id and dates in ISO form."""
    payload: dict = {}
    for field in SUBMITTED_FIELDS:
        if field not in values:
            continue
        value = values[field]
        if field == "province":
            value = getattr(value, "pk", value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        payload[field] = value
    return payload


def identity_differs(worker: Worker, values: dict) -> bool:
    """Whether the names (folded) or the birth date sent disagree with the stored ones."""
    if "last_name" in values and normalise_name(values["last_name"]) != worker.last_name_norm:
        return True
    if "first_name" in values and normalise_name(values["first_name"]) != worker.first_name_norm:
        return True
    return "birth_date" in values and values["birth_date"] != worker.birth_date


def identity_reviews_for(user) -> QuerySet[IdentityReview]:
    """Review items the user may see: every one for reviewers and auditors; for the others only
    those sent on behalf of an organisation they belong to (or by themselves)."""
    qs = IdentityReview.objects.select_related(
        "worker", "cycle", "organisation", "requested_by", "decided_by", "import_job"
    )
    if user is None or not user.is_authenticated:
        return qs.none()
    if user.has_perm("enrollment.view_identityreview"):
        return qs
    scope = scope_of(user)
    if scope.is_national:
        return qs.none()
    return qs.filter(Q(requested_by=user) | Q(organisation__memberships__user=user)).distinct()


def hold_for_review(
    *,
    kind: str,
    cuil: str,
    values: dict,
    worker: Worker | None,
    cycle: Cycle | None,
    organisation: Organisation,
    by,
    in_scope: bool,
) -> IdentityReview:
    """Record what ``by`` sent for ``cuil`` as an open review item, or answer the item already
    open for that CUIL, cycle and organisation (sending again makes no second item). A data
    conflict supersedes an open "other organisation" item for the same submission."""
    open_item = (
        IdentityReview.objects.select_for_update()
        .filter(
            cuil=cuil, cycle=cycle, organisation=organisation, state=IdentityReview.State.OPEN, import_job__isnull=True
        )
        .first()
    )
    with pghistory.context(user=by.pk, reason="registro retenido para revisión de identidad"):
        if open_item is not None:
            if open_item.kind != kind and kind == Kind.DATA_CONFLICT:
                open_item.kind = kind
                open_item.submitted = payload_of(values)
                open_item.save(update_fields=["kind", "submitted"])
            return open_item
        try:
            with transaction.atomic():
                return IdentityReview.objects.create(
                    kind=kind,
                    cuil=cuil,
                    worker=worker,
                    cycle=cycle,
                    organisation=organisation,
                    requested_by=by,
                    in_sender_scope=in_scope,
                    submitted=payload_of(values),
                )
        except IntegrityError:  # the same submission a moment ago, from another request
            return IdentityReview.objects.get(
                cuil=cuil, cycle=cycle, organisation=organisation, state=IdentityReview.State.OPEN, import_job=None
            )


def allowed_decisions(review: IdentityReview, worker: Worker | None) -> list[str]:
    """What a reviewer may decide on ``review``: keeping stored data needs a stored worker;
    correcting only makes sense when something differs (or nobody is stored yet)."""
    choices = [Decision.OTHER_PERSON]
    if worker is not None:
        choices.insert(0, Decision.KEEP_STORED)
    if review.kind != Kind.OTHER_ORGANISATION:
        choices.insert(len(choices) - 1, Decision.CORRECT)
    return choices


def _values_from_payload(payload: dict) -> dict:
    values = {field: payload[field] for field in SUBMITTED_FIELDS if field in payload}
    if "birth_date" in values:
        values["birth_date"] = dt.date.fromisoformat(values["birth_date"])
    if "province" in values:
        values["province_id"] = values.pop("province")
    for field in ("last_name", "first_name"):
        if field in values:
            values[f"{field}_norm"] = normalise_name(values[field])
    return values


@transaction.atomic
def decide_identity_review(*, review: IdentityReview, by, decision: str, reason: str) -> IdentityReview:
    """A ministry reviewer decides an open item, with a reason (see the module's rules).

    "Same person" decisions create the enrollment the submission asked for (when it named a
    cycle) for the submitting organisation, through ``enroll_worker`` on behalf of the person who
    sent it — so every registration rule (open cycle, age, residence, quota) still applies, and
    a refusal leaves the item open. The CBU and contact data are never written here."""
    if not by.has_perm("enrollment.decide_identityreview"):
        raise PermissionDenied(_("Solo revisores del Ministerio deciden revisiones de identidad."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indique el motivo de la decisión.")})
    locked = IdentityReview.objects.select_for_update().get(pk=review.pk)
    if locked.state != IdentityReview.State.OPEN:
        raise ValidationError(_("Esta revisión ya fue decidida."))
    worker = Worker.objects.select_for_update().filter(cuil=locked.cuil).first()
    if decision not in allowed_decisions(locked, worker):
        raise ValidationError({"decision": _("Esa decisión no corresponde a esta revisión.")})
    enrollment: Enrollment | None = None
    with pghistory.context(user=by.pk, reason=f"revisión de identidad: {Decision(decision).label} — {reason}"):
        if decision == Decision.CORRECT:
            worker = _correct_identity(review=locked, worker=worker)
        if decision in (Decision.KEEP_STORED, Decision.CORRECT) and locked.cycle_id is not None:
            assert worker is not None
            enrollment = _enroll_for_submitter(review=locked, worker=worker)
        locked.state = IdentityReview.State.DECIDED
        locked.decision = decision
        locked.decision_reason = reason
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.worker = worker if decision != Decision.OTHER_PERSON else locked.worker
        locked.enrollment = enrollment
        locked.save()
    review.refresh_from_db()
    return locked


def _correct_identity(*, review: IdentityReview, worker: Worker | None) -> Worker:
    values = _values_from_payload(review.submitted)
    if worker is None:  # two people with one CUIL in a list, none stored yet: this row's person
        try:
            with transaction.atomic():
                return Worker.objects.create(registered_by=review.organisation, **values)
        except IntegrityError as error:
            raise ValidationError(_("Ya hay un trabajador/a con ese CUIL: vuelva a abrir la revisión.")) from error
    identity = {f: values[f] for f in ("last_name", "first_name", "last_name_norm", "first_name_norm", "birth_date")}
    for field, value in identity.items():
        setattr(worker, field, value)
    worker.save(update_fields=[*identity, "updated_at"])
    return worker


def _enroll_for_submitter(*, review: IdentityReview, worker: Worker) -> Enrollment | None:
    if Enrollment.objects.filter(worker=worker, cycle_id=review.cycle_id).exists():
        existing = Enrollment.objects.get(worker=worker, cycle_id=review.cycle_id)
        if existing.organisation_id == review.organisation_id:
            return existing
    try:
        return enroll_worker(
            by=review.requested_by, worker=worker, cycle=review.cycle, organisation=review.organisation
        )
    except PermissionDenied as denied:
        raise ValidationError(
            _("Quien la envió ya no puede inscribir en ese período: %(reason)s") % {"reason": denied}
        ) from denied


def sender_message(review: IdentityReview) -> str:
    """What the sender is told about their submission: the reason as their scope allows, the
    state, and what to do — never a stored value."""
    if review.state == IdentityReview.State.OPEN:
        return _(
            "CUIL %(cuil)s: %(reason)s. No se modificó ningún dato registrado; un/a revisor/a del Ministerio decidirá."
        ) % {"cuil": review.cuil_display, "reason": review.sender_reason}
    if review.decision == Decision.OTHER_PERSON:
        return _("CUIL %(cuil)s: %(decision)s. Revise el CUIL con la persona y vuelva a enviar.") % {
            "cuil": review.cuil_display,
            "decision": review.get_decision_display(),
        }
    return _("CUIL %(cuil)s: %(decision)s.") % {"cuil": review.cuil_display, "decision": review.get_decision_display()}


def open_review_count(user) -> int:
    """Open items in the user's view (the reviewer's queue badge)."""
    return identity_reviews_for(user).filter(state=IdentityReview.State.OPEN).count()
