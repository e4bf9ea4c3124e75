"""The audit page's filters: who made the change, on what kind of record, and when."""

from __future__ import annotations

import django_filters
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from provinces.audit import AUDITED_MODELS, event_models_of
from provinces.filters import ListFilterSet
from provinces.forms import DateInput


def _what_choices():
    choices = []
    for key, label in AUDITED_MODELS.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        choices.append((key, str(capfirst(model._meta.verbose_name_plural))))
    return sorted(choices, key=lambda choice: choice[1])


class AuditFilter(ListFilterSet):
    who = django_filters.CharFilter(
        label=_("Quién"),
        method="filter_who",
        max_length=100,
        help_text=_("Usuario, nombre o apellido de quien hizo el cambio."),
    )
    what = django_filters.ChoiceFilter(label=_("Qué"), choices=_what_choices, method="filter_what")
    since = django_filters.DateFilter(
        label=_("Desde el día"),
        field_name="pgh_created_at",
        lookup_expr="date__gte",
        widget=DateInput(),
    )
    until = django_filters.DateFilter(
        label=_("Hasta el día"),
        field_name="pgh_created_at",
        lookup_expr="date__lte",
        widget=DateInput(),
    )

    class Meta:
        model = Events
        fields = ["who", "what", "since", "until"]

    def filter_who(self, queryset, name, value):
        users = get_user_model().objects.all()
        for word in value.split():
            users = users.filter(
                Q(username__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
            )
        ids = list(users.values_list("pk", flat=True)[:500])
        return queryset.filter(pgh_context__user__in=ids) if ids else queryset.none()

    def filter_what(self, queryset, name, value):
        return queryset.across(*event_models_of(AUDITED_MODELS[value]))
