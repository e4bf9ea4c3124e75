"""The entitlement rule table: how many months of aid (2, 3 or 4) a worker is paid, from the
months of registered agrarian pay in SIPA before the period (rules in
``enrollment.screening.entitlement``; documented in docs/entitlement.md).

It lives in the screening app, beside ``ScreeningRules`` and ``Remuneration``: like the
eligibility rules it is a dated threshold table read against a worker's SIPA history, and the
enrollment page (enrollment app) must be able to show the result, which a payments model could
not give it (payments sits above enrollment). Payments reads it when it schedules installments.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment

#: The programme pays 2 to 4 months of the seasonal break.
MIN_ENTITLED_MONTHS = 2
MAX_ENTITLED_MONTHS = 4


@pghistory.track()
class EntitlementRuleSet(models.Model):
    """One version of the table, in force from ``effective_from`` once a second ministry user
    approves it. The set in force for a period is the approved one with the latest
    ``effective_from`` not after the period's first month. Editable data, never literals in code:
    the default seeded by migration is a plausible table, not the official one (not public)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Propuesta, pendiente de aprobación")
        APPROVED = "approved", _("Aprobada")
        REJECTED = "rejected", _("Rechazada")
        WITHDRAWN = "withdrawn", _("Retirada por quien la propuso")
        REPLACED = "replaced", _("Reemplazada por otra de la misma fecha")

    effective_from = models.DateField(_("vigente desde"))
    window_months = models.PositiveSmallIntegerField(
        _("meses de historia SIPA considerados"),
        default=12,
        help_text=_("Se cuentan los meses con remuneración agraria en esta cantidad de meses antes del período."),
    )
    note = models.TextField(_("fundamento"), help_text=_("Resolución o motivo de la tabla."))
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("propuesta por"), on_delete=models.PROTECT, related_name="+", null=True
    )
    proposed_at = models.DateTimeField(_("propuesta el"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decidida por"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decidida el"), null=True, blank=True)
    decision_note = models.TextField(_("nota de la decisión"), blank=True)

    class Meta:
        verbose_name = _("tabla de meses de ayuda")
        verbose_name_plural = _("tablas de meses de ayuda")
        ordering = ["-effective_from", "-pk"]
        constraints = [
            # One table in force per date: approving another for the same date replaces it.
            models.UniqueConstraint(
                fields=["effective_from"], condition=Q(status="approved"), name="entitlement_one_approved_per_date"
            ),
            # Four eyes, whatever path wrote the row: only withdrawing one's own proposal is
            # decided by the proposer.
            models.CheckConstraint(
                name="entitlement_decided_by_other",
                condition=Q(decided_by__isnull=True) | Q(status="withdrawn") | ~Q(decided_by=F("proposed_by")),
            ),
            models.CheckConstraint(
                name="entitlement_decision_recorded",
                condition=Q(status="proposed", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(status="proposed") & Q(decided_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="entitlement_window_1_24", condition=Q(window_months__gte=1) & Q(window_months__lte=24)
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Tabla de meses de ayuda vigente desde')} {self.effective_from:%d/%m/%Y}"


@pghistory.track()
class EntitlementBracket(models.Model):
    """One row of a table: from ``min_pay_months`` to ``max_pay_months`` months with registered
    agrarian pay (both included) → ``months`` months of aid. A table's rows cover 0 to its
    window without gaps or overlaps (checked when it is proposed)."""

    rule_set = models.ForeignKey(
        EntitlementRuleSet, verbose_name=_("tabla"), on_delete=models.PROTECT, related_name="brackets"
    )
    min_pay_months = models.PositiveSmallIntegerField(_("desde (meses con remuneración agraria)"))
    max_pay_months = models.PositiveSmallIntegerField(_("hasta (meses con remuneración agraria)"))
    months = models.PositiveSmallIntegerField(_("meses de ayuda"))

    class Meta:
        verbose_name = _("tramo de meses de ayuda")
        verbose_name_plural = _("tramos de meses de ayuda")
        ordering = ["rule_set", "min_pay_months"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "min_pay_months"], name="entitlement_bracket_unique_start"),
            models.CheckConstraint(
                name="entitlement_bracket_ordered", condition=Q(min_pay_months__lte=F("max_pay_months"))
            ),
            models.CheckConstraint(
                name="entitlement_bracket_2_to_4_months",
                condition=Q(months__gte=MIN_ENTITLED_MONTHS) & Q(months__lte=MAX_ENTITLED_MONTHS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.min_pay_months}–{self.max_pay_months} → {self.months}"


@pghistory.track()
class Entitlement(models.Model):
    """The months of aid determined for one enrollment when its installments were first
    scheduled, with what it was computed from, so the reason can be told in words later. It is
    not recomputed: a later table or SIPA update does not change an enrollment already scheduled."""

    enrollment = models.OneToOneField(
        Enrollment, verbose_name=_("inscripción"), on_delete=models.PROTECT, related_name="entitlement"
    )
    rule_set = models.ForeignKey(EntitlementRuleSet, verbose_name=_("tabla"), on_delete=models.PROTECT)
    months = models.PositiveSmallIntegerField(_("meses de ayuda"))
    pay_months = models.PositiveSmallIntegerField(_("meses con remuneración agraria registrada"))
    has_sipa_data = models.BooleanField(_("tiene datos SIPA en la ventana"))
    window_start = models.DateField(_("desde"))
    window_end = models.DateField(_("hasta"))
    created_at = models.DateTimeField(_("determinada el"), default=timezone.now)

    class Meta:
        verbose_name = _("meses de ayuda de la inscripción")
        verbose_name_plural = _("meses de ayuda de las inscripciones")
        constraints = [
            models.CheckConstraint(
                name="entitlement_2_to_4_months",
                condition=Q(months__gte=MIN_ENTITLED_MONTHS) & Q(months__lte=MAX_ENTITLED_MONTHS),
            ),
            models.CheckConstraint(name="entitlement_window_ordered", condition=Q(window_start__lte=F("window_end"))),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id}: {self.months}"
