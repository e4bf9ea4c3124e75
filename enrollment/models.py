from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from provinces.display import format_cuil
from provinces.models import Cycle, Organisation, Province


# Insert events are written by a statement-level trigger from the transition table: a survey
# list inserts a whole province's workers and enrollments in one statement each, and one
# trigger call per statement writes their events set-based instead of one call per row.
# Updates and deletes stay row-level (they come one at a time, and the row trigger's
# condition skips updates that change nothing).
@pghistory.track(pghistory.InsertEvent(level=pghistory.Statement), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Worker(models.Model):
    """A person, identified by CUIL. Nationality never makes a worker ineligible."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("Femenino")
        MALE = "M", _("Masculino")
        OTHER = "X", _("No binario")

    # Unique, without the LIKE-prefix copy of its index that Django adds (migration 0008): CUILs
    # are searched exactly or by any part of the number, never by prefix.
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
        # The services validate the check digits (python-stdnum); the database keeps the shape
        # that batch lines and bank files rely on, whatever path wrote the row.
        constraints = [
            models.CheckConstraint(name="worker_cuil_digits", condition=models.Q(cuil__regex=r"^[0-9]{11}$")),
            models.CheckConstraint(
                name="worker_cbu_empty_or_digits", condition=models.Q(cbu="") | models.Q(cbu__regex=r"^[0-9]{22}$")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.cuil_display})"

    @property
    def cuil_display(self) -> str:
        return format_cuil(self.cuil)


# Statement-level audit triggers: screening and bulk decisions move thousands of enrollments in
# one UPDATE, and a row-level trigger would write each event (and attach its context) one by one.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), level=pghistory.Statement)
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

    # Neither key has an index of its own: the (worker, cycle) unique index serves every lookup
    # by worker and ``enrollment_cycle_idx`` every lookup by cycle.
    worker = models.ForeignKey(
        Worker, verbose_name=_("trabajador/a"), on_delete=models.PROTECT, related_name="enrollments", db_index=False
    )
    cycle = models.ForeignKey(
        Cycle,
        verbose_name=_("período interzafra"),
        on_delete=models.PROTECT,
        related_name="enrollments",
        db_index=False,
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
        db_index=False,  # nothing looks enrollments up by who changed them (the audit trail does)
    )
    # The last full screening that moved it to review: when it started and which registry
    # versions it read. Written by the same UPDATE as the move (no row per enrollment and
    # version); the monthly re-screening reads it with ``RegistryCheck`` (enrollment.screening).
    screened_at = models.DateTimeField(_("controlada contra padrones el"), null=True, blank=True, editable=False)
    screened_versions = ArrayField(
        models.BigIntegerField(), verbose_name=_("versiones de padrón leídas"), null=True, blank=True, editable=False
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
        # No index covers ``status`` (nor ``status_changed_by``): a change of state writes no
        # index entry, so PostgreSQL keeps the row's new version on its page (a HOT update) —
        # screening, approving, activating and completing move tens of thousands of rows at once.
        # Lookups by cycle read the cycle's rows and filter the state; the table keeps half of
        # each page free for those new versions (migration 0018).
        indexes = [models.Index(fields=["cycle"], name="enrollment_cycle_idx")]

    def __str__(self) -> str:
        return f"{self.worker} · {self.cycle}"


def import_upload_path(instance, filename: str) -> str:
    return f"padrones/{timezone.now():%Y/%m}/{filename}"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange("status")),
    pghistory.DeleteEvent(),
)
class ImportJob(models.Model):
    """One uploaded survey list (padrón) for one cycle: analysed, confirmed, applied.

    Progress counters are written while a Celery task works so the page can show a progress
    bar; only status changes go to the audit trail.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("En cola")
        ANALYSING = "analysing", _("Analizando")
        READY = "ready", _("Listo para confirmar")
        CONFIRMED = "confirmed", _("Confirmado, creando inscripciones")
        DONE = "done", _("Importado")
        FAILED = "failed", _("Con error")
        CANCELLED = "cancelled", _("Descartado")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    file = models.FileField(_("archivo"), upload_to=import_upload_path)
    original_name = models.CharField(_("nombre del archivo"), max_length=255)
    file_format = models.CharField(_("formato"), max_length=4, choices=Format.choices)
    sha256 = models.CharField(_("huella SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("subido por"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organización"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("período interzafra"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    error_message = models.TextField(_("error del archivo"), blank=True)
    total_rows = models.PositiveIntegerField(_("filas"), default=0)
    processed_rows = models.PositiveIntegerField(_("filas procesadas"), default=0)
    valid_rows = models.PositiveIntegerField(_("filas válidas"), default=0)
    error_rows = models.PositiveIntegerField(_("filas con errores"), default=0)
    #: Problems found beyond ``SURVEY_LIST_MAX_ERRORS``: counted, not stored ("y N errores más").
    unlisted_errors = models.PositiveIntegerField(_("errores no listados"), default=0)
    new_workers = models.PositiveIntegerField(_("trabajadores/as nuevos/as"), default=0)
    known_workers = models.PositiveIntegerField(_("trabajadores/as ya registrados/as"), default=0)
    already_enrolled = models.PositiveIntegerField(_("ya inscriptos/as en el período"), default=0)
    enrollments_to_create = models.PositiveIntegerField(_("inscripciones a crear"), default=0)
    quota_available = models.PositiveIntegerField(_("cupo disponible al analizar"), default=0)
    created_workers = models.PositiveIntegerField(_("trabajadores/as creados/as"), default=0)
    updated_workers = models.PositiveIntegerField(_("trabajadores/as actualizados/as"), default=0)
    created_enrollments = models.PositiveIntegerField(_("inscripciones creadas"), default=0)
    over_quota = models.PositiveIntegerField(_("filas sin cupo"), default=0)
    #: Deliveries of the analysis and apply tasks that started, counted (and committed) before the
    #: work: a delivery that finds too many never reads the file again (``enrollment.attempts``).
    analysis_attempts = models.PositiveSmallIntegerField(_("intentos de análisis"), default=0)
    apply_attempts = models.PositiveSmallIntegerField(_("intentos de importación"), default=0)
    last_failure = models.TextField(_("último error del proceso"), blank=True)
    review_rows = models.PositiveIntegerField(_("filas que requieren revisión"), default=0)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmado por"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("subido"), auto_now_add=True)
    analysed_at = models.DateTimeField(_("analizado"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmado"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminado"), null=True, blank=True)

    class Meta:
        verbose_name = _("importación de padrón")
        verbose_name_plural = _("importaciones de padrones")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="import_job_processed_le_total", condition=models.Q(processed_rows__lte=models.F("total_rows"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} · {self.cycle.name}"

    @property
    def progress_percent(self) -> int:
        if self.status in (self.Status.READY, self.Status.DONE):
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    def applied_rows(self) -> int:
        """Valid rows already written while the job is applied: a long list commits in chunks
        (``ImportApplyPart``), a short one all at once at the end."""
        return self.applied_parts.aggregate(rows=models.Sum("rows"))["rows"] or 0

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.ANALYSING, self.Status.CONFIRMED)

    @property
    def is_discardable(self) -> bool:
        """Not applied yet: "Descartar" works (``imports.cancel_import``)."""
        return self.status not in (self.Status.DONE, self.Status.CANCELLED)


class ImportRow(models.Model):
    """Staging: one valid row of an import job, loaded with COPY and applied set-based."""

    # No index of its own: the (job, cuil) unique index serves every lookup by job. No foreign
    # key in the database either: staged rows are written only by ``analyse_import``, whose
    # transaction holds the job row with FOR KEY SHARE (what the key's check would take for each
    # of a list's 200,000 rows, taken once), and Django deletes them with their job.
    job = models.ForeignKey(
        ImportJob,
        verbose_name=_("importación"),
        on_delete=models.CASCADE,
        related_name="rows",
        db_index=False,
        db_constraint=False,
    )
    row_number = models.PositiveIntegerField(_("fila"))
    cuil = models.CharField(_("CUIL"), max_length=11)
    last_name = models.CharField(_("apellido"), max_length=120)
    first_name = models.CharField(_("nombre"), max_length=120)
    last_name_norm = models.CharField(_("apellido normalizado"), max_length=120)
    first_name_norm = models.CharField(_("nombre normalizado"), max_length=120)
    birth_date = models.DateField(_("fecha de nacimiento"))
    sex = models.CharField(_("sexo"), max_length=1)
    nationality = models.CharField(_("nacionalidad"), max_length=60)
    phone = models.CharField(_("teléfono"), max_length=30, blank=True)
    address = models.CharField(_("domicilio"), max_length=200, blank=True)
    # Checked in Python against the provinces table and again by the worker's foreign key when
    # applied; staging needs neither a constraint nor an index for it.
    province = models.ForeignKey(
        Province,
        verbose_name=_("provincia"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    locality = models.CharField(_("localidad"), max_length=120)
    cbu = models.CharField(_("CBU"), max_length=22, blank=True)
    renatre = models.CharField(_("N° RENATRE"), max_length=20, blank=True)
    # The open period the row goes to (its province and activity), chosen by the analysis among
    # the job's periods (``ImportPeriod``); checked like the province.
    cycle = models.ForeignKey(
        Cycle,
        verbose_name=_("período interzafra"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    # Empty for a row to apply; "duplicate_in_list" for the rows of one CUIL given to different
    # people in the list, which confirming holds for review instead. A default in the database,
    # so the COPY of the valid rows leaves it out.
    held = models.CharField(_("retenida"), max_length=20, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("fila de padrón")
        verbose_name_plural = _("filas de padrón")
        constraints = [
            # One row per CUIL among the rows to apply (its index serves every lookup by job and
            # CUIL, which all read rows to apply); held rows may repeat a CUIL.
            models.UniqueConstraint(
                fields=["job", "cuil"], condition=models.Q(held=""), name="import_row_one_cuil_per_job"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number} {self.cuil}"


class ImportApplyPart(models.Model):
    """One chunk of a long list's staged rows, applied and committed in its own transaction.

    ``apply_import`` splits a long list into ``parts`` chunks of consecutive CUILs that parallel
    sessions apply; each chunk records itself here in the transaction that writes its rows, so a
    retry after a crash applies only the chunks not recorded, and the job's counters add up the
    chunks.
    """

    # No index of its own: the (job, part) unique index serves every lookup by job.
    job = models.ForeignKey(
        ImportJob,
        verbose_name=_("importación"),
        on_delete=models.CASCADE,
        related_name="applied_parts",
        db_index=False,
    )
    part = models.PositiveSmallIntegerField(_("parte"))
    parts = models.PositiveSmallIntegerField(_("partes"))
    rows = models.PositiveIntegerField(_("filas"))
    created_workers = models.PositiveIntegerField(_("trabajadores/as creados/as"))
    updated_workers = models.PositiveIntegerField(_("trabajadores/as actualizados/as"))
    created_enrollments = models.PositiveIntegerField(_("inscripciones creadas"))
    finished_at = models.DateTimeField(_("terminada"))

    class Meta:
        verbose_name = _("parte aplicada de un padrón")
        verbose_name_plural = _("partes aplicadas de padrones")
        constraints = [
            models.UniqueConstraint(fields=["job", "part"], name="import_apply_part_once"),
            models.CheckConstraint(name="import_apply_part_in_range", condition=models.Q(part__lt=models.F("parts"))),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.part + 1}/{self.parts}"


class ImportRowError(models.Model):
    """One problem found in one row (or in the whole file when ``row_number`` is 0)."""

    # No index of its own: the (job, row_number) index serves every lookup by job.
    job = models.ForeignKey(
        ImportJob, verbose_name=_("importación"), on_delete=models.CASCADE, related_name="errors", db_index=False
    )
    row_number = models.PositiveIntegerField(_("fila"))
    column = models.CharField(_("columna"), max_length=40, blank=True)
    value = models.CharField(_("valor"), max_length=200, blank=True)
    message = models.TextField(_("problema"))

    class Meta:
        verbose_name = _("error de padrón")
        verbose_name_plural = _("errores de padrón")
        ordering = ["row_number", "pk"]
        indexes = [models.Index(fields=["job", "row_number"], name="import_error_job_row_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row_number} {self.column}: {self.message}"


@pghistory.track()
class CbuChangeRequest(models.Model):
    """A change of a known worker's CBU, asked by one person and decided by another.

    Only a brand-new worker's first registration writes a CBU directly; every later change
    (setting one where there was none included) is one of these. While it is pending the
    worker's unpaid installments are held; approval writes ``new_cbu`` on the worker, rejection
    leaves the CBU as it was. Rules in ``enrollment.bank_accounts``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente de aprobación")
        APPROVED = "approved", _("Aprobado")
        REJECTED = "rejected", _("Rechazado")
        CANCELLED = "cancelled", _("Cancelado")

    worker = models.ForeignKey(
        Worker, verbose_name=_("trabajador/a"), on_delete=models.PROTECT, related_name="cbu_changes"
    )
    old_cbu = models.CharField(_("CBU anterior"), max_length=22, blank=True)
    new_cbu = models.CharField(_("CBU nuevo"), max_length=22)
    reason = models.TextField(_("motivo"))
    evidence = models.TextField(_("constancia presentada"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pedido por"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("pedido el"), default=timezone.now)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decidido por"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decidido el"), null=True, blank=True)
    decision_note = models.TextField(_("nota de la decisión"), blank=True)

    class Meta:
        verbose_name = _("cambio de CBU")
        verbose_name_plural = _("cambios de CBU")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One open request per worker: a second one waits for the first to be decided.
            models.UniqueConstraint(
                fields=["worker"], condition=models.Q(status="pending"), name="cbu_change_one_pending_per_worker"
            ),
            # Four eyes, whatever path wrote the row: only withdrawing one's own request is
            # decided by the requester.
            models.CheckConstraint(
                name="cbu_change_decided_by_other",
                condition=models.Q(decided_by__isnull=True)
                | models.Q(status="cancelled")
                | ~models.Q(decided_by=models.F("requested_by")),
            ),
            models.CheckConstraint(
                name="cbu_change_decision_recorded",
                condition=models.Q(status="pending", decided_at__isnull=True, decided_by__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
            ),
            models.CheckConstraint(name="cbu_change_new_cbu_digits", condition=models.Q(new_cbu__regex=r"^[0-9]{22}$")),
            models.CheckConstraint(
                name="cbu_change_old_cbu_empty_or_digits",
                condition=models.Q(old_cbu="") | models.Q(old_cbu__regex=r"^[0-9]{22}$"),
            ),
            models.CheckConstraint(name="cbu_change_is_a_change", condition=~models.Q(new_cbu=models.F("old_cbu"))),
            models.CheckConstraint(name="cbu_change_has_reason", condition=~models.Q(reason="")),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.get_status_display()}"


@pghistory.track()
class SharedCbuReview(models.Model):
    """A reviewer's decision that the workers sharing one CBU are distinct holders of one
    account (e.g. a couple's joint account). Lines of workers whose CBU is on file for another
    worker are held at batch build unless a decision here covers every worker now holding it;
    a new worker with the same CBU opens the question again."""

    cbu = models.CharField(_("CBU"), max_length=22, unique=True)
    worker_ids = ArrayField(models.BigIntegerField(), verbose_name=_("trabajadores/as confirmados/as"))
    note = models.TextField(_("nota"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decidido por"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decidido el"), default=timezone.now)

    class Meta:
        verbose_name = _("CBU compartido revisado")
        verbose_name_plural = _("CBU compartidos revisados")
        constraints = [
            models.CheckConstraint(name="shared_cbu_review_digits", condition=models.Q(cbu__regex=r"^[0-9]{22}$")),
            models.CheckConstraint(name="shared_cbu_review_has_note", condition=~models.Q(note="")),
        ]

    def __str__(self) -> str:
        return f"…{self.cbu[-4:]}"


@pghistory.track(pghistory.InsertEvent(level=pghistory.Statement), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class IdentityReview(models.Model):
    """A registration held for a ministry reviewer instead of touching a stored worker.

    Made when a known CUIL arrives with other names or another birth date (a data conflict, in
    or out of the caller's scope), when it arrives from a caller outside whose scope the worker
    is (registered by another organisation), or when one survey list carries one CUIL for two
    different people. ``submitted`` holds what the caller sent, keyed by the worker's field
    names; the stored worker is never changed until a reviewer decides.
    """

    class Kind(models.TextChoices):
        DATA_CONFLICT = "data_conflict", _("datos en conflicto")
        OTHER_ORGANISATION = "other_organisation", _("inscripto/a por otra organización — requiere revisión")
        DUPLICATE_IN_LIST = "duplicate_in_list", _("CUIL repetido en el padrón con datos distintos")

    class State(models.TextChoices):
        OPEN = "open", _("En revisión")
        DECIDED = "decided", _("Decidido")

    class Decision(models.TextChoices):
        KEEP_STORED = "keep_stored", _("misma persona — conservar datos registrados")
        CORRECT = "correct", _("misma persona — corregir con los datos enviados")
        OTHER_PERSON = "other_person", _("otra persona — CUIL mal informado")

    kind = models.CharField(_("motivo"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("estado"), max_length=10, choices=State.choices, default=State.OPEN)
    cuil = models.CharField(_("CUIL"), max_length=11)
    worker = models.ForeignKey(
        Worker,
        verbose_name=_("trabajador/a registrado/a"),
        on_delete=models.PROTECT,
        related_name="identity_reviews",
        null=True,
        blank=True,
    )
    cycle = models.ForeignKey(
        Cycle,
        verbose_name=_("período interzafra"),
        on_delete=models.PROTECT,
        related_name="identity_reviews",
        null=True,
        blank=True,
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organización que envía"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("enviado por"), on_delete=models.PROTECT, related_name="+"
    )
    import_job = models.ForeignKey(
        ImportJob,
        verbose_name=_("padrón"),
        on_delete=models.PROTECT,
        related_name="identity_reviews",
        null=True,
        blank=True,
    )
    row_number = models.PositiveIntegerField(_("fila del padrón"), null=True, blank=True)
    # Whether the stored worker was in the sender's scope: outside it the sender is only ever
    # told "registered by another organisation", whatever the reviewer sees.
    in_sender_scope = models.BooleanField(_("a su alcance al enviar"), default=False)
    submitted = models.JSONField(_("datos enviados"))
    created_at = models.DateTimeField(_("enviado"), default=timezone.now)
    decision = models.CharField(_("decisión"), max_length=20, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("motivo de la decisión"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decidido por"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decidido"), null=True, blank=True)
    enrollment = models.ForeignKey(
        Enrollment,
        verbose_name=_("inscripción creada"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("revisión de identidad")
        verbose_name_plural = _("revisiones de identidad")
        ordering = ["created_at", "pk"]
        permissions = [("decide_identityreview", _("Decidir revisiones de identidad"))]
        indexes = [
            models.Index(fields=["state", "created_at"], name="identity_review_state_idx"),
            models.Index(fields=["cuil"], name="identity_review_cuil_idx"),
        ]
        constraints = [
            # One open item per CUIL, cycle and organisation from the form and the API (sending
            # again answers the same item); a list's rows are one item each.
            models.UniqueConstraint(
                fields=["cuil", "cycle", "organisation"],
                condition=models.Q(state="open", import_job__isnull=True),
                nulls_distinct=False,
                name="identity_review_one_open_per_cuil_cycle_org",
            ),
            models.UniqueConstraint(
                fields=["import_job", "row_number"],
                condition=models.Q(import_job__isnull=False),
                name="identity_review_one_per_list_row",
            ),
            models.CheckConstraint(name="identity_review_cuil_digits", condition=models.Q(cuil__regex=r"^[0-9]{11}$")),
            models.CheckConstraint(
                name="identity_review_decided_has_decision",
                condition=(
                    models.Q(state="open", decision="", decided_at__isnull=True)
                    | (
                        models.Q(state="decided", decided_at__isnull=False, decided_by__isnull=False)
                        & ~models.Q(decision="")
                    )
                ),
            ),
            models.CheckConstraint(
                name="identity_review_list_row_has_number",
                condition=models.Q(import_job__isnull=True) | models.Q(row_number__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.cuil_display}"

    @property
    def sender_reason(self):
        """The reason the sender is told: never more than their own scope allows."""
        if self.kind == self.Kind.DUPLICATE_IN_LIST:
            return self.Kind.DUPLICATE_IN_LIST.label
        if self.kind == self.Kind.DATA_CONFLICT and self.in_sender_scope:
            return self.Kind.DATA_CONFLICT.label
        return self.Kind.OTHER_ORGANISATION.label

    @property
    def cuil_display(self) -> str:
        return format_cuil(self.cuil)


# The periods a survey list's rows go to live in a module of their own (this one is long).
from enrollment.import_periods import ImportPeriod  # noqa: E402

# Suspensions live in a module of their own (this one is long); importing them here registers
# them with the app.
from enrollment.suspension_models import Suspension, SuspensionCause, SuspensionProposal  # noqa: E402

__all__ = [
    "CbuChangeRequest",
    "Enrollment",
    "IdentityReview",
    "ImportApplyPart",
    "ImportJob",
    "ImportPeriod",
    "ImportRow",
    "ImportRowError",
    "SharedCbuReview",
    "Suspension",
    "SuspensionCause",
    "SuspensionProposal",
    "Worker",
]
