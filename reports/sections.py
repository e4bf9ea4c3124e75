"""Dashboard sections of transfers, screening flags and training referrals.

Each section reads through its app's scoping selector (``installments_for``, ``flags_for``,
``referrals_for``) with one grouped query, and each figure links to the app's list filtered to
exactly the rows it counts. A role without the app's view permission gets no section.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from enrollment.screening.models import MatchFlag
from enrollment.screening.selectors import RESOLVED, flag_counts
from payments.models import Installment
from payments.selectors import SCHEDULED_STATES, installment_counts_by_month, spending_by_agreement
from provinces.scoping import scope_of
from provinces.selectors import agreements_for
from reports.dashboard import Section, register_section
from reports.selectors import Chart, Figure
from training.models import Referral
from training.selectors import referral_status_counts


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)
    return reverse(name) + ("?" + query if query else "")


# --- transfers ------------------------------------------------------------------------------

IS = Installment.Status


def _installments_url(**params) -> str:
    return _url("payments:installment_list", **params)


def _month_param(month) -> str:
    return f"{month:%Y-%m}"


def transfer_series() -> list[tuple[str, tuple[str, ...]]]:
    """The series of the monthly charts: every scheduled installment, then three of its stages."""
    return [
        (_("Programadas"), SCHEDULED_STATES),
        (_("Pagadas"), (IS.PAID,)),
        (_("Rechazadas"), (IS.REJECTED,)),
        (_("Retenidas"), (IS.HELD,)),
    ]


def scope_note(user) -> str:
    """What part of the country's installments the figures cover, for a role that sees a part."""
    scope = scope_of(user)
    if scope.is_national:
        return ""
    if scope.province_ids and scope.organisation_ids:
        return _("Sólo las cuotas de sus provincias y las de las inscripciones que registró su organización.")
    if scope.province_ids:
        return _("Sólo las cuotas de las provincias en las que actúa.")
    if scope.organisation_ids:
        return _("Sólo las cuotas de las inscripciones que registró su organización.")
    return ""


def installments_by_month(user) -> tuple[Chart, Chart]:
    """Installments and amounts per month: scheduled (every one not cancelled), paid, rejected
    by the bank and held, from one grouped query."""
    counts: dict = defaultdict(int)
    amounts: dict = defaultdict(Decimal)
    months = []
    for row in installment_counts_by_month(user=user):
        if row["month"] not in months:
            months.append(row["month"])
        counts[(row["month"], row["status"])] += row["n"]
        amounts[(row["month"], row["status"])] += row["amount"] or Decimal("0")
    count_figures, amount_figures = [], []
    for month in months:
        for name, states in transfer_series():
            url = _installments_url(month=_month_param(month), status=list(states))
            label = f"{month:%m/%Y}"
            count_figures.append(Figure(label, sum(counts[(month, s)] for s in states), url, series=name))
            amount_figures.append(
                Figure(label, sum((amounts[(month, s)] for s in states), Decimal("0")), url, series=name)
            )
    note = _("Programadas: todas las cuotas del mes salvo las anuladas, en cualquier etapa.")
    limited = scope_note(user)
    if limited:
        note = f"{note} {limited}"
    return (
        Chart(key="installments_by_month", title=_("Cuotas por mes"), figures=count_figures, note=note),
        Chart(
            key="amounts_by_month",
            title=_("Importes por mes (ARS)"),
            figures=amount_figures,
            unit="ARS",
            note=note,
        ),
    )


@dataclass(frozen=True)
class BudgetRow:
    agreement: str
    budget: Decimal
    budget_url: str
    committed: Decimal
    committed_n: int
    committed_url: str
    paid: Decimal
    paid_n: int
    paid_url: str

    @property
    def share_committed(self) -> float:
        """The part of the budget committed, 0 to 1 (more when over budget)."""
        return float(self.committed / self.budget) if self.budget else 0.0

    @property
    def percent_committed(self) -> Decimal:
        return (100 * self.committed / self.budget).quantize(Decimal("0.1")) if self.budget else Decimal("0")


def budget_agreements(user):
    """The agreements whose budget use the user sees: every one for national roles, those of
    their provinces for provincial officers. A union officer sees none: an agreement's budget is
    the province's, and the union's share of it (only the enrollments it registered) would read
    as the whole province's use of its budget."""
    scope = scope_of(user)
    agreements = agreements_for(user)
    if not scope.is_national:
        agreements = agreements.filter(province_id__in=scope.province_ids)
    return agreements


def budget_use(user) -> list[BudgetRow]:
    """Per agreement in scope: budget, amount committed in installments and amount paid."""
    spending = {row["agreement_id"]: row for row in spending_by_agreement(user=user)}
    rows = []
    for agreement in budget_agreements(user).order_by("province__name", "number"):
        spent = spending.get(agreement.pk, {})
        rows.append(
            BudgetRow(
                agreement=f"{agreement.number} · {agreement.province.name}",
                budget=agreement.budget,
                budget_url=reverse("provinces:agreement_detail", args=[agreement.pk]),
                committed=spent.get("committed") or Decimal("0"),
                committed_n=spent.get("committed_n", 0),
                committed_url=_installments_url(agreement=agreement.pk, status=list(SCHEDULED_STATES)),
                paid=spent.get("paid") or Decimal("0"),
                paid_n=spent.get("paid_n", 0),
                paid_url=_installments_url(agreement=agreement.pk, status=[IS.PAID]),
            )
        )
    return rows


