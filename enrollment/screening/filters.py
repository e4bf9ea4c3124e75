"""The flags list's filters (``provinces.listing``): state (open by default), kind, level, the
worker's CUIL and the province, with the query names the dashboard's links use
(``/control/alertas/?estado=open&tipo=registry``)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enrollment.screening.models import MatchFlag
from enrollment.screening.selectors import ALL, RESOLVED
from provinces.filters import CuilFilter, ListFilterSet
from provinces.listing import Column
from provinces.models import Province


def _states():
    return [
        *MatchFlag.Status.choices[:1],
        (RESOLVED, _("Resueltas (cualquier decisión)")),
        *MatchFlag.Status.choices[1:],
        (ALL, _("Todas")),
    ]


class FlagFilter(ListFilterSet):
    estado = django_filters.ChoiceFilter(label=_("Estado"), choices=_states, method="filter_state", empty_label=None)
    tipo = django_filters.ChoiceFilter(label=_("Tipo"), field_name="kind", choices=MatchFlag.Kind.choices)
    nivel = django_filters.ChoiceFilter(label=_("Nivel"), field_name="level", choices=MatchFlag.Level.choices)
    cuil = CuilFilter(field_name="enrollment__worker__cuil")
    province = django_filters.ModelChoiceFilter(
        label=_("Provincia"), field_name="enrollment__cycle__agreement__province", queryset=Province.objects.all()
    )

    class Meta:
        model = MatchFlag
        fields = ["estado", "tipo", "nivel", "cuil", "province"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("estado"):
            data["estado"] = MatchFlag.Status.OPEN
        super().__init__(data, *args, **kwargs)

    def filter_state(self, queryset, name, value):
        if value == RESOLVED:
            return queryset.exclude(status=MatchFlag.Status.OPEN)
        if value == ALL:
            return queryset
        return queryset.filter(status=value)


FLAG_COLUMNS = (
    Column(_("CUIL"), lambda f: f.enrollment.worker.cuil_display),
    Column(_("Trabajador/a"), lambda f: f.enrollment.worker),
    Column(_("Período"), lambda f: f.enrollment.cycle),
    Column(_("Tipo"), lambda f: f.get_kind_display()),
    Column(_("Nivel"), lambda f: f.get_level_display()),
    Column(_("Puntaje"), lambda f: f.score),
    Column(_("Motivos"), lambda f: f.reasons),
    Column(_("Estado"), lambda f: f.get_status_display()),
    Column(_("Creada el"), lambda f: f.created_at),
)


def flags_noun(n: int) -> str:
    return ngettext("%(n)s alerta", "%(n)s alertas", n)
