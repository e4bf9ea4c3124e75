"""The enrollment page's transitions after approval (suspend, reinstate, withdraw), and the
reviewers' list of suspensions proposed by the monthly re-screening.

Views parse the form and call ``enrollment.suspensions`` / ``enrollment.services``; an
enrollment outside the caller's scope answers 404 like an unknown one, a role that may not act
403, and a refusal of the service re-shows the page with the form and its errors (400).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment import services, suspensions
from enrollment.detail import render_enrollment_detail
from enrollment.models import Enrollment, SuspensionProposal
from enrollment.selectors import enrollments_for
from enrollment.suspension_forms import ProposalDecisionForm, ReinstateForm, SuspendForm, WithdrawForm
from enrollment.suspension_proposals import accept_proposal, dismiss_proposal, proposals_for
from provinces.forms import apply_service_errors


def _require_reviewer(user) -> None:
    if not user.has_perm("enrollment.review_enrollment"):
        raise PermissionDenied


@login_required
@require_POST
def suspend(request, pk):
    _require_reviewer(request.user)
    enrollment = get_object_or_404(enrollments_for(request.user), pk=pk)
    form = SuspendForm(request.POST)
    if form.is_valid():
        try:
            suspensions.suspend_enrollment(
                enrollment=enrollment, by=request.user, cause=form.cleaned_data["cause"], note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Inscripción suspendida: sus cuotas no pagadas se cancelaron."))
            return redirect("enrollment:enrollment_detail", pk=enrollment.pk)
    return render_enrollment_detail(request, enrollment, status=400, suspend_form=form)


@login_required
@require_POST
def reinstate(request, pk):
    _require_reviewer(request.user)
    enrollment = get_object_or_404(enrollments_for(request.user), pk=pk)
    form = ReinstateForm(request.POST, passed_months=suspensions.months_passed_under(enrollment))
    if form.is_valid():
        try:
            reinstated = suspensions.reinstate_enrollment(
                enrollment=enrollment,
                by=request.user,
                reason=form.cleaned_data["reason"],
                owed_months=form.owed(),
                owed_reason=form.cleaned_data.get("owed_reason", ""),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if reinstated.status == Enrollment.Status.COMPLETED:
                messages.success(request, _("Inscripción rehabilitada y finalizada: no le quedan cuotas por cobrar."))
            else:
                messages.success(request, _("Inscripción rehabilitada: se programaron las cuotas que corresponden."))
            return redirect("enrollment:enrollment_detail", pk=enrollment.pk)
    return render_enrollment_detail(request, enrollment, status=400, reinstate_form=form)


@login_required
@require_POST
def withdraw(request, pk):
    enrollment = get_object_or_404(enrollments_for(request.user), pk=pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.withdraw_enrollment(enrollment=enrollment, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Inscripción dada de baja a pedido del trabajador/a."))
            return redirect("enrollment:enrollment_detail", pk=enrollment.pk)
    return render_enrollment_detail(request, enrollment, status=400, withdraw_form=form)


@login_required
def proposal_list(request):
    """Suspensions proposed by the monthly re-screening, for ministry reviewers: accept (the
    enrollment is suspended with that cause) or dismiss, each with a note."""
    _require_reviewer(request.user)
    scoped = proposals_for(request.user)
    waiting = scoped.filter(
        status=SuspensionProposal.Status.OPEN, enrollment__status__in=suspensions.SUSPENDABLE
    ).order_by("created_at", "pk")
    form = ProposalDecisionForm(request.POST or None, queryset=waiting)
    if request.method == "POST":
        if form.is_valid():
            proposal = form.cleaned_data["proposal"]
            try:
                if form.cleaned_data["action"] == "accept":
                    accept_proposal(proposal=proposal, by=request.user, note=form.cleaned_data["reason"])
                    done = _("Inscripción suspendida: %(cause)s.") % {"cause": proposal.get_cause_display()}
                    messages.success(request, done)
                else:
                    dismiss_proposal(proposal=proposal, by=request.user, reason=form.cleaned_data["reason"])
                    messages.success(request, _("Propuesta descartada."))
            except ValidationError as error:
                apply_service_errors(form, error, renamed={"note": "reason"})
            else:
                return redirect("enrollment:suspension_proposals")
        status = 400
    else:
        status = 200
    decided = scoped.exclude(status=SuspensionProposal.Status.OPEN).order_by("-decided_at", "-pk")[:50]
    return render(
        request,
        "enrollment/suspension_proposals.html",
        {"proposals": waiting, "decided": decided, "form": form, "actions": ProposalDecisionForm.ACTIONS},
        status=status,
    )
