"""The worker's own voice on staff pages: claims on the dashboard (by state and overdue) and on
the worker page, and the messages sent to her with her contact preferences."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from claims.models import Claim
from claims.selectors import claim_counts, claims_for
from reports.dashboard import Section, register_section
from reports.selectors import Chart, Figure
from reports.worker_story import WorkerSection, register_worker_section


def _url(**params) -> str:
    return reverse("claims:list") + ("?" + urlencode(params) if params else "")


def claims_section(user) -> Section | None:
    if not user.has_perm("claims.view_claim"):
        return None
    counts = claim_counts(user=user)
    if not any(counts.values()):
        return None
    figures = [Figure(str(label), counts[value], _url(status=value)) for value, label in Claim.Status.choices]
    figures.append(Figure(_("Vencidos sin resolver"), counts["overdue"], _url(overdue="on")))
    return Section(
        key="claims",
        title=_("Reclamos"),
        charts=[Chart(key="claims_by_status", title=_("Reclamos por estado"), figures=figures)],
    )


def worker_claims_section(user, worker) -> WorkerSection | None:
    if not user.has_perm("claims.view_claim"):
        return None
    return WorkerSection(
        "claims",
        str(_("Reclamos")),
        "reports/worker/_claims.html",
        {"claims": claims_for(user).filter(worker=worker).order_by("-created_at"), "worker": worker},
    )


def worker_messages_section(user, worker) -> WorkerSection | None:
    """Messages to the worker (ministry reviewers and auditors) and how she wants to be told
    (officers of her scope change it)."""
    sees_messages = user.has_perm("notifications.view_message")
    if not (sees_messages or user.has_perm("notifications.view_contact")):
        return None
    from notifications.models import Contact, Message
    from notifications.phones import mobile_number, normalise_phone

    contact = Contact.objects.filter(worker=worker).first()
    messages = Message.objects.filter(worker=worker).order_by("-created_at")[:50] if sees_messages else []
    return WorkerSection(
        "messages",
        str(_("Avisos")),
        "reports/worker/_messages.html",
        {
            "worker": worker,
            "contact": contact,
            "phone": mobile_number(worker.phone, confirmed_mobile=bool(contact and contact.mobile_confirmed)),
            "landline": normalise_phone(worker.phone) if not mobile_number(worker.phone) else None,
            "messages": messages,
            "can_change": user.has_perm("notifications.change_contact"),
        },
    )


register_section("claims", claims_section, order=45)
register_worker_section("messages", worker_messages_section, order=48)
register_worker_section("claims", worker_claims_section, order=45)
