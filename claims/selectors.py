"""Scoped reads of claims: national roles holding ``claims.view_claim`` see every claim; a
provincial officer those of workers and enrollments of their provinces; a union officer those
its organisations filed or that concern an enrollment they registered."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from claims.models import Claim
from enrollment.models import Enrollment
from enrollment.screening.models import MatchFlag
from payments.models import Installment
from provinces.scoping import scope_of


def claims_for(user) -> QuerySet[Claim]:
    qs = Claim.objects.select_related(
        "worker", "enrollment__cycle__agreement__province", "installment", "flag", "organisation", "taken_by"
    )
    if not (user and user.is_authenticated and user.has_perm("claims.view_claim")):
        return qs.none()
    scope = scope_of(user)
    if scope.is_national:
        return qs
    q = Q(pk__in=[])
    if scope.province_ids:
        q |= Q(worker__province_id__in=scope.province_ids)
        q |= Q(enrollment__cycle__agreement__province_id__in=scope.province_ids)
    if scope.organisation_ids:
        q |= Q(organisation_id__in=scope.organisation_ids) | Q(enrollment__organisation_id__in=scope.organisation_ids)
    return qs.filter(q)


def overdue(qs: QuerySet[Claim], today: dt.date | None = None) -> QuerySet[Claim]:
    """Open claims past their due date."""
    return qs.filter(status__in=Claim.OPEN_STATES, due_on__lt=today or timezone.localdate())


def claim_counts(*, user) -> dict[str, int]:
    """Claims by status, plus ``overdue``, in one grouped query."""
    today = timezone.localdate()
    rows = (
        claims_for(user)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(status__in=Claim.OPEN_STATES, due_on__lt=today)))
    )
    counts = {s: 0 for s in Claim.Status.values} | {"overdue": 0}
    for row in rows:
        counts[row["status"]] = row["n"]
        counts["overdue"] += row["late"]
    return counts


def default_target(*, worker, subject: str) -> dict:
    """What a claim of ``subject`` by ``worker`` most likely contests, when the worker files it
    herself and cannot name it: the latest rejected enrollment, open flag, held or rejected
    installment... Empty when there is nothing of that kind."""
    subjects = Claim.Subject
    enrollments = Enrollment.objects.filter(worker=worker).order_by("-cycle__first_month", "-pk")
    installments = Installment.objects.filter(worker=worker).exclude(status="cancelled").order_by("-month", "-pk")
    if subject == subjects.REJECTION:
        enrollment = enrollments.filter(status=Enrollment.Status.REJECTED).first()
        return {"enrollment": enrollment} if enrollment else {}
    if subject == subjects.FLAG:
        flag = (
            MatchFlag.objects.filter(enrollment__worker=worker, status=MatchFlag.Status.OPEN)
            .filter(kind__in=[MatchFlag.Kind.PROGRAMME, MatchFlag.Kind.REGISTRY])
            .select_related("enrollment")
            .order_by("-pk")
            .first()
        )
        return {"flag": flag, "enrollment": flag.enrollment} if flag else {}
    if subject == subjects.HOLD:
        held = installments.filter(status=Installment.Status.HELD).select_related("enrollment").first()
        if held:
            return {"installment": held, "enrollment": held.enrollment}
        suspended = enrollments.filter(status=Enrollment.Status.SUSPENDED).first()
        return {"enrollment": suspended} if suspended else {}
    if subject in (subjects.NOT_RECEIVED, subjects.WRONG_AMOUNT):
        wanted = (
            [Installment.Status.REJECTED, Installment.Status.HELD, Installment.Status.IN_BATCH]
            if subject == subjects.NOT_RECEIVED
            else [Installment.Status.PAID]
        )
        installment = installments.filter(status__in=wanted).select_related("enrollment").first()
        return {"installment": installment, "enrollment": installment.enrollment} if installment else {}
    enrollment = enrollments.first()
    return {"enrollment": enrollment} if enrollment else {}
