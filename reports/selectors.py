"""Scoped reads across apps: worker search and the figures of the dashboards.

Every function starts from an app's scoping selector (``workers_for``, ``enrollments_for``,
``agreements_for``), so a province or union never sees, counts or finds what is outside its
scope. Figures are computed in PostgreSQL (GROUP BY), one query per chart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from enrollment.identity import normalise_name
from enrollment.models import Enrollment, Worker
from enrollment.selectors import enrollments_for, workers_for
from provinces.models import AgreementQuota
from provinces.scoping import scope_of
from provinces.selectors import agreements_for

#: A name matches when this share of the query's trigrams appear, in order, in the full name
#: (pg_trgm ``word_similarity``): "Gonzales" finds "GONZÁLEZ" (0.67), "Gomes" finds "GÓMEZ".
NAME_SIMILARITY_MIN = 0.45


def search_workers(*, user, query: str, limit: int = 50) -> QuerySet[Worker]:
    """Workers within the user's scope matching ``query``: a CUIL (with or without dashes) or
    a DNI exactly, otherwise a name, accent- and typo-tolerant, best matches first."""
    query = (query or "").strip()
    scoped = workers_for(user)
    digits = re.sub(r"\D", "", query)
    if digits and not re.search(r"[^\d\s.\-/]", query):
        if len(digits) == 11:
            return scoped.filter(cuil=digits)
        if 7 <= len(digits) <= 8:
            return scoped.filter(dni=digits.zfill(8))
        if len(digits) >= 4:  # part of a CUIL or DNI typed from paper
            return scoped.filter(cuil__contains=digits).order_by("last_name_norm", "first_name_norm")[:limit]
        return scoped.none()
    name = normalise_name(query)
    words = [w for w in name.split() if len(w) >= 3]
    if not words:
        return scoped.none()
    # Each word narrows to candidates through the trigram indexes on the two name columns
    # (``%>`` operator), then the whole query is scored against "LAST FIRST".
    candidates = Q()
    for word in words:
        candidates |= Q(last_name_norm__trigram_word_similar=word) | Q(first_name_norm__trigram_word_similar=word)
    return (
        scoped.filter(candidates)
        .annotate(
            score=TrigramWordSimilarity(
                Value(name),  # type: ignore[arg-type]  # the stubs only allow a literal string
                Concat("last_name_norm", Value(" "), "first_name_norm"),
            ),
        )
        .filter(score__gte=NAME_SIMILARITY_MIN)
        .order_by("-score", "last_name_norm", "first_name_norm")[:limit]
    )


# --- dashboards -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One number on a dashboard and the list it summarises."""

    label: str
    value: int | Decimal
    url: str
    #: the bar group a figure belongs to, in charts with several series (e.g. "Pagadas" of a month)
    series: str = ""


@dataclass
class Chart:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    kind: str = "bar"  # Chart.js type
    unit: str = ""  # "ARS" for money
    #: a line under the table explaining what the figures count
    note: str = ""

    @property
    def total(self):
        return sum((f.value for f in self.figures), 0)

    @property
    def series(self) -> list[str]:
        """The series' names in order of appearance (empty for a chart with one series)."""
        return list(dict.fromkeys(f.series for f in self.figures if f.series))

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(f.label for f in self.figures))

    @property
    def matrix(self) -> list[tuple[str, list[Figure | None]]]:
        """One row per label with its figure in each series (``None`` where there is none)."""
        cells = {(f.label, f.series): f for f in self.figures}
        return [(label, [cells.get((label, s)) for s in self.series]) for label in self.labels]

    @property
    def data(self) -> dict:
        """What ``static/js/charts.js`` draws (the table beside it shows the same figures)."""
        data = {
            "title": self.title,
            "kind": self.kind,
            "unit": self.unit,
            "labels": self.labels if self.series else [f.label for f in self.figures],
            "values": [float(f.value) for f in self.figures],
            "urls": [f.url for f in self.figures],
        }
        if self.series:
            columns = zip(*(cells for _label, cells in self.matrix), strict=True)
            data["datasets"] = [
                {
                    "label": name,
                    "values": [float(f.value) if f else 0.0 for f in row],
                    "urls": [f.url if f else "" for f in row],
                }
                for name, row in zip(self.series, columns, strict=True)
            ]
        return data


def _enrollment_list_url(**params) -> str:
    return reverse("enrollment:enrollment_list") + ("?" + urlencode(params) if params else "")


#: What each role acts on next, as enrollment states it should look at first.
ROLE_QUEUES: dict[str, tuple[str, ...]] = {
    "ministry_reviewer": (Enrollment.Status.PENDING_REVIEW, Enrollment.Status.SUBMITTED, Enrollment.Status.SCREENING),
    "payments_officer": (Enrollment.Status.APPROVED, Enrollment.Status.ACTIVE),
    "provincial_officer": (Enrollment.Status.SUBMITTED, Enrollment.Status.REJECTED, Enrollment.Status.SUSPENDED),
    "union_officer": (Enrollment.Status.SUBMITTED, Enrollment.Status.REJECTED, Enrollment.Status.SUSPENDED),
}


