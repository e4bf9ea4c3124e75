from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Dashboards, reports, search and the worker page: they read across every app, so they
    belong to none of them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("Tableros e informes")

    def ready(self) -> None:
        # The dashboard sections of transfers, screening flags and referrals register themselves.
        from reports import bank_sections, sections, worker_voice  # noqa: F401
