"""API tokens and the access log of beneficiary status lookups."""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), exclude=["last_used_at"])
class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash of the key is stored; the key is shown once.

    A token stops working when revoked (by its owner or ministry staff) or when it expires.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("usuario"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("nombre"), max_length=100)
    key_hash = models.CharField(_("hash de la clave"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefijo"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("creado por"), on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(_("vence"))
    revoked_at = models.DateTimeField(_("revocado"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revocado por"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    last_used_at = models.DateTimeField(_("último uso"), null=True, blank=True)

    class Meta:
        verbose_name = _("token de API")
        verbose_name_plural = _("tokens de API")
        ordering = ["-created_at"]
        permissions = [("manage_tokens", _("Crear y revocar tokens de API de cualquier usuario"))]
        constraints = [
            models.CheckConstraint(
                name="apitoken_expires_after_creation", condition=Q(expires_at__gt=models.F("created_at"))
            ),
            models.CheckConstraint(
                name="apitoken_revoked_has_who", condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class StatusLookup(models.Model):
    """One beneficiary status lookup: through the API (who asked for which CUIL, when, and what
    they got) or on the public status page (no user: the worker herself, by CUIL and birth
    date). Append-only: a database trigger refuses updates and deletes."""

    class Channel(models.TextChoices):
        API = "api", _("API")
        PUBLIC = "public", _("Consulta pública")

    class Result(models.TextChoices):
        FOUND = "found", _("Encontrado")
        NOT_FOUND = "not_found", _("No encontrado o fuera de alcance")
        INVALID = "invalid", _("CUIL inválido")
        LIMITED = "limited", _("Rechazada por exceso de consultas")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuario"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    channel = models.CharField(
        _("canal"), max_length=6, choices=Channel.choices, default=Channel.API, db_default=Channel.API
    )
    token = models.ForeignKey(
        ApiToken, verbose_name=_("token"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cuil = models.CharField(_("CUIL consultado"), max_length=32)
    result = models.CharField(_("resultado"), max_length=10, choices=Result.choices)
    ip = models.GenericIPAddressField(_("dirección IP"), null=True, blank=True)
    at = models.DateTimeField(_("fecha y hora"), default=timezone.now)

    class Meta:
        verbose_name = _("consulta de estado")
        verbose_name_plural = _("consultas de estado")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["at"], name="statuslookup_at_idx"),
            models.Index(fields=["cuil", "at"], name="statuslookup_cuil_idx"),
            models.Index(fields=["user", "at"], name="statuslookup_user_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="statuslookup_user_iff_api",
                condition=Q(channel="api", user__isnull=False) | Q(channel="public", user__isnull=True),
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="statuslookup_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.cuil} {self.result}"
