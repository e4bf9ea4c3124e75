from django.db import migrations


def load(apps, schema_editor):
    from payments.reference_data import ensure_rates

    ensure_rates(apps.get_model("payments", "Rate"))


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_installments_batches")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
