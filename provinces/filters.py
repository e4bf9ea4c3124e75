"""Filters every list shares (django-filter): the CUIL, the month, a name search and states as
checkboxes. A value a filter cannot read is a form error shown next to the field (see
``provinces.listing``), never ignored."""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from provinces.forms import DateInput

_CUIL_SEPARATORS = re.compile(r"[\s.\-/]")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def cuil_digits(value: str) -> str | None:
    """The digits of a CUIL (or part of one) as people type it — ``20-22275822-0``,
    ``20222758220``, ``22275822`` — or None when it holds anything else or more than 11 digits."""
    digits = _CUIL_SEPARATORS.sub("", value or "")
    if not digits or not digits.isdigit() or len(digits) > 11:
        return None
    return digits


class CuilField(forms.CharField):
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "20-22275822-0"})

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", _("Completo (20-22275822-0 o 20222758220) o una parte: el DNI, por ejemplo."))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        digits = cuil_digits(value)
        if digits is None:
            raise forms.ValidationError(
                _("Escriba el CUIL con números (y guiones si quiere): 20-22275822-0, 20222758220 o una parte."),
                code="invalid",
            )
        return digits


class CuilFilter(django_filters.Filter):
    """A whole CUIL matches exactly; a part matches every CUIL that contains it."""

    field_class = CuilField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("CUIL"))
        kwargs.setdefault("field_name", "cuil")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        lookup = "exact" if len(value) == 11 else "contains"
        return qs.filter(**{f"{self.field_name}__{lookup}": value})


def parse_month(value: str) -> dt.date | None:
    """``2026-05`` → 1 May 2026; anything else → None."""
    match = _MONTH.match(value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return dt.date(year, month, 1) if 1 <= month <= 12 and 2000 <= year <= 2100 else None


class MonthField(forms.CharField):
    """A month picker (``<input type="month">``, which sends ``AAAA-MM``)."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"})

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(_("Indique el mes como AAAA-MM."), code="invalid")
        return month


class MonthFilter(django_filters.Filter):
    field_class = MonthField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Mes"))
        kwargs.setdefault("field_name", "month")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        return qs if value is None else qs.filter(**{self.field_name: value})


class StatusFilter(django_filters.MultipleChoiceFilter):
    """States as checkboxes (none ticked: every state)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Estado"))
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(*args, **kwargs)


class ListFilterSet(django_filters.FilterSet):
    """A list's filters. Their fields get ids of their own (``filtro_<name>``), so a page that
    also holds an action form with a field of the same name (a batch's month, a decision's
    status) has no two elements with one id."""

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form_class = self.get_form_class()
            data = self.data if self.is_bound else None
            self._form = form_class(data, prefix=self.form_prefix, auto_id="filtro_%s")
        return self._form


class DayRangeForm(forms.Form):
    """A list's filter form with a ``since``/``until`` pair of days: an inverted range is an
    error shown on the form (the list stays empty), never read as "no range"."""

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("La fecha «desde» es posterior a la fecha «hasta»."), code="inverted")
        return data


def day_filters(
    field_name: str, *, moment: bool = True, labels: tuple[str, str] | None = None
) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """``since`` and ``until``: the days (typed dd/mm/aaaa) a moment (its local day) or a date
    (``moment=False``) falls between, both included. Use them with ``Meta.form = DayRangeForm``."""
    suffix = "date__" if moment else ""
    since, until = labels or (_("Desde el día"), _("Hasta el día"))
    return (
        django_filters.DateFilter(label=since, field_name=field_name, lookup_expr=f"{suffix}gte", widget=DateInput()),
        django_filters.DateFilter(label=until, field_name=field_name, lookup_expr=f"{suffix}lte", widget=DateInput()),
    )
