"""Registering workers (form, API): new people are created, known ones are never taken over.

Rules, for every path that registers a worker:

* Only provincial and union officers register, and only residents of the provinces they act in.
* A new CUIL creates the worker for the caller's organisation.
* A known CUIL is checked against the caller's scope on the **stored** worker
  (``enrollment.selectors.workers_for``). Outside it nothing of the worker is changed or shown:
  the submission is held as an identity review ("inscripto/a por otra organización"), and it
  is validated as strictly as a new registration, so an unknown and an out-of-scope CUIL read
  the same way.
* A known CUIL with other names (compared folded) or another birth date is a data conflict for
  a reviewer, in or out of scope — never an overwrite.
* Inside the scope, with the same identity, only contact and residence data change: phone,
  address, locality, province (to one the caller also registers in), and a RENATRE number where
  none is stored. A value sent empty never erases a stored one. Names, birth date, sex and
  nationality stay; the CBU is never written by registration: a different one sent becomes a
  change request for a second person (``enrollment.bank_accounts.request_cbu_change``, reason
  "informado en el registro"), unless that very change is already pending.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from enrollment.bank_accounts import request_cbu_change
from enrollment.identity_reviews import hold_for_review, identity_differs
from enrollment.models import CbuChangeRequest, Enrollment, IdentityReview, Worker
from enrollment.selectors import workers_for
from enrollment.services import (
    MIN_AGE,
    age_message,
    age_on,
    can_register_in,
    can_register_residents_of,
    enroll_worker,
    registering_organisation,
)
from enrollment.validation import WorkerDataCleaner, parse_date
from provinces.models import Cycle, Organisation

#: Fields an in-scope caller may change on a known worker with the same identity.
CONTACT_FIELDS = ("phone", "address", "locality", "province")
#: Fields written on a known worker only where nothing is stored yet.
FILL_ONLY_FIELDS = ("renatre",)
#: The reason of a CBU change asked for by sending another CBU in a registration.
CBU_CHANGE_REASON = "informado en el registro"


@dataclass
class Registration:
    """What a registration did: the worker created or updated (in the caller's scope), or the
    review item holding the submission; the enrollment when one was asked for and made."""

    worker: Worker | None = None
    review: IdentityReview | None = None
    enrollment: Enrollment | None = None
    created: bool = False
    changed: list[str] = field(default_factory=list)
    cbu_change: CbuChangeRequest | None = None

    @property
    def held(self) -> bool:
        return self.review is not None


@transaction.atomic
def register_worker(
    *, by, data: dict, organisation: Organisation | None = None, cycle: Cycle | None = None
) -> Registration:
    """Create the worker with ``data["cuil"]``, update a known one in the caller's scope, or
    hold the submission for an identity review (see the module's rules).

    ``data`` uses the model's field names (``cuil``, ``last_name``, ``first_name``,
    ``birth_date``, ``sex``, ``nationality``, ``phone``, ``address``, ``province`` — a Province,
    its name, ISO or INDEC code —, ``locality``, ``cbu``, ``renatre``). Rules of the data: the
    CUIL's check digit is valid (the DNI is derived from it by the database); the birth date
    exists, is not in the future and is plausible; the CBU, when given, is valid; nationality is
    recorded and never a reason to reject. ``cycle`` is recorded on a review item (the
    enrollment the submission asks for).

    Raises ValidationError with a dict of Spanish messages keyed by field.
    """
    organisation = registering_organisation(by, organisation)
    cleaner = WorkerDataCleaner()
    cuil_values, cuil_errors = cleaner.clean({"cuil": data.get("cuil")}, partial=True)
    if "cuil" in cuil_errors or "cuil" not in cuil_values:
        # Every other problem is told at once too, checked as for a new person (nothing stored
        # is read without a valid CUIL).
        _values, errors = cleaner.clean(data)
        errors["cuil"] = cuil_errors.get("cuil") or [_("Este dato es obligatorio.")]
        raise ValidationError(errors)
    cuil = cuil_values["cuil"]
    existing = Worker.objects.select_for_update().filter(cuil=cuil).first()
    in_scope = existing is not None and workers_for(by).filter(pk=existing.pk).exists()
    # Out of scope a known CUIL is checked like an unknown one: the answer must not tell them apart.
    values, errors = cleaner.clean(data, partial=in_scope)
    if errors:
        raise ValidationError(errors)
    province = values.get("province")
    if province is not None and not can_register_residents_of(by, province):
        raise PermissionDenied(
            _("No puede registrar trabajadores/as que residen en %(province)s.") % {"province": province.name}
        )
    if existing is None:
        with pghistory.context(user=by.pk, reason="registro de trabajador/a"):
            try:
                with transaction.atomic():
                    worker = Worker.objects.create(registered_by=organisation, **values)
            except IntegrityError as error:  # someone registered the same CUIL a moment ago
                raise ValidationError(
                    {"cuil": _("El CUIL %(cuil)s se acaba de registrar; vuelva a enviar.") % {"cuil": cuil}}
                ) from error
        return Registration(worker=worker, created=True)
    conflict = identity_differs(existing, values)
    if conflict or not in_scope:
        review = hold_for_review(
            kind=IdentityReview.Kind.DATA_CONFLICT if conflict else IdentityReview.Kind.OTHER_ORGANISATION,
            cuil=cuil,
            values=values,
            worker=existing,
            cycle=cycle,
            organisation=organisation,
            by=by,
            in_scope=in_scope,
        )
        return Registration(review=review)
    changed = _update_contact(existing, values, by=by)
    return Registration(worker=existing, changed=changed, cbu_change=_ask_for_cbu_change(existing, values, by=by))


def _ask_for_cbu_change(worker: Worker, values: dict, *, by) -> CbuChangeRequest | None:
    cbu = values.get("cbu")
    if not cbu or cbu == worker.cbu:
        return None
    pending = CbuChangeRequest.objects.filter(worker=worker, status=CbuChangeRequest.Status.PENDING, new_cbu=cbu)
    if pending.exists():
        return pending.first()
    return request_cbu_change(worker=worker, cbu=cbu, by=by, reason=CBU_CHANGE_REASON)


def _update_contact(worker: Worker, values: dict, *, by) -> list[str]:
    changed = []
    for name in CONTACT_FIELDS:
        value = values.get(name)
        if value not in (None, "") and getattr(worker, name) != value:
            setattr(worker, name, value)
            changed.append(name)
    for name in FILL_ONLY_FIELDS:
        value = values.get(name)
        if value and not getattr(worker, name):
            setattr(worker, name, value)
            changed.append(name)
    if changed:
        with pghistory.context(user=by.pk, reason="registro de trabajador/a: datos de contacto"):
            worker.save(update_fields=[*changed, "updated_at"])
    return changed


@transaction.atomic
def register_and_enroll(*, by, data: dict, cycle: Cycle, organisation: Organisation | None = None) -> Registration:
    """Register the worker (see ``register_worker``) and enroll them in ``cycle`` — both or
    neither. A submission held for review keeps the cycle on its item; a reviewer's "same
    person" decision enrolls them then."""
    registering_organisation(by, organisation)
    if not can_register_in(by, cycle):
        raise PermissionDenied(
            _("No puede inscribir en períodos de %(province)s.") % {"province": cycle.agreement.province}
        )
    try:
        result = register_worker(by=by, data=data, organisation=organisation, cycle=cycle)
    except ValidationError as error:
        # The age the period asks for is told with the other problems, not after they are fixed.
        too_young = _under_age(data, cycle)
        if too_young and hasattr(error, "error_dict") and "birth_date" not in error.error_dict:
            raise ValidationError({**error.message_dict, "birth_date": [too_young]}) from error
        raise
    if result.worker is not None:
        result.enrollment = enroll_worker(by=by, worker=result.worker, cycle=cycle, organisation=organisation)
    return result


def _under_age(data: dict, cycle: Cycle) -> str:
    """The period's age message when ``data``'s birth date is readable and too recent, else ""."""
    try:
        birth = parse_date(data.get("birth_date"))
    except (ValueError, TypeError):
        return ""
    if birth is None or age_on(birth, cycle.first_month) >= MIN_AGE:
        return ""
    return age_message(cycle)
