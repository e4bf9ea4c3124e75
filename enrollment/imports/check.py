"""Checking a survey list's rows, in Python and without the database per row: ``validate_rows``
runs each row through a ``RowChecker`` with the reference data read once (``Lookups``).

Rules: the columns of docs/survey-list.md; a valid CUIL (check digit, prefix), names, a birth
date making the worker 18 or older on the first day of the row's period (and plausible), sex, a
province and a valid CBU when given; a province and activity with an open period the uploader
registers in (``routes``), where the row goes; a CUIL already seen earlier in the list is a problem
on the later row — and when the two rows give other names or another birth date, two people
share one CUIL: both rows are held for an identity review (``HeldRows``), never merged or
dropped. Every problem is reported per row and column, never raised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from stdnum.ar import cbu as cbu_number
from stdnum.ar import cuit as cuit_number

from enrollment.imports.read import Table, is_blank
from enrollment.imports.routes import Route, Routes
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
from provinces.models import Crop, Cycle

#: Rows checked between two progress reports.
PROGRESS_EVERY = 5000

#: The heading a problem names for a column the file may leave out (its rows then take the
#: province or activity of the period chosen on the upload form).
DEFAULTED_HEADINGS = {"province": "provincia", "crop": "actividad"}


class Lookups:
    """Reference data one analysis needs, read once."""

    def __init__(self) -> None:
        self.provinces = ProvinceLookup.load()
        self.crops: dict[str, Crop] = {}
        for crop in Crop.objects.all():
            self.crops[crop.code.lower()] = crop
            self.crops[fold(crop.name)] = crop
            self.crops[fold(crop.code)] = crop


class Problems(list):
    """Error tuples of a list: the first ``limit`` kept, the rest only counted (``unlisted``), so
    that a file of a million wrong rows stores ``SURVEY_LIST_MAX_ERRORS`` rows, not eight million."""

    def __init__(self, limit: int | None = None) -> None:
        super().__init__()
        self.limit = settings.SURVEY_LIST_MAX_ERRORS if limit is None else limit
        self.unlisted = 0

    def append(self, item: tuple) -> None:
        if len(self) < self.limit:
            super().append(item)
        else:
            self.unlisted += 1


@dataclass
class HeldRows:
    """Rows held because one CUIL names two different people in the list: the later rows'
    staging tuples, and for each such CUIL the first row (staged already) and the later one."""

    rows: list[tuple] = field(default_factory=list)
    first_rows: dict[str, tuple[int, int]] = field(default_factory=dict)


#: What the shipped template writes before the CUIL of each example row, so that an example
#: left in a list is never imported as a person (one was once paid in a bank file).
EXAMPLE_MARKER = "EJEMPLO"


def is_example(cell) -> bool:
    return text_of(cell).upper().startswith(EXAMPLE_MARKER)


def example_message() -> str:
    return _("Fila de ejemplo de la plantilla: bórrela y cargue en su lugar los datos de cada persona.")


def two_people_message(other_row: int) -> str:
    return _(
        "El mismo CUIL figura en la fila %(row)s con otro nombre o fecha de nacimiento: las dos filas "
        "quedan retenidas — datos en conflicto, requiere revisión."
    ) % {"row": other_row}


def _other_person(first: tuple, values: dict) -> bool:
    """Whether a later row's cleaned ``values`` name someone else than the ``first`` staged row."""
    return (
        ("last_name_norm" in values and values["last_name_norm"] != first[5])
        or ("first_name_norm" in values and values["first_name_norm"] != first[6])
        or ("birth_date" in values and values["birth_date"] != first[7])
    )