def work_queue(user) -> list[Figure]:
    """The counts each role acts on next (a reviewer: pending review; an office: rejected
    enrollments to tell the workers about...), within scope, each linking to its list."""
    roles = scope_of(user).roles
    wanted: list[str] = []
    for role, states in ROLE_QUEUES.items():
        if role in roles:
            wanted += [s for s in states if s not in wanted]
    if not wanted:
        return []
    counts = dict(
        enrollments_for(user).filter(status__in=wanted).order_by().values_list("status").annotate(n=Count("pk"))
    )
    # A reviewer acts from the review queue, which lists the same enrollments by status.
    reviews = user.has_perm("enrollment.review_enrollment")

    def url(status: str) -> str:
        if reviews:
            return reverse("enrollment:review_queue") + "?" + urlencode({"status": status})
        return _enrollment_list_url(status=status)

    return [Figure(str(Enrollment.Status(s).label), counts.get(s, 0), url(s)) for s in wanted]


def enrollments_by_status(user) -> Chart:
    rows = enrollments_for(user).order_by().values("status").annotate(n=Count("pk"))
    counts = {r["status"]: r["n"] for r in rows}
    return Chart(
        key="enrollments_by_status",
        title=str(_("Inscripciones por estado")),
        figures=[
            Figure(str(label), counts[value], _enrollment_list_url(status=value))
            for value, label in Enrollment.Status.choices
            if counts.get(value)
        ],
    )


def enrollments_by_province(user) -> Chart:
    rows = (
        enrollments_for(user)
        .order_by()
        .values(pid=F("cycle__agreement__province_id"), name=F("cycle__agreement__province__name"))
        .annotate(n=Count("pk"))
        .order_by("name")
    )
    return Chart(
        key="enrollments_by_province",
        title=str(_("Inscripciones por provincia")),
        figures=[Figure(r["name"], r["n"], _enrollment_list_url(province=r["pid"])) for r in rows],
    )


def enrollments_by_crop(user) -> Chart:
    rows = (
        enrollments_for(user)
        .order_by()
        .values(cid=F("cycle__crop_id"), name=F("cycle__crop__name"))
        .annotate(n=Count("pk"))
        .order_by("name")
    )
    return Chart(
        key="enrollments_by_crop",
        title=str(_("Inscripciones por actividad")),
        figures=[Figure(r["name"], r["n"], _enrollment_list_url(crop=r["cid"])) for r in rows],
    )


def budget_by_agreement(user) -> Chart | None:
    """The budget of each agreement in scope (money spent is added by the payments section)."""
    scope = scope_of(user)
    if scope.sees_only_own_registrations:
        return None  # a union or municipality registers workers; the agreements' money is not its business
    agreements = agreements_for(user).order_by("province__name", "number")
    return Chart(
        key="budget_by_agreement",
        title=str(_("Presupuesto por convenio (ARS)")),
        unit="ARS",
        figures=[
            Figure(f"{a.number} · {a.province.name}", a.budget, reverse("provinces:agreement_detail", args=[a.pk]))
            for a in agreements
        ],
    )


@dataclass(frozen=True)
class QuotaRow:
    agreement: str
    crop: str
    quota: int
    taken: int
    url: str

    @property
    def share(self) -> float:
        return self.taken / self.quota if self.quota else 0.0


def quota_usage_by_agreement(user) -> list[QuotaRow]:
    """Places taken (enrollments not rejected or withdrawn) against each quota in scope, in one
    grouped query. Not shown to a union: it sees only its own registrations, not the quota."""
    scope = scope_of(user)
    if scope.sees_only_own_registrations:
        return []
    scoped = enrollments_for(user).exclude(status__in=Enrollment.RELEASED_STATES).order_by()
    taken = {
        (r["cycle__agreement_id"], r["cycle__crop_id"]): r["n"]
        for r in scoped.values("cycle__agreement_id", "cycle__crop_id").annotate(n=Count("pk"))
    }
    quotas = (
        AgreementQuota.objects.filter(agreement__in=agreements_for(user))
        .select_related("agreement__province", "crop")
        .order_by("agreement__province__name", "agreement__number", "crop__name")
    )
    return [
        QuotaRow(
            agreement=f"{q.agreement.number} · {q.agreement.province.name}",
            crop=q.crop.name,
            quota=q.quota,
            taken=taken.get((q.agreement_id, q.crop_id), 0),
            url=_enrollment_list_url(agreement=q.agreement_id, crop=q.crop_id),
        )
        for q in quotas
    ]
