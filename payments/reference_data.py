"""The programme's monthly aid since 2016, as set by successive resolutions.

Months and resolution numbers not yet confirmed against the Boletín Oficial say so in
``notes``; support staff correct those texts in the admin (the table is audited); a new amount
is proposed and approved by two people on the rates page (``payments.rates``). Loaded by a
data migration and again after every ``migrate``/flush (only the rows that are missing).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

RATES = [
    (dt.date(2016, 1, 1), "2300.00", "Res. SE 2016", "número y mes a confirmar"),
    (dt.date(2020, 5, 1), "5000.00", "Res. SE 143/2020", ""),
    (dt.date(2021, 3, 1), "7000.00", "Res. SE 2021", "número y mes a confirmar"),
    (dt.date(2021, 11, 1), "10000.00", "Res. SE 2021 (noviembre)", "número a confirmar"),
    (dt.date(2022, 1, 1), "14000.00", "Res. SE 2022 (inicio de año)", "número y mes a confirmar"),
    (dt.date(2022, 8, 1), "24000.00", "Res. SE 2022 (agosto)", "número a confirmar"),
    (dt.date(2023, 3, 1), "32000.00", "Res. SE 2023", "número y mes a confirmar"),
    (dt.date(2023, 10, 1), "64000.00", "Res. SE 2023 (octubre, retroactiva)", "número a confirmar"),
]


def ensure_rates(rate_model) -> None:
    for month, amount, resolution, notes in RATES:
        if not rate_model.objects.filter(effective_month=month).exists():
            rate_model.objects.create(effective_month=month, amount=Decimal(amount), resolution=resolution, notes=notes)


def ensure_rates_after_migrate(sender, using="default", **kwargs) -> None:
    if sender.name != "payments":
        return
    from payments.models import Rate

    ensure_rates(Rate)