def validate_rows(
    table: Table,
    *,
    cycle: Cycle,
    lookups: Lookups,
    routes: Routes | None = None,
    today: dt.date | None = None,
    job_id: int = 0,
    progress: Callable[[int], None] | None = None,
    sink: Callable[[tuple], None] | None = None,
    held: HeldRows | None = None,
    period_errors: dict[int, int] | None = None,
) -> tuple[list[tuple], Problems, int]:
    """Check every row. Returns (staging tuples for valid rows, error tuples, rows with errors);
    past ``SURVEY_LIST_MAX_ERRORS`` errors are counted, not kept (``Problems``).
    With ``sink`` each valid row is handed to it as soon as it is checked instead of collected.
    With ``held``, a later row giving a CUIL seen earlier to another person (and otherwise
    valid) is collected there with its problem line, not counted as a row with errors.

    Row rules on top of the worker's data: the province of residence and the activity are known
    and have an open period the uploader registers in (``routes``; without them, ``cycle`` alone),
    the period the row goes to; 18 or older on that period's first day; a CUIL only once per file.
    ``cycle`` is the period chosen on the form: rows of a file without the province or activity
    column take its own. With ``period_errors``, the rows with problems are counted there by the
    period they would have gone to (when that is known).

    Each row first goes through ``RowChecker.check``, which accepts only rows that pass every rule
    and gives exactly the values the full check below would; a row it does not accept (any
    problem, or anything unusual) goes through the full check, which names every problem.
    """
    routes = routes or Routes.only(cycle)
    cleaner = WorkerDataCleaner(provinces=lookups.provinces, today=today)
    quick = RowChecker(table, cycle=cycle, lookups=lookups, routes=routes, today=cleaner.today, job_id=job_id).check
    columns = table.columns
    labels = {**DEFAULTED_HEADINGS, **table.labels}
    defaults = _defaults(table, cycle)
    first_row = table.first_row_number
    # CUIL → the staging tuple of its first valid row (its number, folded names and birth date).
    seen: dict[str, tuple] = {}
    valid: list[tuple] = []
    put = sink or valid.append
    errors = Problems()
    error_rows = 0
    for offset, row in enumerate(table.rows):
        if progress is not None and offset and offset % PROGRESS_EVERY == 0:
            progress(offset)
        number = offset + first_row  # as the spreadsheet numbers it
        staged = quick(row, number, seen)
        if staged is not None:
            seen[staged[2]] = staged
            put(staged)
            continue
        if is_blank(row):
            continue
        width = len(row)
        record = {field: (row[index] if index < width else None) for field, index in columns.items()}
        record.update(defaults)
        if is_example(record.get("cuil")):
            error_rows += 1
            cell = text_of(record.get("cuil"))[:200]
            errors.append((job_id, number, labels.get("cuil", "cuil")[:40], cell, example_message()))
            continue
        values, problems = cleaner.clean(record)

        raw_crop = text_of(record.get("crop"))
        crop = lookups.crops.get(raw_crop.lower()) or lookups.crops.get(fold(raw_crop))
        if not raw_crop:
            problems.setdefault("crop", []).append(_("Este dato es obligatorio."))
        elif crop is None:
            problems.setdefault("crop", []).append(_("Actividad «%(value)s» desconocida.") % {"value": raw_crop})
        province = values.get("province")
        route: Route | None = None
        if province is not None and crop is not None:
            route = routes.route(province.pk, crop.pk)
            if route.cycle is None:
                problems.setdefault(route.field, []).append(route.message)
        # The age is checked on the first day of the row's period (the chosen one when unknown).
        period = route.cycle if route is not None and route.cycle is not None else cycle
        first_day = period.first_month
        birth = values.get("birth_date")
        if birth is not None and age_on(birth, first_day) < 18:
            problems.setdefault("birth_date", []).append(
                _("Menor de 18 años el %(day)s (primer día del período).") % {"day": first_day.strftime("%d/%m/%Y")}
            )
        cuil = values.get("cuil")
        first = seen.get(cuil) if cuil is not None else None
        two_people = first is not None and held is not None and _other_person(first, values)
        if first is not None and two_people:
            assert held is not None and cuil is not None
            held.first_rows.setdefault(cuil, (first[1], number))
            problems.setdefault("cuil", []).append(two_people_message(first[1]))
        elif first is not None:
            problems.setdefault("cuil", []).append(
                _("CUIL repetido en el archivo: ya figura en la fila %(row)s.") % {"row": first[1]}
            )
        if two_people and len(problems) == 1 and len(problems["cuil"]) == 1:
            assert held is not None and province is not None and birth is not None
            errors.append(
                (
                    job_id,
                    number,
                    labels.get("cuil", "cuil")[:40],
                    text_of(record.get("cuil"))[:200],
                    problems["cuil"][0],
                )
            )
            held.rows.append(_staging_tuple(job_id, number, values, birth, province.pk, period.pk))
            continue
        if problems:
            error_rows += 1
            if period_errors is not None and route is not None and route.cycle is not None:
                period_errors[route.cycle.pk] = period_errors.get(route.cycle.pk, 0) + 1
            for field, messages in problems.items():
                value = text_of(record.get(field))[:200]
                for message in messages:
                    errors.append((job_id, number, labels.get(field, field)[:40], value, message))
            continue
        # A row without problems has both (a missing CUIL or province is a problem above).
        assert cuil is not None and province is not None
        staged = _staging_tuple(job_id, number, values, birth, province.pk, period.pk)
        seen[cuil] = staged
        put(staged)
    return valid, errors, error_rows


def _defaults(table: Table, cycle: Cycle) -> dict[str, str]:
    """What the rows of a file without the province or activity column read there: the chosen
    period's."""
    defaults = {}
    if "province" not in table.columns:
        defaults["province"] = cycle.agreement.province.name
    if "crop" not in table.columns:
        defaults["crop"] = cycle.crop.code
    return defaults


