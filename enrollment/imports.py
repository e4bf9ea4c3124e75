"""Services for survey-list imports (padrones): upload → analyse → confirm → apply.

Kept apart from ``services.py`` because it is long and set-based; the same rules hold: every
write is here, keyword-only arguments, one transaction per step, and the docstring says the rule.

* ``analyse_import`` parses and validates every row in Python (no database per row) and, in
  one transaction, replaces the job's staging rows and errors with PostgreSQL ``COPY`` (valid
  rows streamed into it as they are checked) and computes the summary with joins. Running it
  again gives the same staging and summary.
* ``apply_import`` runs with the job row and the agreement's quota row locked: it updates known
  workers' contact data, inserts new workers (``INSERT … SELECT … ON CONFLICT (cuil) DO
  NOTHING``) and enrollments (``… ON CONFLICT (worker_id, cycle_id) DO NOTHING``, limited to the
  quota left), whose audit events the tables' statement-level triggers write set-based. A long
  list is written in chunks by parallel sessions, each chunk one transaction. A crash leaves
  nothing half-saved; a retry finishes; a second run, a re-upload of the same file or an
  overlapping list creates no duplicates.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import pghistory
import psycopg
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.ar import cbu as cbu_number
from stdnum.ar import cuit as cuit_number

from enrollment.models import Enrollment, ImportApplyPart, ImportJob, ImportRow, ImportRowError, Worker
from enrollment.selectors import quota_usage
from enrollment.services import can_register_in, registering_organisation
from enrollment.survey import SurveyFileError, Table, detect_format, is_blank, max_upload_bytes, read_table
from enrollment.validation import (
    CUIL_PREFIXES,
    MAX_LENGTHS,
    MAX_PLAUSIBLE_AGE,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    SEX_VALUES,
    ProvinceLookup,
    WorkerDataCleaner,
    age_on,
    bank_block_ok,
    collapse,
    fold,
    parse_date,
    text_of,
)
from provinces.audit import prepare_bulk_audit
from provinces.bulk import collector_paused
from provinces.models import Agreement, AgreementQuota, Crop, Cycle, Organisation
from provinces.roles import Role
from provinces.scoping import scope_of
from provinces.spreadsheets import spreadsheet_safe

J = ImportJob.Status
logger = logging.getLogger(__name__)
PROGRESS_EVERY = 5000
#: How long a session applying a chunk of a list waits for a lock before giving up (the task is
#: then retried).
CHUNK_LOCK_TIMEOUT = "60s"

STAGING_COLUMNS = (
    "job_id",
    "row_number",
    "cuil",
    "last_name",
    "first_name",
    "last_name_norm",
    "first_name_norm",
    "birth_date",
    "sex",
    "nationality",
    "phone",
    "address",
    "province_id",
    "locality",
    "cbu",
    "renatre",
)
ERROR_COLUMNS = ("job_id", "row_number", "column", "value", "message")


# --- reads -----------------------------------------------------------------------------------


def import_jobs_for(user) -> QuerySet[ImportJob]:
    """Jobs the user may see: all for national roles, their provinces' for provincial officers,
    their organisations' uploads for union officers."""
    qs = ImportJob.objects.select_related("cycle__agreement__province", "cycle__crop", "organisation", "uploaded_by")
    return scope_of(user).restrict(qs, provinces=("cycle__agreement__province_id",), organisation="organisation_id")


def registrable_cycles_for(user) -> QuerySet[Cycle]:
    """Open cycles of agreements in force where the user may register workers."""
    from provinces.selectors import cycles_for

    if not scope_of(user).has_role(Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER):
        return Cycle.objects.none()
    return cycles_for(user).filter(registration_open=True, agreement__status=Agreement.Status.ACTIVE)


def write_errors_csv(*, job: ImportJob, out: io.TextIOBase) -> None:
    """The job's problems as CSV (row, column, value, problem), in row order."""
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("fila"), _("columna"), _("valor"), _("problema")])
    for row_number, column, value, message in job.errors.values_list("row_number", "column", "value", "message"):
        # Cells copied from the uploaded file could hold a formula (``=HYPERLINK(...)``).
        texts = (spreadsheet_safe(column), spreadsheet_safe(value), spreadsheet_safe(message))
        writer.writerow([row_number or "", *texts])


# --- writes ----------------------------------------------------------------------------------


def require_job_actor(by, job: ImportJob) -> None:
    """Only members of the organisation that uploaded, who may register in the cycle."""
    registering_organisation(by, job.organisation)
    if not can_register_in(by, job.cycle):
        raise PermissionDenied(_("No puede inscribir en este período."))


