from django.db import migrations


def load(apps, schema_editor):
    from provinces.reference_data import ensure_reference_data

    ensure_reference_data(apps.get_model("provinces", "Province"), apps.get_model("provinces", "Crop"))


class Migration(migrations.Migration):
    dependencies = [("provinces", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
