"""pg_trgm and trigram indexes on the workers' folded names, for accent- and typo-tolerant
search (``reports.selectors.search_workers``). The indexes live on enrollment's table but
serve only the search, so they are created here."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0002_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            sql=[
                "CREATE INDEX IF NOT EXISTS reports_worker_last_name_trgm "
                "ON enrollment_worker USING gin (last_name_norm gin_trgm_ops)",
                "CREATE INDEX IF NOT EXISTS reports_worker_first_name_trgm "
                "ON enrollment_worker USING gin (first_name_norm gin_trgm_ops)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS reports_worker_last_name_trgm",
                "DROP INDEX IF EXISTS reports_worker_first_name_trgm",
            ],
        ),
    ]
