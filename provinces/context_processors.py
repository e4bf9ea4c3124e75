from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from provinces.roles import Role
from provinces.scoping import scope_of

# Every role but the access administrator, who grants roles and reads no worker.
_WORK_ROLES = set(Role.values) - {Role.ACCESS_ADMIN}

# (label, url name, roles that see it; None = every signed-in user)
NAVIGATION = [
    (_("Inicio"), "home", None),
    (_("Convenios"), "provinces:agreement_list", None),
    (_("Períodos"), "provinces:cycle_list", None),
    (_("Organizaciones"), "provinces:organisation_list", None),
    (_("Trabajadores"), "enrollment:worker_list", None),
    (_("Inscripciones"), "enrollment:enrollment_list", None),
    (_("Auditoría"), "provinces:audit_log", {Role.MINISTRY_REVIEWER, Role.AUDITOR}),
    (_("Nueva inscripción"), "enrollment:register", {Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER}),
    (
        _("Padrones"),
        "enrollment:import_list",
        {Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER, Role.MINISTRY_REVIEWER, Role.AUDITOR},
    ),
    (_("Revisión"), "enrollment:review_queue", {Role.MINISTRY_REVIEWER}),
    (_("Cambios de CBU"), "enrollment:cbu_changes", {Role.PAYMENTS_OFFICER, Role.MINISTRY_REVIEWER, Role.AUDITOR}),
    (_("Conflictos de identidad"), "enrollment:identity_review_list", {Role.MINISTRY_REVIEWER, Role.AUDITOR}),
    (_("Tablero"), "reports:dashboard", _WORK_ROLES),
    (_("Buscar"), "reports:search", _WORK_ROLES),
    (_("Informes"), "reports:report_list", _WORK_ROLES),
    (_("Capacitación"), "training:course_list", {Role.PROVINCIAL_OFFICER, Role.MINISTRY_REVIEWER, Role.AUDITOR}),
    (_("Derivaciones"), "training:report", {Role.PROVINCIAL_OFFICER, Role.MINISTRY_REVIEWER, Role.AUDITOR}),
    (_("Reclamos"), "claims:list", _WORK_ROLES),
    (_("Avisos"), "notifications:message_list", {Role.MINISTRY_REVIEWER, Role.AUDITOR}),
    (_("API"), "api_web:tokens", None),
    (_("Accesos"), "access:home", {Role.ACCESS_ADMIN}),
    (_("Dos pasos"), "twofactor:enrol", None),
    (_("Consultas API"), "api_web:access_log", {Role.AUDITOR}),
    (_("Alertas de control"), "screening:flag_list", {Role.MINISTRY_REVIEWER, Role.AUDITOR}),
    (_("Padrones externos"), "screening:registry_list", {Role.MINISTRY_REVIEWER, Role.AUDITOR}),
    (_("Controles"), "screening:run_list", {Role.MINISTRY_REVIEWER, Role.AUDITOR}),
    (_("Pagos"), "payments:batch_list", {Role.PAYMENTS_OFFICER, Role.AUDITOR}),
    (_("Totales de pagos"), "payments:monthly_totals", {Role.PAYMENTS_OFFICER, Role.AUDITOR}),
    (
        _("Cuotas"),
        "payments:installment_list",
        {Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER, Role.PAYMENTS_OFFICER, Role.AUDITOR},
    ),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_scope": None}
    scope = scope_of(user)
    items = []
    for label, url_name, roles in NAVIGATION:
        if roles is None or scope.roles & roles:
            url = reverse(url_name)
            items.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"})
    # Only the longest matching entry is the current page ("/revision/identidad/" is not "/revision/").
    longest = max((len(item["url"]) for item in items if item["active"]), default=0)
    for item in items:
        item["active"] = item["active"] and len(item["url"]) == longest
    return {
        "nav_items": items,
        "user_scope": scope,
        "user_roles": [Role(r).label for r in sorted(scope.roles)],
    }
