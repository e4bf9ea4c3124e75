from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from provinces.roles import Role
from provinces.scoping import scope_of

# Every role but the access administrator, who grants roles and reads no worker.
_WORK_ROLES = set(Role.values) - {Role.ACCESS_ADMIN}
_REGISTERING = {Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER}
_REVIEW = {Role.MINISTRY_REVIEWER, Role.AUDITOR}

# The menu, grouped by task. Each group: (label, [(label, url name, roles that see it; None =
# every signed-in user)]). A group no entry of which the user may see is left out.
NAVIGATION_GROUPS = [
    (
        _("Inscripción"),
        [
            (_("Nueva inscripción"), "enrollment:register", _REGISTERING),
            (_("Padrones"), "enrollment:import_list", _REGISTERING | _REVIEW),
            (_("Inscripciones"), "enrollment:enrollment_list", None),
            (_("Trabajadores"), "enrollment:worker_list", None),
        ],
    ),
    (
        _("Revisión"),
        [
            (_("Revisión"), "enrollment:review_queue", {Role.MINISTRY_REVIEWER}),
            (_("Alertas de control"), "screening:flag_list", _REVIEW),
            (_("Conflictos de identidad"), "enrollment:identity_review_list", _REVIEW),
            (_("Cambios de CBU"), "enrollment:cbu_changes", {Role.PAYMENTS_OFFICER} | _REVIEW),
            (_("Reclamos"), "claims:list", _WORK_ROLES),
            (_("Controles"), "screening:run_list", _REVIEW),
            (_("Padrones externos"), "screening:registry_list", _REVIEW),
            (_("Avisos"), "notifications:message_list", _REVIEW),
        ],
    ),
    (
        _("Pagos"),
        [
            (_("Pagos"), "payments:batch_list", {Role.PAYMENTS_OFFICER, Role.AUDITOR}),
            (_("Cuotas"), "payments:installment_list", _REGISTERING | {Role.PAYMENTS_OFFICER, Role.AUDITOR}),
            (_("Totales de pagos"), "payments:monthly_totals", {Role.PAYMENTS_OFFICER, Role.AUDITOR}),
        ],
    ),
    (
        _("Consultas"),
        [
            (_("Tablero"), "reports:dashboard", _WORK_ROLES),
            (_("Buscar"), "reports:search", _WORK_ROLES),
            (_("Informes"), "reports:report_list", _WORK_ROLES),
            (_("Capacitación"), "training:course_list", {Role.PROVINCIAL_OFFICER} | _REVIEW),
            (_("Derivaciones"), "training:report", {Role.PROVINCIAL_OFFICER} | _REVIEW),
            (_("Auditoría"), "provinces:audit_log", _REVIEW),
            (_("Consultas API"), "api_web:access_log", {Role.AUDITOR}),
        ],
    ),
    (
        _("Administración"),
        [
            (_("Convenios"), "provinces:agreement_list", None),
            (_("Períodos"), "provinces:cycle_list", None),
            (
                _("Meses de ayuda"),
                "screening:entitlement_list",
                {Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER, Role.AUDITOR},
            ),
            (_("Organizaciones"), "provinces:organisation_list", None),
            (_("Accesos"), "access:home", {Role.ACCESS_ADMIN}),
            (_("API"), "api_web:tokens", None),
            (_("Dos pasos"), "twofactor:enrol", None),
        ],
    ),
]

# The flat list, in menu order (the home page's cards, tests).
NAVIGATION = [(_("Inicio"), "home", None)] + [entry for _group, entries in NAVIGATION_GROUPS for entry in entries]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_groups": [], "user_scope": None}
    scope = scope_of(user)
    groups = []
    for group_label, entries in NAVIGATION_GROUPS:
        items = []
        for label, url_name, roles in entries:
            if roles is None or scope.roles & roles:
                url = reverse(url_name)
                items.append({"label": label, "url": url, "active": request.path.startswith(url)})
        if items:
            groups.append({"label": group_label, "items": items})
    items = [item for group in groups for item in group["items"]]
    # Only the longest matching entry is the current page ("/revision/identidad/" is not "/revision/").
    longest = max((len(item["url"]) for item in items if item["active"]), default=0)
    for item in items:
        item["active"] = item["active"] and len(item["url"]) == longest
    for group in groups:
        group["active"] = any(item["active"] for item in group["items"])
    home = {"label": _("Inicio"), "url": reverse("home"), "active": request.path == reverse("home")}
    return {
        "nav_home": home,
        "nav_groups": groups,
        "nav_items": [home, *items],
        "user_scope": scope,
        "user_roles": [Role(r).label for r in sorted(scope.roles)],
    }
