"""The web lists of the API app (``provinces.listing``): the API tokens, searched by name, user
or prefix and filtered by state and the days they were created; and the status lookups log,
searched by the CUIL as it was asked (however it is typed now) and filtered by channel, result,
who asked and the days."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.models import ApiToken, StatusLookup
from provinces.display import format_cuil
from provinces.filters import DayRangeForm, ListFilterSet, cuil_digits, day_filters
from provinces.listing import Column

ACTIVE, EXPIRED, REVOKED = "active", "expired", "revoked"


class TokenFilter(ListFilterSet):
    q = django_filters.CharFilter(
        label=_("Buscar"), method="filter_text", max_length=100, help_text=_("Nombre, usuario o prefijo.")
    )
    state = django_filters.ChoiceFilter(
        label=_("Estado"),
        choices=[(ACTIVE, _("Activos")), (EXPIRED, _("Vencidos")), (REVOKED, _("Revocados"))],
        empty_label=_("Todos"),
        method="filter_state",
    )
    since, until = day_filters("created_at", labels=(_("Creado desde el día"), _("Creado hasta el día")))

    class Meta:
        model = ApiToken
        form = DayRangeForm
        fields = ["q", "state", "since", "until"]

    def filter_text(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(prefix__istartswith=word.rstrip("…"))
                | Q(user__username__icontains=word)
                | Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
            )
        return queryset

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        if value == REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        if value == EXPIRED:
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)


def token_state(token: ApiToken) -> str:
    if token.revoked_at:
        return str(_("Revocado"))
    return str(_("Activo") if token.is_active else _("Vencido"))


TOKEN_COLUMNS = (
    Column(_("Usuario"), lambda t: t.user.username),
    Column(_("Nombre"), lambda t: t.name),
    Column(_("Prefijo"), lambda t: f"{t.prefix}…"),
    Column(_("Creado"), lambda t: t.created_at),
    Column(_("Vence"), lambda t: t.expires_at),
    Column(_("Último uso"), lambda t: t.last_used_at),
    Column(_("Estado"), token_state),
    Column(_("Revocado el"), lambda t: t.revoked_at),
)


class LookupCuilFilter(django_filters.CharFilter):
    """The CUIL asked for: a whole one (with or without dashes) matches exactly, a part of one
    every CUIL that holds it; anything else matches the log's text as it was typed (the log
    keeps invalid CUILs as they came, and an auditor may look for one)."""

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        digits = cuil_digits(value)
        if digits is None:
            return qs.filter(cuil=value)
        if len(digits) == 11:
            return qs.filter(Q(cuil=digits) | Q(cuil=value))
        return qs.filter(cuil__contains=digits)


class LookupFilter(ListFilterSet):
    # Free text: the log keeps invalid CUILs as they were typed, and an auditor may look for one.
    cuil = LookupCuilFilter(label=_("CUIL consultado"), max_length=200)
    channel = django_filters.ChoiceFilter(
        label=_("Canal"), choices=StatusLookup.Channel.choices, empty_label=_("Todos")
    )
    result = django_filters.ChoiceFilter(
        label=_("Resultado"), choices=StatusLookup.Result.choices, empty_label=_("Todos")
    )
    who = django_filters.CharFilter(
        label=_("Usuario"), field_name="user__username", lookup_expr="icontains", max_length=150
    )
    since, until = day_filters("at")

    class Meta:
        model = StatusLookup
        form = DayRangeForm
        fields = ["cuil", "channel", "result", "who", "since", "until"]


LOOKUP_COLUMNS = (
    Column(_("Fecha y hora"), lambda lookup: lookup.at),
    Column(_("Canal"), lambda lookup: lookup.get_channel_display()),
    Column(_("Usuario"), lambda lookup: lookup.user.username if lookup.user_id else ""),
    Column(_("CUIL consultado"), lambda lookup: format_cuil(lookup.cuil)),
    Column(_("Resultado"), lambda lookup: lookup.get_result_display()),
    Column(_("Dirección IP"), lambda lookup: lookup.ip or ""),
)


def tokens_noun(n: int) -> str:
    return ngettext("%(n)s token", "%(n)s tokens", n)


def lookups_noun(n: int) -> str:
    return ngettext("%(n)s consulta", "%(n)s consultas", n)
