"""The outbox list's filters and export columns (``provinces.listing``): the worker's CUIL (whole
or part, however typed) and name, the message's kind, state and channel, the worker's province
and the days it was written."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enrollment.filters import NameSearchFilter
from notifications.models import Message
from provinces.filters import CuilFilter, DayRangeForm, ListFilterSet, day_filters
from provinces.listing import Column
from provinces.models import Province


class OutboxFilter(ListFilterSet):
    cuil = CuilFilter(field_name="worker__cuil")
    name = NameSearchFilter(prefix="worker__")
    kind = django_filters.ChoiceFilter(label=_("Tipo"), choices=Message.Kind.choices, empty_label=_("Todos"))
    status = django_filters.ChoiceFilter(label=_("Estado"), choices=Message.Status.choices, empty_label=_("Todos"))
    channel = django_filters.ChoiceFilter(label=_("Canal"), choices=Message.Channel.choices, empty_label=_("Todos"))
    province = django_filters.ModelChoiceFilter(
        label=_("Provincia de la persona"), field_name="worker__province", queryset=Province.objects.all()
    )
    since, until = day_filters("created_at")

    class Meta:
        model = Message
        form = DayRangeForm
        fields = ["cuil", "name", "kind", "status", "channel", "province", "since", "until"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import provinces_for

            self.filters["province"].queryset = provinces_for(request.user)


OUTBOX_COLUMNS = (
    Column(_("Aviso"), lambda m: m.pk),
    Column(_("Escrito"), lambda m: m.created_at),
    Column(_("CUIL"), lambda m: m.worker.cuil_display),
    Column(_("Apellido"), lambda m: m.worker.last_name),
    Column(_("Nombre"), lambda m: m.worker.first_name),
    Column(_("Tipo"), lambda m: m.get_kind_display()),
    Column(_("Canal"), lambda m: m.get_channel_display()),
    Column(_("Destinatario"), lambda m: m.recipient),
    Column(_("Estado"), lambda m: m.get_status_display()),
    Column(_("Intentos"), lambda m: m.attempts),
    Column(_("Enviado"), lambda m: m.sent_at),
    Column(_("Último error"), lambda m: m.last_error),
    Column(_("Texto"), lambda m: m.body),
)


def messages_noun(n: int) -> str:
    return ngettext("%(n)s aviso", "%(n)s avisos", n)
