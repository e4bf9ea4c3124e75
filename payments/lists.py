"""The columns the installment and batch lists export (``provinces.listing``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from provinces.listing import Column
from provinces.scoping import scope_of


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def installment_columns(user) -> tuple[Column, ...]:
    """Hold reasons name other programmes' registries: national roles only, as on the page."""
    national = scope_of(user).is_national

    def detail(i) -> str:
        return i.detail_words(national=national)

    return (
        Column(_("Mes"), lambda i: i.month.strftime("%m/%Y")),
        Column(_("CUIL"), lambda i: i.worker.cuil_display),
        Column(_("Apellido"), lambda i: i.worker.last_name),
        Column(_("Nombre"), lambda i: i.worker.first_name),
        Column(_("Provincia"), lambda i: i.province),
        Column(_("Convenio"), lambda i: i.agreement.number),
        Column(_("Cuota"), lambda i: i.number),
        Column(_("Tipo"), lambda i: i.get_kind_display()),
        Column(_("Importe (ARS)"), lambda i: i.amount),
        Column(_("Estado"), lambda i: i.get_status_display()),
        Column(_("Detalle"), detail),
        Column(_("Pagada el"), lambda i: i.paid_at),
    )


BATCH_COLUMNS = (
    Column(_("Mes"), lambda b: b.month.strftime("%m/%Y")),
    Column(_("Alcance"), lambda b: b.agreement or b.province or _("Todo el país")),
    Column(_("Estado"), lambda b: b.get_status_display()),
    Column(_("Transferencias"), lambda b: b.item_count),
    Column(_("Total (ARS)"), lambda b: b.total_amount),
    Column(_("Retenidas"), lambda b: b.held_count),
    Column(_("Armó"), lambda b: _person(b.built_by)),
    Column(_("Armado el"), lambda b: b.built_at),
    Column(_("Aprobó"), lambda b: _person(b.approved_by)),
    Column(_("Aprobado el"), lambda b: b.approved_at),
)


def installments_noun(n: int) -> str:
    return ngettext("%(shown)s cuota por ARS %(amount)s", "%(shown)s cuotas por ARS %(amount)s", n)


def batches_noun(n: int) -> str:
    return ngettext("%(n)s lote", "%(n)s lotes", n)
