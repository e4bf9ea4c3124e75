from django import forms
from django.utils.translation import gettext_lazy as _

from claims.models import Claim


class ClaimForm(forms.Form):
    """An officer files a claim on a worker's behalf; what it contests is chosen among that
    worker's records in the officer's scope."""

    subject = forms.ChoiceField(label=_("Qué reclama"), choices=Claim.Subject.choices)
    enrollment = forms.ModelChoiceField(label=_("Inscripción"), queryset=None, required=False)
    installment = forms.ModelChoiceField(label=_("Cuota"), queryset=None, required=False)
    flag = forms.ModelChoiceField(label=_("Alerta"), queryset=None, required=False)
    description = forms.CharField(label=_("Descripción"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)

    def __init__(self, *args, enrollments, installments, flags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrollment"].queryset = enrollments
        self.fields["installment"].queryset = installments
        self.fields["installment"].label_from_instance = lambda i: (
            f"{i.number} · {i.month:%m/%Y} · {i.get_status_display()}"
        )
        self.fields["flag"].queryset = flags
        self.fields["flag"].label_from_instance = lambda f: f"{f.get_kind_display()} · {f.reasons[:60]}"
        if not flags.exists():
            del self.fields["flag"]


class DecisionForm(forms.Form):
    resolution = forms.CharField(
        label=_("Motivo de la decisión"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
