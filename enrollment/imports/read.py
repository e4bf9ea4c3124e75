"""Reading survey lists (padrones): CSV or XLSX into a header and rows of cell values.

The column layout is documented in ``docs/survey-list.md``; a template ships in
``enrollment/static/enrollment/plantilla_padron.csv``.

A file is measured before it is read, so that no upload can make the worker ask for more memory
than a list within the limits needs (``SURVEY_LIST_MAX_ROWS``, ``SURVEY_LIST_MAX_COLUMNS``,
``SURVEY_LIST_MAX_XML_BYTES``, ``SURVEY_LIST_MAX_COMPRESSION_RATIO``): an XLSX's zip entries
(total size and compression ratio: a zip bomb is refused), its sheet's declared dimension and
the cells it really holds are checked before calamine builds the sheet; a CSV is counted while
it is split, and reading stops at the first row or column over the limit.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from enrollment.validation import fold

#: Column of the file → (field, required). Order is the template's. Without the province or the
#: activity column every row takes the province or activity of the period chosen on the upload
#: form; with them, each row goes to the period of its own (``enrollment.imports.routes``).
COLUMNS: dict[str, tuple[str, bool]] = {
    "cuil": ("cuil", True),
    "apellido": ("last_name", True),
    "nombre": ("first_name", True),
    "fecha_nacimiento": ("birth_date", True),
    "sexo": ("sex", True),
    "nacionalidad": ("nationality", False),
    "telefono": ("phone", False),
    "domicilio": ("address", False),
    "provincia": ("province", False),
    "localidad": ("locality", True),
    "cbu": ("cbu", False),
    "renatre": ("renatre", False),
    "actividad": ("crop", False),
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


def max_rows() -> int:
    """Data rows a list may have (the heading not counted)."""
    return getattr(settings, "SURVEY_LIST_MAX_ROWS", 300_000)


def max_columns() -> int:
    return getattr(settings, "SURVEY_LIST_MAX_COLUMNS", 60)


def max_xml_bytes() -> int:
    """Largest total size of an XLSX's contents once uncompressed."""
    return getattr(settings, "SURVEY_LIST_MAX_XML_BYTES", 400 * 1024 * 1024)


def max_compression_ratio() -> int:
    return getattr(settings, "SURVEY_LIST_MAX_COMPRESSION_RATIO", 100)


def _number(value: int) -> str:
    """1234567 → "1.234.567", as the page writes numbers (es-AR)."""
    return f"{value:,}".replace(",", ".")


def _too_many_rows(rows: int) -> SurveyFileError:
    return SurveyFileError(
        _(
            "La planilla llega hasta la fila %(rows)s y el máximo es %(limit)s filas de datos. "
            "Divida el padrón en partes más chicas o borre las filas vacías del final."
        )
        % {"rows": _number(rows), "limit": _number(max_rows())}
    )


def _too_many_columns(columns: int) -> SurveyFileError:
    return SurveyFileError(
        _(
            "La planilla usa %(columns)s columnas y el máximo es %(limit)s. "
            "Deje solo las columnas de la plantilla del padrón."
        )
        % {"columns": _number(columns), "limit": _number(max_columns())}
    )


def column_number(letters: str) -> int:
    """Spreadsheet column letters → number: A → 1, Z → 26, AA → 27, XFD → 16384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([^\"]*)\"")
_CELL_REF = re.compile(r"([A-Za-z]{1,4})([0-9]{1,9})$")
#: a cell whose reference comes first, as Excel, LibreOffice and openpyxl write it (fast to find)
_CELL = re.compile(rb'<c r="([A-Z]{1,4})([0-9]{1,9})"')
#: every cell tag, with or without a reference or a namespace prefix
_ANY_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _first_sheet_path(book: zipfile.ZipFile) -> str | None:
    """The zip entry of the workbook's first sheet (the one ``read_rows`` reads), or None."""
    try:
        workbook = ElementTree.fromstring(_small_entry(book, "xl/workbook.xml"))
        rels = ElementTree.fromstring(_small_entry(book, "xl/_rels/workbook.xml.rels"))
        sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
        if sheet is None:
            return None
        rel_id = sheet.get(f"{_DOC_RELS}id")
        for rel in rels.iter(f"{_RELS}Relationship"):
            if rel.get("Id") == rel_id:
                target = rel.get("Target") or ""
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    except (KeyError, ElementTree.ParseError):
        return None
    return None


def _small_entry(book: zipfile.ZipFile, name: str) -> bytes:
    if book.getinfo(name).file_size > 10 * 1024 * 1024:
        raise KeyError(name)
    return book.read(name)


