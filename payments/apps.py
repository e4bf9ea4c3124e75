from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Pagos")

    def ready(self) -> None:
        from payments.reference_data import ensure_rates_after_migrate
        from payments.seams import connect_enrollment_seams

        # A flush (transactional tests) empties the rate table; put the history back.
        post_migrate.connect(ensure_rates_after_migrate, sender=self, dispatch_uid="interzafra_rates")
        connect_enrollment_seams()
