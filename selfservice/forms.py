from django import forms
from django.utils.translation import gettext_lazy as _

from claims.models import Claim
from claims.services import MAX_DESCRIPTION
from enrollment.identity import compact_cuil, is_valid_cuil


class LookupForm(forms.Form):
    cuil = forms.CharField(
        label=_("CUIL"),
        max_length=13,
        help_text=_("Los 11 números, con o sin guiones: 20-12345678-3."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    birth_date = forms.DateField(
        label=_("Fecha de nacimiento"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text=_("Día, mes y año: 25/03/1985."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "bday", "placeholder": "dd/mm/aaaa"}),
        error_messages={"invalid": _("Escriba la fecha como dd/mm/aaaa.")},
    )

    def clean_cuil(self) -> str:
        value = compact_cuil(self.cleaned_data["cuil"])
        if not is_valid_cuil(value):
            raise forms.ValidationError(_("El CUIL no es válido: revise los 11 números."))
        return value


class PublicClaimForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    subject = forms.ChoiceField(label=_("¿Qué quiere reclamar?"), choices=Claim.Subject.choices)
    description = forms.CharField(
        label=_("Cuéntenos qué pasó"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, subjects=None, **kwargs):
        super().__init__(*args, **kwargs)
        if subjects is not None:
            self.fields["subject"].choices = subjects
