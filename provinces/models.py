from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from provinces.collation import SPANISH
from provinces.roles import Role


class Province(models.Model):
    indec_code = models.CharField(_("código INDEC"), max_length=2, unique=True)
    iso_code = models.CharField(_("código ISO 3166-2"), max_length=4, unique=True)
    name = models.CharField(_("nombre"), max_length=80, unique=True, db_collation=SPANISH)

    class Meta:
        verbose_name = _("provincia")
        verbose_name_plural = _("provincias")
        ordering = ["name"]
        permissions = [
            ("act_in_province", _("Actuar en la provincia")),
            ("view_history", _("Ver el historial de auditoría")),
        ]

    def __str__(self) -> str:
        return self.name


class Crop(models.Model):
    code = models.SlugField(_("código"), max_length=20, unique=True)
    name = models.CharField(_("nombre"), max_length=80, unique=True, db_collation=SPANISH)

    class Meta:
        verbose_name = _("actividad")
        verbose_name_plural = _("actividades")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Organisation(models.Model):
    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministerio")
        TERRITORIAL_AGENCY = "territorial_agency", _("Agencia territorial del Ministerio")
        PROVINCIAL_OFFICE = "provincial_office", _("Oficina provincial")
        MUNICIPALITY = "municipality", _("Municipio")
        UNION = "union", _("Sindicato")
        PRODUCERS_ASSOCIATION = "producers_association", _("Asociación de productores")

    name = models.CharField(_("nombre"), max_length=200, unique=True)
    kind = models.CharField(_("tipo"), max_length=30, choices=Kind.choices)
    province = models.ForeignKey(
        Province,
        verbose_name=_("provincia"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Vacío para organizaciones de alcance nacional."),
    )
    cuit = models.CharField(_("CUIT"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("organización")
        verbose_name_plural = _("organizaciones")
        ordering = ["name"]
        permissions = [("act_for_organisation", _("Actuar en nombre de la organización"))]
        constraints = [
            models.CheckConstraint(
                name="organisation_local_kinds_have_province",
                condition=~Q(kind__in=["territorial_agency", "provincial_office", "municipality"])
                | Q(province__isnull=False),
            ),
            models.CheckConstraint(
                name="organisation_ministry_is_national",
                condition=~Q(kind="ministry") | Q(province__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("usuario"), on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organización"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("rol"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("membresía")
        verbose_name_plural = _("membresías")
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


@pghistory.track()
class Agreement(models.Model):
    """A convenio between the ministry and a provincial government."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        ACTIVE = "active", _("Vigente")
        CLOSED = "closed", _("Cerrado")

    province = models.ForeignKey(Province, verbose_name=_("provincia"), on_delete=models.PROTECT)
    number = models.CharField(_("número de convenio"), max_length=40, unique=True)
    title = models.CharField(_("denominación"), max_length=200)
    start_date = models.DateField(_("inicio de vigencia"))
    end_date = models.DateField(_("fin de vigencia"))
    budget = models.DecimalField(
        _("presupuesto (ARS)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    crops: models.ManyToManyField = models.ManyToManyField(
        Crop, through="AgreementQuota", verbose_name=_("actividades")
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificado"), auto_now=True)

    class Meta:
        verbose_name = _("convenio")
        verbose_name_plural = _("convenios")
        ordering = ["-start_date", "number"]
        constraints = [
            models.CheckConstraint(name="agreement_dates_ordered", condition=Q(end_date__gte=F("start_date"))),
            models.CheckConstraint(name="agreement_budget_not_negative", condition=Q(budget__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.province}"


@pghistory.track()
class AgreementQuota(models.Model):
    """How many beneficiaries an agreement admits for one activity."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("convenio"), on_delete=models.CASCADE, related_name="quotas"
    )
    crop = models.ForeignKey(Crop, verbose_name=_("actividad"), on_delete=models.PROTECT)
    quota = models.PositiveIntegerField(_("cupo de beneficiarios"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("cupo por actividad")
        verbose_name_plural = _("cupos por actividad")
        ordering = ["crop__name"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "crop"], name="agreement_quota_unique_crop"),
            models.CheckConstraint(name="agreement_quota_positive", condition=Q(quota__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.crop}: {self.quota}"


@pghistory.track()
class Cycle(models.Model):
    """One inter-harvest period under an agreement for one activity: 1 to 4 months."""

    MAX_MONTHS = 4

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("convenio"), on_delete=models.PROTECT, related_name="cycles"
    )
    crop = models.ForeignKey(Crop, verbose_name=_("actividad"), on_delete=models.PROTECT)
    name = models.CharField(_("denominación"), max_length=120)
    first_month = models.DateField(_("primer mes"), help_text=_("Primer día del primer mes del período."))
    months = models.PositiveSmallIntegerField(
        _("cantidad de meses"), validators=[MinValueValidator(1), MaxValueValidator(MAX_MONTHS)]
    )
    registration_open = models.BooleanField(_("inscripción abierta"), default=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("período interzafra")
        verbose_name_plural = _("períodos interzafra")
        ordering = ["-first_month", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "crop", "first_month"], name="cycle_unique_per_crop_month"),
            models.CheckConstraint(name="cycle_months_1_to_4", condition=Q(months__gte=1) & Q(months__lte=4)),
            models.CheckConstraint(name="cycle_first_month_day_1", condition=Q(first_month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agreement.province})"

    @property
    def month_list(self) -> list[dt.date]:
        return [add_months(self.first_month, i) for i in range(self.months)]

    @property
    def last_month(self) -> dt.date:
        return add_months(self.first_month, self.months - 1)


def add_months(month: dt.date, n: int) -> dt.date:
    """First day of the month ``n`` months after ``month``."""
    index = month.year * 12 + (month.month - 1) + n
    return dt.date(index // 12, index % 12 + 1, 1)


@pghistory.track()
class RoleGrant(models.Model):
    """A national role requested by one access administrator, given only when a second one
    approves it (see ``provinces.access``). The database refuses a decision by the requester
    and any grant whose requester or decider is the person who would receive the role."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente de aprobación")
        APPROVED = "approved", _("Aprobada")
        REFUSED = "refused", _("Rechazada")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("persona"), on_delete=models.CASCADE, related_name="role_grants"
    )
    organisation = models.ForeignKey(Organisation, verbose_name=_("organización"), on_delete=models.PROTECT)
    role = models.CharField(_("rol"), max_length=30, choices=Role.choices)
    reason = models.CharField(_("motivo"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pedida por"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("pedida"), auto_now_add=True)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decidida por"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decidida"), null=True, blank=True)
    decision_reason = models.CharField(_("motivo de la decisión"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("pedido de rol nacional")
        verbose_name_plural = _("pedidos de roles nacionales")
        ordering = ["-requested_at"]
        permissions = [("manage_access", _("Administrar accesos (otorgar y quitar roles)"))]
        constraints = [
            models.CheckConstraint(name="role_grant_not_to_requester", condition=~Q(user=F("requested_by"))),
            models.CheckConstraint(
                name="role_grant_second_person_decides",
                condition=Q(decided_by__isnull=True) | (~Q(decided_by=F("requested_by")) & ~Q(decided_by=F("user"))),
            ),
            models.CheckConstraint(
                name="role_grant_decided_iff_not_pending",
                condition=(Q(status="pending") & Q(decided_by__isnull=True) & Q(decided_at__isnull=True))
                | (~Q(status="pending") & Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
            ),
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=Q(status="pending"),
                name="role_grant_one_pending_per_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.get_status_display()}"


@pghistory.track()
class TwoFactorReset(models.Model):
    """An access administrator removed a person's second-factor devices (a lost phone): the
    person enrols again at their next sign-in. Never done by the person themselves."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("persona"), on_delete=models.CASCADE, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("hecho por"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("motivo"), max_length=300)
    devices = models.PositiveSmallIntegerField(_("dispositivos quitados"))
    at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        verbose_name = _("reinicio de verificación en dos pasos")
        verbose_name_plural = _("reinicios de verificación en dos pasos")
        ordering = ["-at"]
        constraints = [models.CheckConstraint(name="two_factor_reset_not_by_oneself", condition=~Q(user=F("by")))]

    def __str__(self) -> str:
        return f"{self.user} · {self.at:%d/%m/%Y}"
