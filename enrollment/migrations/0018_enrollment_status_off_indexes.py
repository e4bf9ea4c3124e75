# Changes of state as HOT updates: no index of enrollment_enrollment covers status or
# status_changed_by, and half of each page is kept free for the rows' new versions.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('enrollment', '0017_survey_lists_routed_to_periods'),
        ('provinces', '0006_spanish_name_collation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='enrollment',
            index=models.Index(fields=['cycle'], name='enrollment_cycle_idx'),
        ),
        migrations.RemoveIndex(
            model_name='enrollment',
            name='enrollment_cycle_status_idx',
        ),
        migrations.AlterField(
            model_name='enrollment',
            name='status_changed_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='cambio de estado hecho por'),
        ),
        # Screening moves every enrollment of an import twice (to screening, then to review) and
        # approval, activation and completion once each: with half of each page free, the new
        # version of each row stays on its page. Applies to pages written from now on; existing
        # pages get it when the table is rewritten (VACUUM FULL or pg_repack, see docs/deploy.md).
        migrations.RunSQL(
            "ALTER TABLE enrollment_enrollment SET (fillfactor = 50)",
            reverse_sql="ALTER TABLE enrollment_enrollment RESET (fillfactor)",
        ),
    ]
