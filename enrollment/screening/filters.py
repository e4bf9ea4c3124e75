"""The flags list's filters (``provinces.listing``): state (open by default), kind, level, the
worker's CUIL and the province, with the query names the dashboard's links use
(``/control/alertas/?estado=open&tipo=registry``); and the screening runs list's: its
description, state, period, month of pay and the days it was started."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enrollment.screening.models import MatchFlag, ScreeningRun
from enrollment.screening.selectors import ALL, RESOLVED
from provinces.filters import CuilFilter, DayRangeForm, ListFilterSet, MonthFilter, day_filters
from provinces.listing import Column
from provinces.models import Cycle, Province


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


class RunFilter(ListFilterSet):
    q = django_filters.CharFilter(
        label=_("Buscar"),
        method="filter_text",
        max_length=100,
        help_text=_("Descripción del control, número o mensaje."),
    )
    status = django_filters.ChoiceFilter(label=_("Estado"), choices=ScreeningRun.Status.choices, empty_label=_("Todos"))
    cycle = django_filters.ModelChoiceFilter(label=_("Período"), queryset=Cycle.objects.all())
    month = MonthFilter(label=_("Mes de pago"))
    since, until = day_filters("created_at", labels=(_("Iniciado desde el día"), _("Iniciado hasta el día")))

    class Meta:
        model = ScreeningRun
        form = DayRangeForm
        fields = ["q", "status", "cycle", "month", "since", "until"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import cycles_for

            self.filters["cycle"].queryset = cycles_for(request.user)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        match = Q(label__icontains=value) | Q(message__icontains=value)
        if value.isascii() and value.isdigit() and len(value) < 10:
            match |= Q(pk=int(value))
        return queryset.filter(match)


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


RUN_COLUMNS = (
    Column(_("N°"), lambda r: r.pk),
    Column(_("Control"), lambda r: str(r)),
    Column(_("Período"), lambda r: str(r.cycle or "")),
    Column(_("Mes de pago"), lambda r: r.month.strftime("%m/%Y") if r.month else ""),
    Column(_("Estado"), lambda r: r.get_status_display()),
    Column(_("Procesadas"), lambda r: r.done),
    Column(_("Total"), lambda r: r.total),
    Column(_("Alertas generadas"), lambda r: r.flags_raised),
    Column(_("Iniciado por"), lambda r: _person(r.started_by)),
    Column(_("Iniciado"), lambda r: r.created_at),
    Column(_("Terminado"), lambda r: r.finished_at),
    Column(_("Mensaje"), lambda r: r.message),
)


def runs_noun(n: int) -> str:
    return ngettext("%(n)s control", "%(n)s controles", n)
