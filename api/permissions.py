from __future__ import annotations

from rest_framework.permissions import BasePermission


class HasRolePermissions(BasePermission):
    """The model permissions the user's role must hold for the request's method, declared on
    the view as ``required_perms = {"GET": [...], "POST": [...]}`` (or per action). What a role
    may see of *particular* objects is then narrowed by the scoped selectors (404 outside)."""

    def has_permission(self, request, view):
        perms = getattr(view, "required_perms", {})
        action = getattr(view, "action", None)
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        wanted = perms.get(action, perms.get(method, ()))
        return all(request.user.has_perm(p) for p in wanted)
