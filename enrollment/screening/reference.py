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


#: A plausible default entitlement table (the official one is not public): months with registered
#: agrarian or agro-industrial pay in the 12 months before the period → months of aid. The
#: ministry replaces it in the UI ("Meses de ayuda") with a new table and its effective date.
DEFAULT_ENTITLEMENT = {
    "effective_from": dt.date(2016, 1, 1),
    "window_months": 12,
    "note": "Tabla inicial de referencia (editable): la tabla oficial no es pública.",
    "brackets": [(0, 4, 2), (5, 7, 3), (8, 12, 4)],
}


def ensure_default_entitlement(EntitlementRuleSet, EntitlementBracket) -> None:  # noqa: N803
    if EntitlementRuleSet.objects.exists():
        return
    table = dict(DEFAULT_ENTITLEMENT)
    brackets = table.pop("brackets")
    rule_set = EntitlementRuleSet.objects.create(status="approved", decided_at=dt.datetime.now(dt.UTC), **table)
    EntitlementBracket.objects.bulk_create(
        EntitlementBracket(rule_set=rule_set, min_pay_months=low, max_pay_months=high, months=months)
        for low, high, months in brackets
    )


def ensure_default_rules(ScreeningRules) -> None:  # noqa: N803 (a model class, historical in migrations)
    if not ScreeningRules.objects.exists():
        ScreeningRules.objects.create(**DEFAULT_RULES)


def ensure_after_migrate(sender, **kwargs) -> None:
    if sender.name != "enrollment.screening":
        return
    from enrollment.screening.models import EntitlementBracket, EntitlementRuleSet, ScreeningRules

    ensure_default_rules(ScreeningRules)
    ensure_default_entitlement(EntitlementRuleSet, EntitlementBracket)
