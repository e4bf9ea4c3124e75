from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfServiceConfig(AppConfig):
    """The public status page: the worker reads her own enrollment, payments and claims and
    files a claim. It reads across enrollment, payments and claims and writes the programme's
    access log (``api.StatusLookup``), so it sits at the top beside api and reports."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "selfservice"
    verbose_name = _("Consulta pública")
