"""Scoped reads of providers, courses, employment offices and referrals, and the referral report."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from provinces.roles import Role
from provinces.scoping import scope_of
from training.models import Course, EmploymentOffice, Provider, Referral


def can_manage_province(user, province_id: int | None) -> bool:
    """Ministry reviewers manage training everywhere; provincial officers in their provinces."""
    scope = scope_of(user)
    if scope.has_role(Role.MINISTRY_REVIEWER):
        return True
    return scope.is_provincial and province_id is not None and province_id in scope.province_ids


def providers_for(user) -> QuerySet[Provider]:
    """National roles see every provider; provincial officers theirs and the national ones."""
    scope = scope_of(user)
    qs = Provider.objects.select_related("province")
    if scope.is_national:
        return qs
    if scope.province_ids:
        return qs.filter(Q(province_id__in=scope.province_ids) | Q(province__isnull=True))
    return qs.none()


def offices_for(user) -> QuerySet[EmploymentOffice]:
    scope = scope_of(user)
    qs = EmploymentOffice.objects.select_related("province")
    if scope.is_national:
        return qs
    return qs.filter(province_id__in=scope.province_ids)


def courses_for(user) -> QuerySet[Course]:
    """Courses held in the user's provinces (every course for national roles)."""
    scope = scope_of(user)
    qs = Course.objects.select_related("provider", "province")
    if scope.is_national:
        return qs
    return qs.filter(province_id__in=scope.province_ids)


def with_seats_taken(qs: QuerySet[Course]) -> QuerySet[Course]:
    return qs.annotate(seats_taken=Count("referrals", filter=Q(referrals__status__in=Referral.SEAT_STATES)))


def referrals_for(user) -> QuerySet[Referral]:
    """Referrals of beneficiaries enrolled in the user's provinces (or registered by the user's
    organisations, for union officers), plus those to courses held in the user's provinces."""
    qs = Referral.objects.select_related(
        "worker", "enrollment__cycle__agreement__province", "course__provider", "office", "destination_province"
    )
    return scope_of(user).restrict(
        qs,
        provinces=("enrollment__cycle__agreement__province_id", "course__province_id"),
        organisation="enrollment__organisation_id",
    )


def referral_status_counts(*, user) -> list[dict]:
    """Referrals in scope per status, line and placement, in one grouped query."""
    return list(referrals_for(user).order_by().values("status", "line", "job_placement").annotate(n=Count("pk")))


def course_roster(*, user, course: Course) -> QuerySet[Referral]:
    """Everyone referred to ``course`` (the course must be in the user's scope)."""
    return (
        Referral.objects.filter(course=course)
        .select_related("worker", "enrollment__cycle")
        .order_by("worker__last_name_norm", "worker__first_name_norm")
    )


def referral_counts(*, user, cycle_id: int | None = None, province_id: int | None = None) -> list[dict]:
    """Per province and cycle: beneficiaries referred, who attended, completed and were placed.

    One grouped query; each figure counts distinct workers.
    """
    qs = referrals_for(user)
    if cycle_id:
        qs = qs.filter(enrollment__cycle_id=cycle_id)
    if province_id:
        qs = qs.filter(enrollment__cycle__agreement__province_id=province_id)
    return list(
        qs.values(
            "enrollment__cycle__agreement__province__name",
            "enrollment__cycle_id",
            "enrollment__cycle__name",
        )
        .annotate(
            referred=Count("worker", distinct=True),
            attended=Count("worker", distinct=True, filter=Q(started_on__isnull=False)),
            completed=Count("worker", distinct=True, filter=Q(status=Referral.Status.COMPLETED)),
            placed=Count("worker", distinct=True, filter=Q(job_placement=True)),
        )
        .order_by("enrollment__cycle__agreement__province__name", "enrollment__cycle__name")
    )
