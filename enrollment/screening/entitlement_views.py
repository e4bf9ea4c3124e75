"""Pages for the entitlement rule table ("Meses de ayuda"): the tables in force, proposed and
past; proposing a new one; a table's page with its decision. They parse, call
``enrollment.screening.entitlement`` and render; the rules live there."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.screening import entitlement
from enrollment.screening.entitlement_models import EntitlementRuleSet
from provinces.forms import DateInput, apply_service_errors

Status = EntitlementRuleSet.Status


class RuleSetForm(forms.Form):
    effective_from = forms.DateField(
        label=gettext_lazy("Vigente desde"),
        help_text=gettext_lazy("Se aplica a los períodos que empiezan en esta fecha o después."),
        widget=DateInput(),
    )
    window_months = forms.IntegerField(
        label=gettext_lazy("Meses de historia SIPA considerados"), min_value=1, max_value=24, initial=12
    )
    note = forms.CharField(
        label=gettext_lazy("Fundamento (resolución o motivo)"), widget=forms.Textarea(attrs={"rows": 2})
    )


class BracketForm(forms.Form):
    min_pay_months = forms.IntegerField(label=gettext_lazy("Desde"), min_value=0, max_value=24, required=False)
    max_pay_months = forms.IntegerField(label=gettext_lazy("Hasta"), min_value=0, max_value=24, required=False)
    months = forms.IntegerField(label=gettext_lazy("Meses de ayuda"), min_value=0, max_value=12, required=False)

    def clean(self):
        data = super().clean()
        filled = [data.get(name) is not None for name in ("min_pay_months", "max_pay_months", "months")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(_("Complete desde, hasta y meses de ayuda del tramo, o deje la fila vacía."))
        return data


BracketFormSet = forms.formset_factory(BracketForm, extra=2)


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Nota de la decisión"),
        required=False,
        help_text=gettext_lazy("Obligatoria para rechazar."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _brackets_from(formset) -> list[entitlement.Bracket]:
    return [
        entitlement.Bracket(*(f.cleaned_data[k] for k in ("min_pay_months", "max_pay_months", "months")))
        for f in formset.forms
        if f.cleaned_data.get("months") is not None
    ]


def _require_reader(user) -> None:
    if not entitlement.may_read(user):
        raise PermissionDenied


@login_required
def rule_set_list(request):
    _require_reader(request.user)
    tables = list(entitlement.rule_sets_for(request.user))
    in_force = entitlement.rule_set_in_force(timezone.localdate())
    return render(
        request,
        "screening/entitlement_list.html",
        {
            "in_force": in_force,
            "proposed": [t for t in tables if t.status == Status.PROPOSED],
            "others": [t for t in tables if t.status != Status.PROPOSED and t != in_force],
            "may_propose": entitlement.may_propose(request.user),
        },
    )


@login_required
def propose(request):
    if not entitlement.may_propose(request.user):
        raise PermissionDenied
    current = entitlement.rule_set_in_force(timezone.localdate())
    initial = [
        {"min_pay_months": b.min_pay_months, "max_pay_months": b.max_pay_months, "months": b.months}
        for b in (current.brackets.all() if current else [])
    ]
    form = RuleSetForm(request.POST or None, initial={"window_months": current.window_months if current else 12})
    formset = BracketFormSet(request.POST or None, prefix="tramos", initial=initial)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            brackets = _brackets_from(formset)
            rule_set = entitlement.propose_rule_set(by=request.user, brackets=brackets, **form.cleaned_data)
        except ValidationError as error:  # the rows' errors ("brackets") go at the top of the form
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Tabla propuesta. Se aplica cuando otra persona del Ministerio la apruebe."))
            return redirect("screening:entitlement_detail", pk=rule_set.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "screening/entitlement_form.html", {"form": form, "formset": formset}, status=status)


@login_required
def rule_set_detail(request, pk):
    _require_reader(request.user)
    rule_set = get_object_or_404(entitlement.rule_sets_for(request.user), pk=pk)
    form = DecisionForm(request.POST or None)
    why_not = entitlement.why_cannot_decide(request.user, rule_set)
    may_withdraw = rule_set.status == Status.PROPOSED and rule_set.proposed_by_id == request.user.pk
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("approve", "reject", "withdraw"):
            raise PermissionDenied
        if form.is_valid():
            note = form.cleaned_data["note"]
            try:
                if action == "approve":
                    entitlement.approve_rule_set(rule_set=rule_set, by=request.user, note=note)
                    messages.success(request, _("Tabla aprobada."))
                elif action == "reject":
                    entitlement.reject_rule_set(rule_set=rule_set, by=request.user, note=note)
                    messages.success(request, _("Tabla rechazada."))
                else:
                    entitlement.withdraw_rule_set(rule_set=rule_set, by=request.user, note=note)
                    messages.success(request, _("Propuesta retirada."))
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return redirect("screening:entitlement_detail", pk=rule_set.pk)
    return render(
        request,
        "screening/entitlement_detail.html",
        {
            "rule_set": rule_set,
            "form": form,
            "may_decide": not why_not,
            "may_withdraw": may_withdraw,
            "why_not": why_not if rule_set.status == Status.PROPOSED else "",
        },
        status=400 if form.errors else 200,
    )
