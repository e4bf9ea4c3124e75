from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Messages to the worker (approved, rejected, held, payment ready, claim resolved): it
    reads enrollment and payments and is written to by the claims services, so it sits above
    payments and below claims; enrollment transitions reach it through a seam."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Avisos a trabajadores/as")

    def ready(self) -> None:
        from notifications import subscriptions

        subscriptions.subscribe()
