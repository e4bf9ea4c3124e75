from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "enrollment.screening"
    label = "screening"
    verbose_name = _("Control de elegibilidad y duplicados")

    def ready(self) -> None:
        from enrollment.screening.reference import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="screening_reference_data")
