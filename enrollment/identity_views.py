"""Identity reviews on the web: the reviewers' queue, one item's page and its decision.

Reviewers and auditors read every item, with the stored worker beside what was sent; the
organisation that sent an item reads only what it sent and the state. Only reviewers decide.
An item outside the user's view answers 404, like an unknown one.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from enrollment import lists
from enrollment.filters import IdentityReviewFilter
from enrollment.identity_reviews import (
    SUBMITTED_FIELDS,
    allowed_decisions,
    decide_identity_review,
    identity_reviews_for,
    sender_message,
)
from enrollment.models import IdentityReview, Worker
from provinces.forms import apply_service_errors
from provinces.listing import render_list
from provinces.models import Province

FIELD_LABELS = {
    "cuil": gettext_lazy("CUIL"),
    "last_name": gettext_lazy("Apellido"),
    "first_name": gettext_lazy("Nombre"),
    "birth_date": gettext_lazy("Fecha de nacimiento"),
    "sex": gettext_lazy("Sexo"),
    "nationality": gettext_lazy("Nacionalidad"),
    "phone": gettext_lazy("Teléfono"),
    "address": gettext_lazy("Domicilio"),
    "province": gettext_lazy("Provincia de residencia"),
    "locality": gettext_lazy("Localidad"),
    "cbu": gettext_lazy("CBU"),
    "renatre": gettext_lazy("N° RENATRE"),
}


class IdentityDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decisión"), choices=IdentityReview.Decision.choices)
    reason = forms.CharField(label=gettext_lazy("Motivo"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is not None:
            self.fields["decision"].choices = [(c, IdentityReview.Decision(c).label) for c in choices]


def _require_reader(user) -> None:
    if not user.has_perm("enrollment.view_identityreview"):
        raise PermissionDenied


def _shown(field: str, value, provinces: dict) -> str:
    if value in (None, ""):
        return "—"
    if field == "province":
        return str(provinces.get(value, value))
    if field == "birth_date":
        return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else "/".join(reversed(str(value).split("-")))
    if field == "sex":
        return str(Worker.Sex(value).label) if value in Worker.Sex.values else str(value)
    if field == "cuil":
        return f"{value[:2]}-{value[2:10]}-{value[10:]}"
    return str(value)


def comparison(review: IdentityReview, worker: Worker | None, *, with_stored: bool) -> list[dict]:
    """Rows of (field, submitted, stored, differs) for the page; ``stored`` only when the user
    may see it (reviewers and auditors)."""
    provinces = dict(Province.objects.values_list("pk", "name"))
    rows = []
    for field in SUBMITTED_FIELDS:
        sent = review.submitted.get(field)
        row = {"label": FIELD_LABELS[field], "sent": _shown(field, sent, provinces)}
        if with_stored and worker is not None:
            stored = getattr(worker, "province_id" if field == "province" else field)
            row["stored"] = _shown(field, stored, provinces)
            row["differs"] = sent not in (None, "") and row["stored"] != row["sent"]
        rows.append(row)
    return rows


@login_required
def identity_review_list(request):
    """The reviewers' queue (auditors read it): open items first, with counts by reason."""
    _require_reader(request.user)
    reviews = identity_reviews_for(request.user)
    counts = reviews.filter(state=IdentityReview.State.OPEN).aggregate(
        total=Count("pk"),
        **{kind: Count("pk", filter=Q(kind=kind)) for kind in IdentityReview.Kind.values},
    )
    by_kind = [(IdentityReview.Kind(kind).label, counts[kind]) for kind in IdentityReview.Kind.values]
    return render_list(
        request,
        filterset=IdentityReviewFilter(request.GET, queryset=reviews),
        template="enrollment/identity_review_list.html",
        columns=lists.IDENTITY_REVIEW_COLUMNS,
        filename="revisiones-de-identidad",
        noun=lists.reviews_noun,
        order_by=("created_at", "pk"),
        context={"open_total": counts["total"], "by_kind": by_kind},
    )


def _detail_context(request, review: IdentityReview, form=None) -> dict:
    user = request.user
    may_read_stored = user.has_perm("enrollment.view_identityreview")
    worker = Worker.objects.filter(cuil=review.cuil).select_related("province", "registered_by").first()
    may_decide = user.has_perm("enrollment.decide_identityreview") and review.state == IdentityReview.State.OPEN
    if may_decide and form is None:
        form = IdentityDecisionForm(choices=allowed_decisions(review, worker))
    return {
        "review": review,
        "rows": comparison(review, worker, with_stored=may_read_stored),
        "stored_worker": worker if may_read_stored else None,
        "may_read_stored": may_read_stored,
        "sender_message": sender_message(review),
        "form": form if may_decide else None,
    }


@login_required
def identity_review_detail(request, pk):
    review = get_object_or_404(identity_reviews_for(request.user), pk=pk)
    return render(request, "enrollment/identity_review_detail.html", _detail_context(request, review))


@login_required
@require_POST
def identity_review_decide(request, pk):
    review = get_object_or_404(identity_reviews_for(request.user), pk=pk)
    if not request.user.has_perm("enrollment.decide_identityreview"):
        raise PermissionDenied
    worker = Worker.objects.filter(cuil=review.cuil).first()
    form = IdentityDecisionForm(request.POST, choices=allowed_decisions(review, worker))
    if form.is_valid():
        try:
            decide_identity_review(
                review=review,
                by=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, _("Decisión registrada: %(decision)s.") % {"decision": review.get_decision_display()}
            )
            return redirect("enrollment:identity_review_detail", pk=review.pk)
    return render(request, "enrollment/identity_review_detail.html", _detail_context(request, review, form), status=400)
