"""Query filters (django-filter) for the API's lists."""

from __future__ import annotations

import django_filters as filters

from api.models import StatusLookup
from enrollment.models import Enrollment, Worker
from training.models import Course, Referral


class WorkerFilter(filters.FilterSet):
    cuil = filters.CharFilter(field_name="cuil")
    last_name = filters.CharFilter(field_name="last_name_norm", lookup_expr="startswith", method="by_last_name")

    class Meta:
        model = Worker
        fields = ["cuil", "province", "registered_by"]

    def by_last_name(self, queryset, name, value):
        from enrollment.identity import normalise_name

        return queryset.filter(last_name_norm__startswith=normalise_name(value))


class EnrollmentFilter(filters.FilterSet):
    cuil = filters.CharFilter(field_name="worker__cuil")

    class Meta:
        model = Enrollment
        fields = ["cuil", "cycle", "status", "organisation"]


class CourseFilter(filters.FilterSet):
    starts_after = filters.DateFilter(field_name="start_date", lookup_expr="gte")
    starts_before = filters.DateFilter(field_name="start_date", lookup_expr="lte")

    class Meta:
        model = Course
        fields = ["province", "provider", "kind", "modality", "starts_after", "starts_before"]


class ReferralFilter(filters.FilterSet):
    cuil = filters.CharFilter(field_name="worker__cuil")
    cycle = filters.NumberFilter(field_name="enrollment__cycle")

    class Meta:
        model = Referral
        fields = ["cuil", "cycle", "course", "office", "line", "status"]


class StatusLookupFilter(filters.FilterSet):
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = StatusLookup
        fields = ["cuil", "user", "result", "since", "until"]
