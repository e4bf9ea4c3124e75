"""Reference data the screening app needs from the first migrate on (and after a flush)."""

from __future__ import annotations

import datetime as dt

#: The programme's rules as published: 3 to 10 months of seasonal pay of at least half the SMVM
#: in the last 12, average income below 3 SMVM, 10 months since the previous period. Later
#: changes are new rows with their own effective date, not edits here.
DEFAULT_RULES = {
    "effective_from": dt.date(2016, 1, 1),
    "window_months": 12,
    "min_seasonal_months": 3,
    "max_seasonal_months": 10,
    "min_smvm_fraction": "0.500",
    "max_average_smvm": "3.00",
    "min_months_since_previous": 10,
    "same_person_score": "0.900",
    "possible_score": "0.750",
}


def ensure_default_rules(ScreeningRules) -> None:  # noqa: N803 (a model class, historical in migrations)
    if not ScreeningRules.objects.exists():
        ScreeningRules.objects.create(**DEFAULT_RULES)


def ensure_after_migrate(sender, **kwargs) -> None:
    if sender.name != "enrollment.screening":
        return
    from enrollment.screening.models import ScreeningRules

    ensure_default_rules(ScreeningRules)
