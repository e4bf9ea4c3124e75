"""AUH (Asignación Universal por Hijo) and PROGRESAR are compatible with the programme (its
resolutions): both registries exist from the start, marked compatible, so loading their lists
never raises a conflict. Any other registry is incompatible unless the ministry says otherwise
(``ExternalRegistry.is_incompatible`` defaults to true). A registry already created under
these codes is left as configured."""

from django.db import migrations

COMPATIBLE = [
    ("auh", "Asignación Universal por Hijo (AUH)", "family_allowance"),
    ("progresar", "Becas PROGRESAR", "education"),
]


def seed(apps, schema_editor):
    ExternalRegistry = apps.get_model("screening", "ExternalRegistry")
    for code, programme, kind in COMPATIBLE:
        ExternalRegistry.objects.get_or_create(
            code=code, defaults={"programme": programme, "kind": kind, "is_incompatible": False}
        )


def unseed(apps, schema_editor):
    ExternalRegistry = apps.get_model("screening", "ExternalRegistry")
    ExternalRegistry.objects.filter(
        code__in=[code for code, _p, _k in COMPATIBLE], current_version__isnull=True, is_incompatible=False
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("screening", "0011_flags_for_missing_sipa_data_and_reentry")]

    operations = [migrations.RunPython(seed, unseed)]
