import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from provinces.models import Agreement, Province


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "AAAA-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.datetime.strptime(value[:7], "%Y-%m").date()
        except ValueError as error:
            raise forms.ValidationError(_("Indique el mes como AAAA-MM.")) from error


class BatchRequestForm(forms.Form):
    month = MonthField(label=_("Mes"))
    province = forms.ModelChoiceField(Province.objects.all(), label=_("Provincia"), required=False)
    agreement = forms.ModelChoiceField(
        Agreement.objects.select_related("province"), label=_("Convenio"), required=False
    )


class YearForm(forms.Form):
    """The year of the monthly totals (``?anio=2026``); empty means every year."""

    anio = forms.IntegerField(label=_("Año"), min_value=2000, max_value=2100, required=False)


class ReturnFileForm(forms.Form):
    file = forms.FileField(label=_("Archivo de respuesta del banco"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motivo"), max_length=500)
