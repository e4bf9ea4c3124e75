"""Writes for training and employment: providers, offices, courses, referrals and attendance.

Who: ministry reviewers anywhere, provincial officers in their own provinces. Every write runs
in one transaction inside ``pghistory.context`` so the audit trail records who and why.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.identity import compact_cuil, is_valid_cuil
from enrollment.models import Enrollment
from provinces.models import Crop, Province
from provinces.scoping import require_perm
from training.models import Course, EmploymentOffice, Provider, Referral
from training.selectors import can_manage_province

R = Referral.Status

#: Allowed referral transitions: from state → states it may move to.
TRANSITIONS: dict[str, set[str]] = {
    R.REFERRED: {R.ACCEPTED, R.DECLINED, R.NO_SHOW},
    R.ACCEPTED: {R.ATTENDING, R.DECLINED, R.NO_SHOW},
    R.ATTENDING: {R.COMPLETED, R.DROPPED},
    R.COMPLETED: set(),
    R.DROPPED: set(),
    R.NO_SHOW: set(),
    R.DECLINED: set(),
}

#: Enrollment states whose beneficiaries may be referred.
REFERABLE_ENROLLMENT_STATES = (Enrollment.Status.APPROVED, Enrollment.Status.ACTIVE)


def _require_province(by, province_id: int | None) -> None:
    if not can_manage_province(by, province_id):
        raise PermissionDenied(_("No gestiona capacitación y empleo en esa provincia."))


@transaction.atomic
def save_provider(
    *,
    by,
    provider: Provider | None = None,
    name: str,
    province: Province | None,
    cuit: str = "",
    email: str = "",
    phone: str = "",
) -> Provider:
    """Create or update a training provider. Provincial officers manage those of their province;
    national providers (no province) only the ministry."""
    require_perm(by, "training.change_provider" if provider else "training.add_provider")
    if provider is not None:
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        _require_province(by, provider.province_id)
    _require_province(by, getattr(province, "pk", None))
    same_name = Provider.objects.filter(name__iexact=name.strip())
    if provider is not None:
        same_name = same_name.exclude(pk=provider.pk)
    if same_name.exists():
        raise ValidationError({"name": _("Ya existe una institución con ese nombre.")})
    with pghistory.context(user=by.pk, reason=_("Institución de capacitación")):
        provider = provider or Provider()
        provider.name, provider.province, provider.cuit = name.strip(), province, cuit
        provider.email, provider.phone = email, phone
        provider.save()
    return provider


@transaction.atomic
def save_office(
    *,
    by,
    office: EmploymentOffice | None = None,
    name: str,
    province: Province,
    locality: str,
    address: str = "",
    email: str = "",
    phone: str = "",
) -> EmploymentOffice:
    """Create or update an employment office of the user's province."""
    require_perm(by, "training.change_employmentoffice" if office else "training.add_employmentoffice")
    if office is not None:
        office = EmploymentOffice.objects.select_for_update().get(pk=office.pk)
        _require_province(by, office.province_id)
    _require_province(by, province.pk)
    same_name = EmploymentOffice.objects.filter(name__iexact=name.strip())
    if office is not None:
        same_name = same_name.exclude(pk=office.pk)
    if same_name.exists():
        raise ValidationError({"name": _("Ya existe una oficina de empleo con ese nombre.")})
    with pghistory.context(user=by.pk, reason=_("Oficina de empleo")):
        office = office or EmploymentOffice()
        office.name, office.province, office.locality = name.strip(), province, locality
        office.address, office.email, office.phone = address, email, phone
        office.save()
    return office


@transaction.atomic
def save_course(
    *,
    by,
    course: Course | None = None,
    provider: Provider,
    kind: str,
    topic: str,
    place: str,
    province: Province,
    start_date: dt.date,
    end_date: dt.date,
    capacity: int,
    modality: str,
    sessions: int = 1,
    locality: str = "",
) -> Course:
    """Create or update a course or work-training placement.

    Rules: held in a province the user manages; the end is not before the start; capacity is at
    least 1 and never below the places already taken (checked with the course row locked, so it
    cannot race a referral).
    """
    require_perm(by, "training.change_course" if course else "training.add_course")
    errors: dict[str, list[str]] = {}
    if course is not None:
        course = Course.objects.select_for_update().get(pk=course.pk)
        _require_province(by, course.province_id)
    _require_province(by, province.pk)
    if provider.province_id is not None and provider.province_id != province.pk:
        errors.setdefault("provider", []).append(
            _("La institución es de %(province)s.") % {"province": provider.province}
        )
    if start_date and end_date and end_date < start_date:
        errors.setdefault("end_date", []).append(_("La fecha de finalización no puede ser anterior a la de inicio."))
    if capacity is None or capacity < 1:
        errors.setdefault("capacity", []).append(_("El cupo debe ser de al menos una vacante."))
    elif course is not None:
        taken = course.referrals.filter(status__in=Referral.SEAT_STATES).count()
        if capacity < taken:
            errors.setdefault("capacity", []).append(
                _("El cupo (%(capacity)s) es menor que las vacantes ya ocupadas (%(taken)s).")
                % {"capacity": capacity, "taken": taken}
            )
    if sessions is None or sessions < 1:
        errors.setdefault("sessions", []).append(_("Debe haber al menos un encuentro."))
    if errors:
        raise ValidationError(errors)
    with pghistory.context(user=by.pk, reason=_("Curso o entrenamiento")):
        course = course or Course()
        course.provider, course.kind, course.topic, course.place = provider, kind, topic, place
        course.province, course.locality = province, locality
        course.start_date, course.end_date, course.capacity = start_date, end_date, capacity
        course.modality, course.sessions = modality, sessions
        course.save()
    return course


