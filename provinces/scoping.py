"""Who sees what: the user's scope, computed once per request.

A national role (ministry reviewer, payments officer, auditor) sees every province. A
provincial officer of a provincial office or territorial agency sees the provinces where
django-guardian grants them ``act_in_province``. A union officer (of a union or a producers'
association) and a provincial officer of a municipality act for the organisations where they
hold ``act_for_organisation`` and see only what those organisations registered: a
municipality's officers are not given the whole province. Every model's scoping function (``*_for(user)`` in
each app's ``selectors.py``) starts from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from provinces.roles import NATIONAL_ROLES, Role


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str]
    province_ids: frozenset[int]
    organisation_ids: frozenset[int]

    @property
    def is_national(self) -> bool:
        return bool(self.roles & NATIONAL_ROLES)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def is_provincial(self) -> bool:
        return Role.PROVINCIAL_OFFICER in self.roles

    @property
    def is_union(self) -> bool:
        return Role.UNION_OFFICER in self.roles

    @property
    def sees_only_own_registrations(self) -> bool:
        """A union, a producers' association or a municipality: no province of its own to see,
        only what its organisations registered."""
        return not self.is_national and not self.province_ids

    def restrict(self, qs, *, provinces: tuple[str, ...] = (), organisation: str | None = None):
        """``qs`` narrowed to this scope: untouched for national roles; otherwise the rows whose
        province (any of the ``provinces`` lookups) is one of the user's, or whose organisation
        (the ``organisation`` lookup) is one the user acts for. Nothing when neither applies."""
        if self.is_national:
            return qs
        q = Q(pk__in=[])
        if self.province_ids:
            for lookup in provinces:
                q |= Q(**{f"{lookup}__in": self.province_ids})
        if self.organisation_ids and organisation:
            q |= Q(**{f"{organisation}__in": self.organisation_ids})
        return qs.filter(q)


EMPTY_SCOPE = Scope(frozenset(), frozenset(), frozenset())


def role_names(user) -> QuerySet:
    """The names of the programme's roles the user holds (lazy)."""
    return user.groups.filter(name__in=Role.values).values_list("name", flat=True)


def acting_province_ids(user) -> QuerySet:
    """The provinces where django-guardian grants the user ``act_in_province`` (lazy; counts
    only with the provincial role, see ``scope_from``)."""
    from provinces.models import Province

    return get_objects_for_user(
        user, "provinces.act_in_province", klass=Province, use_groups=False, with_superuser=False
    ).values_list("pk", flat=True)


#: Roles whose scope may be organisations (``act_for_organisation``): unions and producers'
#: associations, and provincial officers of a municipality.
ORGANISATION_SCOPED_ROLES = frozenset({Role.UNION_OFFICER, Role.PROVINCIAL_OFFICER})


def acting_organisation_ids(user) -> QuerySet:
    """The organisations where django-guardian grants the user ``act_for_organisation`` (lazy;
    counts only with a role of ``ORGANISATION_SCOPED_ROLES``, see ``scope_from``)."""
    from provinces.models import Organisation

    return get_objects_for_user(
        user, "provinces.act_for_organisation", klass=Organisation, use_groups=False, with_superuser=False
    ).values_list("pk", flat=True)


def scope_from(roles: Iterable[str], province_ids: Iterable[int], organisation_ids: Iterable[int]) -> Scope:
    """The scope given what ``role_names``, ``acting_province_ids`` and
    ``acting_organisation_ids`` read."""
    role_set = frozenset(roles)
    return Scope(
        role_set,
        frozenset(province_ids) if Role.PROVINCIAL_OFFICER in role_set else frozenset(),
        frozenset(organisation_ids) if role_set & ORGANISATION_SCOPED_ROLES else frozenset(),
    )


def scope_of(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, "_interzafra_scope", None)
    if cached is not None:
        return cached
    roles = frozenset(role_names(user))
    scope = scope_from(
        roles,
        acting_province_ids(user) if Role.PROVINCIAL_OFFICER in roles else (),
        acting_organisation_ids(user) if roles & ORGANISATION_SCOPED_ROLES else (),
    )
    user._interzafra_scope = scope
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope (after memberships change)."""
    if hasattr(user, "_interzafra_scope"):
        del user._interzafra_scope


def require_perm(user, perm: str) -> None:
    """Raise PermissionDenied unless the user's role grants ``perm``."""
    if not (user and user.is_authenticated and user.has_perm(perm)):
        raise PermissionDenied(perm)
