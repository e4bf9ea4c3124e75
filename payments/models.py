"""Payments: the programme's rate table, installments, monthly batches, bank files and returns.

The money rules live in the database: one live installment per enrollment and number, one
live regular installment per worker and month across the whole programme, an installment in
at most one open batch line, at most one paid line per installment, and a batch approved by
someone other than its builder.
"""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment, Worker
from provinces.models import Agreement, Province, add_months


@pghistory.track()
class Rate(models.Model):
    """The monthly aid set by a resolution, in force from ``effective_month`` on.

    A new amount is proposed by one person and approved by another (four eyes, enforced by a
    check constraint); until then it is pending and nothing uses it. Rows without a proposer
    are the published resolutions loaded as reference data (``payments.reference_data``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente de aprobación")
        APPROVED = "approved", _("Aprobada")
        REJECTED = "rejected", _("Rechazada")

    amount = models.DecimalField(_("monto mensual (ARS)"), max_digits=12, decimal_places=2)
    effective_month = models.DateField(_("vigente desde el mes"))
    resolution = models.CharField(_("resolución"), max_length=80)
    published_on = models.DateField(_("publicada el"), null=True, blank=True)
    notes = models.CharField(_("observaciones"), max_length=200, blank=True)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.APPROVED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("propuesta por"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("propuesta el"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decidida por"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decidida el"), null=True, blank=True)
    decision_reason = models.CharField(_("motivo del rechazo"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("monto de la ayuda")
        verbose_name_plural = _("montos de la ayuda")
        ordering = ["-effective_month"]
        permissions = [
            ("propose_rate", _("Proponer un nuevo monto de la ayuda")),
            ("approve_rate", _("Aprobar o rechazar un monto de la ayuda propuesto por otra persona")),
        ]
        constraints = [
            models.CheckConstraint(name="rate_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="rate_month_day_1", condition=Q(effective_month__day=1)),
            # one resolution in force or waiting per month; a rejected proposal frees the month
            models.UniqueConstraint(
                fields=["effective_month"], condition=~Q(status="rejected"), name="rate_one_live_per_month"
            ),
            # a proposed amount is approved by someone else, never by its proposer
            models.CheckConstraint(
                name="rate_four_eyes",
                condition=~Q(status="approved")
                | Q(proposed_by__isnull=True)
                | (Q(decided_by__isnull=False) & ~Q(decided_by=F("proposed_by"))),
            ),
            models.CheckConstraint(
                name="rate_pending_undecided",
                condition=~Q(status="pending") | (Q(decided_by__isnull=True) & Q(proposed_by__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        amount = number_format(self.amount, 2, use_l10n=True, force_grouping=True)
        return f"ARS {amount} desde {self.effective_month:%m/%Y} ({self.resolution})"


#: Why an installment whose branch-pickup order the bank rejected waits (stored untranslated):
#: a payments officer re-issues it with a note, or a build sends it as a transfer once the worker
#: has an approved CBU (``payments.pickup``).
HOLD_PICKUP_REJECTED = gettext_noop("Orden de cobro rechazada por el banco")


# What changes over an installment's life is tracked; who it belongs to (enrollment, worker,
# agreement, province) is fixed at insert and reached through the event's object.
# Statement-level triggers: batches and returns change tens of thousands of rows in one
# statement, and the events are then written set-based from the transition tables.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    fields=[
        "kind",
        "number",
        "month",
        "rate",
        "amount",
        "status",
        "hold_reason",
        "bank_reason",
        "cancel_reason",
        "cancelled_at",
        "paid_at",
    ],
    level=pghistory.Statement,
    model_name="InstallmentEvent",
)
class Installment(models.Model):
    """One monthly transfer of an enrollment (a *cuota*), with its amount frozen when scheduled.

    ``worker``, ``agreement`` and ``province`` repeat what the enrollment already says so that
    the "one per worker and month" rule is a real unique index and monthly totals need no join.
    A ``difference`` installment pays the gap left by a retroactive rate for a month already paid.
    """

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Cuota mensual")
        DIFFERENCE = "difference", _("Diferencia retroactiva")

    class Status(models.TextChoices):
        DUE = "due", _("Programada")
        HELD = "held", _("Retenida")
        IN_BATCH = "in_batch", _("En lote de pago")
        PAID = "paid", _("Pagada")
        REJECTED = "rejected", _("Rechazada por el banco")
        CANCELLED = "cancelled", _("Anulada")

    #: Not yet paid, not on its way to the bank: what suspension or withdrawal cancels.
    UNPAID_STATES = (Status.DUE, Status.HELD, Status.REJECTED)

    enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("inscripción"), on_delete=models.PROTECT, related_name="installments"
    )
    # indexed through the composite indexes below
    worker = models.ForeignKey(
        Worker, verbose_name=_("trabajador/a"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("convenio"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    province = models.ForeignKey(
        Province, verbose_name=_("provincia"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    number = models.PositiveSmallIntegerField(_("número de cuota"))
    month = models.DateField(_("mes que cubre"))
    rate = models.ForeignKey(
        Rate, verbose_name=_("resolución aplicada"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount = models.DecimalField(_("monto (ARS)"), max_digits=12, decimal_places=2)
    difference_of = models.ForeignKey(
        "self",
        verbose_name=_("diferencia de la cuota"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="differences",
        db_index=False,  # the partial unique index on (difference_of, rate) serves the lookups
    )
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.DUE)
    hold_reason = models.TextField(_("motivo de la retención"), blank=True)
    bank_reason = models.CharField(_("respuesta del banco"), max_length=200, blank=True)
    cancel_reason = models.TextField(_("motivo de la anulación"), blank=True)
    # Set with the status "cancelled" and only then (a check constraint ties them). The unique
    # indexes' predicates read it rather than ``status``, so that no index covers ``status``.
    cancelled_at = models.DateTimeField(_("anulada el"), null=True, blank=True)
    paid_at = models.DateTimeField(_("pagada el"), null=True, blank=True)
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modificada"), auto_now=True)

    class Meta:
        verbose_name = _("cuota")
        verbose_name_plural = _("cuotas")
        ordering = ["month", "number"]
        permissions = [("reissue_installment", _("Reemitir cuotas rechazadas"))]
        constraints = [
            models.CheckConstraint(name="installment_number_1_to_4", condition=Q(number__gte=1) & Q(number__lte=4)),
            models.CheckConstraint(name="installment_month_day_1", condition=Q(month__day=1)),
            models.CheckConstraint(name="installment_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="installment_difference_points_to_original",
                condition=(Q(kind="regular") & Q(difference_of__isnull=True))
                | (Q(kind="difference") & Q(difference_of__isnull=False)),
            ),
            models.CheckConstraint(
                name="installment_cancelled_at_iff_cancelled",
                condition=(Q(status="cancelled") & Q(cancelled_at__isnull=False))
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
            ),
            models.UniqueConstraint(
                fields=["enrollment", "number"],
                condition=Q(kind="regular") & Q(cancelled_at__isnull=True),
                name="installment_one_per_enrollment_number",
            ),
            models.UniqueConstraint(
                fields=["worker", "month"],
                condition=Q(kind="regular") & Q(cancelled_at__isnull=True),
                name="installment_one_per_worker_month",
            ),
            models.UniqueConstraint(
                fields=["difference_of", "rate"],
                condition=Q(kind="difference") & Q(cancelled_at__isnull=True),
                name="installment_one_difference_per_rate",
            ),
        ]
        # No index covers ``status`` (neither as key nor in a predicate): a status change then
        # writes no index entry and stays on its page (a HOT update; the table keeps free space
        # for it, see migration 0007), which is most of what building and reconciling a batch do.
        indexes = [
            models.Index(fields=["month"], name="installment_month_idx"),
            models.Index(fields=["agreement"], name="installment_agreement_idx"),
            models.Index(fields=["worker", "month"], name="installment_worker_idx"),
        ]

    def __str__(self) -> str:
        # read by people (the audit trail names a record by it): no ids
        return f"Cuota {self.number} · {self.month:%m/%Y}"

    @property
    def held_by_pickup_rejection(self) -> bool:
        """Held because the bank rejected its branch-pickup order (``payments.pickup``)."""
        return self.status == self.Status.HELD and self.hold_reason == HOLD_PICKUP_REJECTED

    @property
    def hold_words(self) -> str:
        """Why it is held, in words: a rejected pickup order says so with the bank's reason."""
        if self.held_by_pickup_rejection:
            return gettext("%(hold)s: %(reason)s") % {
                "hold": gettext(HOLD_PICKUP_REJECTED),
                "reason": self.bank_reason or gettext("sin motivo informado"),
            }
        return self.hold_reason

    def detail_words(self, *, national: bool) -> str:
        """The reasons shown next to its state. Hold reasons may name other programmes'
        registries, so only national roles read them — except a rejected pickup order's, which
        names the bank's reason and is what the registering office must act on."""
        if self.held_by_pickup_rejection:
            return " · ".join(r for r in (self.hold_words, self.cancel_reason) if r)
        reasons = [self.bank_reason, self.cancel_reason] + ([self.hold_reason] if national else [])
        return " · ".join(r for r in reasons if r)

    @property
    def pickup_order(self) -> BatchItem | None:
        """The branch-pickup order now carrying it (a pending pickup line), if any. Reads
        ``batch_items`` as prefetched: list pages prefetch them."""
        for item in self.batch_items.all():
            if item.method == BatchItem.Method.PICKUP and item.outcome == BatchItem.Outcome.PENDING:
                return item
        return None