@transaction.atomic
def refer_worker(
    *,
    by,
    enrollment: Enrollment,
    line: str,
    course: Course | None = None,
    office: EmploymentOffice | None = None,
    destination_province: Province | None = None,
    destination_crop: Crop | None = None,
    travel_from: dt.date | None = None,
    travel_to: dt.date | None = None,
    support_amount: Decimal | None = None,
    support_detail: str = "",
    referred_on: dt.date | None = None,
    notes: str = "",
) -> Referral:
    """Refer a beneficiary to a course, a work-training placement, an employment office, the
    self-employment programme or mobility to another region's harvest.

    Rules: the enrollment is approved or active and in a province the user manages; a course
    line needs a course (of that kind, in a province the user manages) and takes one of its
    places — counted with the course row locked, so two officers racing for the last place
    cannot both get it; a worker is referred at most once to the same course (also a database
    constraint); job placement needs an employment office; mobility needs destination province,
    activity and travel dates in order; support is not negative.
    """
    require_perm(by, "training.add_referral")
    enrollment = Enrollment.objects.select_related("cycle__agreement", "worker").get(pk=enrollment.pk)
    _require_province(by, enrollment.cycle.agreement.province_id)
    line = Referral.Line(line)
    errors: dict[str, list[str]] = {}
    if enrollment.status not in REFERABLE_ENROLLMENT_STATES:
        errors.setdefault("enrollment", []).append(
            _("Solo se derivan beneficiarios con la inscripción aprobada o activa (estado: %(status)s).")
            % {"status": enrollment.get_status_display()}
        )
    if line in Referral.COURSE_LINES:
        if course is None:
            errors.setdefault("course", []).append(_("Indique el curso o entrenamiento."))
        else:
            course = Course.objects.select_for_update().get(pk=course.pk)
            _require_province(by, course.province_id)
            if course.kind != line:
                errors.setdefault("course", []).append(
                    _("«%(course)s» no es de la línea %(line)s.") % {"course": course.topic, "line": line.label}
                )
            if Referral.objects.filter(worker_id=enrollment.worker_id, course=course).exists():
                errors.setdefault("course", []).append(
                    _("%(worker)s ya fue derivado/a a este curso.") % {"worker": enrollment.worker}
                )
            taken = course.referrals.filter(status__in=Referral.SEAT_STATES).count()
            if taken >= course.capacity:
                errors.setdefault("course", []).append(
                    _("El curso no tiene vacantes (cupo %(capacity)s).") % {"capacity": course.capacity}
                )
    else:
        course = None
    if line == Referral.Line.JOB_PLACEMENT and office is None:
        errors.setdefault("office", []).append(_("Indique la oficina de empleo."))
    if line == Referral.Line.MOBILITY:
        if destination_province is None:
            errors.setdefault("destination_province", []).append(_("Indique la provincia de destino."))
        if destination_crop is None:
            errors.setdefault("destination_crop", []).append(_("Indique la actividad de destino."))
        if travel_from is None or travel_to is None:
            errors.setdefault("travel_from", []).append(_("Indique las fechas de viaje."))
        elif travel_to < travel_from:
            errors.setdefault("travel_to", []).append(_("El regreso no puede ser anterior a la ida."))
    if support_amount is not None and support_amount < 0:
        errors.setdefault("support_amount", []).append(_("La ayuda no puede ser negativa."))
    if errors:
        raise ValidationError(errors)
    with pghistory.context(user=by.pk, reason=_("Derivación: %(line)s") % {"line": line.label}):
        try:
            with transaction.atomic():
                return Referral.objects.create(
                    enrollment=enrollment,
                    worker_id=enrollment.worker_id,
                    line=line,
                    course=course,
                    office=office if line in (Referral.Line.JOB_PLACEMENT, Referral.Line.SELF_EMPLOYMENT) else None,
                    destination_province=destination_province if line == Referral.Line.MOBILITY else None,
                    destination_crop=destination_crop if line == Referral.Line.MOBILITY else None,
                    travel_from=travel_from if line == Referral.Line.MOBILITY else None,
                    travel_to=travel_to if line == Referral.Line.MOBILITY else None,
                    support_amount=support_amount,
                    support_detail=support_detail,
                    referred_on=referred_on or timezone.localdate(),
                    notes=notes,
                    referred_by=by,
                    status=R.REFERRED,
                    status_changed_at=timezone.now(),
                )
        except IntegrityError as error:  # the once-per-course constraint, if a race got past the check
            raise ValidationError({"course": _("Ya fue derivado/a a este curso.")}) from error


