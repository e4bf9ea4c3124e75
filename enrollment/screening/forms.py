from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.screening.models import ExternalRegistry


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decisión"),
        choices=[("same", _("Es la misma persona")), ("not_same", _("No es la misma persona"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Nota"), widget=forms.Textarea(attrs={"rows": 3}))


class AcceptHistoryForm(forms.Form):
    note = forms.CharField(
        label=_("Cómo se verificó la historia laboral"),
        help_text=_("Por ejemplo: recibos de sueldo de la última cosecha, constancia de RENATRE."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RegistryForm(forms.ModelForm):
    class Meta:
        model = ExternalRegistry
        fields = ["code", "programme", "kind", "is_incompatible"]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Archivo CSV"),
        help_text=_("Columnas: cuil, dni, apellido, nombre, fecha_nacimiento, desde, hasta (meses AAAA-MM)."),
    )


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class RunForm(forms.Form):
    cycle = forms.ModelChoiceField(label=_("Período"), queryset=None, required=False)
    month = forms.DateField(
        label=_("Mes de pago"), required=False, input_formats=["%Y-%m", "%Y-%m-%d"], widget=MonthInput()
    )
    monthly_aid = forms.DecimalField(
        label=_("Ayuda mensual (ARS)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text=_("Para comparar la remuneración formal con la ayuda del mes."),
    )

    def __init__(self, *args, cycles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles

    def clean(self):
        data = super().clean()
        if not data.get("cycle") and not data.get("month"):
            raise forms.ValidationError(_("Elija un período o un mes de pago."))
        return data