def transfers_section(user) -> Section | None:
    """Installments per month and budget use per agreement, within the user's scope: the whole
    country for the ministry, their provinces for provincial officers, the enrollments they
    registered for union officers (without budgets, see ``budget_agreements``)."""
    if not user.has_perm("payments.view_installment"):
        return None
    charts = [c for c in installments_by_month(user) if c.figures]
    rows = budget_use(user) if charts else []
    return Section(
        key="transfers",
        title=_("Transferencias"),
        charts=charts,
        template="reports/_budget_table.html" if rows else "",
        rows=rows,
    )


# --- screening flags ------------------------------------------------------------------------


def _flags_url(**params) -> str:
    return _url("screening:flag_list", **params)


def flag_charts(user) -> list[Chart]:
    """Flags open and resolved by kind and by level, and how the resolved ones were decided."""
    by_kind: dict = defaultdict(int)
    by_level: dict = defaultdict(int)
    by_status: dict = defaultdict(int)
    for row in flag_counts(user=user):
        state = "open" if row["status"] == MatchFlag.Status.OPEN else RESOLVED
        by_kind[(row["kind"], state)] += row["n"]
        by_level[(row["level"], state)] += row["n"]
        by_status[row["status"]] += row["n"]
    if not by_status:
        return []
    series = [("open", _("Sin resolver")), (RESOLVED, _("Resueltas"))]
    kinds = Chart(
        key="flags_by_kind",
        title=_("Alertas de control por tipo"),
        figures=[
            Figure(str(label), by_kind[(value, state)], _flags_url(estado=state, tipo=value), series=name)
            for value, label in MatchFlag.Kind.choices
            for state, name in series
        ],
    )
    levels = Chart(
        key="flags_by_level",
        title=_("Alertas de control por nivel"),
        figures=[
            Figure(str(label), by_level[(value, state)], _flags_url(estado=state, nivel=value), series=name)
            for value, label in MatchFlag.Level.choices
            for state, name in series
        ],
    )
    decisions = Chart(
        key="flag_decisions",
        title=_("Alertas resueltas por decisión"),
        figures=[
            Figure(str(label), by_status[value], _flags_url(estado=value))
            for value, label in MatchFlag.Status.choices
            if value != MatchFlag.Status.OPEN
        ],
    )
    return [kinds, levels, decisions]


def screening_section(user) -> Section | None:
    if not user.has_perm("screening.view_matchflag"):
        return None
    return Section(key="screening", title=_("Control de duplicados y elegibilidad"), charts=flag_charts(user))


# --- training referrals ---------------------------------------------------------------------

R = Referral.Status
#: Referrals still under way, and those that ended without completing.
OPEN_REFERRALS = (R.REFERRED, R.ACCEPTED, R.ATTENDING)
NOT_COMPLETED = (R.DROPPED, R.NO_SHOW, R.DECLINED)


def _referrals_url(**params) -> str:
    return _url("training:referral_list", **params)


def referral_charts(user) -> list[Chart]:
    """Referrals by status, and per line by outcome and job placement."""
    by_status: dict = defaultdict(int)
    by_line: dict = defaultdict(int)
    placed_by_line: dict = defaultdict(int)
    for row in referral_status_counts(user=user):
        by_status[row["status"]] += row["n"]
        by_line[(row["line"], row["status"])] += row["n"]
        if row["job_placement"]:
            placed_by_line[row["line"]] += row["n"]
    if not by_status:
        return []
    outcomes = Chart(
        key="referrals_by_status",
        title=_("Derivaciones y resultados"),
        figures=[Figure(str(label), by_status[value], _referrals_url(status=value)) for value, label in R.choices],
    )
    groups = [
        (_("En curso"), OPEN_REFERRALS),
        (_("Finalizadas"), (R.COMPLETED,)),
        (_("Sin completar"), NOT_COMPLETED),
    ]
    lines = []
    for value, label in Referral.Line.choices:
        if not any(by_line[(value, s)] for s in R.values):
            continue
        for name, states in groups:
            lines.append(
                Figure(
                    str(label),
                    sum(by_line[(value, s)] for s in states),
                    _referrals_url(line=value, status=list(states)),
                    series=name,
                )
            )
        lines.append(
            Figure(
                str(label),
                placed_by_line[value],
                _referrals_url(line=value, job_placement="true"),
                series=_("Obtuvieron empleo"),
            )
        )
    by_line_chart = Chart(
        key="referrals_by_line",
        title=_("Derivaciones por línea y resultado"),
        figures=lines,
        note=_("Quienes obtuvieron empleo también se cuentan en su resultado."),
    )
    return [outcomes, by_line_chart]


def referrals_section(user) -> Section | None:
    if not user.has_perm("training.view_referral"):
        return None
    return Section(key="referrals", title=_("Capacitación y empleo"), charts=referral_charts(user))


register_section("transfers", transfers_section, order=30)
register_section("screening", screening_section, order=40)
register_section("referrals", referrals_section, order=50)
