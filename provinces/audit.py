"""Reading the audit trail kept by django-pghistory's triggers."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.http import Http404
from pghistory.models import Events

#: Models whose history can be opened from the UI, by the name used in URLs.
AUDITED_MODELS = {
    "agreement": "provinces.Agreement",
    "quota": "provinces.AgreementQuota",
    "cycle": "provinces.Cycle",
    "organisation": "provinces.Organisation",
    "membership": "provinces.Membership",
    "worker": "enrollment.Worker",
    "cbu_change": "enrollment.CbuChangeRequest",
    "enrollment": "enrollment.Enrollment",
    "import": "enrollment.ImportJob",
    "identityreview": "enrollment.IdentityReview",
    "provider": "training.Provider",
    "office": "training.EmploymentOffice",
    "course": "training.Course",
    "referral": "training.Referral",
    "apitoken": "api.ApiToken",
    "flag": "screening.MatchFlag",
    "registry": "screening.ExternalRegistry",
    "entitlement_table": "screening.EntitlementRuleSet",
    "installment": "payments.Installment",
    "batch": "payments.PaymentBatch",
}


def require_history_access(user) -> None:
    if not user.has_perm("provinces.view_history"):
        raise PermissionDenied


def history_of(*, user, model_key: str, pk: int):
    """Every recorded change of one record, newest first, with who/when/from where."""
    require_history_access(user)
    label = AUDITED_MODELS.get(model_key)
    if label is None:
        raise Http404
    model = apps.get_model(label)
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj, Events.objects.tracks(obj).order_by("-pgh_created_at")


def prepare_bulk_audit(cursor) -> None:
    """Prepare the transaction for a bulk statement on audited tables.

    1. Set ``pgtrigger.ignore`` to an empty list for the rest of the transaction. Every audit
       trigger first asks whether it should be skipped by reading that setting; when it is
       unset the read raises and the trigger catches the error, which costs a subtransaction
       per row — on bulk statements more than the write itself. An empty list means the same
       (skip nothing), without the error.
    2. ``DISCARD PLANS``: the statement-level audit triggers join the OLD and NEW transition
       tables, and PL/pgSQL keeps the plan made the first time in the session. Made for a
       statement that changed no row, it is a nested loop, which on 20,000 rows takes seconds
       instead of milliseconds; dropping cached plans makes the trigger plan for this statement.
    Must run inside a transaction.
    """
    cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
    cursor.execute("DISCARD PLANS")


def event_models_of(label: str) -> list:
    """The event tables django-pghistory keeps for the model ``label`` (``app.Model``)."""
    model = apps.get_model(label)
    return [m for m in apps.get_models() if getattr(m, "pgh_tracked_model", None) is model]


def audit_events(*, user):
    """Every recorded change, newest first (paged and filtered by the audit page)."""
    require_history_access(user)
    return Events.objects.order_by("-pgh_created_at", "-pgh_id")
