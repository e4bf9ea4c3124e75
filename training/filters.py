"""The training lists' filters and export columns (``provinces.listing``).

Referrals: by the worker's CUIL (whole or part) and name, state, line, the agreement's province,
period, placement and the days they were made; every dashboard figure about referrals links to
exactly the referrals it counts (``/capacitacion/derivaciones/?status=completed&province=12``).
Courses: by topic, institution or place, kind, modality, province and the days they start."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enrollment.filters import NameSearchFilter
from provinces.filters import CuilFilter, DayRangeForm, ListFilterSet, day_filters
from provinces.listing import Column
from provinces.models import Cycle, Province
from training.models import Course, Referral


class ReferralFilter(ListFilterSet):
    cuil = CuilFilter(field_name="worker__cuil")
    name = NameSearchFilter(prefix="worker__")
    status = django_filters.MultipleChoiceFilter(label=_("Estado"), choices=Referral.Status.choices)
    line = django_filters.ChoiceFilter(label=_("Línea"), choices=Referral.Line.choices, empty_label=_("Todas"))
    province = django_filters.ModelChoiceFilter(
        label=_("Provincia del convenio"),
        field_name="enrollment__cycle__agreement__province",
        queryset=Province.objects.all(),
    )
    cycle = django_filters.ModelChoiceFilter(
        label=_("Período"), field_name="enrollment__cycle", queryset=Cycle.objects.all()
    )
    job_placement = django_filters.BooleanFilter(label=_("Obtuvo empleo"))
    since, until = day_filters("referred_on", moment=False)

    class Meta:
        model = Referral
        form = DayRangeForm
        fields = ["cuil", "name", "status", "line", "province", "cycle", "job_placement", "since", "until"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import cycles_for, provinces_for

            self.filters["province"].queryset = provinces_for(request.user)
            self.filters["cycle"].queryset = cycles_for(request.user)


class CourseFilter(ListFilterSet):
    q = django_filters.CharFilter(
        label=_("Buscar"),
        method="filter_text",
        max_length=100,
        help_text=_("Temática, institución, lugar o localidad."),
    )
    kind = django_filters.ChoiceFilter(label=_("Tipo"), choices=Course.Kind.choices, empty_label=_("Todos"))
    modality = django_filters.ChoiceFilter(
        label=_("Modalidad"), choices=Course.Modality.choices, empty_label=_("Todas")
    )
    province = django_filters.ModelChoiceFilter(label=_("Provincia"), queryset=Province.objects.all())
    since, until = day_filters(
        "start_date", moment=False, labels=(_("Empieza desde el día"), _("Empieza hasta el día"))
    )

    class Meta:
        model = Course
        form = DayRangeForm
        fields = ["q", "kind", "modality", "province", "since", "until"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is not None:
            from provinces.selectors import provinces_for

            self.filters["province"].queryset = provinces_for(request.user)

    def filter_text(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(topic__icontains=word)
                | Q(provider__name__icontains=word)
                | Q(place__icontains=word)
                | Q(locality__icontains=word)
            )
        return queryset


def _destination(r: Referral) -> str:
    if r.course_id:
        return f"{r.course.topic} ({r.course.provider})"
    if r.office_id:
        return str(r.office)
    return str(r.destination_province or "")


REFERRAL_COLUMNS = (
    Column(_("CUIL"), lambda r: r.worker.cuil_display),
    Column(_("Apellido"), lambda r: r.worker.last_name),
    Column(_("Nombre"), lambda r: r.worker.first_name),
    Column(_("Período"), lambda r: str(r.enrollment.cycle)),
    Column(_("Provincia del convenio"), lambda r: str(r.enrollment.cycle.agreement.province)),
    Column(_("Línea"), lambda r: r.get_line_display()),
    Column(_("Destino"), _destination),
    Column(_("Derivada el"), lambda r: r.referred_on),
    Column(_("Estado"), lambda r: r.get_status_display()),
    Column(_("Encuentros asistidos"), lambda r: r.sessions_attended),
    Column(_("Número de certificado"), lambda r: r.certificate_number),
    Column(_("Obtuvo empleo"), lambda r: r.job_placement),
    Column(_("Empleador"), lambda r: r.employer),
)

COURSE_COLUMNS = (
    Column(_("Temática"), lambda c: c.topic),
    Column(_("Tipo"), lambda c: c.get_kind_display()),
    Column(_("Institución"), lambda c: c.provider.name),
    Column(_("Lugar"), lambda c: c.place),
    Column(_("Localidad"), lambda c: c.locality),
    Column(_("Provincia"), lambda c: str(c.province)),
    Column(_("Inicio"), lambda c: c.start_date),
    Column(_("Fin"), lambda c: c.end_date),
    Column(_("Modalidad"), lambda c: c.get_modality_display()),
    Column(_("Encuentros"), lambda c: c.sessions),
    Column(_("Vacantes"), lambda c: c.capacity),
    Column(_("Vacantes ocupadas"), lambda c: c.seats_taken),
)


def referrals_noun(n: int) -> str:
    return ngettext("%(n)s derivación", "%(n)s derivaciones", n)


def courses_noun(n: int) -> str:
    return ngettext("%(n)s curso o entrenamiento", "%(n)s cursos y entrenamientos", n)
