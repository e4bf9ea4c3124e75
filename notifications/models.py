"""The outbox of messages to workers, and each worker's contact preferences.

A message is written in the transaction of the event it tells about, once per event and
channel (``event_key`` unique with the channel), and sent afterwards by a Celery task that
retries with back-off; opting out stops what is not yet sent."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enrollment.models import Worker


@pghistory.track()
class Contact(models.Model):
    """How a worker wants to be told: an e-mail address, WhatsApp instead of SMS, or nothing; and
    whether her phone, typed without the ``15``, is her mobile."""

    worker = models.OneToOneField(
        Worker, verbose_name=_("trabajador/a"), on_delete=models.PROTECT, related_name="contact"
    )
    email = models.EmailField(_("correo electrónico"), blank=True)
    whatsapp = models.BooleanField(_("prefiere WhatsApp"), default=False)
    opted_out = models.BooleanField(_("no quiere recibir avisos"), default=False)
    mobile_confirmed = models.BooleanField(
        _("el teléfono es celular"),
        default=False,
        help_text=_("Confirmado con la persona: el número se cargó sin el 15 pero es su celular."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("preferencia de avisos")
        verbose_name_plural = _("preferencias de avisos")

    def __str__(self) -> str:
        return f"{self.worker_id}: {'sin avisos' if self.opted_out else 'avisos'}"


class Message(models.Model):
    class Kind(models.TextChoices):
        APPROVED = "approved", _("Inscripción aprobada")
        REJECTED = "rejected", _("Inscripción rechazada")
        HELD = "held", _("Cuota retenida")
        PAYMENT_READY = "payment_ready", _("Pago en camino")
        CLAIM_RESOLVED = "claim_resolved", _("Reclamo resuelto")
        SUSPENDED = "suspended", _("Ayuda suspendida")
        REINSTATED = "reinstated", _("Ayuda rehabilitada")
        WITHDRAWN = "withdrawn", _("Inscripción dada de baja")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")
        EMAIL = "email", _("Correo electrónico")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        SENT = "sent", _("Enviado")
        FAILED = "failed", _("Falló")
        SKIPPED = "skipped", _("No enviado (la persona no quiere avisos)")

    event_key = models.CharField(_("evento"), max_length=120)
    worker = models.ForeignKey(Worker, verbose_name=_("trabajador/a"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("tipo"), max_length=15, choices=Kind.choices)
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("destinatario"), max_length=254)
    subject = models.CharField(_("asunto"), max_length=120, blank=True)
    body = models.TextField(_("texto"))
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    last_error = models.TextField(_("último error"), blank=True)
    next_attempt_at = models.DateTimeField(_("próximo intento"))
    sent_at = models.DateTimeField(_("enviado"), null=True, blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("aviso")
        verbose_name_plural = _("avisos")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event_key", "channel"], name="message_once_per_event_channel"),
            models.CheckConstraint(
                name="message_sms_under_160",
                condition=~Q(channel__in=["sms", "whatsapp"]) | Q(body__regex=r"^.{1,160}$"),
            ),
            models.CheckConstraint(
                name="message_sent_at_iff_sent",
                condition=(Q(status="sent") & Q(sent_at__isnull=False)) | (~Q(status="sent") & Q(sent_at__isnull=True)),
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="message_pending_idx", condition=Q(status="pending")),
            models.Index(fields=["worker"], name="message_worker_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_status_display()})"
