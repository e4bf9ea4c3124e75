"""What a screening pass finds, before it is written: one ``FoundFlag`` per finding, and the
rules in force for a month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from enrollment.screening.models import MatchFlag, ScreeningRules

K = MatchFlag.Kind
L = MatchFlag.Level


@dataclass
class FoundFlag:
    enrollment_id: int
    kind: str
    level: str
    score: Decimal
    reasons: str
    match_key: str
    matched: dict = field(default_factory=dict)
    matched_enrollment_id: int | None = None
    matched_record_id: int | None = None
    registry_id: int | None = None
    month: dt.date | None = None


def rules_for(month: dt.date) -> ScreeningRules:
    rules = ScreeningRules.objects.filter(effective_from__lte=month).order_by("-effective_from").first()
    if rules is None:
        rules = ScreeningRules.objects.order_by("effective_from").first()
    if rules is None:
        raise ScreeningRules.DoesNotExist(_("No hay reglas de control cargadas."))
    return rules


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def money(amount) -> str:
    return "$ " + number_format(amount, 2, force_grouping=True)


def months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month