@transaction.atomic
def create_import_job(*, by, upload, cycle: Cycle, organisation: Organisation | None = None) -> ImportJob:
    """Store an uploaded survey list for ``cycle`` and queue it for analysis.

    Rules: only provincial and union officers, in a cycle they may register in, open, under an
    agreement in force; the file is CSV or XLSX (by name and content), not empty and not larger
    than ``SURVEY_LIST_MAX_BYTES``. The caller queues ``tasks.analyse_import_job`` after commit.
    """
    organisation = registering_organisation(by, organisation)
    if not can_register_in(by, cycle):
        raise PermissionDenied(
            _("No puede inscribir en períodos de %(province)s.") % {"province": cycle.agreement.province}
        )
    if not cycle.registration_open or cycle.agreement.status != Agreement.Status.ACTIVE:
        raise ValidationError(
            {"cycle": _("La inscripción del período %(cycle)s está cerrada.") % {"cycle": cycle.name}}
        )
    limit = max_upload_bytes()
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _(
                    "El archivo pesa %(size)s MB y el máximo es %(limit)s MB. Divida el padrón en partes más chicas."
                )
                % {"size": round(upload.size / 1024 / 1024, 1), "limit": limit // (1024 * 1024)}
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": _("El archivo está vacío.")})
    upload.seek(0)
    head = upload.read(8192)
    try:
        file_format = detect_format(upload.name, head)
    except SurveyFileError as problem:
        raise ValidationError({"file": str(problem)}) from problem
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with pghistory.context(user=by.pk, reason="subida de padrón"):
        return ImportJob.objects.create(
            file=upload,
            original_name=upload.name[:255],
            file_format=file_format,
            sha256=digest.hexdigest(),
            uploaded_by=by,
            organisation=organisation,
            cycle=cycle,
            status=J.QUEUED,
        )


class Lookups:
    """Reference data one analysis needs, read once."""

    def __init__(self) -> None:
        self.provinces = ProvinceLookup.load()
        self.crops: dict[str, Crop] = {}
        for crop in Crop.objects.all():
            self.crops[crop.code.lower()] = crop
            self.crops[fold(crop.name)] = crop
            self.crops[fold(crop.code)] = crop


def validate_rows(
    table: Table,
    *,
    cycle: Cycle,
    lookups: Lookups,
    today: dt.date | None = None,
    job_id: int = 0,
    progress: Callable[[int], None] | None = None,
    sink: Callable[[tuple], None] | None = None,
) -> tuple[list[tuple], list[tuple], int]:
    """Check every row. Returns (staging tuples for valid rows, error tuples, rows with errors).
    With ``sink`` each valid row is handed to it as soon as it is checked instead of collected.

    Row rules on top of the worker's data: the activity is known and is the cycle's; 18 or older
    on the cycle's first day; residence in the agreement's province; a CUIL only once per file.

    Each row first goes through ``RowChecker.check``, which accepts only rows that pass every rule
    and gives exactly the values the full check below would; a row it does not accept (any
    problem, or anything unusual) goes through the full check, which names every problem.
    """
    cleaner = WorkerDataCleaner(provinces=lookups.provinces, today=today)
    quick = RowChecker(table, cycle=cycle, lookups=lookups, today=cleaner.today, job_id=job_id).check
    columns = table.columns
    labels = table.labels
    first_day = cycle.first_month
    province_id = cycle.agreement.province_id
    province_name = cycle.agreement.province.name
    first_row = table.first_row_number
    seen: dict[str, int] = {}
    valid: list[tuple] = []
    put = sink or valid.append
    errors: list[tuple] = []
    error_rows = 0
    for offset, row in enumerate(table.rows):
        if progress is not None and offset and offset % PROGRESS_EVERY == 0:
            progress(offset)
        number = offset + first_row  # as the spreadsheet numbers it
        staged = quick(row, number, seen)
        if staged is not None:
            seen[staged[2]] = number
            put(staged)
            continue
        if is_blank(row):
            continue
        width = len(row)
        record = {field: (row[index] if index < width else None) for field, index in columns.items()}
        values, problems = cleaner.clean(record)

        raw_crop = text_of(record.get("crop"))
        crop = lookups.crops.get(raw_crop.lower()) or lookups.crops.get(fold(raw_crop))
        if not raw_crop:
            problems.setdefault("crop", []).append(_("Este dato es obligatorio."))
        elif crop is None:
            problems.setdefault("crop", []).append(_("Actividad «%(value)s» desconocida.") % {"value": raw_crop})
        elif crop.pk != cycle.crop_id:
            problems.setdefault("crop", []).append(
                _("La actividad %(crop)s no corresponde al período (%(cycle_crop)s).")
                % {"crop": crop.name, "cycle_crop": cycle.crop.name}
            )
        birth = values.get("birth_date")
        if birth is not None and age_on(birth, first_day) < 18:
            problems.setdefault("birth_date", []).append(
                _("Menor de 18 años el %(day)s (primer día del período).") % {"day": first_day.strftime("%d/%m/%Y")}
            )
        province = values.get("province")
        if province is not None and province.pk != province_id:
            problems.setdefault("province", []).append(
                _("Reside en %(residence)s y el convenio es de %(province)s.")
                % {"residence": province.name, "province": province_name}
            )
        cuil = values.get("cuil")
        if cuil is not None and cuil in seen:
            problems.setdefault("cuil", []).append(
                _("CUIL repetido en el archivo: ya figura en la fila %(row)s.") % {"row": seen[cuil]}
            )
        if problems:
            error_rows += 1
            for field, messages in problems.items():
                value = text_of(record.get(field))[:200]
                for message in messages:
                    errors.append((job_id, number, labels.get(field, field)[:40], value, message))
            continue
        # A row without problems has both (a missing CUIL or province is a problem above).
        assert cuil is not None and province is not None
        seen[cuil] = number
        put(
            (
                job_id,
                number,
                cuil,
                values["last_name"],
                values["first_name"],
                values["last_name_norm"],
                values["first_name_norm"],
                birth,
                values["sex"],
                values.get("nationality") or "Argentina",
                values.get("phone", ""),
                values.get("address", ""),
                province.pk,
                values["locality"],
                values.get("cbu", ""),
                values.get("renatre", ""),
            )
        )
    return valid, errors, error_rows


class RowChecker:
    """The common case of ``validate_rows`` made cheap: a row whose every cell passes gives its
    staging tuple; ``None`` for anything else, which the full check then reports.

    It applies the same rules as ``WorkerDataCleaner.clean`` plus the row rules, and only accepts
    what they accept with the same values: the check digits are python-stdnum's, and what repeats
    across a list (dates and their age checks, sex, province, activity) is decided once per
    distinct value.
    """

    def __init__(self, table: Table, *, cycle: Cycle, lookups: Lookups, today: dt.date, job_id: int) -> None:
        self.job_id = job_id
        self.today = today
        self.first_day = cycle.first_month
        self.province_id = cycle.agreement.province_id
        self.crop_id = cycle.crop_id
        self.lookups = lookups
        columns = table.columns
        self.index = {field: columns.get(field, -1) for field in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS, "crop")}
        self.width = max(self.index.values()) + 1
        #: without every required column (``read_table`` refuses such a file) nothing is quick
        self.usable = all(self.index[field] >= 0 for field in (*REQUIRED_FIELDS, "crop"))
        self.dates: dict[object, dt.date | None] = {}
        self.sexes: dict[str, str | None] = {}
        self.places: dict[str, bool] = {}
        self.crops: dict[str, bool] = {}
        self.check = self._build() if self.usable else (lambda row, number, seen: None)

    def _date(self, cell: object) -> dt.date | None:
        try:
            birth = parse_date(cell)
        except Exception:
            return None
        if (
            birth is None
            or birth > self.today
            or age_on(birth, self.today) > MAX_PLAUSIBLE_AGE
            or age_on(birth, self.first_day) < 18
        ):
            return None
        return birth

    def _sex(self, text: str) -> str | None:
        return SEX_VALUES.get(text) or SEX_VALUES.get(fold(text))

    def _place(self, text: str) -> bool:
        province = self.lookups.provinces.find(text)
        return province is not None and province.pk == self.province_id

    def _crop(self, text: str) -> bool:
        crops = self.lookups.crops
        crop = crops.get(text.lower()) or crops.get(fold(text))
        return crop is not None and crop.pk == self.crop_id

    def _build(self) -> Callable[[list, int, dict], tuple | None]:
        i = self.index
        i_cuil, i_last, i_first, i_birth, i_sex = i["cuil"], i["last_name"], i["first_name"], i["birth_date"], i["sex"]
        i_province, i_locality, i_crop = i["province"], i["locality"], i["crop"]
        i_nat, i_phone, i_address, i_cbu, i_renatre = (
            i["nationality"],
            i["phone"],
            i["address"],
            i["cbu"],
            i["renatre"],
        )
        width, job_id, province_id = self.width, self.job_id, self.province_id
        dates, sexes, places, crops = self.dates, self.sexes, self.places, self.crops
        date_of, sex_of, place_ok, crop_ok = self._date, self._sex, self._place, self._crop
        max_last, max_first, max_locality = MAX_LENGTHS["last_name"], MAX_LENGTHS["first_name"], MAX_LENGTHS["locality"]
        max_nat, max_phone, max_address = MAX_LENGTHS["nationality"], MAX_LENGTHS["phone"], MAX_LENGTHS["address"]
        max_renatre = MAX_LENGTHS["renatre"]
        prefixes = CUIL_PREFIXES
        bank_ok = bank_block_ok
        cuil_digit, cbu_digit = cuit_number.calc_check_digit, cbu_number.calc_check_digit

        strip = str.strip

        def check(row: list, number: int, seen: dict) -> tuple | None:
            if len(row) < width:
                return None
            try:
                cells = list(map(strip, row))
            except TypeError:  # numbers or dates from a workbook
                cells = [cell.strip() if type(cell) is str else text_of(cell) for cell in row]
            cells.append("")  # what a missing optional column (index -1) reads
            cuil = cells[i_cuil]
            if not cuil.isdigit():
                cuil = cuil.replace("-", "").replace(" ", "")
            if not (len(cuil) == 11 and cuil.isascii() and cuil.isdigit() and cuil[:2] in prefixes):
                return None
            if cuil_digit(cuil[:10]) != cuil[10] or cuil in seen:
                return None
            key = row[i_birth]
            if type(key) is str:
                key = cells[i_birth]
            if not key:
                return None
            birth = dates.get(key)
            if birth is None:
                if key in dates:
                    return None
                birth = dates[key] = date_of(key)
                if birth is None:
                    return None
            key = cells[i_sex]
            sex = sexes.get(key)
            if sex is None:
                if not key or key in sexes:
                    return None
                sex = sexes[key] = sex_of(key)
                if sex is None:
                    return None
            key = cells[i_province]
            ok = places.get(key)
            if ok is None:
                if not key:
                    return None
                ok = places[key] = place_ok(key)
            if not ok:
                return None
            key = cells[i_crop]
            ok = crops.get(key)
            if ok is None:
                if not key:
                    return None
                ok = crops[key] = crop_ok(key)
            if not ok:
                return None
            last_name, first_name, locality = cells[i_last], cells[i_first], cells[i_locality]
            nationality, phone, address, renatre = cells[i_nat], cells[i_phone], cells[i_address], cells[i_renatre]
            joined = "|".join(cells)
            if "  " in joined or "\t" in joined or "\n" in joined:
                last_name, first_name, locality = collapse(last_name), collapse(first_name), collapse(locality)
                nationality, phone, address = collapse(nationality), collapse(phone), collapse(address)
                renatre = collapse(renatre)
            if not (
                0 < len(last_name) <= max_last
                and 0 < len(first_name) <= max_first
                and 0 < len(locality) <= max_locality
                and len(nationality) <= max_nat
                and len(phone) <= max_phone
                and len(address) <= max_address
                and len(renatre) <= max_renatre
            ):
                return None
            cbu = cells[i_cbu]
            if cbu:
                if not (len(cbu) == 22 and cbu.isascii() and cbu.isdigit() and bank_ok(cbu[:8])):
                    return None
                if cbu_digit(cbu[8:21]) != cbu[21]:
                    return None
            return (
                job_id,
                number,
                cuil,
                last_name,
                first_name,
                fold(last_name),
                fold(first_name),
                birth,
                sex,
                nationality or "Argentina",
                phone,
                address,
                province_id,
                locality,
                cbu,
                renatre,
            )

        return check


