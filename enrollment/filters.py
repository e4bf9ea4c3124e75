"""Query-string filters (django-filter): the review queue's, and the enrollment list's, so that
every dashboard figure can link to exactly the rows it counts
(``/inscripciones/?status=approved&province=12``)."""

import django_filters
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from enrollment.identity import normalise_name
from enrollment.models import (
    CbuChangeRequest,
    Enrollment,
    IdentityReview,
    ImportJob,
    ImportPeriod,
    ImportRow,
    Worker,
)
from enrollment.screening import sweep
from provinces.filters import CuilFilter, ListFilterSet, StatusFilter
from provinces.models import Agreement, Crop, Cycle, Organisation, Province


class NameSearchFilter(django_filters.CharFilter):
    """Words of a name, each matching the start of a word of the surnames or names, without
    caring for accents or case (read from the ``*_norm`` columns the worker keeps)."""

    def __init__(self, *args, prefix: str = "", **kwargs):
        kwargs.setdefault("label", _("Apellido o nombre"))
        kwargs.setdefault("max_length", 100)
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        for word in normalise_name(value).split():
            qs = qs.filter(
                Q(**{f"{self.prefix}last_name_norm__startswith": word})
                | Q(**{f"{self.prefix}last_name_norm__contains": f" {word}"})
                | Q(**{f"{self.prefix}first_name_norm__startswith": word})
                | Q(**{f"{self.prefix}first_name_norm__contains": f" {word}"})
            )
        return qs


class ReviewFilter(ListFilterSet):
    """The review queue's filters. With no status chosen it shows what is pending review; the
    flags filter narrows to enrollments with (blocking) unresolved screening flags."""

    cuil = CuilFilter(field_name="worker__cuil")
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
        fields = ["cuil", "province", "cycle", "status"]

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


class WorkerFilter(ListFilterSet):
    """The workers list: by CUIL (whole or part), name, province of residence and the
    organisation that registered them."""

    cuil = CuilFilter()
    name = NameSearchFilter()
    province = django_filters.ModelChoiceFilter(label=_("Provincia"), queryset=Province.objects.all())
    registered_by = django_filters.ModelChoiceFilter(label=_("Registrado/a por"), queryset=Organisation.objects.all())

    class Meta:
        model = Worker
        fields = ["cuil", "name", "province", "registered_by"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import organisations_for, provinces_for

            self.filters["province"].queryset = provinces_for(request.user)
            self.filters["registered_by"].queryset = organisations_for(request.user)


class EnrollmentFilter(ListFilterSet):
    cuil = CuilFilter(field_name="worker__cuil")
    name = NameSearchFilter(prefix="worker__")
    status = StatusFilter(choices=Enrollment.Status.choices)
    province = django_filters.ModelChoiceFilter(
        label=_("Provincia"), field_name="cycle__agreement__province", queryset=Province.objects.all()
    )
    crop = django_filters.ModelChoiceFilter(label=_("Actividad"), field_name="cycle__crop", queryset=Crop.objects.all())
    agreement = django_filters.ModelChoiceFilter(
        label=_("Convenio"), field_name="cycle__agreement", queryset=Agreement.objects.all()
    )
    cycle = django_filters.ModelChoiceFilter(label=_("Período"), queryset=Cycle.objects.all())
    organisation = django_filters.ModelChoiceFilter(label=_("Organización"), queryset=Organisation.objects.all())
    sin_controlar = django_filters.ChoiceFilter(
        label=_("Sin controlar"),
        choices=[("vencido", _("Desde hace más del plazo")), ("fallido", _("El control falló dos veces"))],
        method="filter_unscreened",
    )

    def filter_unscreened(self, qs, name, value):
        """The home page's lines of enrollments left unscreened (``enrollment.screening.sweep``)."""
        if value == "fallido":
            return sweep.given_up(qs)
        if value == "vencido":
            return sweep.stale(qs)
        return qs

    class Meta:
        model = Enrollment
        fields = ["cuil", "name", "status", "province", "crop", "agreement", "cycle", "organisation"]

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


class IdentityReviewFilter(ListFilterSet):
    """The identity reviews queue: open ones by default, by reason and CUIL."""

    estado = django_filters.ChoiceFilter(
        label=_("Estado"), field_name="state", choices=IdentityReview.State.choices, empty_label=None
    )
    kind = django_filters.ChoiceFilter(label=_("Motivo"), choices=IdentityReview.Kind.choices)
    cuil = CuilFilter()

    class Meta:
        model = IdentityReview
        fields = ["estado", "kind", "cuil"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("estado"):
            data["estado"] = IdentityReview.State.OPEN
        super().__init__(data, *args, **kwargs)


class CbuChangeFilter(ListFilterSet):
    """The CBU changes queue: pending ones by default, by the worker's CUIL or name."""

    estado = django_filters.ChoiceFilter(
        label=_("Estado"), field_name="status", choices=CbuChangeRequest.Status.choices, empty_label=None
    )
    cuil = CuilFilter(field_name="worker__cuil")
    name = NameSearchFilter(prefix="worker__")

    class Meta:
        model = CbuChangeRequest
        fields = ["estado", "cuil", "name"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("estado"):
            data["estado"] = CbuChangeRequest.Status.PENDING
        super().__init__(data, *args, **kwargs)


class ImportJobFilter(ListFilterSet):
    """The survey lists: by file name, state (checkboxes), province, period and organisation,
    and by a CUIL the list brings — in its rows still to import, in the identity reviews it
    opened, or in the enrollments it created (the audit trail keeps which list created each)."""

    archivo = django_filters.CharFilter(
        label=_("Nombre del archivo"), field_name="original_name", lookup_expr="icontains", max_length=100
    )
    cuil = CuilFilter(method="filter_cuil", help_text=_("Padrones que traen ese CUIL (completo o una parte)."))
    estado = StatusFilter(field_name="status", choices=ImportJob.Status.choices)
    province = django_filters.ModelChoiceFilter(
        label=_("Provincia"), queryset=Province.objects.all(), method="filter_period"
    )
    cycle = django_filters.ModelChoiceFilter(label=_("Período"), queryset=Cycle.objects.all(), method="filter_period")
    organisation = django_filters.ModelChoiceFilter(label=_("Organización"), queryset=Organisation.objects.all())

    class Meta:
        model = ImportJob
        fields = ["archivo", "cuil", "estado", "province", "cycle", "organisation"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import cycles_for, organisations_for, provinces_for

            user = request.user
            self.filters["province"].queryset = provinces_for(user)
            self.filters["cycle"].queryset = cycles_for(user)
            self.filters["organisation"].queryset = organisations_for(user)

    def filter_period(self, queryset, name, value):
        """A list mixing activities or provinces goes to several periods: any of them matches."""
        lookup = "cycle" if name == "cycle" else "cycle__agreement__province"
        periods = ImportPeriod.objects.filter(job=OuterRef("pk"), **{lookup: value})
        return queryset.filter(Q(**{lookup: value}) | Exists(periods))

    def filter_cuil(self, queryset, name, value):
        from django.apps import apps

        lookup = "cuil" if len(value) == 11 else "cuil__contains"
        job = OuterRef("pk")
        created = apps.get_model("enrollment", "EnrollmentEvent").objects.filter(
            pgh_label="insert",
            status_reason=Concat(Value("importación de padrón "), Cast(job, CharField())),
            **{f"worker__{lookup}": value},
        )
        return queryset.filter(
            Exists(ImportRow.objects.filter(job=job, **{lookup: value}))
            | Exists(IdentityReview.objects.filter(import_job=job, **{lookup: value}))
            | Exists(created)
        )
