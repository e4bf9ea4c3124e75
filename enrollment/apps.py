from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Inscripción")

    def ready(self) -> None:
        from enrollment.selectors import quota_usage
        from provinces.seams import quota_in_use

        # provinces validates an agreement's quotas against the places enrollments take
        quota_in_use.provide(quota_usage)