def _apply_transition(referral: Referral, to: str, on: dt.date) -> None:
    if to not in TRANSITIONS[referral.status]:
        raise ValidationError(
            _("Una derivación en estado «%(current)s» no puede pasar a «%(target)s».")
            % {"current": referral.get_status_display(), "target": R(to).label}
        )
    referral.status = to
    referral.status_changed_at = timezone.now()
    if to == R.ACCEPTED:
        referral.accepted_on = on
    elif to == R.ATTENDING:
        referral.accepted_on = referral.accepted_on or on
        referral.started_on = on
    else:
        referral.ended_on = on


@transaction.atomic
def move_referral(
    *,
    by,
    referral: Referral,
    to: str,
    on: dt.date | None = None,
    certificate_number: str | None = None,
    job_placement: bool | None = None,
    employer: str | None = None,
    reason: str = "",
) -> Referral:
    """Move a referral along ``referred → accepted → attending → completed`` (or to dropped,
    no-show, declined), stamping the date, and record the outcome (certificate, job placement).
    Only in a province the user manages; the row is locked."""
    require_perm(by, "training.change_referral")
    locked = Referral.objects.select_for_update().select_related("enrollment__cycle__agreement").get(pk=referral.pk)
    _require_province(by, locked.enrollment.cycle.agreement.province_id)
    if to != locked.status:
        _apply_transition(locked, to, on or timezone.localdate())
    if certificate_number is not None:
        locked.certificate_number = certificate_number.strip()
        locked.certificate_issued = bool(locked.certificate_number)
    if job_placement is not None:
        locked.job_placement = job_placement
    if employer is not None:
        locked.employer = employer.strip()
    with pghistory.context(user=by.pk, reason=reason or R(locked.status).label):
        locked.save()
    return locked


# --- Attendance from a provider's CSV -------------------------------------------------------

_STATUS_WORDS = {}
for _value, _label in R.choices:
    _STATUS_WORDS[_value] = _value
    _STATUS_WORDS[str(_label).lower()] = _value
_STATUS_WORDS.update({"cursando": R.ATTENDING, "finalizado": R.COMPLETED, "finalizada": R.COMPLETED})
_STATUS_WORDS.update({"abandono": R.DROPPED, "abandonó": R.DROPPED, "ausente": R.NO_SHOW})


@dataclass
class AttendanceImport:
    updated: int = 0
    #: (line, message), at most ``ATTENDANCE_MAX_ERRORS`` of them
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: problems found beyond the ones listed
    unlisted_errors: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, line: int, message: str) -> None:
        if len(self.errors) < settings.ATTENDANCE_MAX_ERRORS:
            self.errors.append((line, message))
        else:
            self.unlisted_errors += 1


def _read_csv(data: bytes | str) -> list[dict[str, str]]:
    """The attendance rows, each column name → value; ValidationError for a file over the size,
    row or column limits (``ATTENDANCE_MAX_BYTES``, ``_ROWS``, ``_COLUMNS``), stopping at the
    first row past them."""
    limit = settings.ATTENDANCE_MAX_BYTES
    if len(data) > limit:
        raise ValidationError(
            _("El archivo supera el máximo de %(limit)s kB para una planilla de asistencia.")
            % {"limit": f"{limit // 1024:,}".replace(",", ".")}
        )
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    max_rows, max_columns = settings.ATTENDANCE_MAX_ROWS, settings.ATTENDANCE_MAX_COLUMNS
    too_wide = _("El archivo tiene más de %(limit)s columnas.") % {"limit": max_columns}
    if reader.fieldnames is not None and len(reader.fieldnames) > max_columns:
        raise ValidationError(too_wide)
    if not reader.fieldnames or "cuil" not in [f.strip().lower() for f in reader.fieldnames]:
        raise ValidationError(_("El archivo debe tener una fila de encabezado con la columna «cuil»."))
    rows: list[dict[str, str]] = []
    for row in reader:
        if len(rows) == max_rows:
            raise ValidationError(
                _("El archivo tiene más de %(limit)s filas: un curso no tiene tantas personas derivadas.")
                % {"limit": f"{max_rows:,}".replace(",", ".")}
            )
        extra = row.pop(None, None)  # type: ignore[call-overload]
        if extra is not None and len(reader.fieldnames) + len(extra) > max_columns:
            raise ValidationError(too_wide)
        rows.append({(k or "").strip().lower(): (v or "").strip() for k, v in row.items()})
    return rows


