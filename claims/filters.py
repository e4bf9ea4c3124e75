"""The claims list's filters and export columns (``provinces.listing``): by CUIL (whole or part),
name, state (open ones unless another is chosen), what is claimed, who filed it, the channel,
the province and overdue ones."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from claims.models import Claim
from enrollment.filters import NameSearchFilter
from provinces.filters import CuilFilter, ListFilterSet
from provinces.listing import Column
from provinces.models import Province

OPEN = ""
ALL = "all"


class ClaimFilter(ListFilterSet):
    cuil = CuilFilter(field_name="worker__cuil")
    name = NameSearchFilter(prefix="worker__")
    status = django_filters.ChoiceFilter(
        label=_("Estado"),
        choices=[(OPEN, _("Abiertos")), *Claim.Status.choices, (ALL, _("Todos"))],
        empty_label=None,
        method="filter_status",
    )
    subject = django_filters.ChoiceFilter(label=_("Qué reclama"), choices=Claim.Subject.choices, empty_label=_("Todo"))
    filed_by_kind = django_filters.ChoiceFilter(
        label=_("Presentado por"), choices=Claim.FiledBy.choices, empty_label=_("Cualquiera")
    )
    channel = django_filters.ChoiceFilter(label=_("Canal"), choices=Claim.Channel.choices, empty_label=_("Cualquiera"))
    province = django_filters.ModelChoiceFilter(
        label=_("Provincia"), queryset=Province.objects.all(), method="filter_province"
    )
    overdue = django_filters.BooleanFilter(
        label=_("Solo vencidos"), widget=forms.CheckboxInput, method="filter_overdue"
    )

    class Meta:
        model = Claim
        fields = ["cuil", "name", "status", "subject", "filed_by_kind", "channel", "province", "overdue"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import provinces_for

            self.filters["province"].queryset = provinces_for(request.user)

    @property
    def qs(self):
        rows = super().qs
        # With no state chosen (the default, "Abiertos"), the list holds the open claims.
        if self.is_bound and not self.form.cleaned_data.get("status"):
            rows = rows.filter(status__in=Claim.OPEN_STATES)
        return rows

    def filter_status(self, queryset, name, value):
        if value == ALL:
            return queryset
        return queryset.filter(status=value)

    def filter_province(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(Q(worker__province=value) | Q(enrollment__cycle__agreement__province=value))

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status__in=Claim.OPEN_STATES, due_on__lt=timezone.localdate())


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


CLAIM_COLUMNS = (
    Column(_("N°"), lambda c: c.pk),
    Column(_("CUIL"), lambda c: c.worker.cuil_display),
    Column(_("Apellido"), lambda c: c.worker.last_name),
    Column(_("Nombre"), lambda c: c.worker.first_name),
    Column(_("Qué reclama"), lambda c: c.get_subject_display()),
    Column(_("Estado"), lambda c: c.get_status_display()),
    Column(_("Presentado por"), lambda c: c.get_filed_by_kind_display()),
    Column(_("Canal"), lambda c: c.get_channel_display()),
    Column(_("Organización"), lambda c: c.organisation or ""),
    Column(_("Presentado el"), lambda c: c.created_at),
    Column(_("Vence"), lambda c: c.due_on),
    Column(_("Resuelto el"), lambda c: c.decided_at),
    Column(_("Tomado por"), lambda c: _person(c.taken_by)),
    Column(_("Descripción"), lambda c: c.description),
    Column(_("Resolución"), lambda c: c.resolution),
    Column(_("Efecto"), lambda c: c.effect),
)


def claims_noun(n: int) -> str:
    return ngettext("%(n)s reclamo", "%(n)s reclamos", n)