def check_xlsx(data: bytes) -> None:
    """Refuse an XLSX that would take more memory to read than a list within the limits.

    The zip's entries are measured (total uncompressed size, compression ratio of each
    worksheet); then the first sheet's declared dimension, and the cells it really holds, which
    is what calamine allocates for (a rectangle from the first to the last cell with a value:
    one cell in A1 and one in XFD1048576 would be 17,000 million cells).
    """
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        entries = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise SurveyFileError(_("No se pudo leer la planilla XLSX: %(error)s") % {"error": error}) from error
    with book:
        total = sum(entry.file_size for entry in entries)
        if total > max_xml_bytes():
            raise SurveyFileError(
                _("La planilla descomprimida ocupa %(size)s MB y el máximo es %(limit)s MB.")
                % {"size": _number(total // (1024 * 1024)), "limit": _number(max_xml_bytes() // (1024 * 1024))}
            )
        ratio = max_compression_ratio()
        for entry in entries:
            if entry.filename.startswith("xl/worksheets/") and entry.file_size > ratio * max(entry.compress_size, 1):
                raise SurveyFileError(
                    _(
                        "La planilla está comprimida más de %(ratio)s veces: no parece un padrón. "
                        "Guárdela de nuevo desde la planilla de cálculo."
                    )
                    % {"ratio": ratio}
                )
        path = _first_sheet_path(book)
        sheets = [path] if path in book.NameToInfo else []
        sheets = sheets or [e.filename for e in entries if e.filename.startswith("xl/worksheets/")]
        for sheet in sheets[:1]:
            _check_sheet(book, sheet)


def _check_sheet(book: zipfile.ZipFile, name: str) -> None:
    last_row = last_column = 0
    cells_with_ref = all_cells = 0
    tail = b""
    try:
        with book.open(name) as stream:
            head = True
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                data = tail + chunk
                # A tag may be cut at the end of the chunk: keep from its "<" for the next one.
                cut = data.rfind(b"<")
                data, tail = (data[:cut], data[cut:]) if cut >= 0 and b">" not in data[cut:] else (data, b"")
                if head:
                    head = False
                    _check_dimension(data[:65536])
                refs = _CELL.findall(data)
                cells_with_ref += len(refs)
                all_cells += len(_ANY_CELL.findall(data))
                if refs:
                    last_row = max(last_row, max(map(int, (row for _letters, row in refs))))
                    last_column = max(last_column, max(map(column_number, {col.decode() for col, _row in refs})))
                    if last_row > max_rows() + 1:
                        raise _too_many_rows(last_row)
                    if last_column > max_columns():
                        raise _too_many_columns(last_column)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise SurveyFileError(_("No se pudo leer la planilla XLSX: %(error)s") % {"error": error}) from error
    if all_cells != cells_with_ref:
        # Some cells have no reference (calamine places them after the previous one) or are
        # written another way: check them one by one.
        _check_sheet_by_position(book, name)


def _check_dimension(head: bytes) -> None:
    match = _DIMENSION.search(head)
    if match is None:
        return
    for ref in match.group(1).decode("ascii", "replace").split(":"):
        cell = _CELL_REF.match(ref.replace("$", ""))
        if cell is None:
            continue
        if int(cell.group(2)) > max_rows() + 1:
            raise _too_many_rows(int(cell.group(2)))
        if column_number(cell.group(1)) > max_columns():
            raise _too_many_columns(column_number(cell.group(1)))


def _check_sheet_by_position(book: zipfile.ZipFile, name: str) -> None:
    """The slow, exact check for a sheet whose rows or cells go without references."""
    row = column = 0
    try:
        with book.open(name) as stream:
            for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                tag = element.tag.rsplit("}", 1)[-1]
                if event == "end":
                    if tag in ("row", "c"):
                        element.clear()
                    continue
                if tag == "row":
                    ref = element.get("r")
                    row = int(ref) if ref and ref.isdigit() else row + 1
                    column = 0
                    if row > max_rows() + 1:
                        raise _too_many_rows(row)
                elif tag == "c":
                    cell = _CELL_REF.match(element.get("r") or "")
                    column = column_number(cell.group(1)) if cell else column + 1
                    if column > max_columns():
                        raise _too_many_columns(column)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, ElementTree.ParseError) as error:
        raise SurveyFileError(_("No se pudo leer la planilla XLSX: %(error)s") % {"error": error}) from error


def _csv_rows(text: str, delimiter: str) -> Iterator[list[str]]:
    """The CSV's records, refused at the first one past the row or column limits. Blank lines
    at the end are not counted (nor kept); blank lines between rows are kept, for the numbers."""
    limit_rows, limit_columns = max_rows() + 1, max_columns()
    rows = blank = 0
    for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if not record or is_blank(record):
            blank += 1
            continue
        if len(record) > limit_columns:
            raise _too_many_columns(len(record))
        rows += blank + 1
        if rows > limit_rows:
            raise _too_many_rows(rows)
        for _blank in range(blank):
            yield []
        blank = 0
        yield record


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
    """The file's rows, each a list of cell values; SurveyFileError for a file that cannot be
    read or is over the limits (checked before reading, see the module's docstring)."""
    if file_format == "xlsx":
        check_xlsx(data)
        try:
            # Dense from A1, so that rows keep the numbers the spreadsheet shows: bounded by the
            # limits just checked.
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as error:  # calamine raises several unrelated types for a broken file
            raise SurveyFileError(_("No se pudo leer la planilla XLSX: %(error)s") % {"error": error}) from error
    text = decode_csv(data)
    # The heading line decides the separator: the first line with any letter in it.
    heading = next((line for line in text[:65536].splitlines()[:50] if any(c.isalpha() for c in line)), "")
    delimiter = max((";", ",", "\t"), key=heading.count)
    try:
        return list(_csv_rows(text, delimiter))
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
