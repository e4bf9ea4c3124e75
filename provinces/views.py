from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from provinces import audit, services
from provinces.forms import (
    AgreementForm,
    CycleForm,
    OrganisationForm,
    QuotaFormSet,
    apply_service_errors,
    quotas_from,
)
from provinces.scoping import require_perm
from provinces.selectors import agreements_for, cycles_for, memberships_for, organisations_for


@login_required
def agreement_list(request):
    agreements = agreements_for(request.user).prefetch_related("quotas__crop")
    return render(request, "provinces/agreement_list.html", {"agreements": agreements})


@login_required
def agreement_detail(request, pk):
    agreement = get_object_or_404(agreements_for(request.user), pk=pk)
    return render(
        request,
        "provinces/agreement_detail.html",
        {"agreement": agreement, "quotas": agreement.quotas.select_related("crop"), "cycles": agreement.cycles.all()},
    )


@login_required
def agreement_edit(request, pk=None):
    agreement = get_object_or_404(agreements_for(request.user), pk=pk) if pk else None
    require_perm(request.user, "provinces.change_agreement" if agreement else "provinces.add_agreement")
    initial_quotas = [{"crop": q.crop, "quota": q.quota} for q in agreement.quotas.all()] if agreement else []
    if request.method == "POST":
        form = AgreementForm(request.POST, instance=agreement)
        formset = QuotaFormSet(request.POST, prefix="quotas")
        if form.is_valid() and formset.is_valid():
            try:
                saved = services.save_agreement(
                    by=request.user,
                    agreement=agreement,
                    quotas=quotas_from(formset),
                    **form.cleaned_data,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict") and "quotas" in error.error_dict:
                    for message in error.error_dict.pop("quotas"):
                        formset._non_form_errors = formset.error_class(
                            list(formset.non_form_errors()) + list(message.messages)
                        )
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Convenio %(number)s guardado.") % {"number": saved.number})
                return redirect("provinces:agreement_detail", pk=saved.pk)
    else:
        form = AgreementForm(instance=agreement)
        formset = QuotaFormSet(prefix="quotas", initial=initial_quotas)
    return render(request, "provinces/agreement_form.html", {"form": form, "formset": formset, "agreement": agreement})


@login_required
def cycle_list(request):
    return render(request, "provinces/cycle_list.html", {"cycles": cycles_for(request.user)})


@login_required
def cycle_edit(request, pk=None):
    cycle = get_object_or_404(cycles_for(request.user), pk=pk) if pk else None
    require_perm(request.user, "provinces.change_cycle" if cycle else "provinces.add_cycle")
    agreements = agreements_for(request.user)
    if request.method == "POST":
        form = CycleForm(request.POST, instance=cycle, agreements=agreements)
        if form.is_valid():
            try:
                saved = services.save_cycle(by=request.user, cycle=cycle, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Período %(name)s guardado.") % {"name": saved.name})
                return redirect("provinces:agreement_detail", pk=saved.agreement_id)
    else:
        initial = {"agreement": request.GET.get("agreement")} if not cycle else None
        form = CycleForm(instance=cycle, agreements=agreements, initial=initial)
    return render(request, "provinces/cycle_form.html", {"form": form, "cycle": cycle})


@login_required
def record_history(request, model_key, pk):
    obj, events = audit.history_of(user=request.user, model_key=model_key, pk=pk)
    return render(request, "provinces/history.html", {"object": obj, "events": events})


@login_required
def audit_log(request):
    events = audit.recent_events(user=request.user)
    return render(request, "provinces/audit_log.html", {"events": events})


@login_required
def organisation_list(request):
    return render(request, "provinces/organisation_list.html", {"organisations": organisations_for(request.user)})


@require_safe
@login_required
def organisation_detail(request, pk):
    organisation = get_object_or_404(organisations_for(request.user), pk=pk)
    members = (
        memberships_for(request.user).filter(organisation=organisation)
        if request.user.has_perm("provinces.view_membership")
        else []
    )
    return render(request, "provinces/organisation_detail.html", {"organisation": organisation, "members": members})


@login_required
def organisation_edit(request, pk=None):
    organisation = get_object_or_404(organisations_for(request.user), pk=pk) if pk else None
    require_perm(request.user, "provinces.change_organisation" if organisation else "provinces.add_organisation")
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_organisation(by=request.user, organisation=organisation, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Organización %(name)s guardada.") % {"name": saved.name})
            return redirect("provinces:organisation_detail", pk=saved.pk)
    return render(request, "provinces/organisation_form.html", {"form": form, "organisation": organisation})
