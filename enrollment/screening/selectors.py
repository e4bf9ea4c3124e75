"""Scoped reads of screening data. Flags and registries are the ministry's: reviewers and
auditors see all of them, provincial and union officers none."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet

from enrollment.models import Enrollment
from enrollment.screening.models import ExternalRegistry, MatchFlag, ScreeningRun


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
