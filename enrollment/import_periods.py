"""The periods one survey list goes to: a list may mix activities (and, for a national union,
provinces), and the analysis sends each row to the open period of its province and activity.
One ``ImportPeriod`` per period a list's rows go to, with what the analysis found for it and what
applying did; the job's own counters are the totals.

Imported by ``enrollment.models`` so Django registers the model with the enrollment app.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from provinces.models import Cycle


class ImportPeriod(models.Model):
    """One period (province × activity) of a survey list, and its part of the summary."""

    job = models.ForeignKey(
        "enrollment.ImportJob",
        verbose_name=_("importación"),
        on_delete=models.CASCADE,
        related_name="periods",
        db_index=False,
    )
    cycle = models.ForeignKey(Cycle, verbose_name=_("período interzafra"), on_delete=models.PROTECT, related_name="+")
    valid_rows = models.PositiveIntegerField(_("filas válidas"), default=0)
    error_rows = models.PositiveIntegerField(_("filas con errores"), default=0)
    review_rows = models.PositiveIntegerField(_("filas que requieren revisión"), default=0)
    new_workers = models.PositiveIntegerField(_("trabajadores/as nuevos/as"), default=0)
    known_workers = models.PositiveIntegerField(_("trabajadores/as ya registrados/as"), default=0)
    already_enrolled = models.PositiveIntegerField(_("ya inscriptos/as en el período"), default=0)
    enrollments_to_create = models.PositiveIntegerField(_("inscripciones a crear"), default=0)
    quota_available = models.PositiveIntegerField(_("cupo disponible al analizar"), default=0)
    created_enrollments = models.PositiveIntegerField(_("inscripciones creadas"), default=0)
    over_quota = models.PositiveIntegerField(_("filas sin cupo"), default=0)

    class Meta:
        verbose_name = _("período de un padrón")
        verbose_name_plural = _("períodos de padrones")
        constraints = [models.UniqueConstraint(fields=["job", "cycle"], name="import_period_once_per_job")]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.cycle_id}"