def _staging_tuple(job_id: int, number: int, values: dict, birth, province_id: int, cycle_id: int) -> tuple:
    return (
        job_id,
        number,
        values["cuil"],
        values["last_name"],
        values["first_name"],
        values["last_name_norm"],
        values["first_name_norm"],
        birth,
        values["sex"],
        values.get("nationality") or "Argentina",
        values.get("phone", ""),
        values.get("address", ""),
        province_id,
        values["locality"],
        values.get("cbu", ""),
        values.get("renatre", ""),
        cycle_id,
    )


class RowChecker:
    """The common case of ``validate_rows`` made cheap: a row whose every cell passes gives its
    staging tuple; ``None`` for anything else, which the full check then reports.

    It applies the same rules as ``WorkerDataCleaner.clean`` plus the row rules, and only accepts
    what they accept with the same values: the check digits are python-stdnum's, and what repeats
    across a list (dates, sex, province, activity, and the period of each province and activity)
    is decided once per distinct value.
    """

    def __init__(
        self,
        table: Table,
        *,
        cycle: Cycle,
        lookups: Lookups,
        today: dt.date,
        job_id: int,
        routes: Routes | None = None,
    ) -> None:
        self.job_id = job_id
        self.today = today
        self.routes = routes or Routes.only(cycle)
        self.lookups = lookups
        columns = table.columns
        self.index = {field: columns.get(field, -1) for field in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS, "crop")}
        self.width = max(self.index.values()) + 1
        # A file without the province or activity column reads the chosen period's, appended to
        # each row after the empty cell of a missing optional column (index -1).
        defaults = _defaults(table, cycle)
        self.tail = (defaults.get("province", ""), defaults.get("crop", ""), "")
        if "province" in defaults:
            self.index["province"] = -3
        if "crop" in defaults:
            self.index["crop"] = -2
        #: without every required column (``read_table`` refuses such a file) nothing is quick
        self.usable = all(self.index[field] != -1 for field in (*REQUIRED_FIELDS, "crop"))
        self.dates: dict[object, dt.date | None] = {}
        self.sexes: dict[str, str | None] = {}
        self.places: dict[str, int] = {}
        self.crops: dict[str, int] = {}
        #: (province, activity) → (period, latest birth date of an adult on its first day); period
        #: 0 when such rows go to no period
        self.targets: dict[tuple[int, int], tuple[int, dt.date]] = {}
        self.check = self._build() if self.usable else (lambda row, number, seen: None)

    def _date(self, cell: object) -> dt.date | None:
        try:
            birth = parse_date(cell)
        except Exception:
            return None
        if birth is None or birth > self.today or age_on(birth, self.today) > MAX_PLAUSIBLE_AGE:
            return None
        return birth

    def _sex(self, text: str) -> str | None:
        return SEX_VALUES.get(text) or SEX_VALUES.get(fold(text))

    def _place(self, text: str) -> int:
        """The province's id, 0 when unknown."""
        province = self.lookups.provinces.find(text)
        return province.pk if province is not None else 0

    def _crop(self, text: str) -> int:
        """The activity's id, 0 when unknown."""
        crops = self.lookups.crops
        crop = crops.get(text.lower()) or crops.get(fold(text))
        return crop.pk if crop is not None else 0

    def _target(self, key: tuple[int, int]) -> tuple[int, dt.date]:
        route = self.routes.route(*key)
        if route.cycle is None or route.adult_born_by is None:
            return 0, dt.date.min
        return route.cycle.pk, route.adult_born_by

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
        width, job_id, tail = self.width, self.job_id, self.tail
        dates, sexes, places, crops, targets = self.dates, self.sexes, self.places, self.crops, self.targets
        date_of, sex_of, place_of, crop_of, target_of = self._date, self._sex, self._place, self._crop, self._target
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
            cells.extend(tail)  # defaults of the columns left out; a missing optional one (index -1) reads ""
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
            province_id = places.get(key)
            if province_id is None:
                if not key:
                    return None
                province_id = places[key] = place_of(key)
            if not province_id:
                return None
            key = cells[i_crop]
            crop_id = crops.get(key)
            if crop_id is None:
                if not key:
                    return None
                crop_id = crops[key] = crop_of(key)
            if not crop_id:
                return None
            pair = (province_id, crop_id)
            target = targets.get(pair)
            if target is None:
                target = targets[pair] = target_of(pair)
            cycle_id, adult_born_by = target
            if not cycle_id or birth > adult_born_by:
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
                cycle_id,
            )

        return check
