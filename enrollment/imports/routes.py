"""Which period each row of a survey list goes to.

A list may mix activities, and a national union's list provinces: each row goes to the open
period (registration open, agreement in force) of its province of residence and its activity,
among the periods the uploader may register in. The period chosen on the upload form is the
default: rows of a file without the province or activity column take its province or activity,
and when several periods of one province and activity are open it is the one chosen, if it is
one of them, or else the one starting the same month. A row whose province and activity have no
such period, or whose province the uploader does not register in, is a problem on that row and
is never staged.

Decided once per province and activity (a list has a handful of them), from the open periods
read with one query; the rows carry the period they go to (``ImportRow.cycle``), and the
summary and the apply join them to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from enrollment.services import registrable_province_ids
from provinces.models import Agreement, Crop, Cycle, Province


@dataclass(frozen=True)
class Route:
    """Where the rows of one province and activity go: ``cycle``, or a problem (``field`` names
    the column, ``message`` says why) when they go nowhere."""

    cycle: Cycle | None
    field: str = ""
    message: str = ""

    @property
    def adult_born_by(self) -> dt.date | None:
        """The latest birth date of a person 18 or older on the period's first day (always the
        1st of a month, so the same day 18 years earlier exists)."""
        if self.cycle is None:
            return None
        first = self.cycle.first_month
        return first.replace(year=first.year - 18)


class Routes:
    """The periods a job's rows may go to, keyed by (province id, activity id)."""

    def __init__(self, *, default: Cycle, open_cycles: list[Cycle], provinces: frozenset[int] | None) -> None:
        self.default = default
        #: ``None``: the uploader registers in every province (a national union)
        self.provinces = provinces
        self.open: dict[tuple[int, int], list[Cycle]] = {}
        for cycle in open_cycles:
            self.open.setdefault((cycle.agreement.province_id, cycle.crop_id), []).append(cycle)
        self._routes: dict[tuple[int, int], Route] = {}
        self._names: tuple[dict[int, str], dict[int, str]] | None = None

    @classmethod
    def for_job(cls, *, default: Cycle, user) -> Routes:
        """The open periods and the uploader's provinces, read once."""
        open_cycles = list(
            Cycle.objects.filter(registration_open=True, agreement__status=Agreement.Status.ACTIVE).select_related(
                "agreement", "crop"
            )
        )
        routes = cls(default=default, open_cycles=open_cycles, provinces=registrable_province_ids(user))
        # Read now: while the rows are checked the connection is busy with their COPY.
        routes._lookup_names()
        return routes

    @classmethod
    def only(cls, cycle: Cycle) -> Routes:
        """Every row to ``cycle`` (its province and activity), nothing else open."""
        return cls(default=cycle, open_cycles=[cycle], provinces=frozenset({cycle.agreement.province_id}))

    @property
    def default_province_id(self) -> int:
        return self.default.agreement.province_id

    def route(self, province_id: int, crop_id: int) -> Route:
        key = (province_id, crop_id)
        found = self._routes.get(key)
        if found is None:
            found = self._routes[key] = self._decide(province_id, crop_id)
        return found

    def _decide(self, province_id: int, crop_id: int) -> Route:
        default = self.default
        if self.provinces is not None and province_id not in self.provinces:
            return Route(
                None,
                "province",
                _("Su organización no inscribe en %(province)s: esta fila no se importa.")
                % {"province": self._province_name(province_id)},
            )
        candidates = self.open.get((province_id, crop_id), [])
        if any(cycle.pk == default.pk for cycle in candidates):
            return Route(default)
        if len(candidates) == 1:
            return Route(candidates[0])
        names = {"crop": self._crop_name(crop_id), "province": self._province_name(province_id)}
        if not candidates:
            return Route(None, "crop", _("No hay un período de %(crop)s abierto en %(province)s.") % names)
        same_month = [cycle for cycle in candidates if cycle.first_month == default.first_month]
        if len(same_month) == 1:
            return Route(same_month[0])
        return Route(
            None,
            "crop",
            _(
                "Hay varios períodos de %(crop)s abiertos en %(province)s: suba estas filas en otro padrón, "
                "eligiendo el período."
            )
            % names,
        )

    def _province_name(self, province_id: int) -> str:
        return self._lookup_names()[0].get(province_id, str(province_id))

    def _crop_name(self, crop_id: int) -> str:
        return self._lookup_names()[1].get(crop_id, str(crop_id))

    def _lookup_names(self) -> tuple[dict[int, str], dict[int, str]]:
        if self._names is None:
            self._names = (
                dict(Province.objects.values_list("pk", "name")),
                dict(Crop.objects.values_list("pk", "name")),
            )
        return self._names
