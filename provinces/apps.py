from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ProvincesConfig(AppConfig):
    name = "provinces"
    verbose_name = _("Provincias y convenios")

    def ready(self) -> None:
        from provinces.bootstrap import ensure_roles_and_reference_data

        # Groups need every app's permissions, so this runs once after the whole migrate.
        post_migrate.connect(ensure_roles_and_reference_data, dispatch_uid="interzafra_roles")
