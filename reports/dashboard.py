"""The dashboard is a list of sections; each section is a small selector function.

Other apps add their sections when they land, without touching this app's views::

    # payments/apps.py, in ready():
    from reports.dashboard import register_section
    register_section("payments", payments.selectors.dashboard_section, order=40)

A section function takes the user and returns a ``Section`` (or ``None`` when the user's role
has nothing to see there). It must read through the app's scoping selectors, and give every
``Figure`` the URL of the list it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from reports import selectors
from reports.selectors import Chart, QuotaRow


@dataclass
class Section:
    key: str
    title: str
    charts: list[Chart] = field(default_factory=list)
    #: an optional template rendered below the charts, with ``section`` in its context
    template: str = ""
    rows: list = field(default_factory=list)


SectionFunction = Callable[..., Section | None]
_SECTIONS: dict[str, tuple[int, SectionFunction]] = {}


def register_section(key: str, function: SectionFunction, *, order: int = 100) -> None:
    """Add (or replace) a dashboard section. Lower ``order`` comes first."""
    _SECTIONS[key] = (order, function)


def sections_for(user) -> list[Section]:
    result = []
    for _order, function in sorted(_SECTIONS.values(), key=lambda item: item[0]):
        section = function(user)
        if section is not None and (section.charts or section.rows):
            result.append(section)
    return result


def work_queue_section(user) -> Section | None:
    figures = selectors.work_queue(user)
    if not figures:
        return None
    return Section(key="queue", title=str(_("Para atender")), template="reports/_queue.html", rows=figures)


def enrollment_section(user) -> Section:
    return Section(
        key="enrollments",
        title=str(_("Inscripciones")),
        charts=[
            selectors.enrollments_by_status(user),
            selectors.enrollments_by_province(user),
            selectors.enrollments_by_crop(user),
        ],
    )


def agreements_section(user) -> Section | None:
    budget = selectors.budget_by_agreement(user)
    quotas: list[QuotaRow] = selectors.quota_usage_by_agreement(user)
    if budget is None and not quotas:
        return None
    return Section(
        key="agreements",
        title=str(_("Convenios: presupuesto y cupos")),
        charts=[budget] if budget is not None and budget.figures else [],
        template="reports/_quota_table.html",
        rows=quotas,
    )


register_section("queue", work_queue_section, order=5)
register_section("enrollments", enrollment_section, order=10)
register_section("agreements", agreements_section, order=20)
