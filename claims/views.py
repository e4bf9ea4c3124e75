from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from claims import selectors, services
from claims.filters import CLAIM_COLUMNS, ClaimFilter, claims_noun
from claims.forms import ClaimForm, DecisionForm
from enrollment.selectors import enrollments_for, workers_for
from provinces.forms import apply_service_errors
from provinces.listing import render_list
from provinces.scoping import require_perm


@login_required
def claim_list(request):
    """Claims in the user's scope: a reviewer's queue (open ones by due date, the overdue view)
    and an office's own list, filtered, counted, paged and exported (``provinces.listing``)."""
    require_perm(request.user, "claims.view_claim")
    return render_list(
        request,
        filterset=ClaimFilter(request.GET, queryset=selectors.claims_for(request.user), request=request),
        template="claims/claim_list.html",
        columns=CLAIM_COLUMNS,
        filename="reclamos",
        noun=claims_noun,
        order_by=("due_on", "pk"),
        context={"today": timezone.localdate()},
    )


@login_required
def claim_detail(request, pk):
    require_perm(request.user, "claims.view_claim")
    claim = get_object_or_404(selectors.claims_for(request.user), pk=pk)
    return render(request, "claims/claim_detail.html", {"claim": claim, "form": DecisionForm()})


@login_required
def claim_file(request, worker_pk):
    """An officer files a claim on behalf of a worker in their scope (unknown or out of scope: 404)."""
    require_perm(request.user, "claims.add_claim")
    worker = get_object_or_404(workers_for(request.user), pk=worker_pk)
    enrollments = enrollments_for(request.user).filter(worker=worker)
    from enrollment.screening.models import MatchFlag
    from payments.selectors import installments_for

    kwargs = {
        "enrollments": enrollments,
        "installments": installments_for(request.user).filter(worker=worker).exclude(status="cancelled"),
        "flags": MatchFlag.objects.filter(enrollment__in=enrollments, status=MatchFlag.Status.OPEN),
    }
    if request.method == "POST":
        form = ClaimForm(request.POST, **kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                claim = services.file_claim(
                    by=request.user,
                    worker=worker,
                    subject=data["subject"],
                    description=data["description"],
                    enrollment=data["enrollment"],
                    installment=data["installment"],
                    flag=data.get("flag"),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Reclamo %(id)s presentado.") % {"id": claim.pk})
                return redirect("claims:detail", pk=claim.pk)
    else:
        form = ClaimForm(initial={"enrollment": enrollments.first()}, **kwargs)
    return render(request, "claims/claim_form.html", {"form": form, "worker": worker})


@login_required
@require_POST
def claim_act(request, pk, action):
    """Take, uphold or deny: the service checks the role and the state; the claim is found
    through the user's scope."""
    if action not in ("take", "uphold", "deny"):
        raise Http404
    claim = get_object_or_404(selectors.claims_for(request.user), pk=pk)
    try:
        if action == "take":
            services.take_claim(claim=claim, by=request.user)
            messages.success(request, _("Reclamo en revisión."))
        else:
            form = DecisionForm(request.POST)
            resolution = form.data.get("resolution", "")
            if action == "uphold":
                services.uphold_claim(claim=claim, by=request.user, resolution=resolution)
                messages.success(request, _("Reclamo aceptado. %(effect)s") % {"effect": claim.effect})
            else:
                services.deny_claim(claim=claim, by=request.user, resolution=resolution)
                messages.success(request, _("Reclamo rechazado."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("claims:detail", pk=claim.pk)