def copy_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Load ``rows`` into ``table`` with PostgreSQL COPY (one round trip, no per-row INSERT)."""
    if not rows:
        return
    cols = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _column_types(table: str, columns: tuple[str, ...]) -> list[int]:
    """The type (oid) of each of ``columns`` of ``table``, for a binary COPY."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
            [table],
        )
        types = dict(cursor.fetchall())
    return [types[column] for column in columns]


def _set_status(job: ImportJob, status: str, **fields) -> None:
    with pghistory.context(user=job.uploaded_by_id, reason=f"padrón {job.pk}: {J(status).label}"):
        ImportJob.objects.filter(pk=job.pk).update(status=status, **fields)
    job.status = status
    for name, value in fields.items():
        setattr(job, name, value)


def _fail(job: ImportJob, message: str) -> ImportJob:
    with transaction.atomic():
        ImportRow.objects.filter(job=job).delete()
        ImportRowError.objects.filter(job=job).delete()
        ImportRowError.objects.create(job=job, row_number=0, column="", message=message)
        _set_status(job, J.FAILED, error_message=message, finished_at=timezone.now())
    return job


def analyse_import(*, job_id: int) -> ImportJob:
    """Parse and validate the job's file, stage valid rows and errors, compute the summary.

    Idempotent: a job already analysed is left alone; one interrupted half-way is analysed again
    from the start, replacing whatever was staged, all in one transaction.
    """
    job = ImportJob.objects.select_related("cycle__agreement__province", "cycle__crop").get(pk=job_id)
    # Claimed with one conditional UPDATE, so a late duplicate delivery cannot pull a job that
    # was analysed (or confirmed) meanwhile back to "analysing".
    with pghistory.context(user=job.uploaded_by_id, reason=f"padrón {job.pk}: {J.ANALYSING.label}"):
        claimed = ImportJob.objects.filter(pk=job.pk, status__in=[J.QUEUED, J.ANALYSING]).update(
            status=J.ANALYSING, processed_rows=0, total_rows=0
        )
    if not claimed:
        job.refresh_from_db()
        return job
    job.status = J.ANALYSING
    # A list is millions of cells: without the cyclic collector, Python does not walk all of them
    # again every few hundred allocations (a third of the time of reading and checking them).
    with collector_paused():
        return _analyse(job)


