"""Claims (reclamos): a worker contests a decision of the programme — a rejection, a screening
flag, a hold or suspension, an installment not received or a wrong amount — or asks for a data
correction. Filed by the worker on the public status page, or on her behalf by a provincial or
union officer (form or API); resolved by the ministry with a reason.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment, Worker
from enrollment.screening.models import MatchFlag
from payments.models import Installment
from provinces.models import Organisation


@pghistory.track()
class Claim(models.Model):
    class Subject(models.TextChoices):
        REJECTION = "rejection", _("Rechazo de la inscripción")
        FLAG = "flag", _("Alerta de control (otra persona)")
        HOLD = "hold", _("Cuota retenida o inscripción suspendida")
        NOT_RECEIVED = "not_received", _("Cuota no cobrada")
        WRONG_AMOUNT = "wrong_amount", _("Monto incorrecto")
        DATA_CORRECTION = "data_correction", _("Corrección de datos")

    class FiledBy(models.TextChoices):
        WORKER = "worker", _("La persona trabajadora")
        OFFICER = "officer", _("Oficina provincial")
        UNION = "union", _("Sindicato o asociación")

    class Channel(models.TextChoices):
        SELF_SERVICE = "self_service", _("Consulta pública")
        OFFICE = "office", _("Oficina")
        API = "api", _("API")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Recibido")
        IN_REVIEW = "in_review", _("En revisión")
        UPHELD = "upheld", _("Aceptado")
        DENIED = "denied", _("Rechazado")

    OPEN_STATES = (Status.RECEIVED, Status.IN_REVIEW)
    DECIDED_STATES = (Status.UPHELD, Status.DENIED)

    worker = models.ForeignKey(Worker, verbose_name=_("trabajador/a"), on_delete=models.PROTECT, related_name="claims")
    subject = models.CharField(_("qué reclama"), max_length=20, choices=Subject.choices)
    enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("inscripción"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    flag = models.ForeignKey(
        MatchFlag, verbose_name=_("alerta"), on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    installment = models.ForeignKey(
        Installment, verbose_name=_("cuota"), on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    filed_by_kind = models.CharField(_("presentado por"), max_length=10, choices=FiledBy.choices)
    channel = models.CharField(_("canal"), max_length=15, choices=Channel.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organización que lo presenta"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuario que lo presenta"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.TextField(_("descripción"))
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    due_on = models.DateField(_("vence"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("en revisión por"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    taken_at = models.DateTimeField(_("tomado"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resuelto por"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("resuelto"), null=True, blank=True)
    resolution = models.TextField(_("motivo de la resolución"), blank=True)
    effect = models.TextField(_("efecto"), blank=True)
    created_at = models.DateTimeField(_("presentado"), auto_now_add=True)

    class Meta:
        verbose_name = _("reclamo")
        verbose_name_plural = _("reclamos")
        ordering = ["due_on", "pk"]
        permissions = [("decide_claim", _("Revisar y resolver reclamos"))]
        constraints = [
            models.CheckConstraint(
                name="claim_decided_has_reason",
                condition=~Q(status__in=["upheld", "denied"])
                | (~Q(resolution="") & Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
            ),
            models.CheckConstraint(
                name="claim_in_review_taken",
                condition=Q(status="received") | Q(taken_by__isnull=False),
            ),
            models.CheckConstraint(name="claim_has_description", condition=~Q(description="")),
            # One open claim per worker, subject and contested record: filing twice (a double
            # click, a retried API call) finds the first one instead of opening a second.
            models.UniqueConstraint(
                fields=["worker", "subject", "enrollment", "flag", "installment"],
                condition=Q(status__in=["received", "in_review"]),
                nulls_distinct=False,
                name="claim_one_open_per_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="claim_status_due_idx"),
            models.Index(fields=["worker"], name="claim_worker_idx"),
        ]

    def __str__(self) -> str:
        return f"Reclamo {self.pk} · {self.get_subject_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES
