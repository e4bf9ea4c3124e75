"""Forms of the enrollment page's transitions after approval: suspend (coded cause and note),
reinstate (reason, and the passed months stated as owed), withdraw at the worker's request.
The rules are the services'; these only parse what the person typed."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.models import SuspensionCause, SuspensionProposal


class SuspendForm(forms.Form):
    cause = forms.ChoiceField(
        label=_("Causa de la suspensión"), choices=[("", _("Elija una causa"))] + SuspensionCause.choices
    )
    note = forms.CharField(
        label=_("Nota"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Qué se encontró y dónde consta."),
    )


class ReinstateForm(forms.Form):
    reason = forms.CharField(
        label=_("Por qué se rehabilita"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    owed_months = forms.MultipleChoiceField(
        label=_("Meses ya transcurridos que se adeudan"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Sin marcar, los meses que pasaron durante la suspensión no se pagan."),
    )
    owed_reason = forms.CharField(
        label=_("Por qué se adeudan esos meses"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, passed_months: list[dt.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owed_months"].choices = [(m.isoformat(), m.strftime("%m/%Y")) for m in passed_months]
        if not passed_months:
            del self.fields["owed_months"]
            del self.fields["owed_reason"]

    def owed(self) -> list[dt.date]:
        return [dt.date.fromisoformat(value) for value in self.cleaned_data.get("owed_months") or []]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Por qué pide la baja"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("La baja es a pedido del trabajador/a y no se puede deshacer."),
    )


class ProposalDecisionForm(forms.Form):
    ACTIONS = [("accept", _("Suspender con esta causa")), ("dismiss", _("Descartar"))]

    proposal = forms.ModelChoiceField(queryset=SuspensionProposal.objects.none(), widget=forms.HiddenInput)
    action = forms.ChoiceField(label=_("Decisión"), choices=ACTIONS)
    reason = forms.CharField(
        label=_("Nota"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Obligatoria: qué verificó antes de suspender, o por qué descarta la propuesta."),
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposal"].queryset = queryset
