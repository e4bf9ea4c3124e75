"""Query-string filters (django-filter): the review queue's, and the enrollment list's, so that
every dashboard figure can link to exactly the rows it counts
(``/inscripciones/?status=approved&province=12``)."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment
from provinces.models import Agreement, Crop, Cycle, Organisation, Province


class ReviewFilter(django_filters.FilterSet):
    """The review queue's filters. With no status chosen it shows what is pending review; the
    flags filter narrows to enrollments with (blocking) unresolved screening flags."""

    province = django_filters.ModelChoiceFilter(
        label=_("Provincia"), field_name="cycle__agreement__province", queryset=Province.objects.all()
    )
    cycle = django_filters.ModelChoiceFilter(
        label=_("Período"), queryset=Cycle.objects.select_related("agreement__province")
    )
    status = django_filters.ChoiceFilter(label=_("Estado"), choices=Enrollment.Status.choices, empty_label=None)
    flags = django_filters.ChoiceFilter(
        label=_("Alertas de control"),
        choices=[
            ("open", _("Con alertas sin resolver")),
            ("blocking", _("Con alertas que bloquean, sin resolver")),
            ("none", _("Sin alertas sin resolver")),
        ],
        method="filter_flags",
    )

    class Meta:
        model = Enrollment
        fields = ["province", "cycle", "status"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("status"):
            data["status"] = Enrollment.Status.PENDING_REVIEW
        super().__init__(data, *args, **kwargs)

    def filter_flags(self, queryset, name, value):
        from enrollment.screening.models import MatchFlag  # the screening app builds on this one

        unresolved = MatchFlag.objects.filter(enrollment=OuterRef("pk"), status=MatchFlag.Status.OPEN)
        if value == "blocking":
            unresolved = unresolved.filter(level=MatchFlag.Level.SAME)
        if value == "none":
            return queryset.filter(~Exists(unresolved))
        return queryset.filter(Exists(unresolved))


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
