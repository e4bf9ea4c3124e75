import datetime as dt
import re
from decimal import Decimal, InvalidOperation

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


class PesosField(forms.CharField):
    """An amount in pesos as people in Argentina type it: ``80.000,00`` (dots group thousands,
    a comma starts the cents), or plain ``80000.00``. Always a ``Decimal`` with two places."""

    def to_python(self, value):
        value = (super().to_python(value) or "").replace(" ", "").replace("$", "")
        if not value:
            return None
        if len(value) > 20:
            raise forms.ValidationError(_("Indique el monto en pesos, por ejemplo 80.000,00."))
        if "," in value:
            value = value.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"\d{1,3}(\.\d{3})+", value):
            value = value.replace(".", "")
        try:
            amount = Decimal(value)
        except InvalidOperation as error:
            raise forms.ValidationError(_("Indique el monto en pesos, por ejemplo 80.000,00.")) from error
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise forms.ValidationError(_("Indique un monto mayor que cero, con hasta dos decimales."))
        if amount >= Decimal("10000000000"):
            raise forms.ValidationError(_("El monto es demasiado grande."))
        return amount


class RateProposalForm(forms.Form):
    amount = PesosField(
        label=_("Monto mensual (ARS)"),
        help_text=_("Por ejemplo 80.000,00."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "20"}),
    )
    effective_month = MonthField(
        label=_("Vigente desde el mes"),
        help_text=_("Puede ser un mes pasado: al aprobarse se paga la diferencia de las cuotas ya pagadas."),
    )
    resolution = forms.CharField(label=_("Resolución"), max_length=80)
    published_on = forms.DateField(
        label=_("Publicada el (dd/mm/aaaa)"),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/aaaa", "inputmode": "numeric"}),
    )
    notes = forms.CharField(label=_("Observaciones"), max_length=200, required=False)
