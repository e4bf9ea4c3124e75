"""Scoped reads of screening data. Flags and registries are the ministry's: reviewers and
auditors see all of them, provincial and union officers none."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment
from enrollment.screening.models import ExternalRegistry, MatchFlag, ScreeningRun
from enrollment.screening.names import name_key
from enrollment.screening.weights import evidence

#: Flags that compare the enrollment's worker with another record, field by field.
MATCH_KINDS = (MatchFlag.Kind.PROGRAMME, MatchFlag.Kind.REGISTRY, MatchFlag.Kind.CUIL_CONFLICT)

_FIELDS = {"name": _("Apellido y nombre"), "birth": _("Fecha de nacimiento"), "dni": _("DNI"), "sex": _("Sexo")}
_OUTCOMES = {"agreed": _("Coincide"), "disagreed": _("No coincide"), "missing": _("Falta")}
_LEVELS = {
    ("name", "exact"): _("iguales o que suenan igual, en cualquier orden"),
    ("name", "typo"): _("un error de tipeo"),
    ("name", "contained"): _("falta un nombre o un apellido en uno de los dos"),
    ("name", "contained_typo"): _("falta un nombre o un apellido, y hay un error de tipeo"),
    ("name", "close"): _("dos errores de tipeo"),
    ("name", "surname"): _("solo coincide el primer apellido"),
    ("name", "given"): _("coincide todo salvo el primer apellido"),
    ("name", "different"): _("distintos"),
    ("birth", "same"): _("la misma fecha"),
    ("birth", "swapped"): _("día y mes invertidos"),
    ("birth", "typo"): _("un dígito distinto"),
    ("birth", "different"): _("fechas distintas"),
    ("birth", "missing"): _("falta o es una fecha genérica"),
    ("dni", "same"): _("el mismo DNI"),
    ("dni", "typo"): _("un dígito distinto"),
    ("dni", "near"): _("dos dígitos distintos"),
    ("dni", "other"): _("DNI distintos"),
    ("dni", "missing"): _("falta en uno de los dos"),
    ("sex", "same"): _("el mismo según el prefijo del CUIL"),
    ("sex", "other"): _("distinto según el prefijo del CUIL"),
    ("sex", "missing"): _("el CUIL de uno de los dos no lo indica"),
}


def flag_evidence(flag: MatchFlag) -> list[dict]:
    """The field-by-field evidence of a match flag for the reviewer: for name, birth date, DNI
    and sex, whether the worker and the matched record agreed, disagreed or one was missing, in
    what way, and the weight (bits) it carried in the score. Empty for flags that compare no
    records (eligibility, employment)."""
    if flag.kind not in MATCH_KINDS or not flag.matched:
        return []
    worker = flag.enrollment.worker
    theirs = flag.matched
    try:
        their_birth = dt.date.fromisoformat(theirs.get("fecha_nacimiento") or "")
    except ValueError:
        their_birth = None
    their_cuil = theirs.get("cuil") or ""
    their_dni = theirs.get("dni") or their_cuil[2:10]
    fields = evidence(
        worker.cuil,
        worker.cuil[2:10],
        name_key(worker.last_name, worker.first_name),
        worker.birth_date,
        their_cuil,
        their_dni,
        name_key(theirs.get("apellido", ""), theirs.get("nombre", "")),
        their_birth,
    )
    return [
        {
            "field": _FIELDS[e.field],
            "outcome": e.outcome,
            "outcome_label": _OUTCOMES[e.outcome],
            "detail": _LEVELS.get((e.field, e.level), e.level),
            "bits": e.bits,
        }
        for e in fields
    ]


def has_blocking_flags(enrollment: Enrollment) -> bool:
    """Whether an enrollment may not be approved or paid: an unresolved same-person flag, or a
    flag a reviewer confirmed to be the same person (a real conflict)."""
    return MatchFlag.objects.filter(
        Q(status=MatchFlag.Status.OPEN, level=MatchFlag.Level.SAME) | Q(status=MatchFlag.Status.SAME_PERSON),
        enrollment_id=enrollment.pk,
    ).exists()


def blocking_enrollment_ids(enrollment_ids) -> set[int]:
    """The subset of ``enrollment_ids`` with blocking flags, in one query."""
    return set(
        MatchFlag.objects.filter(
            Q(status=MatchFlag.Status.OPEN, level=MatchFlag.Level.SAME) | Q(status=MatchFlag.Status.SAME_PERSON),
            enrollment_id__in=list(enrollment_ids),
        ).values_list("enrollment_id", flat=True)
    )


def _require_view(user, perm: str) -> None:
    if not (user and user.is_authenticated and user.has_perm(perm)):
        raise PermissionDenied(perm)


def flags_for(user) -> QuerySet[MatchFlag]:
    _require_view(user, "screening.view_matchflag")
    return MatchFlag.objects.select_related(
        "enrollment__worker", "enrollment__cycle__agreement__province", "registry", "resolved_by"
    )


#: Values of the flag list's ``estado`` filter beyond the statuses: every flag a reviewer has
#: decided (same person, not the same, no longer applies), and every flag.
RESOLVED = "resolved"
ALL = "all"


def flag_counts(*, user) -> list[dict]:
    """Flags per kind, level and status, in one grouped query."""
    return list(flags_for(user).order_by().values("kind", "level", "status").annotate(n=Count("pk")))


def registries_for(user) -> QuerySet[ExternalRegistry]:
    _require_view(user, "screening.view_externalregistry")
    return ExternalRegistry.objects.select_related("current_version").annotate(version_count=Count("versions"))


def runs_for(user) -> QuerySet[ScreeningRun]:
    _require_view(user, "screening.view_screeningrun")
    return ScreeningRun.objects.select_related("cycle", "started_by")