@transaction.atomic
def import_attendance(*, by, course: Course, data: bytes | str, on: dt.date | None = None) -> AttendanceImport:
    """Update attendance of a course's roster from the CSV a provider sends.

    Columns: ``cuil`` (required), ``asistencias`` (sessions attended, 0..course sessions),
    ``estado`` (optional: cursando, finalizada, abandonó, no se presentó...), ``certificado``
    (optional certificate number). Every row is checked first; if any row has an error nothing
    is saved and the errors are reported with their line numbers (the first
    ``ATTENDANCE_MAX_ERRORS``, the rest counted). A file over ``ATTENDANCE_MAX_BYTES``,
    ``ATTENDANCE_MAX_ROWS`` or ``ATTENDANCE_MAX_COLUMNS`` is refused before its rows are checked.
    Reads the roster in one query and writes it with one bulk update.
    """
    require_perm(by, "training.change_referral")
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_province(by, course.province_id)
    on = on or timezone.localdate()
    result = AttendanceImport()
    try:
        rows = _read_csv(data)
    except UnicodeDecodeError:
        result.add_error(1, _("El archivo no está codificado en UTF-8."))
        return result
    except ValidationError as error:
        result.add_error(1, " ".join(error.messages))
        return result
    roster = {
        r.worker.cuil: r
        for r in Referral.objects.select_for_update(of=("self",)).filter(course=course).select_related("worker")
    }
    seen: set[str] = set()
    changed: list[Referral] = []
    for line_no, row in enumerate(rows, start=2):
        raw_cuil = row.get("cuil", "")
        cuil = compact_cuil(raw_cuil)
        if not is_valid_cuil(cuil):
            result.add_error(line_no, _("CUIL inválido: «%(cuil)s».") % {"cuil": raw_cuil})
            continue
        if cuil in seen:
            result.add_error(line_no, _("El CUIL %(cuil)s está repetido en el archivo.") % {"cuil": raw_cuil})
            continue
        seen.add(cuil)
        referral = roster.get(cuil)
        if referral is None:
            result.add_error(line_no, _("%(cuil)s no fue derivado/a a este curso.") % {"cuil": raw_cuil})
            continue
        row_errors = []
        attended = row.get("asistencias", "")
        if attended != "":
            if not (attended.isascii() and attended.isdigit()) or int(attended) > course.sessions:
                row_errors.append(
                    _("Asistencias debe ser un número entre 0 y %(max)s: «%(value)s».")
                    % {"max": course.sessions, "value": attended}
                )
            else:
                referral.sessions_attended = int(attended)
        word = row.get("estado", "").lower()
        if word:
            target = _STATUS_WORDS.get(word)
            if target is None:
                row_errors.append(_("Estado desconocido: «%(value)s».") % {"value": row.get("estado")})
            elif target != referral.status:
                # A provider reports where the person is; walk the shortest legal path there.
                path = [target]
                if target in (R.ATTENDING, R.COMPLETED, R.DROPPED) and referral.status == R.REFERRED:
                    path = [R.ACCEPTED, R.ATTENDING] + ([target] if target != R.ATTENDING else [])
                elif target in (R.COMPLETED, R.DROPPED) and referral.status == R.ACCEPTED:
                    path = [R.ATTENDING, target]
                try:
                    for step in path:
                        _apply_transition(referral, step, on)
                except ValidationError as error:
                    row_errors.extend(error.messages)
        certificate = row.get("certificado", "")
        if certificate:
            referral.certificate_number = certificate[:40]
            referral.certificate_issued = True
        if row_errors:
            for message in row_errors:
                result.add_error(line_no, message)
            continue
        changed.append(referral)
    if not rows:
        result.add_error(1, _("El archivo no tiene filas de datos."))
    if result.errors:
        return result
    with pghistory.context(user=by.pk, reason=_("Asistencia informada por la institución")):
        Referral.objects.bulk_update(
            changed,
            [
                "sessions_attended",
                "status",
                "status_changed_at",
                "accepted_on",
                "started_on",
                "ended_on",
                "certificate_number",
                "certificate_issued",
            ],
        )
    result.updated = len(changed)
    return result
