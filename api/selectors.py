"""Reads of the API app: beneficiary status, tokens and the access log."""

from __future__ import annotations

from django.apps import apps
from django.db.models import QuerySet

from api.models import ApiToken, StatusLookup
from enrollment.selectors import enrollments_for, workers_for
from provinces.scoping import scope_of
from training.models import Referral
from training.selectors import referrals_for


def _installments_by_enrollment(enrollment_ids: list[int]) -> dict[int, dict]:
    """Installments paid and pending per enrollment (empty while payments has no model)."""
    try:
        installment = apps.get_model("payments", "Installment")
    except LookupError:
        return {}
    summary: dict[int, dict] = {}
    rows = installment.objects.filter(enrollment_id__in=enrollment_ids).values(
        "enrollment_id", "number", "month", "amount", "status"
    )
    for row in rows.order_by("enrollment_id", "number"):
        entry = summary.setdefault(row["enrollment_id"], {"paid": 0, "pending": 0, "items": []})
        is_paid = row["status"] == "paid"
        entry["paid" if is_paid else "pending"] += 1
        entry["items"].append(
            {"number": row["number"], "month": row["month"], "amount": str(row["amount"]), "status": row["status"]}
        )
    return summary


def beneficiary_status(*, user, cuil: str) -> dict | None:
    """What the user may know about the worker with ``cuil``: their enrollments (state, cycle,
    installments paid and pending) and open referrals. ``None`` when the CUIL is unknown *or*
    outside the user's scope — the caller cannot tell the two apart."""
    if not scope_of(user).roles:
        return None
    worker = workers_for(user).filter(cuil=cuil).values("id", "cuil", "last_name", "first_name").first()
    if worker is None:
        return None
    enrollments = list(
        enrollments_for(user)
        .filter(worker_id=worker["id"])
        .order_by("-cycle__first_month")
        .values(
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
    )
    installments = _installments_by_enrollment([e["id"] for e in enrollments]) if enrollments else {}
    referrals = (
        referrals_for(user)
        .filter(worker_id=worker["id"], status__in=Referral.OPEN_STATES)
        .order_by("-referred_on")
        .values("id", "line", "status", "referred_on", "course__topic", "office__name")
    )
    return {
        "cuil": worker["cuil"],
        "last_name": worker["last_name"],
        "first_name": worker["first_name"],
        "enrollments": [
            {
                "id": e["id"],
                "cycle": e["cycle_id"],
                "cycle_name": e["cycle__name"],
                "province": e["cycle__agreement__province__name"],
                "crop": e["cycle__crop__name"],
                "first_month": e["cycle__first_month"],
                "months": e["cycle__months"],
                "status": e["status"],
                "status_changed_at": e["status_changed_at"],
                "installments": installments.get(e["id"], {"paid": 0, "pending": 0, "items": []}),
            }
            for e in enrollments
        ],
        "open_referrals": [
            {
                "id": r["id"],
                "line": r["line"],
                "status": r["status"],
                "referred_on": r["referred_on"],
                "course": r["course__topic"],
                "office": r["office__name"],
            }
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
