import django_filters
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment
from provinces.models import Cycle, Province


class ReviewFilter(django_filters.FilterSet):
    """The review queue's filters. With no status chosen it shows what is pending review."""

    province = django_filters.ModelChoiceFilter(
        label=_("Provincia"), field_name="cycle__agreement__province", queryset=Province.objects.all()
    )
    cycle = django_filters.ModelChoiceFilter(
        label=_("Período"), queryset=Cycle.objects.select_related("agreement__province")
    )
    status = django_filters.ChoiceFilter(label=_("Estado"), choices=Enrollment.Status.choices, empty_label=None)

    class Meta:
        model = Enrollment
        fields = ["province", "cycle", "status"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("status"):
            data["status"] = Enrollment.Status.PENDING_REVIEW
        super().__init__(data, *args, **kwargs)
