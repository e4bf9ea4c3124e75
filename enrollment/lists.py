"""The columns the workers and enrollments lists export (``provinces.listing``)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from provinces.listing import Column

WORKER_COLUMNS = (
    Column(_("CUIL"), lambda w: w.cuil_display),
    Column(_("Apellido"), lambda w: w.last_name),
    Column(_("Nombre"), lambda w: w.first_name),
    Column(_("Fecha de nacimiento"), lambda w: w.birth_date),
    Column(_("Provincia"), lambda w: w.province),
    Column(_("Localidad"), lambda w: w.locality),
    Column(_("Registrado/a por"), lambda w: w.registered_by),
)

ENROLLMENT_COLUMNS = (
    Column(_("CUIL"), lambda e: e.worker.cuil_display),
    Column(_("Apellido"), lambda e: e.worker.last_name),
    Column(_("Nombre"), lambda e: e.worker.first_name),
    Column(_("Provincia"), lambda e: e.cycle.agreement.province),
    Column(_("Período"), lambda e: e.cycle.name),
    Column(_("Actividad"), lambda e: e.cycle.crop),
    Column(_("Organización"), lambda e: e.organisation),
    Column(_("Estado"), lambda e: e.get_status_display()),
    Column(_("Motivo del último cambio"), lambda e: e.status_reason),
    Column(_("Inscripta el"), lambda e: e.created_at),
)


def workers_noun(n: int) -> str:
    return ngettext("%(n)s trabajador/a", "%(n)s trabajadores/as", n)


def enrollments_noun(n: int) -> str:
    return ngettext("%(n)s inscripción", "%(n)s inscripciones", n)


REVIEW_COLUMNS = (
    *ENROLLMENT_COLUMNS[:8],
    Column(_("Alertas sin resolver"), lambda e: e.open_flags),
    Column(_("Inscripta el"), lambda e: e.created_at),
)


def with_open_flags(enrollments):
    """Each enrollment with the number of its unresolved screening flags (one subquery)."""
    from enrollment.screening.models import MatchFlag

    open_flags = (
        MatchFlag.objects.filter(enrollment=OuterRef("pk"), status=MatchFlag.Status.OPEN)
        .order_by()
        .values("enrollment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return enrollments.annotate(open_flags=Coalesce(Subquery(open_flags, output_field=IntegerField()), 0))


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


IDENTITY_REVIEW_COLUMNS = (
    Column(_("CUIL"), lambda r: r.cuil_display),
    Column(_("Motivo"), lambda r: r.get_kind_display()),
    Column(_("Organización que envía"), lambda r: r.organisation),
    Column(_("Período"), lambda r: r.cycle.name if r.cycle_id else ""),
    Column(_("Enviado"), lambda r: r.created_at),
    Column(_("Estado"), lambda r: r.get_decision_display() if r.decision else r.get_state_display()),
)


def cbu_change_columns(*, full_cbu: bool):
    """The CBU is written whole only for those who see it whole on the page."""

    def shown(cbu: str) -> str:
        if not cbu:
            return ""
        return cbu if full_cbu else f"•••• {cbu[-4:]}"

    return (
        Column(_("CUIL"), lambda c: c.worker.cuil_display),
        Column(_("Trabajador/a"), lambda c: f"{c.worker.last_name}, {c.worker.first_name}"),
        Column(_("CBU anterior"), lambda c: shown(c.old_cbu)),
        Column(_("CBU nuevo"), lambda c: shown(c.new_cbu)),
        Column(_("Motivo"), lambda c: c.reason),
        Column(_("Pedido el"), lambda c: c.requested_at),
        Column(_("Pedido por"), lambda c: _person(c.requested_by)),
        Column(_("Estado"), lambda c: c.get_status_display()),
    )


def reviews_noun(n: int) -> str:
    return ngettext("%(n)s revisión", "%(n)s revisiones", n)


def cbu_changes_noun(n: int) -> str:
    return ngettext("%(n)s pedido de cambio de CBU", "%(n)s pedidos de cambio de CBU", n)


IMPORT_JOB_COLUMNS = (
    Column(_("N°"), lambda j: j.pk),
    Column(_("Archivo"), lambda j: j.original_name),
    Column(_("Provincia"), lambda j: j.cycle.agreement.province),
    Column(_("Período"), lambda j: j.cycle.name),
    Column(_("Actividad"), lambda j: j.cycle.crop),
    Column(_("Organización"), lambda j: j.organisation),
    Column(_("Subido por"), lambda j: _person(j.uploaded_by)),
    Column(_("Subido el"), lambda j: j.created_at),
    Column(_("Estado"), lambda j: j.get_status_display()),
    Column(_("Filas"), lambda j: j.total_rows),
    Column(_("Filas con errores"), lambda j: j.error_rows),
    Column(_("Filas en revisión"), lambda j: j.review_rows),
    Column(_("Inscripciones creadas"), lambda j: j.created_enrollments),
    Column(_("Terminado el"), lambda j: j.finished_at),
    Column(_("Error del archivo"), lambda j: j.error_message),
)


def import_jobs_noun(n: int) -> str:
    return ngettext("%(n)s padrón", "%(n)s padrones", n)
