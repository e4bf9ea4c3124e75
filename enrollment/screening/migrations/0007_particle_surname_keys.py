"""Records whose surname is only particles ("Del", "De la") get keys that keep them (see
``names.surname_tokens``); their versions' word counts and birth-date blocks are rebuilt."""

from django.db import migrations


def rekey(apps, schema_editor):
    from enrollment.screening.matching import build_registry_index
    from enrollment.screening.names import last_key, name_key, sort_key

    record = apps.get_model("screening", "ExternalRecord")
    changed, versions = [], set()
    for r in record.objects.filter(last_key="").exclude(last_name="").iterator():
        key = name_key(r.last_name, r.first_name)[:250]
        if key != r.name_key:
            r.name_key, r.last_key, r.sort_key = key, last_key(r.last_name)[:60], sort_key(key)
            changed.append(r)
            versions.add(r.version_id)
    record.objects.bulk_update(changed, ["name_key", "last_key", "sort_key"], batch_size=2000)
    apps.get_model("screening", "RegistryBirthBlock").objects.filter(version_id__in=versions).delete()
    apps.get_model("screening", "RegistryNameWord").objects.filter(version_id__in=versions).delete()
    with schema_editor.connection.cursor() as cursor:
        for version_id in sorted(versions):
            build_registry_index(cursor, version_id)


class Migration(migrations.Migration):
    dependencies = [("screening", "0006_registry_blocks")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
