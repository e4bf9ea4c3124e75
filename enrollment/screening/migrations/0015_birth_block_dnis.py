"""Birth-date blocks carry their records' DNIs, so that a pair born the same day with a DNI one
keystroke away is compared whatever the names (``enrollment.screening.near_dni``); the blocks of
versions already loaded get theirs from the records, in the blocks' order (by id)."""

from django.db import migrations, models

BACKFILL = """
UPDATE screening_registrybirthblock b
   SET dnis = d.dnis
  FROM (SELECT version_id, birth_date, string_agg(coalesce(dni, ''), '|' ORDER BY id) AS dnis
          FROM screening_externalrecord
         WHERE birth_date IS NOT NULL
         GROUP BY version_id, birth_date) d
 WHERE d.version_id = b.version_id AND d.birth_date = b.birth_date
"""


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0014_entitlement_permissions_by_role"),
    ]

    operations = [
        migrations.AddField(
            model_name="registrybirthblock",
            name="dnis",
            field=models.TextField(default="", verbose_name="DNI de los registros"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
