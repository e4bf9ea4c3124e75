import django_filters
from django.apps import apps
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment
from provinces.models import Cycle, Province


def screening_installed() -> bool:
    """The screening engine (``enrollment.screening``, label ``screening``) is its own app."""
    return apps.is_installed("enrollment.screening")


class ReviewFilter(django_filters.FilterSet):
    """The review queue's filters. With no status chosen it shows what is pending review. The
    flags filter appears when the screening app is installed."""

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
        if not screening_installed():
            self.filters.pop("flags")

    def filter_flags(self, queryset, name, value):
        flag_model = apps.get_model("screening", "MatchFlag")
        unresolved = flag_model.objects.filter(enrollment=OuterRef("pk"), status="open")
        if value == "blocking":
            unresolved = unresolved.filter(level="same")
        if value == "none":
            return queryset.filter(~Exists(unresolved))
        return queryset.filter(Exists(unresolved))
