from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from provinces.models import Cycle, Organisation, Province


@pghistory.track()
class Worker(models.Model):
    """A person, identified by CUIL. Nationality never makes a worker ineligible."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Femenino")
        MALE = "M", _("Masculino")
        OTHER = "X", _("No binario")

    cuil = models.CharField(_("CUIL"), max_length=11, unique=True)
    dni = models.GeneratedField(
        verbose_name=_("DNI"),
        expression=Substr("cuil", 3, 8),
        output_field=models.CharField(max_length=8),
        db_persist=True,
    )
    last_name = models.CharField(_("apellido"), max_length=120)
    first_name = models.CharField(_("nombre"), max_length=120)
    last_name_norm = models.CharField(_("apellido normalizado"), max_length=120, editable=False)
    first_name_norm = models.CharField(_("nombre normalizado"), max_length=120, editable=False)
    birth_date = models.DateField(_("fecha de nacimiento"))
    sex = models.CharField(_("sexo"), max_length=1, choices=Sex.choices)
    nationality = models.CharField(_("nacionalidad"), max_length=60, default="Argentina")
    phone = models.CharField(_("teléfono"), max_length=30, blank=True)
    address = models.CharField(_("domicilio"), max_length=200, blank=True)
    province = models.ForeignKey(Province, verbose_name=_("provincia de residencia"), on_delete=models.PROTECT)
    locality = models.CharField(_("localidad"), max_length=120)
    cbu = models.CharField(_("CBU"), max_length=22, blank=True)
    renatre = models.CharField(_("N° RENATRE"), max_length=20, blank=True)
    registered_by = models.ForeignKey(
        Organisation,
        verbose_name=_("registrado por"),
        on_delete=models.PROTECT,
        related_name="registered_workers",
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("trabajador/a")
        verbose_name_plural = _("trabajadores/as")
        ordering = ["last_name_norm", "first_name_norm"]
        indexes = [
            models.Index(fields=["dni"], name="worker_dni_idx"),
            models.Index(fields=["last_name_norm", "first_name_norm"], name="worker_name_idx"),
            models.Index(fields=["birth_date"], name="worker_birth_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.cuil_display})"

    @property
    def cuil_display(self) -> str:
        return f"{self.cuil[:2]}-{self.cuil[2:10]}-{self.cuil[10:]}"


@pghistory.track()
class Enrollment(models.Model):
    """A worker's inscription in one inter-harvest period, registered by an organisation."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Presentada")
        SCREENING = "screening", _("En control")
        PENDING_REVIEW = "pending_review", _("Pendiente de revisión")
        APPROVED = "approved", _("Aprobada")
        ACTIVE = "active", _("Activa")
        COMPLETED = "completed", _("Finalizada")
        REJECTED = "rejected", _("Rechazada")
        SUSPENDED = "suspended", _("Suspendida")
        WITHDRAWN = "withdrawn", _("Dada de baja")

    #: States that do not take a place of the agreement's quota.
    RELEASED_STATES = (Status.REJECTED, Status.WITHDRAWN)

    worker = models.ForeignKey(
        Worker, verbose_name=_("trabajador/a"), on_delete=models.PROTECT, related_name="enrollments"
    )
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("período interzafra"), on_delete=models.PROTECT, related_name="enrollments"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organización que inscribe"), on_delete=models.PROTECT, related_name="enrollments"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuario que inscribe"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    status = models.CharField(_("estado"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    status_reason = models.TextField(_("motivo del último cambio de estado"), blank=True)
    status_changed_at = models.DateTimeField(_("último cambio de estado"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cambio de estado hecho por"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("inscripción")
        verbose_name_plural = _("inscripciones")
        ordering = ["-created_at"]
        permissions = [("review_enrollment", _("Aprobar o rechazar inscripciones"))]
        constraints = [
            models.UniqueConstraint(fields=["worker", "cycle"], name="enrollment_one_per_worker_cycle"),
        ]
        indexes = [models.Index(fields=["cycle", "status"], name="enrollment_cycle_status_idx")]

    def __str__(self) -> str:
        return f"{self.worker} · {self.cycle}"
