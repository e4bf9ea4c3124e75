"""Query-string filters of the installment list (django-filter), so that every dashboard figure
about transfers links to exactly the installments it counts
(``/pagos/cuotas/?month=2026-05&status=paid&agreement=3``)."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import Installment
from provinces.models import Agreement, Province

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str) -> dt.date | None:
    """``2026-05`` → 1 May 2026; anything else → None."""
    match = _MONTH.match(value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return dt.date(year, month, 1) if 1 <= month <= 12 else None


class MonthField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(_("Indique el mes como AAAA-MM."), code="invalid")
        return month


class MonthFilter(django_filters.Filter):
    field_class = MonthField

    def filter(self, qs, value):
        return qs if value is None else qs.filter(month=value)


class InstallmentFilter(django_filters.FilterSet):
    month = MonthFilter(label=_("Mes (AAAA-MM)"))
    status = django_filters.MultipleChoiceFilter(label=_("Estado"), choices=Installment.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("Tipo"), choices=Installment.Kind.choices)
    province = django_filters.ModelChoiceFilter(label=_("Provincia"), queryset=Province.objects.all())
    agreement = django_filters.ModelChoiceFilter(
        label=_("Convenio"), queryset=Agreement.objects.select_related("province")
    )

    class Meta:
        model = Installment
        fields = ["month", "status", "kind", "province", "agreement"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import agreements_for, provinces_for

            self.filters["province"].queryset = provinces_for(request.user)
            self.filters["agreement"].queryset = agreements_for(request.user).select_related("province")
