"""Screening: formal-employment records (SIPA), minimum wage, rules, other programmes' registries
and the flags the matching engine raises."""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment, Worker


@pghistory.track()
class ScreeningRules(models.Model):
    """Eligibility thresholds and match thresholds in force from ``effective_from`` on.

    The rules for a cycle are the row with the latest ``effective_from`` not after the
    cycle's first month. Nothing in code repeats these numbers."""

    effective_from = models.DateField(_("vigente desde"), unique=True)
    window_months = models.PositiveSmallIntegerField(_("meses de información SIPA considerados"), default=12)
    min_seasonal_months = models.PositiveSmallIntegerField(_("mínimo de meses de trabajo estacional"), default=3)
    max_seasonal_months = models.PositiveSmallIntegerField(_("máximo de meses de trabajo estacional"), default=10)
    min_smvm_fraction = models.DecimalField(
        _("remuneración mínima por mes (fracción del SMVM)"), max_digits=5, decimal_places=3, default=Decimal("0.5")
    )
    max_average_smvm = models.DecimalField(
        _("ingreso promedio máximo (en SMVM)"), max_digits=5, decimal_places=2, default=Decimal("3")
    )
    min_months_since_previous = models.PositiveSmallIntegerField(
        _("meses mínimos desde el inicio del período anterior"), default=10
    )
    same_person_score = models.DecimalField(
        _("puntaje desde el que es la misma persona"), max_digits=4, decimal_places=3, default=Decimal("0.900")
    )
    possible_score = models.DecimalField(
        _("puntaje desde el que es posible coincidencia"), max_digits=4, decimal_places=3, default=Decimal("0.750")
    )

    class Meta:
        verbose_name = _("reglas de control")
        verbose_name_plural = _("reglas de control")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                name="rules_seasonal_range", condition=Q(min_seasonal_months__lte=F("max_seasonal_months"))
            ),
            models.CheckConstraint(
                name="rules_scores_ordered", condition=Q(possible_score__lte=F("same_person_score"))
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Reglas vigentes desde')} {self.effective_from:%m/%Y}"


class MinimumWage(models.Model):
    """Salario Mínimo, Vital y Móvil (SMVM) of one month."""

    month = models.DateField(_("mes"), unique=True)
    amount = models.DecimalField(_("monto (ARS)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("salario mínimo vital y móvil")
        verbose_name_plural = _("salarios mínimos vitales y móviles")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(name="smvm_month_day_1", condition=Q(month__day=1)),
            models.CheckConstraint(name="smvm_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y}: {self.amount}"


class Remuneration(models.Model):
    """One monthly remuneration declared to SIPA: a worker, an employer, a month."""

    class Activity(models.TextChoices):
        AGRARIAN = "agrarian", _("Agraria")
        AGRO_INDUSTRIAL = "agro_industrial", _("Agroindustrial")
        OTHER = "other", _("Otra")
        SELF_EMPLOYED = "self_employed", _("Independiente")

    SEASONAL = (Activity.AGRARIAN, Activity.AGRO_INDUSTRIAL)

    cuil = models.CharField(_("CUIL"), max_length=11)
    month = models.DateField(_("mes"))
    employer_cuit = models.CharField(_("CUIT del empleador"), max_length=11)
    activity = models.CharField(_("actividad"), max_length=20, choices=Activity.choices)
    gross = models.DecimalField(_("remuneración bruta (ARS)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("remuneración SIPA")
        verbose_name_plural = _("remuneraciones SIPA")
        constraints = [
            models.UniqueConstraint(fields=["cuil", "month", "employer_cuit"], name="remuneration_unique"),
            models.CheckConstraint(name="remuneration_month_day_1", condition=Q(month__day=1)),
            models.CheckConstraint(name="remuneration_gross_not_negative", condition=Q(gross__gte=0)),
        ]
        indexes = [models.Index(fields=["cuil", "month"], name="remuneration_cuil_month_idx")]

    def __str__(self) -> str:
        return f"{self.cuil} {self.month:%m/%Y} {self.gross}"


@pghistory.track()
class ExternalRegistry(models.Model):
    """Another programme's list of beneficiaries. Whether it conflicts with this programme is
    configuration (``is_incompatible``): PROGRESAR, AUH and family allowances are compatible."""

    class Kind(models.TextChoices):
        UNEMPLOYMENT = "unemployment", _("Prestación por desempleo contributiva")
        PENSION_CONTRIBUTORY = "pension_contributory", _("Jubilación o pensión contributiva")
        PENSION_NON_CONTRIBUTORY = "pension_non_contributory", _("Pensión no contributiva")
        NATIONAL_PROGRAMME = "national_programme", _("Programa nacional de empleo o capacitación")
        PROVINCIAL_PROGRAMME = "provincial_programme", _("Programa provincial de empleo o capacitación")
        MUNICIPAL_PROGRAMME = "municipal_programme", _("Programa municipal de empleo o capacitación")
        EDUCATION = "education", _("Beca educativa")
        FAMILY_ALLOWANCE = "family_allowance", _("Asignación familiar o AUH")
        #: Not a benefit: a same-person match means the worker died (a suspension is proposed).
        DEATH_REGISTRY = "death_registry", _("Registro de personas fallecidas")
        OTHER = "other", _("Otro")

    code = models.SlugField(_("código"), max_length=40, unique=True)
    programme = models.CharField(_("programa"), max_length=200)
    kind = models.CharField(_("tipo"), max_length=30, choices=Kind.choices)
    is_incompatible = models.BooleanField(
        _("incompatible con el Programa Interzafras"),
        default=True,
        help_text=_("Si está marcado, cobrar este beneficio en los mismos meses es un conflicto."),
    )
    current_version = models.OneToOneField(
        "RegistryVersion",
        verbose_name=_("versión vigente"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("padrón externo")
        verbose_name_plural = _("padrones externos")
        ordering = ["programme"]
        permissions = [("load_externalregistry", _("Cargar padrones de otros programas"))]

    def __str__(self) -> str:
        return self.programme


class RegistryVersion(models.Model):
    """One loaded file of a registry. Records are loaded into a new version; switching
    ``ExternalRegistry.current_version`` in one transaction replaces the list atomically."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        LOADING = "loading", _("Cargando")
        CURRENT = "current", _("Vigente")
        SUPERSEDED = "superseded", _("Reemplazada")
        FAILED = "failed", _("Fallida")

    registry = models.ForeignKey(
        ExternalRegistry, verbose_name=_("padrón"), on_delete=models.CASCADE, related_name="versions"
    )
    source_name = models.CharField(_("archivo"), max_length=255)
    source_file = models.FileField(_("archivo cargado"), upload_to="registries/", blank=True)
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices, default=Status.PENDING)
    rows_read = models.PositiveIntegerField(_("filas leídas"), default=0)
    rows_loaded = models.PositiveIntegerField(_("filas cargadas"), default=0)
    rows_rejected = models.PositiveIntegerField(_("filas rechazadas"), default=0)
    errors = models.JSONField(_("errores por fila"), default=list, blank=True)
    message = models.TextField(_("mensaje"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cargado por"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    activated_at = models.DateTimeField(_("vigente desde"), null=True, blank=True)

    class Meta:
        verbose_name = _("versión de padrón")
        verbose_name_plural = _("versiones de padrón")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.registry} · {self.source_name}"


class ExternalRecord(models.Model):
    """One beneficiary of another programme, in one version of its registry. The name keys are
    folded once at load time so that screening never recomputes them."""

    version = models.ForeignKey(RegistryVersion, on_delete=models.CASCADE, related_name="records")
    registry = models.ForeignKey(ExternalRegistry, on_delete=models.CASCADE, related_name="+")
    row_number = models.PositiveIntegerField(_("fila"))
    cuil = models.CharField(_("CUIL"), max_length=11, blank=True)
    dni = models.CharField(_("DNI"), max_length=8, blank=True)
    last_name = models.CharField(_("apellido"), max_length=120)
    first_name = models.CharField(_("nombre"), max_length=120)
    name_key = models.CharField(_("clave fonética"), max_length=250)
    last_key = models.CharField(_("clave fonética del primer apellido"), max_length=60)
    sort_key = models.CharField(_("clave fonética en orden alfabético"), max_length=250, default="")
    birth_date = models.DateField(_("fecha de nacimiento"), null=True)
    benefit_from = models.DateField(_("beneficio desde (mes)"))
    benefit_to = models.DateField(_("beneficio hasta (mes)"))

    class Meta:
        verbose_name = _("beneficiario de otro programa")
        verbose_name_plural = _("beneficiarios de otros programas")
        constraints = [
            models.CheckConstraint(
                name="external_record_months_ordered", condition=Q(benefit_to__gte=F("benefit_from"))
            )
        ]
        indexes = [
            models.Index(fields=["version", "cuil"], name="extrec_version_cuil_idx"),
            models.Index(fields=["version", "dni"], name="extrec_version_dni_idx"),
            models.Index(fields=["version", "birth_date"], name="extrec_version_birth_idx"),
            # The name block's records without any ID: usually few, so no scan of the whole list.
            models.Index(fields=["version", "name_key"], name="extrec_noid_name_idx", condition=Q(dni="")),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"


class RegistryScan(models.Model):
    """One reading of a registry version against enrollments over their whole cycles: at
    registration, or before a monthly payment batch for the enrollments not yet checked against
    that version. A version already read for an enrollment is not read again for it."""

    version = models.ForeignKey(
        RegistryVersion, verbose_name=_("versión de padrón"), on_delete=models.CASCADE, related_name="scans"
    )
    month = models.DateField(_("mes de pago"), null=True, blank=True)
    enrollment_count = models.PositiveIntegerField(_("inscripciones controladas"), default=0)
    created_at = models.DateTimeField(_("controlado el"), auto_now_add=True)

    class Meta:
        verbose_name = _("control contra un padrón")
        verbose_name_plural = _("controles contra padrones")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.version_id} · {self.enrollment_count}"


class RegistryCheck(models.Model):
    """Enrollment ``enrollment`` was screened against registry version ``version`` (whole cycle),
    at ``checked_at``. The reading it was part of is a ``RegistryScan`` of the same version (a
    count, not a key of each row: a screening of 200,000 enrollments against two versions writes
    400,000 of these, each foreign key one more check at commit)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="+", db_index=False)
    version = models.ForeignKey(RegistryVersion, on_delete=models.CASCADE, related_name="+", db_index=False)
    checked_at = models.DateTimeField(_("controlada el"))

    class Meta:
        verbose_name = _("inscripción controlada contra un padrón")
        verbose_name_plural = _("inscripciones controladas contra padrones")
        constraints = [models.UniqueConstraint(fields=["enrollment", "version"], name="registrycheck_once_per_version")]

    def __str__(self) -> str:
        return f"{self.enrollment_id} · {self.version_id}"


class RegistryNameWord(models.Model):
    """How many records of a registry version carry each word of the folded names: the term
    frequencies that tell a rare name from a common one. Counted once, when the version is
    loaded (a loaded version never changes)."""

    version = models.ForeignKey(RegistryVersion, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(_("palabra"), max_length=250)
    records = models.PositiveIntegerField(_("registros"))

    class Meta:
        verbose_name = _("frecuencia de palabra del nombre")
        verbose_name_plural = _("frecuencias de palabras del nombre")
        constraints = [models.UniqueConstraint(fields=["version", "token"], name="regword_version_token_uniq")]

    def __str__(self) -> str:
        return f"{self.token}: {self.records}"


class RegistryBirthBlock(models.Model):
    """The records of a registry version born on one date, as the matching engine reads them: the
    ids (8-byte big-endian integers), the folded names as written and in alphabetical order and
    the DNIs (each joined by "|"), in the same order. Built once when the version is loaded;
    placeholder and missing birth dates form no block."""

    version = models.ForeignKey(RegistryVersion, on_delete=models.CASCADE, related_name="+")
    birth_date = models.DateField(_("fecha de nacimiento"))
    benefit_from = models.DateField(_("primer mes de beneficio del bloque"))
    benefit_to = models.DateField(_("último mes de beneficio del bloque"))
    size = models.PositiveIntegerField(_("registros"))
    ids = models.BinaryField(_("registros del bloque"))
    name_keys = models.TextField(_("claves fonéticas"))
    sort_keys = models.TextField(_("claves fonéticas en orden alfabético"))
    dnis = models.TextField(_("DNI de los registros"), default="")

    class Meta:
        verbose_name = _("bloque por fecha de nacimiento")
        verbose_name_plural = _("bloques por fecha de nacimiento")
        constraints = [models.UniqueConstraint(fields=["version", "birth_date"], name="regblock_version_birth_uniq")]

    def __str__(self) -> str:
        return f"{self.birth_date}: {self.size}"


class ScreeningRun(models.Model):
    """One pass of the engine (over a cycle, an import's enrollments or a month), with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("En cola")
        RUNNING = "running", _("En curso")
        DONE = "done", _("Terminado")
        FAILED = "failed", _("Fallido")

    cycle = models.ForeignKey(
        "provinces.Cycle", verbose_name=_("período"), on_delete=models.PROTECT, null=True, blank=True
    )
    month = models.DateField(_("mes de pago"), null=True, blank=True)
    enrollment_ids = models.JSONField(_("inscripciones"), default=list, blank=True)
    label = models.CharField(_("descripción"), max_length=200, blank=True)
    monthly_aid = models.DecimalField(_("ayuda mensual (ARS)"), max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("procesadas"), default=0)
    flags_raised = models.PositiveIntegerField(_("alertas generadas"), default=0)
    message = models.TextField(_("mensaje"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("iniciado por"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminado"), null=True, blank=True)

    class Meta:
        verbose_name = _("corrida de control")
        verbose_name_plural = _("corridas de control")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or str(self.pk)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.status == self.Status.DONE else 0)


# Statement-level audit triggers: a screening writes thousands of flags in one statement.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), level=pghistory.Statement)
class MatchFlag(models.Model):
    """Something the engine found about an enrollment: the same person in an overlapping cycle,
    a beneficiary of an incompatible programme in the same months, formal pay above the aid, an
    eligibility rule not met, a CUIL conflict (a registry lists the worker's CUIL with another
    name or birth date: one of the two is wrong), no SIPA data to judge the work history by
    (eligibility fails closed: a reviewer accepts the history seen by other means, or the
    enrollment waits for the data), or a re-entry sooner than the rules allow since the start
    of the worker's previous period. ``level`` *same* blocks approval and payment until
    resolved; a CUIL conflict, no SIPA data and a re-entry are always raised at that level."""

    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("Misma persona en otro período superpuesto")
        REGISTRY = "registry", _("Beneficio incompatible de otro programa")
        EMPLOYMENT = "employment", _("Empleo formal con remuneración mayor a la ayuda")
        ELIGIBILITY = "eligibility", _("No cumple requisitos de elegibilidad")
        CUIL_CONFLICT = "cuil_conflict", _("Mismo CUIL con otros datos personales")
        NO_SIPA = "no_sipa", _("Sin datos SIPA: historia laboral sin evaluar")
        REENTRY = "reentry", _("Reingreso antes del plazo desde su período anterior")

    class Level(models.TextChoices):
        SAME = "same", _("Misma persona (bloquea)")
        POSSIBLE = "possible", _("Posible coincidencia (revisar)")

    class Status(models.TextChoices):
        OPEN = "open", _("Sin resolver")
        SAME_PERSON = "same_person", _("Es la misma persona")
        NOT_SAME = "not_same", _("No es la misma persona")
        CLEARED = "cleared", _("Ya no aplica")
        ACCEPTED = "accepted", _("Aceptada por un revisor")

    enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("inscripción"), on_delete=models.CASCADE, related_name="flags"
    )
    kind = models.CharField(_("tipo"), max_length=16, choices=Kind.choices)
    level = models.CharField(_("nivel"), max_length=10, choices=Level.choices)
    score = models.DecimalField(_("puntaje"), max_digits=4, decimal_places=3)
    reasons = models.TextField(_("motivos"))
    match_key = models.CharField(_("clave de la coincidencia"), max_length=120)
    matched_enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("inscripción coincidente"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    matched_record = models.ForeignKey(
        ExternalRecord, verbose_name=_("registro coincidente"), on_delete=models.SET_NULL, null=True, blank=True
    )
    registry = models.ForeignKey(
        ExternalRegistry, verbose_name=_("padrón"), on_delete=models.SET_NULL, null=True, blank=True
    )
    matched = models.JSONField(_("datos del registro coincidente"), default=dict)
    month = models.DateField(_("mes"), null=True, blank=True)
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(_("nota de la resolución"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resuelta por"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resuelta"), null=True, blank=True)
    run = models.ForeignKey(ScreeningRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="flags")
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("alerta de control")
        verbose_name_plural = _("alertas de control")
        ordering = ["-created_at"]
        permissions = [("resolve_matchflag", _("Resolver alertas de control"))]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "match_key"], name="matchflag_once_per_match"),
            models.CheckConstraint(name="matchflag_score_0_1", condition=Q(score__gte=0) & Q(score__lte=1)),
        ]
        indexes = [models.Index(fields=["status", "level"], name="matchflag_status_level_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.enrollment_id}"

    @property
    def is_blocking(self) -> bool:
        return (self.status == self.Status.OPEN and self.level == self.Level.SAME) or (
            self.status == self.Status.SAME_PERSON
        )


@pghistory.track()
class NotSamePerson(models.Model):
    """A reviewer's decision that ``worker`` is not the person behind ``match_key``; the engine
    never raises that pair again."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="+")
    match_key = models.CharField(_("clave de la coincidencia"), max_length=120)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("nota"))

    class Meta:
        verbose_name = _("no es la misma persona")
        verbose_name_plural = _("no es la misma persona")
        constraints = [models.UniqueConstraint(fields=["worker", "match_key"], name="notsame_once")]

    def __str__(self) -> str:
        return f"{self.worker_id} ≠ {self.match_key}"


# The entitlement rule table has its own module (enrollment.screening.entitlement_models).
from enrollment.screening.entitlement_models import (  # noqa: E402, F401
    Entitlement,
    EntitlementBracket,
    EntitlementRuleSet,
)

# What the sweeper knows of enrollments left unscreened (enrollment.screening.sweep).
from enrollment.screening.sweep_models import StaleScreening  # noqa: E402, F401
