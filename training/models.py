"""Training and employment: providers, courses, employment offices and referrals of beneficiaries."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from enrollment.models import Enrollment, Worker
from provinces.models import Crop, Province


@pghistory.track()
class Provider(models.Model):
    """An institution that gives vocational courses or hosts work-training placements."""

    name = models.CharField(_("nombre"), max_length=200, unique=True)
    cuit = models.CharField(_("CUIT"), max_length=11, blank=True)
    province = models.ForeignKey(
        Province,
        verbose_name=_("provincia"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Vacío para instituciones de alcance nacional."),
    )
    email = models.EmailField(_("correo electrónico"), blank=True)
    phone = models.CharField(_("teléfono"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("institución de capacitación")
        verbose_name_plural = _("instituciones de capacitación")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class EmploymentOffice(models.Model):
    """A municipal employment office (Oficina de Empleo) of the national network."""

    name = models.CharField(_("nombre"), max_length=200, unique=True)
    province = models.ForeignKey(Province, verbose_name=_("provincia"), on_delete=models.PROTECT)
    locality = models.CharField(_("localidad"), max_length=120)
    address = models.CharField(_("domicilio"), max_length=200, blank=True)
    email = models.EmailField(_("correo electrónico"), blank=True)
    phone = models.CharField(_("teléfono"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("oficina de empleo")
        verbose_name_plural = _("oficinas de empleo")
        ordering = ["province__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.locality})"


@pghistory.track()
class Course(models.Model):
    """A vocational course or a work-training placement with a number of places."""

    class Kind(models.TextChoices):
        VOCATIONAL = "vocational", _("Curso de formación profesional")
        WORK_TRAINING = "work_training", _("Entrenamiento para el trabajo")

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", _("Presencial")
        REMOTE = "remote", _("A distancia")
        BLENDED = "blended", _("Semipresencial")

    provider = models.ForeignKey(
        Provider, verbose_name=_("institución"), on_delete=models.PROTECT, related_name="courses"
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices, default=Kind.VOCATIONAL)
    topic = models.CharField(_("temática"), max_length=200)
    place = models.CharField(_("lugar"), max_length=200)
    locality = models.CharField(_("localidad"), max_length=120, blank=True)
    province = models.ForeignKey(Province, verbose_name=_("provincia"), on_delete=models.PROTECT)
    start_date = models.DateField(_("fecha de inicio"))
    end_date = models.DateField(_("fecha de finalización"))
    capacity = models.PositiveIntegerField(_("cupo de vacantes"), validators=[MinValueValidator(1)])
    modality = models.CharField(_("modalidad"), max_length=20, choices=Modality.choices, default=Modality.IN_PERSON)
    sessions = models.PositiveSmallIntegerField(
        _("cantidad de encuentros"), default=1, validators=[MinValueValidator(1)]
    )
    created_at = models.DateTimeField(_("creado"), auto_now_add=True)

    class Meta:
        verbose_name = _("curso o entrenamiento")
        verbose_name_plural = _("cursos y entrenamientos")
        ordering = ["-start_date", "topic"]
        constraints = [
            models.CheckConstraint(name="course_dates_ordered", condition=Q(end_date__gte=F("start_date"))),
            models.CheckConstraint(name="course_capacity_positive", condition=Q(capacity__gte=1)),
            models.CheckConstraint(name="course_sessions_positive", condition=Q(sessions__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.topic} · {self.provider} ({self.start_date:%d/%m/%Y})"


@pghistory.track()
class Referral(models.Model):
    """A beneficiary referred to one of the programme's lines, tracked to its outcome."""

    class Line(models.TextChoices):
        VOCATIONAL = "vocational", _("Formación profesional")
        WORK_TRAINING = "work_training", _("Entrenamiento para el trabajo")
        JOB_PLACEMENT = "job_placement", _("Intermediación laboral (oficina de empleo)")
        SELF_EMPLOYMENT = "self_employment", _("Programa de empleo independiente")
        MOBILITY = "mobility", _("Movilidad a otra cosecha")

    class Status(models.TextChoices):
        REFERRED = "referred", _("Derivada")
        ACCEPTED = "accepted", _("Aceptada")
        ATTENDING = "attending", _("Cursando")
        COMPLETED = "completed", _("Finalizada")
        DROPPED = "dropped", _("Abandonó")
        NO_SHOW = "no_show", _("No se presentó")
        DECLINED = "declined", _("Rechazada por la persona")

    #: Lines whose target is a course (and so take one of its places).
    COURSE_LINES = (Line.VOCATIONAL, Line.WORK_TRAINING)
    #: States that hold a place in the course; the others release it.
    SEAT_STATES = (Status.REFERRED, Status.ACCEPTED, Status.ATTENDING, Status.COMPLETED)
    OPEN_STATES = (Status.REFERRED, Status.ACCEPTED, Status.ATTENDING)

    enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("inscripción"), on_delete=models.PROTECT, related_name="referrals"
    )
    worker = models.ForeignKey(
        Worker, verbose_name=_("trabajador/a"), on_delete=models.PROTECT, related_name="referrals"
    )
    line = models.CharField(_("línea"), max_length=20, choices=Line.choices)
    course = models.ForeignKey(
        Course,
        verbose_name=_("curso o entrenamiento"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    office = models.ForeignKey(
        EmploymentOffice,
        verbose_name=_("oficina de empleo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    destination_province = models.ForeignKey(
        Province,
        verbose_name=_("provincia de destino"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    destination_crop = models.ForeignKey(
        Crop, verbose_name=_("actividad de destino"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    travel_from = models.DateField(_("fecha de viaje (ida)"), null=True, blank=True)
    travel_to = models.DateField(_("fecha de regreso"), null=True, blank=True)
    support_amount = models.DecimalField(
        _("ayuda otorgada (ARS)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    support_detail = models.CharField(_("detalle de la ayuda"), max_length=200, blank=True)

    status = models.CharField(_("estado"), max_length=20, choices=Status.choices, default=Status.REFERRED)
    referred_on = models.DateField(_("fecha de derivación"))
    accepted_on = models.DateField(_("fecha de aceptación"), null=True, blank=True)
    started_on = models.DateField(_("fecha de inicio"), null=True, blank=True)
    ended_on = models.DateField(_("fecha de cierre"), null=True, blank=True)
    sessions_attended = models.PositiveSmallIntegerField(_("encuentros asistidos"), default=0)
    certificate_issued = models.BooleanField(_("certificado obtenido"), default=False)
    certificate_number = models.CharField(_("número de certificado"), max_length=40, blank=True)
    job_placement = models.BooleanField(_("obtuvo empleo"), default=False)
    employer = models.CharField(_("empleador"), max_length=200, blank=True)
    notes = models.TextField(_("observaciones"), blank=True)
    status_changed_at = models.DateTimeField(_("último cambio de estado"), null=True, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("derivado por"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("creada"), auto_now_add=True)

    class Meta:
        verbose_name = _("derivación")
        verbose_name_plural = _("derivaciones")
        ordering = ["-referred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "course"], condition=Q(course__isnull=False), name="referral_once_per_worker_course"
            ),
            models.CheckConstraint(
                name="referral_course_lines_have_course",
                condition=(Q(line__in=["vocational", "work_training"]) & Q(course__isnull=False))
                | (~Q(line__in=["vocational", "work_training"]) & Q(course__isnull=True)),
            ),
            models.CheckConstraint(
                name="referral_job_placement_has_office",
                condition=~Q(line="job_placement") | Q(office__isnull=False),
            ),
            models.CheckConstraint(
                name="referral_mobility_has_destination",
                condition=~Q(line="mobility")
                | (
                    Q(destination_province__isnull=False)
                    & Q(destination_crop__isnull=False)
                    & Q(travel_from__isnull=False)
                    & Q(travel_to__isnull=False)
                    & Q(travel_to__gte=F("travel_from"))
                ),
            ),
            models.CheckConstraint(
                name="referral_support_not_negative",
                condition=Q(support_amount__isnull=True) | Q(support_amount__gte=0),
            ),
        ]
        indexes = [
            models.Index(fields=["course", "status"], name="referral_course_status_idx"),
            models.Index(fields=["worker", "status"], name="referral_worker_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} → {self.target_display}"

    @property
    def target_display(self) -> str:
        if self.course_id:
            return str(self.course)
        if self.office_id:
            return str(self.office)
        if self.line == self.Line.MOBILITY and self.destination_province_id:
            return f"{self.get_line_display()}: {self.destination_province} · {self.destination_crop}"
        return self.get_line_display()
