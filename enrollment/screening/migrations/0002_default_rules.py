from django.db import migrations


def add_rules(apps, schema_editor):
    from enrollment.screening.reference import ensure_default_rules

    ensure_default_rules(apps.get_model("screening", "ScreeningRules"))


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