@pghistory.track()
class PaymentBatch(models.Model):
    """One month's transfers (optionally for one province or agreement).

    built → approved (by someone else) → exported → reconciled. Building runs as a Celery
    task whose progress is stored here; building the same month and scope again returns
    the same batch.
    """

    class Status(models.TextChoices):
        BUILDING = "building", _("En armado")
        BUILT = "built", _("Armado")
        APPROVED = "approved", _("Aprobado")
        EXPORTED = "exported", _("Exportado")
        RECONCILED = "reconciled", _("Conciliado")

    month = models.DateField(_("mes"))
    province = models.ForeignKey(
        Province, verbose_name=_("provincia"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("convenio"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.BUILDING)
    progress_total = models.PositiveIntegerField(_("cuotas a procesar"), default=0)
    progress_done = models.PositiveIntegerField(_("cuotas procesadas"), default=0)
    progress_step = models.CharField(_("paso"), max_length=80, blank=True)
    held_count = models.PositiveIntegerField(_("cuotas retenidas"), default=0)
    item_count = models.PositiveIntegerField(_("cantidad de transferencias"), default=0)
    total_amount = models.DecimalField(_("importe total (ARS)"), max_digits=16, decimal_places=2, default=0)
    province_totals = models.JSONField(_("totales por provincia"), default=list, blank=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("armado por"), on_delete=models.PROTECT, related_name="+"
    )
    built_at = models.DateTimeField(_("armado el"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("aprobado por"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("aprobado el"), null=True, blank=True)
    reconciled_at = models.DateTimeField(_("conciliado el"), null=True, blank=True)
    # The day its DNI calendar opens for branch-pickup orders, fixed when the build starts so
    # that a resumed build gives every order the same day (``payments.pickup``).
    pickup_opens_on = models.DateField(_("cobro por ventanilla desde"), null=True, blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("lote de pago")
        verbose_name_plural = _("lotes de pago")
        ordering = ["-month", "-created_at"]
        permissions = [("manage_payments", _("Armar, aprobar, exportar y conciliar lotes de pago"))]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "province", "agreement"], nulls_distinct=False, name="batch_one_per_month_scope"
            ),
            models.CheckConstraint(name="batch_month_day_1", condition=Q(month__day=1)),
            models.CheckConstraint(
                name="batch_four_eyes", condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("built_by"))
            ),
            models.CheckConstraint(
                name="batch_approved_has_approver",
                condition=Q(status__in=["building", "built"]) | Q(approved_by__isnull=False),
            ),
        ]
        triggers = [
            # A reconciled batch is final: not even a bulk UPDATE can change it.
            pgtrigger.Protect(
                name="batch_reconciled_is_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="reconciled"),
            ),
        ]

    def __str__(self) -> str:
        scope = self.agreement or self.province or _("todo el país")
        return f"Lote {self.month:%m/%Y} · {scope}"

    @property
    def pays_through(self):
        """The last installment month this batch pays ("a mes vencido", see
        ``payments.common.due_through``)."""
        return add_months(self.month, -settings.PAYMENT_LAG_MONTHS)

    @property
    def progress_percent(self) -> int:
        if self.status != self.Status.BUILDING:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))


