"""Writes for enrollments: who registers where, enrolling, and the enrollment state machine.

Registering a worker (create, or update a known one in scope) is ``enrollment.registration``;
registrations held for a reviewer are ``enrollment.identity_reviews``.

Every transition is a function that checks who may make it (role and scope), locks the
enrollment row, records who/when/why on the row, and runs inside ``pghistory.context`` so the
audit trail written by the database triggers carries the same who and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment import seams
from enrollment.models import Enrollment, Worker
from enrollment.selectors import enrollments_for
from provinces.audit import prepare_bulk_audit
from provinces.bulk import any_of
from provinces.models import AgreementQuota, Cycle, Organisation, Province
from provinces.roles import Role
from provinces.scoping import scope_of

S = Enrollment.Status

#: Allowed transitions: from state → states it may move to.
TRANSITIONS: dict[str, set[str]] = {
    S.SUBMITTED: {S.SCREENING, S.PENDING_REVIEW, S.REJECTED, S.WITHDRAWN},
    S.SCREENING: {S.PENDING_REVIEW, S.REJECTED, S.WITHDRAWN},
    S.PENDING_REVIEW: {S.APPROVED, S.REJECTED, S.WITHDRAWN, S.SCREENING},
    # approved → completed: nothing was paid and nothing is left to pay (a suspension cancelled
    # its installments and the reinstatement had no month left to schedule).
    S.APPROVED: {S.ACTIVE, S.COMPLETED, S.SUSPENDED, S.WITHDRAWN},
    S.ACTIVE: {S.COMPLETED, S.SUSPENDED, S.WITHDRAWN},
    # Lifting a suspension is ``enrollment.suspensions.reinstate_enrollment``, never an approval.
    S.SUSPENDED: {S.WITHDRAWN},
    S.COMPLETED: set(),
    S.REJECTED: set(),
    S.WITHDRAWN: set(),
}


def blocked_by_flags_message() -> str:
    """Why an enrollment with a blocking screening flag is not approved (one approval or many)."""
    return _("Tiene alertas de control que bloquean la aprobación: resuélvalas primero.")


def transition_refused_message(current: str, target: str) -> str:
    """Why an enrollment in state ``current`` may not move to ``target`` (one or many)."""
    return _("Una inscripción en estado «%(current)s» no puede pasar a «%(target)s».") % {
        "current": S(current).label,
        "target": S(target).label,
    }


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def registering_organisation(user, organisation: Organisation | None = None) -> Organisation:
    """The organisation a registering user acts for (their only one, or the one they chose)."""
    scope = scope_of(user)
    if not scope.has_role(Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER):
        raise PermissionDenied(_("Solo oficiales provinciales y de sindicatos o asociaciones inscriben trabajadores."))
    allowed = Organisation.objects.filter(
        memberships__user=user, memberships__role__in=[Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER]
    ).distinct()
    if organisation is not None:
        if not allowed.filter(pk=organisation.pk).exists():
            raise PermissionDenied(_("No actúa en nombre de esa organización."))
        return organisation
    first = allowed.order_by("pk").first()
    if first is None:
        raise PermissionDenied(_("Su usuario no pertenece a ninguna organización que inscriba."))
    return first


def can_register_in(user, cycle: Cycle) -> bool:
    """Provincial officers register in their provinces' cycles; unions, producers' associations
    and municipalities in their organisation's province's (any province for a national union)."""
    provinces = registrable_province_ids(user)
    return provinces is None or cycle.agreement.province_id in provinces


def registrable_province_ids(user) -> frozenset[int] | None:
    """The provinces in whose cycles ``user`` may register (``can_register_in``), read once;
    ``None`` for every province (a national union)."""
    scope = scope_of(user)
    provinces = set(scope.province_ids)
    if scope.organisation_ids:
        orgs = Organisation.objects.filter(pk__in=scope.organisation_ids)
        if orgs.filter(province__isnull=True).exists():
            return None
        provinces.update(orgs.values_list("province_id", flat=True))
    return frozenset(provinces)


def can_register_residents_of(user, province: Province) -> bool:
    """Who may register (or update) a worker living in ``province``: provincial officers of that
    province, unions, associations and municipalities of that province, and national unions."""
    scope = scope_of(user)
    if province.pk in scope.province_ids:
        return True
    if scope.organisation_ids:
        orgs = Organisation.objects.filter(pk__in=scope.organisation_ids)
        return orgs.filter(province__isnull=True).exists() or orgs.filter(province_id=province.pk).exists()
    return False


#: Age on a period's first day from which a worker may enroll in it (the programme's rule).
MIN_AGE = 18


def age_message(cycle: Cycle) -> str:
    return _("Debe tener 18 años cumplidos el %(day)s (primer día del período).") % {
        "day": cycle.first_month.strftime("%d/%m/%Y")
    }


def validate_enrollment(*, worker: Worker, cycle: Cycle) -> list[str]:
    """The registration rules that do not need a lock: age, residence, cycle open."""
    errors = []
    if not cycle.registration_open:
        errors.append(_("La inscripción del período %(cycle)s está cerrada.") % {"cycle": cycle.name})
    if cycle.agreement.status != cycle.agreement.Status.ACTIVE:
        errors.append(_("El convenio %(number)s no está vigente.") % {"number": cycle.agreement.number})
    if age_on(worker.birth_date, cycle.first_month) < MIN_AGE:
        errors.append(age_message(cycle))
    if worker.province_id != cycle.agreement.province_id:
        errors.append(
            _("Reside en %(residence)s y el convenio es de %(province)s.")
            % {"residence": worker.province.name, "province": cycle.agreement.province.name}
        )
    return errors


@transaction.atomic
def enroll_worker(*, by, worker: Worker, cycle: Cycle, organisation: Organisation | None = None) -> Enrollment:
    """Inscribe ``worker`` in ``cycle`` on behalf of the user's organisation.

    Rules: the user registers in that province; 18 or older on the cycle's first day; resides in
    the agreement's province; the cycle is open and its agreement in force; one enrollment per
    worker and cycle; the agreement's quota for the activity is not exceeded — checked with the
    quota row locked, so two officers racing for the last place cannot both get it.
    """
    organisation = registering_organisation(by, organisation)
    if not can_register_in(by, cycle):
        raise PermissionDenied(
            _("No puede inscribir en períodos de %(province)s.") % {"province": cycle.agreement.province}
        )
    errors = validate_enrollment(worker=worker, cycle=cycle)
    if errors:
        raise ValidationError(errors)
    quota = (
        AgreementQuota.objects.select_for_update()
        .filter(agreement_id=cycle.agreement_id, crop_id=cycle.crop_id)
        .first()
    )
    if quota is None:
        raise ValidationError(_("El convenio no fija cupo para esta actividad."))
    if Enrollment.objects.filter(worker=worker, cycle=cycle).exists():
        raise ValidationError(
            _("%(worker)s ya está inscripto/a en %(cycle)s.") % {"worker": worker, "cycle": cycle.name}
        )
    used = (
        Enrollment.objects.filter(cycle__agreement_id=cycle.agreement_id, cycle__crop_id=cycle.crop_id)
        .exclude(status__in=Enrollment.RELEASED_STATES)
        .count()
    )
    if used >= quota.quota:
        raise ValidationError(
            _("Se agotó el cupo de %(crop)s del convenio %(number)s (%(quota)s).")
            % {"crop": cycle.crop.name, "number": cycle.agreement.number, "quota": quota.quota}
        )
    with pghistory.context(user=by.pk, reason="inscripción"):
        enrollment = Enrollment.objects.create(
            worker=worker,
            cycle=cycle,
            organisation=organisation,
            registered_by=by,
            status=S.SUBMITTED,
            status_changed_at=timezone.now(),
            status_changed_by=by,
        )
    queue_screening(enrollment_ids=[enrollment.pk])
    return enrollment


def queue_screening(*, enrollment_ids: Iterable[int]) -> None:
    """Screen new enrollments in Celery once the transaction that created them commits, so that
    every enrollment reaches a reviewer already checked (architecture: submitted → screening →
    pending_review)."""
    from enrollment.tasks import screen_new_enrollments

    ids = sorted(set(enrollment_ids))
    if ids:
        transaction.on_commit(lambda: screen_new_enrollments.delay(ids))


def screen_submitted(*, enrollment_ids: Iterable[int]) -> None:
    """Run the screening engine on the enrollments still submitted — or left in screening by a
    run that stopped half-way, so a retry finishes them —, each cycle with the monthly aid in
    force in its first month (formal pay above the aid is a conflict)."""
    from enrollment.screening.services import screen_enrollments

    by_first_month: dict[dt.date, list[int]] = {}
    pending = Enrollment.objects.filter(pk__in=any_of(enrollment_ids), status__in=[S.SUBMITTED, S.SCREENING])
    for pk, first_month in pending.values_list("pk", "cycle__first_month"):
        by_first_month.setdefault(first_month, []).append(pk)
    for first_month, ids in sorted(by_first_month.items()):
        try:
            aid = seams.monthly_aid_in_force(first_month)
        except ValidationError:
            aid = None  # no resolution in force yet: only self-employment income is compared
        screen_enrollments(enrollment_ids=ids, monthly_aid=aid)


def _transition(
    *, enrollment: Enrollment, to: str, by, reason: str = "", allowed: dict[str, set[str]] | None = None
) -> Enrollment:
    """Move one enrollment (row-locked) to ``to`` if the state machine (or ``allowed``, for a
    transition outside the ordinary flow) allows it."""
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if to not in (allowed or TRANSITIONS)[locked.status]:
        raise ValidationError(transition_refused_message(locked.status, to))
    with pghistory.context(user=getattr(by, "pk", None), reason=reason or S(to).label):
        locked.status = to
        locked.status_reason = reason
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = by
        locked.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by"])
    enrollment.refresh_from_db()
    return locked


def _require_reviewer(by) -> None:
    if not by.has_perm("enrollment.review_enrollment"):
        raise PermissionDenied(_("Solo revisores del Ministerio aprueban o rechazan inscripciones."))


@transaction.atomic
def start_screening(*, enrollment: Enrollment, by=None) -> Enrollment:
    """Hand a submitted (or re-opened) enrollment to the screening engine."""
    return _transition(enrollment=enrollment, to=S.SCREENING, by=by, reason=_("Control de duplicados y elegibilidad"))


@transaction.atomic
def send_to_review(*, enrollment: Enrollment, by=None, reason: str = "") -> Enrollment:
    return _transition(enrollment=enrollment, to=S.PENDING_REVIEW, by=by, reason=reason)


def start_screening_many(*, enrollment_ids: Iterable[int], by=None) -> list[int]:
    """Hand many submitted enrollments to the screening engine in one statement.

    Rules: the state machine's submitted → screening, for the enrollments still submitted (any
    other state is left as it is, so running it twice, or after a crash half-way, moves nothing
    twice); who and why are recorded on the rows and, through ``pghistory.context``, in the
    audit events the database triggers write for the same statement. Returns the ids moved."""
    return _move_many(
        enrollment_ids=enrollment_ids,
        source=S.SUBMITTED,
        to=S.SCREENING,
        by=by,
        reason=_("Control de duplicados y elegibilidad"),
    )


def send_many_to_review(
    *, reasons: dict[str, list[int]], by=None, screened: tuple[dt.datetime, list[int]] | None = None
) -> list[int]:
    """Move many screened enrollments to review: ``reasons`` maps each reason (what the screening
    found) to the enrollments it applies to, one UPDATE per distinct reason.

    Rules: the state machine's screening → pending_review, only for enrollments still in
    screening (idempotent, safe to rerun); who and why on the rows and in the audit events, all
    in one transaction. ``screened`` (when the screening started, the registry versions it read)
    is written on the rows moved, by the same UPDATE. Returns the ids moved."""
    moved: list[int] = []
    with transaction.atomic():
        for reason, ids in sorted(reasons.items()):
            moved += _move_many(
                enrollment_ids=ids, source=S.SCREENING, to=S.PENDING_REVIEW, by=by, reason=reason, screened=screened
            )
    return moved


def activate_many(*, enrollment_ids: Iterable[int], by=None, reason: str = "") -> list[int]:
    """Approved enrollments whose first installment was paid become active, in one statement.

    Rules: the state machine's approved → active, only for enrollments still approved (any other
    state is left alone, so running it twice moves nothing twice); who and why on the rows and,
    through ``pghistory.context``, in the audit events. The caller (payments, which knows what
    was paid) chooses the enrollments. Returns the ids moved."""
    return _move_many(
        enrollment_ids=enrollment_ids,
        source=S.APPROVED,
        to=S.ACTIVE,
        by=by,
        reason=reason or _("Cobró la primera cuota"),
    )


def complete_many(*, enrollment_ids: Iterable[int], by=None, reason: str = "") -> list[int]:
    """Enrollments with nothing left to pay — every installment paid or cancelled — are
    completed, in one statement: active → completed, and approved → completed for one never
    paid whose installments were all cancelled (suspended, then reinstated with no month left
    to schedule); only enrollments still in those states (idempotent), audited like
    ``activate_many``. The caller (payments) chooses the enrollments. Returns the ids moved."""
    return _move_many(
        enrollment_ids=enrollment_ids,
        source=(S.ACTIVE, S.APPROVED),
        to=S.COMPLETED,
        by=by,
        reason=reason or _("Cobró o se anuló su última cuota"),
    )


def _move_many(
    *,
    enrollment_ids: Iterable[int],
    source: str | tuple[str, ...],
    to: str,
    by,
    reason: str,
    screened: tuple[dt.datetime, list[int]] | None = None,
) -> list[int]:
    """One UPDATE of the enrollments in ``source`` (a state, or several) among
    ``enrollment_ids`` to ``to`` (a move the state machine allows from each). The WHERE on the
    state does what the row lock of ``_transition`` does for one enrollment: a row changed
    meanwhile by someone else is not in ``source`` any more and is skipped."""
    sources = [source] if isinstance(source, str) else list(source)
    for state in sources:
        if to not in TRANSITIONS[state]:
            raise ValidationError(transition_refused_message(state, to))
    ids = sorted(set(enrollment_ids))
    if not ids:
        return []
    context = pghistory.context(user=getattr(by, "pk", None), reason=reason or S(to).label)
    with transaction.atomic(), context, connection.cursor() as cursor:
        prepare_bulk_audit(cursor)
        also, also_params = "", list[dt.datetime | list[int]]()
        if screened is not None:
            also, also_params = ", screened_at = %s, screened_versions = %s::bigint[]", [screened[0], screened[1]]
        cursor.execute(
            "UPDATE enrollment_enrollment SET status = %s, status_reason = %s, status_changed_at = %s,"
            f" status_changed_by_id = %s{also} WHERE id = ANY(%s::bigint[]) AND status = ANY(%s) RETURNING id",
            [
                to,
                reason,
                timezone.now(),
                getattr(by, "pk", None),
                *also_params,
                ids,
                [str(state) for state in sources],
            ],
        )
        moved_ids = sorted(row[0] for row in cursor.fetchall())
    return moved_ids


@transaction.atomic
def approve_enrollment(*, enrollment: Enrollment, by, reason: str = "", schedule: bool = True) -> Enrollment:
    """A ministry reviewer approves an enrollment pending review; never one with a blocking
    screening flag (an unresolved same-person match, or a confirmed conflict). Its installments
    are scheduled in the same transaction, by whoever follows ``seams.enrollment_approved``
    (payments); ``schedule=False`` only for a caller that schedules them itself before
    committing, as ``bulk_decide`` does through ``seams.enrollments_approved_in_bulk``."""
    _require_reviewer(by)
    from enrollment.screening.selectors import has_blocking_flags

    if has_blocking_flags(enrollment):
        raise ValidationError(blocked_by_flags_message())
    approved = _transition(enrollment=enrollment, to=S.APPROVED, by=by, reason=reason or _("Aprobada"))
    if schedule:
        seams.enrollment_approved.run(enrollment=approved, by=by)
    return approved


@transaction.atomic
def reject_enrollment(*, enrollment: Enrollment, by, reason: str) -> Enrollment:
    """A ministry reviewer rejects an enrollment; the worker is told why, so a reason is required."""
    _require_reviewer(by)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indique el motivo del rechazo.")})
    rejected = _transition(enrollment=enrollment, to=S.REJECTED, by=by, reason=reason.strip())
    seams.enrollment_rejected.run(enrollment=rejected, by=by)
    return rejected


#: A rejection undone by an upheld claim: outside the ordinary flow, so not in ``TRANSITIONS``.
REOPENING: dict[str, set[str]] = {state: set() for state in S.values} | {S.REJECTED: {S.PENDING_REVIEW}}


@transaction.atomic
def reopen_enrollment(*, enrollment: Enrollment, by, reason: str) -> Enrollment:
    """A ministry reviewer re-opens a rejected enrollment for review (an upheld claim): it goes
    back to pending review with the reason, and is approved or rejected again from the queue.
    Only rejected enrollments re-open; the reason is required and audited. A rejection freed
    its place in the agreement's quota, so the place is taken again — checked with the quota
    row locked, as at registration."""
    _require_reviewer(by)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indique por qué se reabre la inscripción.")})
    cycle = enrollment.cycle
    quota = (
        AgreementQuota.objects.select_for_update()
        .filter(agreement_id=cycle.agreement_id, crop_id=cycle.crop_id)
        .first()
    )
    used = (
        Enrollment.objects.filter(cycle__agreement_id=cycle.agreement_id, cycle__crop_id=cycle.crop_id)
        .exclude(status__in=Enrollment.RELEASED_STATES)
        .count()
    )
    if quota is None or used >= quota.quota:
        raise ValidationError(_("No queda cupo en el convenio para reabrir esta inscripción."))
    return _transition(enrollment=enrollment, to=S.PENDING_REVIEW, by=by, reason=reason.strip(), allowed=REOPENING)


@transaction.atomic
def activate_enrollment(*, enrollment: Enrollment, by=None, reason: str = "") -> Enrollment:
    return _transition(enrollment=enrollment, to=S.ACTIVE, by=by, reason=reason or _("Comenzó el período"))


@transaction.atomic
def complete_enrollment(*, enrollment: Enrollment, by=None, reason: str = "") -> Enrollment:
    return _transition(enrollment=enrollment, to=S.COMPLETED, by=by, reason=reason or _("Finalizó el período"))


@transaction.atomic
def withdraw_enrollment(*, enrollment: Enrollment, by, reason: str) -> Enrollment:
    """Withdraw an enrollment at the worker's request: a ministry reviewer, or a provincial or
    union officer with the enrollment in scope (the registering organisation, or the province's
    office). An enrollment outside the caller's scope is refused like an unknown one; its
    unpaid installments are cancelled (``seams.enrollment_ended``)."""
    reviewer = by.has_perm("enrollment.review_enrollment")
    registering = scope_of(by).has_role(Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER)
    if not (reviewer or registering) or not enrollments_for(by).filter(pk=enrollment.pk).exists():
        raise PermissionDenied(_("No puede dar de baja esta inscripción."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Indique el motivo de la baja.")})
    withdrawn = _transition(enrollment=enrollment, to=S.WITHDRAWN, by=by, reason=reason.strip())
    seams.enrollment_ended.run(enrollment=withdrawn, by=by, reason=reason.strip())
    return withdrawn


def bulk_decide(*, enrollments: Iterable[Enrollment], by, approve: bool, reason: str = "") -> list[str]:
    """Approve or reject many. Returns one message per failure.

    Approvals are first tried together, set-based: the rows locked in one statement, the
    blocking flags read in one query, the enrollments that may be approved moved in one UPDATE
    per state they come from, and all their installments scheduled in one statement, in one
    transaction; an enrollment that may not be approved is reported with the same words as when
    it is approved alone. If the scheduling is refused (a budget, a worker already paid those
    months) nothing of it is kept and each enrollment is decided in its own transaction
    instead, so the refusal is reported against the enrollment it concerns."""
    enrollments = list(enrollments)
    if approve and len(enrollments) > 1:
        _require_reviewer(by)
        try:
            with transaction.atomic():
                failures, approvable = _approvable(enrollments)
                approved: list[int] = []
                for source, ids in approvable.items():
                    approved += _move_many(
                        enrollment_ids=ids, source=source, to=S.APPROVED, by=by, reason=reason or _("Aprobada")
                    )
                seams.enrollments_approved_in_bulk.run(enrollment_ids=sorted(approved), by=by)
                return failures
        except ValidationError:
            pass  # decided one by one below
    failures = []
    for enrollment in enrollments:
        try:
            if approve:
                approve_enrollment(enrollment=enrollment, by=by, reason=reason)
            else:
                reject_enrollment(enrollment=enrollment, by=by, reason=reason)
        except ValidationError as error:
            failures.append(f"{enrollment.worker}: {' '.join(error.messages)}")
    return failures


def _approvable(enrollments: list[Enrollment]) -> tuple[list[str], dict[str, list[int]]]:
    """Lock the enrollments (one statement, in id order) and sort them: those that may be
    approved, by the state they are in, and a message for each that may not — a blocking
    screening flag, or a state approval does not follow — worded as ``approve_enrollment``
    words it."""
    from enrollment.screening.selectors import blocking_enrollment_ids

    ids = sorted({e.pk for e in enrollments})
    states = dict(Enrollment.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "status"))
    blocked = blocking_enrollment_ids(ids)
    failures: list[str] = []
    approvable: dict[str, list[int]] = {}
    seen: set[int] = set()
    for enrollment in enrollments:
        status = states.get(enrollment.pk)
        if status is None or enrollment.pk in seen:
            continue
        seen.add(enrollment.pk)
        if enrollment.pk in blocked:
            message = blocked_by_flags_message()
        elif S.APPROVED not in TRANSITIONS[status]:
            message = transition_refused_message(status, S.APPROVED)
        else:
            approvable.setdefault(status, []).append(enrollment.pk)
            continue
        failures.append(f"{enrollment.worker}: {message}")
    return failures, approvable
