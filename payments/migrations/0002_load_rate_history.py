"""The programme's monthly aid since 2016, as set by successive resolutions.

Months and resolution numbers that could not be confirmed against the Boletín Oficial are
marked in ``notes``; a payments officer corrects them in the admin (the table is audited).
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

RATES = [
    (dt.date(2016, 1, 1), "2300.00", "Res. SE 2016 (monto vigente hasta abril 2020)", "número y mes a confirmar"),
    (dt.date(2020, 5, 1), "5000.00", "Res. SE 143/2020", ""),
    (dt.date(2021, 3, 1), "7000.00", "Res. SE 2021", "número y mes a confirmar"),
    (dt.date(2021, 11, 1), "10000.00", "Res. SE 2021 (noviembre)", "número a confirmar"),
    (dt.date(2022, 1, 1), "14000.00", "Res. SE 2022 (inicio de año)", "número y mes a confirmar"),
    (dt.date(2022, 8, 1), "24000.00", "Res. SE 2022 (agosto)", "número a confirmar"),
    (dt.date(2023, 3, 1), "32000.00", "Res. SE 2023", "número y mes a confirmar"),
    (dt.date(2023, 10, 1), "64000.00", "Res. SE 2023 (octubre, retroactiva)", "número a confirmar"),
]


def load(apps, schema_editor):
    Rate = apps.get_model("payments", "Rate")
    for month, amount, resolution, notes in RATES:
        Rate.objects.update_or_create(
            effective_month=month, defaults={"amount": Decimal(amount), "resolution": resolution, "notes": notes}
        )


def unload(apps, schema_editor):
    Rate = apps.get_model("payments", "Rate")
    Rate.objects.filter(effective_month__in=[r[0] for r in RATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_installments_batches")]
    operations = [migrations.RunPython(load, unload)]