# A line's payee data is frozen at insert; its outcome is what changes.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    fields=["reference", "method", "amount", "cbu", "pickup_day", "outcome", "bank_reason", "released_at"],
    level=pghistory.Statement,
    model_name="BatchItemEvent",
)
class BatchItem(models.Model):
    """One line of a batch, with the payee's data frozen at build time: a transfer to the
    worker's CBU, or — for a worker without one — an order collected at a Banco Nación branch
    with the DNI from its ``pickup_day`` (the DNI calendar) through ``pickup_until``."""

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Transferencia")
        PICKUP = "pickup", _("Cobro por ventanilla")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        PAID = "paid", _("Acreditada")
        REJECTED = "rejected", _("Rechazada")
        WITHDRAWN = "withdrawn", _("Retirada del lote")
        EXPIRED = "expired", _("Vencida sin cobrar")

    #: Outcomes that let the line's installment go (``released_at`` is set with them).
    RELEASED = (Outcome.REJECTED, Outcome.WITHDRAWN, Outcome.EXPIRED)

    batch = models.ForeignKey(
        PaymentBatch, verbose_name=_("lote"), on_delete=models.PROTECT, related_name="items", db_index=False
    )  # indexed by the unique (batch, installment)
    installment = models.ForeignKey(
        Installment, verbose_name=_("cuota"), on_delete=models.PROTECT, related_name="batch_items"
    )
    province = models.ForeignKey(
        Province, verbose_name=_("provincia"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # unique through a constraint: a plain ``unique=True`` adds a second (LIKE) index that no
    # query uses and every batch line would maintain
    reference = models.CharField(_("referencia"), max_length=20)
    method = models.CharField(
        _("forma de pago"), max_length=8, choices=Method.choices, default=Method.TRANSFER, db_default="transfer"
    )
    cbu = models.CharField(_("CBU"), max_length=22)
    cuil = models.CharField(_("CUIL"), max_length=11)
    name = models.CharField(_("apellido y nombre"), max_length=60)
    amount = models.DecimalField(_("importe (ARS)"), max_digits=12, decimal_places=2)
    pickup_day = models.DateField(_("cobro por ventanilla desde"), null=True, blank=True)
    pickup_until = models.DateField(_("cobro por ventanilla hasta"), null=True, blank=True)
    # The worker's locality, upper case without accents: the bank pays the order at its branch
    # there. Empty on transfers.
    branch = models.CharField(_("localidad de la sucursal"), max_length=40, blank=True, default="", db_default="")
    outcome = models.CharField(_("resultado"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    bank_reason = models.CharField(_("motivo del banco"), max_length=200, blank=True)
    # Set when the line lets its installment go (rejected by the bank or withdrawn from the
    # batch), and only then (a check constraint ties it to the outcome). The unique index
    # "one live line per installment" reads it rather than ``outcome``, so that no index covers
    # ``outcome``: marking a line paid then writes no index entry and stays on its page (a HOT
    # update; the table keeps free space for it, see migration 0008).
    released_at = models.DateTimeField(_("liberada el"), null=True, blank=True)

    class Meta:
        verbose_name = _("transferencia del lote")
        verbose_name_plural = _("transferencias del lote")
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="batch_item_reference_unique"),
            models.UniqueConstraint(fields=["batch", "installment"], name="batch_item_once_per_batch"),
            # At most one line per installment that is pending or paid: an installment is in
            # at most one open batch, is paid at most once, and a paid one is never batched again.
            models.UniqueConstraint(
                fields=["installment"],
                condition=Q(released_at__isnull=True),
                name="batch_item_one_live_per_installment",
            ),
            models.CheckConstraint(
                name="batch_item_released_at_iff_released",
                condition=(Q(outcome__in=["rejected", "withdrawn", "expired"]) & Q(released_at__isnull=False))
                | (Q(outcome__in=["pending", "paid"]) & Q(released_at__isnull=True)),
            ),
            # Only an order at the branch expires uncollected.
            models.CheckConstraint(
                name="batch_item_only_pickup_expires", condition=~Q(outcome="expired") | Q(method="pickup")
            ),
            models.CheckConstraint(name="batch_item_amount_positive", condition=Q(amount__gt=0)),
            # What the bank file writes as it is: no field needs quoting or escaping in either
            # layout (see docs/bank-files.md), so the export renders records without checking.
            models.CheckConstraint(name="batch_item_reference_plain", condition=Q(reference__regex=r"^[A-Z0-9]+$")),
            # A transfer carries a CBU and no pickup data; an order at the branch carries no CBU,
            # its days (the first at most the last) and the branch's locality.
            models.CheckConstraint(
                name="batch_item_payee_by_method",
                condition=(
                    Q(method="transfer")
                    & Q(cbu__regex=r"^[0-9]{22}$")
                    & Q(pickup_day__isnull=True)
                    & Q(pickup_until__isnull=True)
                    & Q(branch="")
                )
                | (
                    Q(method="pickup")
                    & Q(cbu="")
                    & Q(pickup_day__isnull=False)
                    & Q(pickup_until__gte=F("pickup_day"))
                    & Q(branch__regex=r"^[A-Z0-9 ]*$")
                ),
            ),
            models.CheckConstraint(name="batch_item_cuil_digits", condition=Q(cuil__regex=r"^[0-9]{11}$")),
            models.CheckConstraint(name="batch_item_name_plain", condition=Q(name__regex=r'^[^;"\\\r\n]+$')),
        ]

    def __str__(self) -> str:
        return self.reference


@pghistory.track(exclude=["progress_done", "attempts"])  # progress and deliveries are not history
class BankFile(models.Model):
    """An exported bank file, kept in file storage with its SHA-256. Written once per batch and
    format by a Celery task (progress stored here), so exporting again gives the very same file."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        FIXED = "fixed", _("Ancho fijo")

    class Status(models.TextChoices):
        QUEUED = "queued", _("En preparación")
        DONE = "done", _("Listo")
        FAILED = "failed", _("Con error")

    batch = models.ForeignKey(PaymentBatch, verbose_name=_("lote"), on_delete=models.PROTECT, related_name="files")
    format = models.CharField(_("formato"), max_length=5, choices=Format.choices)
    filename = models.CharField(_("nombre del archivo"), max_length=80)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    #: deliveries of the writing task that started (``payments.attempts``)
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    file = models.FileField(_("archivo"), upload_to="bank_files/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("tamaño (bytes)"), default=0)
    progress_done = models.PositiveIntegerField(_("transferencias escritas"), default=0)
    error = models.TextField(_("error"), blank=True)
    line_count = models.PositiveIntegerField(_("cantidad de transferencias"))
    control_total = models.DecimalField(_("total de control (ARS)"), max_digits=16, decimal_places=2)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("exportado por"), on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField(_("exportado el"), auto_now_add=True)

    class Meta:
        verbose_name = _("archivo bancario")
        verbose_name_plural = _("archivos bancarios")
        constraints = [
            models.UniqueConstraint(fields=["batch", "format"], name="bank_file_one_per_format"),
            models.CheckConstraint(
                name="bank_file_done_has_hash", condition=~Q(status="done") | (Q(sha256__regex=r"^[0-9a-f]{64}$"))
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, int(100 * self.progress_done / self.line_count)) if self.line_count else 0

    def read(self) -> bytes:
        with self.file.open("rb") as handle:
            return handle.read()


@pghistory.track()
class Reconciliation(models.Model):
    """A bank return file applied to a batch, with what was applied and what was refused."""

    batch = models.ForeignKey(
        PaymentBatch, verbose_name=_("lote"), on_delete=models.PROTECT, related_name="reconciliations"
    )
    filename = models.CharField(_("archivo"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    accepted = models.BooleanField(_("aplicado"), default=False)
    paid_count = models.PositiveIntegerField(_("acreditadas"), default=0)
    rejected_count = models.PositiveIntegerField(_("rechazadas"), default=0)
    unchanged_count = models.PositiveIntegerField(_("ya aplicadas"), default=0)
    expired_count = models.PositiveIntegerField(_("órdenes vencidas"), default=0, db_default=0)
    problems = models.JSONField(_("observaciones"), default=list, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("aplicado por"), on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("aplicado el"), auto_now_add=True)

    class Meta:
        verbose_name = _("conciliación")
        verbose_name_plural = _("conciliaciones")
        ordering = ["-applied_at"]
        constraints = [models.UniqueConstraint(fields=["batch", "sha256"], name="reconciliation_once_per_file")]

    def __str__(self) -> str:
        return f"{self.filename} · {self.batch}"


@pghistory.track(exclude=["content", "attempts"])
class ReturnFile(models.Model):
    """A bank return file as uploaded; a Celery task applies it (see ``Reconciliation``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("En cola")
        DONE = "done", _("Procesado")
        FAILED = "failed", _("Con error")

    batch = models.ForeignKey(
        PaymentBatch, verbose_name=_("lote"), on_delete=models.PROTECT, related_name="return_files"
    )
    filename = models.CharField(_("archivo"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("contenido"))
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    #: deliveries of the applying task that started (``payments.attempts``)
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    error = models.TextField(_("error"), blank=True)
    reconciliation = models.OneToOneField(
        Reconciliation,
        verbose_name=_("conciliación"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="return_file",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("subido por"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("subido el"), auto_now_add=True)

    class Meta:
        verbose_name = _("archivo de respuesta del banco")
        verbose_name_plural = _("archivos de respuesta del banco")
        ordering = ["-uploaded_at"]
        constraints = [models.UniqueConstraint(fields=["batch", "sha256"], name="return_file_once_per_batch")]

    def __str__(self) -> str:
        return self.filename
