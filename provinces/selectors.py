"""Scoped reads for provinces, organisations, agreements and cycles."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from provinces.models import Agreement, Crop, Cycle, Membership, Organisation, Province, RoleGrant
from provinces.roles import Role
from provinces.scoping import scope_of


def _visible_province_q(user, field: str) -> Q | None:
    """``None`` means no restriction; an empty Q-match means nothing."""
    scope = scope_of(user)
    if scope.is_national:
        return None
    province_ids = set(scope.province_ids)
    if scope.organisation_ids:
        orgs = Organisation.objects.filter(pk__in=scope.organisation_ids)
        if orgs.filter(province__isnull=True).exists():
            return None  # a national union sees every agreement it may register workers under
        province_ids |= set(orgs.values_list("province_id", flat=True))
    return Q(**{f"{field}__in": province_ids})


def provinces_for(user) -> QuerySet[Province]:
    q = _visible_province_q(user, "pk")
    qs = Province.objects.all()
    return qs if q is None else qs.filter(q)


def organisations_for(user) -> QuerySet[Organisation]:
    scope = scope_of(user)
    qs = Organisation.objects.select_related("province")
    if scope.is_national or scope.has_role(Role.ACCESS_ADMIN):
        return qs
    return qs.filter(Q(pk__in=scope.organisation_ids) | Q(province_id__in=scope.province_ids))


def agreements_for(user) -> QuerySet[Agreement]:
    qs = Agreement.objects.select_related("province")
    if not scope_of(user).roles:
        return qs.none()
    q = _visible_province_q(user, "province_id")
    return qs if q is None else qs.filter(q)


def cycles_for(user) -> QuerySet[Cycle]:
    qs = Cycle.objects.select_related("agreement__province", "crop")
    if not scope_of(user).roles:
        return qs.none()
    q = _visible_province_q(user, "agreement__province_id")
    return qs if q is None else qs.filter(q)


def crops() -> QuerySet[Crop]:
    return Crop.objects.all()


def memberships_for(user) -> QuerySet[Membership]:
    scope = scope_of(user)
    qs = Membership.objects.select_related("user", "organisation")
    if scope.is_national or scope.has_role(Role.ACCESS_ADMIN):
        return qs
    return qs.filter(user=user)


def people_for_access(user, *, query: str = "") -> QuerySet:
    """Access administrators' list: every person with a role or a pending grant, with them."""
    from django.contrib.auth import get_user_model
    from django.db.models import Prefetch

    if not user.has_perm("provinces.manage_access"):
        return get_user_model().objects.none()
    qs = (
        get_user_model()
        .objects.filter(Q(memberships__isnull=False) | Q(role_grants__status=RoleGrant.Status.PENDING))
        .distinct()
        .prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("organisation")))
        .order_by("username")
    )
    if query:
        qs = qs.filter(Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query))
    return qs


def pending_grants_for(user) -> QuerySet[RoleGrant]:
    """Pending national grants, for access administrators only."""
    qs = RoleGrant.objects.select_related("user", "organisation", "requested_by").filter(
        status=RoleGrant.Status.PENDING
    )
    return qs if user.has_perm("provinces.manage_access") else qs.none()
