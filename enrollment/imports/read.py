"""Reading survey lists (padrones): CSV or XLSX into a header and rows of cell values.

The column layout is documented in ``docs/survey-list.md``; a template ships in
``enrollment/static/enrollment/plantilla_padron.csv``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from enrollment.validation import fold

#: Column of the file → (field, required). Order is the template's.
COLUMNS: dict[str, tuple[str, bool]] = {
    "cuil": ("cuil", True),
    "apellido": ("last_name", True),
    "nombre": ("first_name", True),
    "fecha_nacimiento": ("birth_date", True),
    "sexo": ("sex", True),
    "nacionalidad": ("nationality", False),
    "telefono": ("phone", False),
    "domicilio": ("address", False),
    "provincia": ("province", True),
    "localidad": ("locality", True),
    "cbu": ("cbu", False),
    "renatre": ("renatre", False),
    "actividad": ("crop", True),
}

#: Other headings people write for the same columns (after folding).
ALIASES = {
    "apellidos": "apellido",
    "nombres": "nombre",
    "fecha_de_nacimiento": "fecha_nacimiento",
    "nacimiento": "fecha_nacimiento",
    "fec_nac": "fecha_nacimiento",
    "cuil_cuit": "cuil",
    "telefono_celular": "telefono",
    "celular": "telefono",
    "direccion": "domicilio",
    "provincia_de_residencia": "provincia",
    "n_renatre": "renatre",
    "nro_renatre": "renatre",
    "numero_renatre": "renatre",
    "cultivo": "actividad",
    "actividad_cultivo": "actividad",
}

XLSX_MAGIC = b"PK\x03\x04"


class SurveyFileError(Exception):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""


@dataclass
class Table:
    headers: list[str]
    #: field name → index of its column in each row
    columns: dict[str, int]
    #: field name → heading as written in the file (for error reports)
    labels: dict[str, str]
    rows: list[list]
    #: row number (1-based, as a spreadsheet shows it) of ``rows[0]``
    first_row_number: int = 2


def max_upload_bytes() -> int:
    return getattr(settings, "SURVEY_LIST_MAX_BYTES", 40 * 1024 * 1024)


def detect_format(name: str, head: bytes) -> str:
    """``csv`` or ``xlsx`` from the name and the first bytes; SurveyFileError otherwise."""
    lower = (name or "").lower()
    if lower.endswith(".xlsx"):
        if not head.startswith(XLSX_MAGIC):
            raise SurveyFileError(_("El archivo se llama .xlsx pero no es una planilla XLSX."))
        return "xlsx"
    if lower.endswith((".csv", ".txt")):
        if head.startswith(XLSX_MAGIC) or b"\x00" in head[:4096]:
            raise SurveyFileError(_("El archivo se llama .csv pero no es texto separado por comas o punto y coma."))
        return "csv"
    raise SurveyFileError(_("Solo se aceptan archivos CSV o XLSX (planilla de Excel)."))


def heading_key(text) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", fold(str(text or "")).lower()).strip("_")
    return ALIASES.get(key, key)


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), falling back to Latin-1 (Windows-1252) as Excel saves it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def read_rows(data: bytes, file_format: str) -> list[list]:
    if file_format == "xlsx":
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as error:  # calamine raises several unrelated types for a broken file
            raise SurveyFileError(_("No se pudo leer la planilla XLSX: %(error)s") % {"error": error}) from error
    text = decode_csv(data)
    # The heading line decides the separator: the first line with any letter in it.
    heading = next((line for line in text[:65536].splitlines()[:50] if any(c.isalpha() for c in line)), "")
    delimiter = max((";", ",", "\t"), key=heading.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise SurveyFileError(_("El CSV está mal formado: %(error)s") % {"error": error}) from error


def is_blank(row: Iterable) -> bool:
    # A plain loop that stops at the first filled cell: called once per row of the file.
    for cell in row:
        if cell is None:
            continue
        if not isinstance(cell, str) or (cell and not cell.isspace()):
            return False
    return True


def read_table(data: bytes, file_format: str) -> Table:
    """Parse the file and map its headings to fields. Raises SurveyFileError for an empty file, a
    missing required column or a repeated column."""
    if not data or not data.strip():
        raise SurveyFileError(_("El archivo está vacío."))
    rows = read_rows(data, file_format)
    leading_blank = 0
    while leading_blank < len(rows) and is_blank(rows[leading_blank]):
        leading_blank += 1
    rows = rows[leading_blank:]
    if not rows:
        raise SurveyFileError(_("El archivo está vacío."))
    headers = [str(h or "").strip() for h in rows[0]]
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, heading in enumerate(headers):
        key = heading_key(heading)
        if key in COLUMNS:
            field = COLUMNS[key][0]
            if field in columns:
                raise SurveyFileError(_("La columna «%(column)s» está repetida.") % {"column": heading})
            columns[field] = index
            labels[field] = heading
    missing = [key for key, (field, required) in COLUMNS.items() if required and field not in columns]
    if missing:
        raise SurveyFileError(
            _("Faltan columnas obligatorias: %(columns)s. Use la plantilla del padrón.")
            % {"columns": ", ".join(missing)}
        )
    body = rows[1:]
    while body and is_blank(body[-1]):
        body.pop()
    if not body:
        raise SurveyFileError(_("El archivo no tiene filas de datos, solo encabezados."))
    return Table(headers=headers, columns=columns, labels=labels, rows=body, first_row_number=leading_blank + 2)
