from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from provinces import audit, services
from provinces.audit_display import describe
from provinces.audit_filters import AuditFilter
from provinces.forms import (
    AgreementForm,
    CycleForm,
    OrganisationForm,
    QuotaFormSet,
    apply_service_errors,
    quotas_from,
)
from provinces.listing import Column, render_list
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
    """One record's changes, newest first, in words and paged."""
    obj, events = audit.history_of(user=request.user, model_key=model_key, pk=pk)
    page = Paginator(events.order_by("-pgh_created_at", "-pgh_id"), 50).get_page(request.GET.get("page"))
    page.object_list = describe(list(page.object_list))
    return render(request, "provinces/record_history.html", {"object": obj, "page": page, "model_key": model_key})


@login_required
def audit_log(request):
    """Every recorded change, newest first: by who, on what, when; paged, and exported as filtered."""
    return render_list(
        request,
        filterset=AuditFilter(request.GET, queryset=audit.audit_events(user=request.user)),
        template="provinces/audit_trail.html",
        columns=AUDIT_COLUMNS,
        filename="auditoria",
        noun=_changes_noun,
        describe=describe,
    )


def _changes_noun(n: int) -> str:
    return ngettext("%(n)s cambio registrado", "%(n)s cambios registrados", n)


AUDIT_COLUMNS = (
    Column(gettext_lazy("Cuándo"), lambda row: row.at),
    Column(gettext_lazy("Registro"), lambda row: f"{row.model_label}: {row.obj_text}"),
    Column(gettext_lazy("Qué"), lambda row: row.action),
    Column(gettext_lazy("Quién"), lambda row: row.who),
    Column(gettext_lazy("Motivo"), lambda row: row.reason),
    Column(gettext_lazy("Desde"), lambda row: row.origin),
    Column(gettext_lazy("Cambios"), lambda row: "; ".join(f"{c.label}: {c.old} → {c.new}" for c in row.changes)),
)


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
