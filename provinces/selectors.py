"""Scoped reads for provinces, organisations, agreements and cycles."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from provinces.models import Agreement, Crop, Cycle, Membership, Organisation, Province
from provinces.scoping import scope_of


def _visible_province_q(user, field: str) -> Q | None:
    """``None`` means no restriction; an empty Q-match means nothing."""
    scope = scope_of(user)
    if scope.is_national:
        return None
    province_ids = set(scope.province_ids)
    if scope.is_union:
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
    if scope.is_national:
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
    if scope.is_national:
        return qs
    return qs.filter(user=user)
