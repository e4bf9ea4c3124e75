"""The columns the workers and enrollments lists export (``provinces.listing``)."""

from __future__ import annotations

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
