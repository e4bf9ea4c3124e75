import datetime as dt

from django.db import migrations


def add_rules(apps, schema_editor):
    """The programme's rules as published: 3 to 10 months of seasonal pay of at least half the
    SMVM in the last 12, average income below 3 SMVM, 10 months since the previous period."""
    ScreeningRules = apps.get_model("screening", "ScreeningRules")
    ScreeningRules.objects.get_or_create(
        effective_from=dt.date(2016, 1, 1),
        defaults={
            "window_months": 12,
            "min_seasonal_months": 3,
            "max_seasonal_months": 10,
            "min_smvm_fraction": "0.500",
            "max_average_smvm": "3.00",
            "min_months_since_previous": 10,
            "same_person_score": "0.900",
            "possible_score": "0.750",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