def _analyse(job: ImportJob) -> ImportJob:
    started = time.perf_counter()
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        table = read_table(data, job.file_format)
    except SurveyFileError as problem:
        return _fail(job, str(problem))
    except OSError:
        return _fail(job, _("No se encontró el archivo subido; vuelva a subirlo."))
    total = len(table.rows)
    ImportJob.objects.filter(pk=job.pk).update(total_rows=total, processed_rows=0)
    timings = {"read": time.perf_counter() - started}

    # The valid rows go into COPY as they are checked, so PostgreSQL stores them on the other core
    # while Python checks the next ones. The connection is busy with COPY meanwhile, so progress
    # is reported through a second one (in autocommit, visible to the page at once).
    progress_connection = None

    def progress(done: int) -> None:
        nonlocal progress_connection
        if progress_connection is None:
            progress_connection = connections.create_connection(DEFAULT_DB_ALIAS)
        with progress_connection.cursor() as cursor:
            cursor.execute(f"UPDATE {ImportJob._meta.db_table} SET processed_rows = %s WHERE id = %s", [done, job.pk])

    lookups = Lookups()
    staged = 0
    try:
        with transaction.atomic():
            # The staged rows' reference to their job is kept by this lock (the staging table has
            # no foreign key to check it row by row): the job cannot be deleted meanwhile.
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT 1 FROM {ImportJob._meta.db_table} WHERE id = %s FOR KEY SHARE", [job.pk])
            ImportRow.objects.filter(job=job).delete()
            ImportRowError.objects.filter(job=job).delete()
            cols = ", ".join(f'"{c}"' for c in STAGING_COLUMNS)
            types = _column_types(ImportRow._meta.db_table, STAGING_COLUMNS)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {ImportRow._meta.db_table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy,
            ):
                # Binary: each value goes as it is, without writing it out and escaping it as text.
                copy.set_types(types)

                def stage(row: tuple) -> None:
                    nonlocal staged
                    copy.write_row(row)
                    staged += 1

                _streamed, errors, error_rows = validate_rows(
                    table, cycle=job.cycle, lookups=lookups, job_id=job.pk, progress=progress, sink=stage
                )
                timings["validate"] = time.perf_counter() - started - sum(timings.values())
            copy_rows(ImportRowError._meta.db_table, ERROR_COLUMNS, errors)
            timings["finish staging with COPY"] = time.perf_counter() - started - sum(timings.values())
            # Another run of the same job (a duplicate delivery) may have finished meanwhile.
            locked = ImportJob.objects.select_for_update(no_key=True).get(pk=job.pk)
            if locked.status != J.ANALYSING:
                raise _SupersededError(locked)
            summary = _summarise(job)
            timings["summarise"] = time.perf_counter() - started - sum(timings.values())
            _set_status(
                job,
                J.READY,
                total_rows=total,
                processed_rows=total,
                valid_rows=staged,
                error_rows=error_rows,
                analysed_at=timezone.now(),
                **summary,
            )
    except _SupersededError as superseded:
        return superseded.job
    except (DatabaseError, psycopg.Error):
        # Rolled back. A concurrent run of the same job that committed first makes this one's
        # COPY collide with its rows; that run's result stands. Anything else is raised.
        job.refresh_from_db()
        if job.status != J.ANALYSING:
            return job
        raise
    finally:
        if progress_connection is not None:
            progress_connection.close()
    logger.info("import %s analysed: %s", job.pk, ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    return job


class _SupersededError(Exception):
    def __init__(self, job: ImportJob) -> None:
        super().__init__(job.pk)
        self.job = job


def _summarise(job: ImportJob) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*), count(w.id), count(e.id)
            FROM {ImportRow._meta.db_table} r
            LEFT JOIN {Worker._meta.db_table} w ON w.cuil = r.cuil
            LEFT JOIN {Enrollment._meta.db_table} e ON e.worker_id = w.id AND e.cycle_id = %s
            WHERE r.job_id = %s
            """,
            [job.cycle_id, job.pk],
        )
        valid, known, enrolled = cursor.fetchone()
    quota = AgreementQuota.objects.filter(agreement_id=job.cycle.agreement_id, crop_id=job.cycle.crop_id).first()
    used = quota_usage(agreement=job.cycle.agreement, crop=job.cycle.crop)
    return {
        "known_workers": known,
        "new_workers": valid - known,
        "already_enrolled": enrolled,
        "enrollments_to_create": valid - enrolled,
        "quota_available": max((quota.quota if quota else 0) - used, 0),
    }


@transaction.atomic
def confirm_import(*, job: ImportJob, by) -> ImportJob:
    """The uploader's organisation confirms the summary; the caller queues ``apply_import_job``.

    Rules: a member of the uploading organisation who may register in the cycle; only a job
    ready to confirm, whose cycle is still open.
    """
    require_job_actor(by, job)
    locked = ImportJob.objects.select_for_update(of=("self",)).select_related("cycle__agreement").get(pk=job.pk)
    if locked.status != J.READY:
        raise ValidationError(
            _("Este padrón no está listo para confirmar (estado: %(status)s).")
            % {"status": locked.get_status_display()}
        )
    if not locked.cycle.registration_open or locked.cycle.agreement.status != Agreement.Status.ACTIVE:
        raise ValidationError(_("La inscripción del período %(cycle)s está cerrada.") % {"cycle": locked.cycle.name})
    with pghistory.context(user=by.pk, reason="confirmación de padrón"):
        locked.status = J.CONFIRMED
        locked.confirmed_by = by
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return locked


@transaction.atomic
def cancel_import(*, job: ImportJob, by) -> ImportJob:
    """Discard a job that was not applied; its staged rows are deleted, its errors kept."""
    require_job_actor(by, job)
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.status not in (J.READY, J.FAILED, J.QUEUED):
        raise ValidationError(_("Solo se descarta un padrón que no fue confirmado."))
    ImportRow.objects.filter(job=locked).delete()
    with pghistory.context(user=by.pk, reason="padrón descartado"):
        locked.status = J.CANCELLED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "finished_at"])
    return locked


def import_reason(job: ImportJob) -> str:
    """The reason the enrollments a job creates carry (and by which they are found again)."""
    return f"importación de padrón {job.pk}"


def submitted_enrollment_ids(*, job: ImportJob) -> list[int]:
    """The job's enrollments still waiting for screening."""
    return list(
        Enrollment.objects.filter(
            cycle_id=job.cycle_id, status=Enrollment.Status.SUBMITTED, status_reason=import_reason(job)
        ).values_list("pk", flat=True)
    )


