"""Reads of the API app: beneficiary status, tokens and the access log."""

from __future__ import annotations

from django.apps import apps
from django.db.models import QuerySet

from api import fastsql
from api.models import ApiToken, StatusLookup
from enrollment.selectors import enrollments_for, workers_for
from provinces.scoping import scope_of
from training.models import Referral
from training.selectors import referrals_for


def _installments_by_enrollment(enrollment_ids: list[int]) -> dict[int, dict]:
    """Installments paid and pending (not cancelled) per enrollment; empty while the payments
    app has no Installment model."""
    try:
        installment = apps.get_model("payments", "Installment")
    except LookupError:
        return {}
    summary: dict[int, dict] = {}
    found = (
        installment.objects.filter(enrollment_id__in=enrollment_ids)
        .exclude(status="cancelled")
        .order_by("enrollment_id", "number")
        .values_list("enrollment_id", "number", "month", "amount", "status")
    )
    for enrollment_id, number, month, amount, status in fastsql.rows(found):
        entry = summary.setdefault(enrollment_id, {"paid": 0, "pending": 0, "items": []})
        entry["paid" if status == "paid" else "pending"] += 1
        entry["items"].append({"number": number, "month": month, "amount": str(amount), "status": status})
    return summary


def beneficiary_status(*, user, cuil: str) -> dict | None:
    """What the user may know about the worker with ``cuil``: their enrollments (state, cycle,
    installments paid and pending) and open referrals. ``None`` when the CUIL is unknown *or*
    outside the user's scope — the caller cannot tell the two apart.

    The querysets are the scoped selectors of the web UI; they run through ``api.fastsql`` so
    that PostgreSQL prepares them once (this is the API's hottest path). Their compiled SQL is
    keyed by the user *and* their scope, so a selector that one day depends on more than the
    scope still gets each user's own SQL.
    """
    scope = scope_of(user)
    if not scope.roles:
        return None
    found = fastsql.rows_for(
        ("status-worker", user.pk, scope),
        lambda value: workers_for(user).filter(cuil=value).values_list("id", "cuil", "last_name", "first_name")[:1],
        cuil,
    )
    if not found:
        return None
    worker_id, worker_cuil, last_name, first_name = found[0]
    enrollments = fastsql.rows_for(
        ("status-enrollments", user.pk, scope),
        lambda value: (
            enrollments_for(user)
            .filter(worker_id=value)
            .order_by("-cycle__first_month")
            .values_list(
                "id",
                "cycle_id",
                "cycle__name",
                "cycle__agreement__province__name",
                "cycle__crop__name",
                "cycle__first_month",
                "cycle__months",
                "status",
                "status_changed_at",
            )
        ),
        worker_id,
    )
    installments = _installments_by_enrollment([e[0] for e in enrollments]) if enrollments else {}
    referrals = fastsql.rows_for(
        ("status-referrals", user.pk, scope),
        lambda value: (
            referrals_for(user)
            .filter(worker_id=value, status__in=Referral.OPEN_STATES)
            .order_by("-referred_on")
            .values_list("id", "line", "status", "referred_on", "course__topic", "office__name")
        ),
        worker_id,
    )
    empty = {"paid": 0, "pending": 0, "items": []}
    return {
        "cuil": worker_cuil,
        "last_name": last_name,
        "first_name": first_name,
        "enrollments": [
            {
                "id": e[0],
                "cycle": e[1],
                "cycle_name": e[2],
                "province": e[3],
                "crop": e[4],
                "first_month": e[5],
                "months": e[6],
                "status": e[7],
                "status_changed_at": e[8],
                "installments": installments.get(e[0], empty),
            }
            for e in enrollments
        ],
        "open_referrals": [
            {"id": r[0], "line": r[1], "status": r[2], "referred_on": r[3], "course": r[4], "office": r[5]}
            for r in referrals
        ],
    }


def tokens_for(user) -> QuerySet[ApiToken]:
    """Ministry staff who manage tokens and auditors see every token; others their own."""
    qs = ApiToken.objects.select_related("user")
    if user.has_perm("api.manage_tokens") or user.has_perm("api.view_apitoken"):
        return qs
    return qs.filter(user=user)


def lookups_for(user) -> QuerySet[StatusLookup]:
    """The access log, for auditors only."""
    if not user.has_perm("api.view_statuslookup"):
        return StatusLookup.objects.none()
    return StatusLookup.objects.select_related("user")
