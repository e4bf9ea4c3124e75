"""The worker page: a worker's whole story, one section per app.

Sections are functions ``(user, worker) -> WorkerSection | None`` registered with
``register_worker_section(key, function, order=...)``; the ones below cover identity,
enrollments, their timeline, screening flags, installments, referrals and the audit history.
A section reads through its app's scoping selectors (never another province's rows) and
names the template that renders its ``context``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain

from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from enrollment.selectors import enrollments_for, status_history
from provinces.audit_display import describe

#: changes shown on the worker's page, newest first (the record's history page has them all)
HISTORY_SHOWN = 100


@dataclass
class WorkerSection:
    key: str
    title: str
    template: str
    context: dict = field(default_factory=dict)


_SECTIONS: dict[str, tuple[int, Callable]] = {}


def register_worker_section(key: str, function: Callable, *, order: int = 100) -> None:
    _SECTIONS[key] = (order, function)


def sections_for(user, worker) -> list[WorkerSection]:
    result = []
    for _order, function in sorted(_SECTIONS.values(), key=lambda item: item[0]):
        section = function(user, worker)
        if section is not None:
            result.append(section)
    return result


def identity_section(user, worker) -> WorkerSection:
    return WorkerSection("identity", str(_("Identidad")), "reports/worker/_identity.html", {"worker": worker})


def enrollments_section(user, worker) -> WorkerSection:
    enrollments = (
        enrollments_for(user)
        .filter(worker=worker)
        .select_related("status_changed_by", "cycle__agreement__province", "cycle__crop")
        .order_by("-cycle__first_month")
    )
    return WorkerSection(
        "enrollments", str(_("Inscripciones")), "reports/worker/_enrollments.html", {"enrollments": enrollments}
    )


def status_timeline_section(user, worker) -> WorkerSection | None:
    """Every state the enrollments the user may see went through, with who and why (read from
    the audit trail by ``enrollment.selectors.status_history``), for every role."""
    ids = list(enrollments_for(user).filter(worker=worker).values_list("pk", flat=True))
    if not ids:
        return None
    return WorkerSection(
        "timeline",
        str(_("Trayectoria de las inscripciones")),
        "reports/worker/_timeline.html",
        {"history": status_history(ids)},
    )


def history_section(user, worker) -> WorkerSection | None:
    """Changes to the worker's record and to the enrollments the user may see, newest first;
    only for roles that may read the audit trail."""
    if not user.has_perm("provinces.view_history"):
        return None
    enrollments = list(enrollments_for(user).filter(worker=worker))
    events = Events.objects.tracks(worker).order_by("-pgh_created_at")[: HISTORY_SHOWN + 1]
    if enrollments:
        events = chain(events, Events.objects.tracks(enrollments).order_by("-pgh_created_at")[: HISTORY_SHOWN + 1])
    ordered = sorted(events, key=lambda e: e.pgh_created_at, reverse=True)
    return WorkerSection(
        "history",
        str(_("Historial de cambios")),
        "reports/worker/_history.html",
        {"rows": describe(ordered[:HISTORY_SHOWN]), "more": len(ordered) > HISTORY_SHOWN, "worker": worker},
    )


def flags_section(user, worker) -> WorkerSection | None:
    """Screening flags of the worker's enrollments and how they were resolved (ministry roles)."""
    if not user.has_perm("screening.view_matchflag"):
        return None
    from enrollment.screening.selectors import flags_for

    flags = flags_for(user).filter(enrollment__worker=worker).order_by("-created_at")
    return WorkerSection("flags", str(_("Alertas de control")), "reports/worker/_flags.html", {"flags": flags})


def installments_section(user, worker) -> WorkerSection | None:
    """Installments and the bank's outcome: payments roles and auditors see every one, provincial
    and union officers those in their scope (``installments_for``), without hold reasons."""
    if not user.has_perm("payments.view_installment"):
        return None
    from payments.selectors import payment_history

    return WorkerSection(
        "installments",
        str(_("Cuotas y resultado bancario")),
        "reports/worker/_installments.html",
        {"installments": payment_history(user=user, worker=worker)},
    )


def referrals_section(user, worker) -> WorkerSection | None:
    """Referrals to training and employment, within the user's scope."""
    from training.selectors import referrals_for

    referrals = referrals_for(user).filter(worker=worker).order_by("-referred_on")
    return WorkerSection(
        "referrals", str(_("Derivaciones")), "reports/worker/_referrals.html", {"referrals": referrals}
    )


register_worker_section("identity", identity_section, order=10)
register_worker_section("flags", flags_section, order=35)
register_worker_section("installments", installments_section, order=40)
register_worker_section("referrals", referrals_section, order=50)
register_worker_section("enrollments", enrollments_section, order=20)
register_worker_section("timeline", status_timeline_section, order=30)
register_worker_section("history", history_section, order=90)
