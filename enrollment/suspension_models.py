"""Suspensions of a benefit and the suspensions monthly re-screening proposes to reviewers.

A suspension has a coded cause (``SuspensionCause``) and a free-text note; lifting it
(reinstatement) records who, when, why, and the months a reviewer stated are owed although they
passed under the suspension — only those are paid (see ``enrollment.suspensions``).

Imported by ``enrollment.models`` so Django registers these models with the enrollment app.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment


class SuspensionCause(models.TextChoices):
    """Why a benefit is suspended (the programme's resolutions list these causes)."""

    PAY_ABOVE_AID = "pay_above_aid", _("Remuneración registrada mayor a la ayuda")
    INCOMPATIBLE_BENEFIT = "incompatible_benefit", _("Beneficio incompatible")
    MOVED_OUT = "moved_out", _("Se mudó fuera de la provincia del convenio")
    DEATH = "death", _("Fallecimiento")
    FALSE_DATA = "false_data", _("Datos falsos")
    OWN_REQUEST = "own_request", _("A pedido del trabajador/a")


#: Causes that monthly re-screening can find in other records and propose to a reviewer.
PROPOSABLE_CAUSES = (
    SuspensionCause.PAY_ABOVE_AID,
    SuspensionCause.INCOMPATIBLE_BENEFIT,
    SuspensionCause.MOVED_OUT,
    SuspensionCause.DEATH,
)


@pghistory.track()
class Suspension(models.Model):
    """One suspension of an enrollment: its cause, and once lifted, the reinstatement."""

    enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("inscripción"), on_delete=models.PROTECT, related_name="suspensions"
    )
    cause = models.CharField(_("causa"), max_length=24, choices=SuspensionCause.choices)
    note = models.TextField(_("nota"))
    #: The state the enrollment returns to when the suspension is lifted (approved or active).
    previous_status = models.CharField(_("estado anterior"), max_length=20, choices=Enrollment.Status.choices)
    suspended_at = models.DateTimeField(_("suspendida"), default=timezone.now)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("suspendida por"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    lifted_at = models.DateTimeField(_("rehabilitada"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rehabilitada por"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    lift_reason = models.TextField(_("motivo de la rehabilitación"), blank=True)
    owed_months = ArrayField(models.DateField(), verbose_name=_("meses adeudados"), default=list, blank=True)
    owed_reason = models.TextField(_("por qué se adeudan"), blank=True)

    class Meta:
        verbose_name = _("suspensión")
        verbose_name_plural = _("suspensiones")
        ordering = ["-suspended_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"], condition=models.Q(lifted_at__isnull=True), name="suspension_one_open"
            ),
            models.CheckConstraint(
                name="suspension_lifted_has_reason",
                condition=models.Q(lifted_at__isnull=True, lifted_by__isnull=True)
                | (models.Q(lifted_at__isnull=False) & ~models.Q(lift_reason="")),
            ),
            models.CheckConstraint(
                name="suspension_owed_months_have_reason",
                condition=models.Q(owed_months=[]) | ~models.Q(owed_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_cause_display()} · {self.enrollment_id}"


@pghistory.track()
class SuspensionProposal(models.Model):
    """A suspension that monthly re-screening proposes: a reviewer accepts it (the enrollment
    is suspended with its cause) or dismisses it with a reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("Pendiente")
        ACCEPTED = "accepted", _("Aceptada: inscripción suspendida")
        DISMISSED = "dismissed", _("Descartada")

    enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("inscripción"), on_delete=models.CASCADE, related_name="suspension_proposals"
    )
    cause = models.CharField(_("causa"), max_length=24, choices=SuspensionCause.choices)
    month = models.DateField(_("mes del control"))
    detail = models.TextField(_("qué se encontró"))
    #: The screening flag behind the proposal (none when the worker's residence changed).
    flag = models.ForeignKey(
        "screening.MatchFlag",
        verbose_name=_("alerta de control"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("propuesta"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decidida por"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decidida"), null=True, blank=True)
    decision_reason = models.TextField(_("motivo de la decisión"), blank=True)
    suspension = models.ForeignKey(
        Suspension, verbose_name=_("suspensión"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("propuesta de suspensión")
        verbose_name_plural = _("propuestas de suspensión")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "cause"], condition=models.Q(status="open"), name="suspension_proposal_one_open"
            ),
            models.CheckConstraint(
                name="suspension_proposal_decided",
                condition=models.Q(status="open", decided_at__isnull=True)
                | (models.Q(decided_at__isnull=False) & ~models.Q(status="open") & ~models.Q(decision_reason="")),
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="suspension_proposal_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_cause_display()} · {self.enrollment_id}"
