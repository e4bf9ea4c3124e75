"""What the sweeper knows of an enrollment left without its screening (``enrollment.screening.sweep``).

One row per enrollment found in "submitted" or "screening" for longer than
``SCREENING_STALE_AFTER_MINUTES``, or whose screening task failed: how many times the sweeper
queued it again, when, and the last error the task raised. A row whose enrollment has moved on
is deleted by the next sweep.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment


class StaleScreening(models.Model):
    enrollment = models.OneToOneField(
        Enrollment,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stale_screening",
        verbose_name=_("inscripción"),
    )
    requeues = models.PositiveSmallIntegerField(_("veces encolada de nuevo"), default=0)
    requeued_at = models.DateTimeField(_("encolada de nuevo"), null=True, blank=True)
    last_error = models.TextField(_("último error del control"), blank=True)
    failed_at = models.DateTimeField(_("falló"), null=True, blank=True)

    class Meta:
        verbose_name = _("inscripción sin controlar")
        verbose_name_plural = _("inscripciones sin controlar")

    def __str__(self) -> str:
        return f"{self.enrollment_id}: {self.requeues}"
