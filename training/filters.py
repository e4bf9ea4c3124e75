"""Query-string filters of the referral list (django-filter), so that every dashboard figure
about referrals links to exactly the referrals it counts
(``/capacitacion/derivaciones/?status=completed&province=12``)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from provinces.models import Cycle, Province
from training.models import Referral


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(label=_("Estado"), choices=Referral.Status.choices)
    line = django_filters.ChoiceFilter(label=_("Línea"), choices=Referral.Line.choices)
    province = django_filters.ModelChoiceFilter(
        label=_("Provincia del convenio"),
        field_name="enrollment__cycle__agreement__province",
        queryset=Province.objects.all(),
    )
    cycle = django_filters.ModelChoiceFilter(
        label=_("Período"), field_name="enrollment__cycle", queryset=Cycle.objects.all()
    )
    job_placement = django_filters.BooleanFilter(label=_("Obtuvo empleo"))

    class Meta:
        model = Referral
        fields = ["status", "line", "province", "cycle", "job_placement"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import cycles_for, provinces_for

            self.filters["province"].queryset = provinces_for(request.user)
            self.filters["cycle"].queryset = cycles_for(request.user)
