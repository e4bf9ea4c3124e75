"""Query-string filters of the enrollment list (django-filter), so that every dashboard figure
can link to exactly the rows it counts: ``/inscripciones/?status=approved&province=12``."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment
from provinces.models import Agreement, Crop, Cycle, Organisation, Province


class EnrollmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(label=_("Estado"), choices=Enrollment.Status.choices)
    province = django_filters.ModelChoiceFilter(
        label=_("Provincia"), field_name="cycle__agreement__province", queryset=Province.objects.all()
    )
    crop = django_filters.ModelChoiceFilter(label=_("Actividad"), field_name="cycle__crop", queryset=Crop.objects.all())
    agreement = django_filters.ModelChoiceFilter(
        label=_("Convenio"), field_name="cycle__agreement", queryset=Agreement.objects.all()
    )
    cycle = django_filters.ModelChoiceFilter(label=_("Período"), queryset=Cycle.objects.all())
    organisation = django_filters.ModelChoiceFilter(label=_("Organización"), queryset=Organisation.objects.all())

    class Meta:
        model = Enrollment
        fields = ["status", "province", "crop", "agreement", "cycle", "organisation"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            # Offer only choices within the user's scope.
            from provinces.selectors import agreements_for, cycles_for, organisations_for, provinces_for

            user = request.user
            self.filters["province"].queryset = provinces_for(user)
            self.filters["agreement"].queryset = agreements_for(user)
            self.filters["cycle"].queryset = cycles_for(user)
            self.filters["organisation"].queryset = organisations_for(user)
