"""The enrollment page: what it shows and which forms, to whom.

Each form is offered only to who may use it: the approval decision to reviewers while the
enrollment awaits review; suspension and reinstatement to reviewers while it is approved,
active or suspended; withdrawal at the worker's request to reviewers and to the provincial or
union officers in whose scope it is (the page itself is reached through ``enrollments_for``).
"""

from __future__ import annotations

from django.shortcuts import render

from enrollment import seams
from enrollment.forms import DecisionForm
from enrollment.models import Enrollment
from enrollment.selectors import status_history
from enrollment.services import TRANSITIONS
from enrollment.suspension_forms import ReinstateForm, SuspendForm, WithdrawForm
from enrollment.suspensions import SUSPENDABLE, months_passed_under, open_suspension
from provinces.roles import Role
from provinces.scoping import scope_of

S = Enrollment.Status


def screening_flags(user, enrollment: Enrollment):
    """The enrollment's screening flags, for the roles that may read them (None for the others)."""
    if not user.has_perm("screening.view_matchflag"):
        return None
    from enrollment.screening.selectors import flags_for

    return flags_for(user).filter(enrollment=enrollment).order_by("level", "-score", "pk")


def entitlement(enrollment: Enrollment) -> dict | None:
    """The enrollment's months of aid in words: the stored determination, or what it would be if
    its installments were scheduled today (None when no table is in force for its period)."""
    from enrollment.screening.entitlement import describe, entitlement_of

    found = entitlement_of(enrollment)
    if found is None:
        return None
    return {"text": describe(found, period_months=enrollment.cycle.months), "stored": found.pk is not None}


def may_withdraw(user, enrollment: Enrollment) -> bool:
    """Whether to offer the withdrawal form (the service checks the scope again)."""
    if S.WITHDRAWN not in TRANSITIONS[enrollment.status]:
        return False
    return user.has_perm("enrollment.review_enrollment") or scope_of(user).has_role(
        Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER
    )


def render_enrollment_detail(request, enrollment: Enrollment, *, status: int = 200, **bound):
    """The page, with any form the caller passes already bound (after a refused POST)."""
    user = request.user
    can_review = user.has_perm("enrollment.review_enrollment")
    context = {
        "enrollment": enrollment,
        "history": status_history([enrollment.pk]),
        "can_review": can_review,
        "can_decide": can_review and (enrollment.status == S.PENDING_REVIEW or "form" in bound),
        "flags": screening_flags(user, enrollment),
        "entitlement": entitlement(enrollment),
        "suspensions": enrollment.suspensions.select_related("suspended_by", "lifted_by").order_by("-pk"),
        "open_suspension": open_suspension(enrollment) if enrollment.status == S.SUSPENDED else None,
        "form": bound.get("form") or DecisionForm(),
        "payments": seams.payment_history(user=user, enrollment=enrollment),
    }
    if can_review and enrollment.status in SUSPENDABLE:
        context["suspend_form"] = bound.get("suspend_form") or SuspendForm()
    if can_review and enrollment.status == S.SUSPENDED:
        passed = months_passed_under(enrollment)
        context["reinstate_form"] = bound.get("reinstate_form") or ReinstateForm(passed_months=passed)
    if may_withdraw(user, enrollment):
        context["withdraw_form"] = bound.get("withdraw_form") or WithdrawForm()
    return render(request, "enrollment/enrollment_detail.html", context, status=status)
