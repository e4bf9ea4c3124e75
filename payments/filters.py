"""Query-string filters of the installment and batch lists (django-filter), so that every
dashboard figure about transfers links to exactly the installments it counts
(``/pagos/cuotas/?month=2026-05&status=paid&agreement=3``)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from payments.models import Installment, PaymentBatch
from provinces.filters import CuilFilter, ListFilterSet, MonthField, MonthFilter, StatusFilter, parse_month
from provinces.models import Agreement, Province

__all__ = ["BatchFilter", "InstallmentFilter", "MonthField", "MonthFilter", "parse_month"]


class InstallmentFilter(ListFilterSet):
    cuil = CuilFilter(field_name="worker__cuil")
    month = MonthFilter()
    status = StatusFilter(choices=Installment.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("Tipo"), choices=Installment.Kind.choices)
    province = django_filters.ModelChoiceFilter(label=_("Provincia"), queryset=Province.objects.all())
    agreement = django_filters.ModelChoiceFilter(
        label=_("Convenio"), queryset=Agreement.objects.select_related("province")
    )

    class Meta:
        model = Installment
        fields = ["cuil", "month", "status", "kind", "province", "agreement"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import agreements_for, provinces_for

            self.filters["province"].queryset = provinces_for(request.user)
            self.filters["agreement"].queryset = agreements_for(request.user).select_related("province")


class BatchFilter(ListFilterSet):
    month = MonthFilter(label=_("Mes del lote"))
    estado = StatusFilter(label=_("Estado del lote"), field_name="status", choices=PaymentBatch.Status.choices)
    province = django_filters.ModelChoiceFilter(label=_("Provincia del lote"), queryset=Province.objects.all())

    class Meta:
        model = PaymentBatch
        fields = ["month", "estado", "province"]