def _chunk_count(staged: int) -> int:
    """Into how many chunks a list of ``staged`` rows is split (1: applied in one transaction)."""
    if settings.SURVEY_LIST_APPLY_SESSIONS < 2 or staged < settings.SURVEY_LIST_PARALLEL_MIN_ROWS:
        return 1
    return max(2, -(-staged // settings.SURVEY_LIST_APPLY_CHUNK_ROWS))


def apply_import(*, job_id: int) -> ImportJob:
    """Create the workers and enrollments of a confirmed job, set-based.

    Rules: the agreement's quota for the activity is never exceeded — its row is locked and only
    the places left are filled, in file order; rows left without a place are reported. Known
    workers keep their identity (names, birth date, sex) and get the list's contact data and
    residence; new workers are registered by the uploading organisation. One enrollment per
    worker and cycle is guaranteed by the database (``ON CONFLICT DO NOTHING``).

    A list shorter than ``SURVEY_LIST_PARALLEL_MIN_ROWS`` (or one applied inside the caller's
    transaction) is applied in this transaction, all or nothing. A longer one, when its rows all
    fit in the quota, is split into chunks of consecutive CUILs (``_chunks``) that
    ``SURVEY_LIST_APPLY_SESSIONS`` sessions apply at the same time, one transaction per chunk,
    which records the chunk (``ImportApplyPart``) with its rows; meanwhile this transaction keeps
    the job and quota rows locked, so nobody else takes a place, and marks the job done once
    every chunk has committed. A crash leaves whole chunks: a retry applies those not recorded
    and adds up all of them.
    """
    nested = connection.in_atomic_block
    started = time.perf_counter()
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",), no_key=True)
            .select_related("cycle__agreement", "cycle__crop")
            .get(pk=job_id)
        )
        if job.status != J.CONFIRMED:
            return job  # done already, or never confirmed: nothing to do
        cycle = job.cycle
        if not cycle.registration_open or cycle.agreement.status != Agreement.Status.ACTIVE:
            message = _("La inscripción del período %(cycle)s se cerró antes de importar.") % {"cycle": cycle.name}
            ImportRowError.objects.create(job=job, row_number=0, message=message)
            _set_status(job, J.FAILED, error_message=message, finished_at=timezone.now())
            return job
        quota = (
            AgreementQuota.objects.select_for_update()
            .filter(agreement_id=cycle.agreement_id, crop_id=cycle.crop_id)
            .first()
        )
        used = quota_usage(agreement=cycle.agreement, crop=cycle.crop)
        left = max((quota.quota if quota else 0) - used, 0)
        now = timezone.now()
        # The analysis staged exactly the valid rows, in the transaction that counted them, and
        # nothing else writes or removes staged rows of a confirmed job.
        staged = job.valid_rows
        done = list(ImportApplyPart.objects.filter(job=job))
        parts = done[0].parts if done else _chunk_count(staged)
        chunks = _chunks(job, parts, staged) if parts > 1 else []
        finished = {d.part for d in done}
        pending = [chunk for chunk in chunks if chunk.part not in finished]
        if parts > 1 and not nested and left >= sum(chunk.rows for chunk in pending):
            prepared = time.perf_counter()
            _apply_chunks(job, pending, parts=parts, now=now)
            logger.info(
                "import %s applied in %s chunks: locks, quota and chunks %.2fs, chunks written %.2fs",
                job.pk,
                len(pending),
                prepared - started,
                time.perf_counter() - prepared,
            )
            counts: dict[str, int] = {}
        else:
            with _writing_rows(job) as cursor:
                # With places for every staged row (the usual case) there is nothing to choose.
                counts, timings = _write_rows(
                    cursor, job, now=now, staged=staged, left=None if left >= staged else left
                )
            logger.info("import %s applied: %s", job.pk, ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
        counts.setdefault("over_quota", 0)
        fields = ("created_workers", "updated_workers", "created_enrollments")
        chunked = ImportApplyPart.objects.filter(job=job).aggregate(**{field: Sum(field) for field in fields})
        for field in fields:
            counts[field] = counts.get(field, 0) + (chunked[field] or 0)
        _set_status(job, J.DONE, **counts, finished_at=timezone.now())
    return job


@dataclass(frozen=True)
class _Chunk:
    """Staged rows whose CUIL is in [``first``, ``after``) (``after`` None: to the end)."""

    part: int
    first: str
    after: str | None
    rows: int


def _chunks(job: ImportJob, parts: int, staged: int) -> list[_Chunk]:
    """The job's ``staged`` rows in at most ``parts`` chunks of consecutive CUILs, all of the same
    size but the last.

    By CUIL, so that each chunk is read through the staging table's (job, CUIL) index and writes
    its own stretch of the CUIL and DNI indexes. The same staged rows always give the same chunks,
    so a retry finds the chunks an earlier attempt recorded."""
    size = -(-staged // parts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT cuil FROM (
                SELECT cuil, row_number() OVER (ORDER BY cuil) AS n
                FROM {ImportRow._meta.db_table} WHERE job_id = %s
            ) r
            WHERE (n - 1) %% %s = 0
            ORDER BY n
            """,
            [job.pk, size],
        )
        firsts = [cuil for (cuil,) in cursor.fetchall()]
    return [
        _Chunk(
            part,
            first,
            firsts[part + 1] if part + 1 < len(firsts) else None,
            min(size, staged - part * size),
        )
        for part, first in enumerate(firsts)
    ]


def _apply_chunks(job: ImportJob, chunks: list[_Chunk], *, parts: int, now: dt.datetime) -> None:
    """Apply the chunks with ``SURVEY_LIST_APPLY_SESSIONS`` sessions at the same time, each taking
    every n-th chunk in order, one transaction per chunk. Raise the first error once every session
    has stopped (the chunks that committed stay recorded).

    Each session starts once the previous one has inserted the workers of its first chunk, so
    while one inserts workers the other mostly inserts enrollments: the two write to different
    tables and indexes rather than take turns on the same index pages."""
    sessions = max(1, min(settings.SURVEY_LIST_APPLY_SESSIONS, len(chunks)))
    started = [threading.Event() for _ in range(sessions)]
    failed = threading.Event()
    with ThreadPoolExecutor(max_workers=sessions) as pool:
        futures = [
            pool.submit(
                _apply_session,
                job,
                chunks[number::sessions],
                parts=parts,
                now=now,
                after=started[number - 1] if number else None,
                started=started[number],
                failed=failed,
            )
            for number in range(sessions)
        ]
    for future in futures:
        future.result()


def _apply_session(
    job: ImportJob,
    chunks: list[_Chunk],
    *,
    parts: int,
    now: dt.datetime,
    after: threading.Event | None,
    started: threading.Event,
    failed: threading.Event,
) -> None:
    """One session's chunks, each in its own transaction, in this thread's own connection."""
    totals: dict[str, float] = {}
    try:
        if after is not None:
            after.wait()
        for chunk in chunks:
            if failed.is_set():
                return
            # The coordinating transaction waits for this one outside the database, where
            # PostgreSQL cannot see a deadlock: never wait for a lock for ever.
            with _writing_rows(job, lock_timeout=CHUNK_LOCK_TIMEOUT) as cursor:
                counts, timings = _write_rows(
                    cursor, job, now=now, staged=chunk.rows, chunk=chunk, workers_written=started.set
                )
                ImportApplyPart.objects.create(
                    job=job, part=chunk.part, parts=parts, rows=chunk.rows, finished_at=timezone.now(), **counts
                )
            for step, seconds in timings.items():
                totals[step] = totals.get(step, 0.0) + seconds
    except BaseException:
        failed.set()
        raise
    finally:
        started.set()
        connection.close()
    logger.info(
        "import %s chunks %s applied: %s",
        job.pk,
        ", ".join(str(chunk.part + 1) for chunk in chunks),
        ", ".join(f"{k} {v:.2f}s" for k, v in totals.items()),
    )


@contextmanager
def _writing_rows(job: ImportJob, *, lock_timeout: str | None = None) -> Iterator[CursorWrapper]:
    """A cursor, in a transaction (this one, or a new one in a chunk's session), set up for
    ``_write_rows``: the audit trail's context (the confirming user and the reason), the bulk
    audit prepared (the update trigger stays on), and foreign keys checked per statement rather
    than all at COMMIT, so that the timings in the log say where the time goes."""
    with (
        pghistory.context(user=job.confirmed_by_id, reason=import_reason(job)),
        transaction.atomic(savepoint=False),
        connection.cursor() as cursor,
    ):
        prepare_bulk_audit(cursor)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if lock_timeout is not None:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
        yield cursor


def _write_rows(
    cursor,
    job: ImportJob,
    *,
    now: dt.datetime,
    staged: int,
    chunk: _Chunk | None = None,
    left: int | None = None,
    workers_written: Callable[[], object] | None = None,
) -> tuple[dict[str, int], dict[str, float]]:
    """The statements that write a job's ``staged`` rows (or one chunk of them): insert new
    workers, update known workers, insert enrollments; with ``left`` places for fewer rows than
    staged, only the first ``left`` rows not enrolled yet, in file order, and the rest reported.
    Returns the counts and the time each statement took."""
    rows, workers, enrollments, errors = (
        ImportRow._meta.db_table,
        Worker._meta.db_table,
        Enrollment._meta.db_table,
        ImportRowError._meta.db_table,
    )
    cycle = job.cycle
    where = "r.job_id = %s"
    picked: list[object] = [job.pk]
    if chunk is not None:
        where += " AND r.cuil >= %s"
        picked.append(chunk.first)
        if chunk.after is not None:
            where += " AND r.cuil < %s"
            picked.append(chunk.after)
    started = time.perf_counter()
    # The insert events (with the confirming user and the reason) are written by the tables'
    # statement-level audit triggers, set-based from the rows each statement inserted.
    cursor.execute(
        f"""
        INSERT INTO {workers} (cuil, last_name, first_name, last_name_norm, first_name_norm, birth_date, sex,
            nationality, phone, address, province_id, locality, cbu, renatre, registered_by_id,
            created_at, updated_at)
        SELECT r.cuil, r.last_name, r.first_name, r.last_name_norm, r.first_name_norm, r.birth_date, r.sex,
            r.nationality, r.phone, r.address, r.province_id, r.locality, r.cbu, r.renatre, %s, %s, %s
        FROM {rows} r
        WHERE {where}
        ON CONFLICT (cuil) DO NOTHING
        """,
        [job.organisation_id, now, now, *picked],
    )
    counts = {"created_workers": cursor.rowcount, "updated_workers": 0}
    timings = {"insert workers": time.perf_counter() - started}
    # Known workers (the staged rows the insert skipped) get the list's contact data and residence;
    # the rows just inserted already have them and are left alone by the IS DISTINCT FROM.
    if counts["created_workers"] < staged:
        cursor.execute(
            f"""
            UPDATE {workers} w SET
                nationality = r.nationality,
                phone = COALESCE(NULLIF(r.phone, ''), w.phone),
                address = COALESCE(NULLIF(r.address, ''), w.address),
                province_id = r.province_id,
                locality = r.locality,
                cbu = COALESCE(NULLIF(r.cbu, ''), w.cbu),
                renatre = COALESCE(NULLIF(r.renatre, ''), w.renatre),
                updated_at = %s
            FROM {rows} r
            WHERE {where} AND w.cuil = r.cuil
              AND (w.nationality, w.phone, w.address, w.province_id, w.locality, w.cbu, w.renatre)
                  IS DISTINCT FROM
                  (r.nationality, COALESCE(NULLIF(r.phone, ''), w.phone), COALESCE(NULLIF(r.address, ''), w.address),
                   r.province_id, r.locality, COALESCE(NULLIF(r.cbu, ''), w.cbu),
                   COALESCE(NULLIF(r.renatre, ''), w.renatre))
            """,
            [now, *picked],
        )
        counts["updated_workers"] = cursor.rowcount
    timings["update known workers"] = time.perf_counter() - started - sum(timings.values())
    if workers_written is not None:
        workers_written()
    cursor.execute(
        f"""
        INSERT INTO {enrollments} (worker_id, cycle_id, organisation_id, registered_by_id, status,
            status_reason, status_changed_at, status_changed_by_id, created_at)
        SELECT w.id, %s, %s, %s, %s, %s, %s, %s, %s
        FROM {rows} r
        JOIN {workers} w ON w.cuil = r.cuil
        WHERE {where}
        """
        + (
            ""
            if left is None
            else f"""
          AND NOT EXISTS (SELECT 1 FROM {enrollments} e WHERE e.worker_id = w.id AND e.cycle_id = %s)
        ORDER BY r.row_number
        LIMIT %s
        """
        )
        + " ON CONFLICT (worker_id, cycle_id) DO NOTHING",
        [
            cycle.pk,
            job.organisation_id,
            job.uploaded_by_id,
            Enrollment.Status.SUBMITTED,
            import_reason(job),
            now,
            job.confirmed_by_id,
            now,
            *picked,
            *([] if left is None else [cycle.pk, left]),
        ],
    )
    counts["created_enrollments"] = cursor.rowcount
    timings["insert enrollments"] = time.perf_counter() - started - sum(timings.values())
    if left is not None:
        cursor.execute(
            f"""
            INSERT INTO {errors} (job_id, row_number, "column", value, message)
            SELECT r.job_id, r.row_number, 'cuil', r.cuil, %s
            FROM {rows} r
            JOIN {workers} w ON w.cuil = r.cuil
            WHERE {where}
              AND NOT EXISTS (SELECT 1 FROM {enrollments} e WHERE e.worker_id = w.id AND e.cycle_id = %s)
            """,
            [
                _("Sin lugar en el cupo de %(crop)s del convenio %(number)s.")
                % {"crop": cycle.crop.name, "number": cycle.agreement.number},
                *picked,
                cycle.pk,
            ],
        )
        counts["over_quota"] = cursor.rowcount
        timings["report rows without a place"] = time.perf_counter() - started - sum(timings.values())
    return counts, timings


def purge_staged_rows(*, job_id: int) -> int:
    """Delete the staged rows of a job that was applied or discarded (its counters and errors
    stay). Run after ``apply_import`` commits, so the person does not wait for it."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status not in (J.DONE, J.CANCELLED):
        return 0
    deleted, _ = ImportRow.objects.filter(job=job).delete()
    return deleted
