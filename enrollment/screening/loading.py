"""Reading reference files row by row: other programmes' registries and SIPA remunerations.

Each reader validates one row at a time and yields either the values to COPY or the row's
error in words, so that a file with a few bad rows still loads its good ones and the officer
learns which rows were left out and why.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from enrollment.identity import compact_cuil, is_valid_cuil, normalise_name
from enrollment.screening.names import last_key, name_key, sort_key

REGISTRY_REQUIRED = ("apellido", "nombre", "desde", "hasta")
REGISTRY_OPTIONAL = ("cuil", "dni", "fecha_nacimiento")
REMUNERATION_REQUIRED = ("cuil", "mes", "cuit_empleador", "actividad", "remuneracion")
ACTIVITY_CODES = {
    "agraria": "agrarian",
    "agrarian": "agrarian",
    "agroindustrial": "agro_industrial",
    "agro_industrial": "agro_industrial",
    "otra": "other",
    "other": "other",
    "independiente": "self_employed",
    "self_employed": "self_employed",
}


class FileError(ValueError):
    """The file as a whole cannot be read (missing columns, not a CSV)."""


def parse_date(text: str) -> dt.date:
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        return dt.date(int(text[:4]), int(text[5:7]), int(text[8:10]))
    if len(text) == 10 and text[2] == "/":
        return dt.date(int(text[6:]), int(text[3:5]), int(text[:2]))
    raise ValueError(text)


def parse_month(text: str) -> dt.date:
    """``2026-05``, ``05/2026`` or any day of the month → the month's first day."""
    text = text.strip()
    if len(text) == 7 and text[4] == "-":
        return dt.date(int(text[:4]), int(text[5:7]), 1)
    if len(text) == 7 and text[2] == "/":
        return dt.date(int(text[3:]), int(text[:2]), 1)
    return parse_date(text).replace(day=1)


def open_text(fileobj) -> io.TextIOBase:
    """A text stream over an uploaded (binary) file; accepts UTF-8 with or without BOM."""
    if isinstance(fileobj, io.TextIOBase):
        return fileobj
    return io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="")


def _reader(stream, required: tuple[str, ...]) -> tuple[Iterator[list[str]], dict[str, int]]:
    sample = stream.readline()
    if not sample:
        raise FileError(_("El archivo está vacío."))
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    header = [normalise_name(h).lower().replace(" ", "_") for h in next(csv.reader([sample], delimiter=delimiter))]
    missing = [c for c in required if c not in header]
    if missing:
        raise FileError(_("Faltan columnas: %(columns)s.") % {"columns": ", ".join(missing)})
    return csv.reader(stream, delimiter=delimiter), {name: i for i, name in enumerate(header)}


def registry_rows(fileobj) -> Iterator[tuple[int, tuple | None, str]]:
    """Yield ``(row_number, values, error)`` for each data row of a registry CSV; ``values`` are
    (cuil, dni, last_name, first_name, name_key, last_key, sort_key, birth_date, benefit_from, benefit_to)."""
    reader, col = _reader(open_text(fileobj), REGISTRY_REQUIRED)
    width = max(col.values()) + 1
    i_cuil, i_dni, i_birth = col.get("cuil"), col.get("dni"), col.get("fecha_nacimiento")
    i_last, i_first, i_from, i_to = col["apellido"], col["nombre"], col["desde"], col["hasta"]
    for number, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            yield (
                number,
                None,
                _("Faltan columnas en la fila (%(got)s de %(want)s).") % {"got": len(row), "want": width},
            )
            continue
        errors = []
        cuil = compact_cuil(row[i_cuil]) if i_cuil is not None else ""
        dni = row[i_dni].strip().replace(".", "") if i_dni is not None else ""
        if cuil and i_cuil is not None:
            if not is_valid_cuil(cuil):
                errors.append(_("CUIL inválido «%(value)s»") % {"value": row[i_cuil].strip()})
            elif dni and dni.zfill(8) != cuil[2:10]:
                errors.append(_("el DNI %(dni)s no es el del CUIL %(cuil)s") % {"dni": dni, "cuil": cuil})
            else:
                dni = cuil[2:10]
        if dni and not (dni.isdigit() and 6 <= len(dni) <= 8):
            errors.append(_("DNI inválido «%(value)s»") % {"value": dni})
        dni = dni.zfill(8) if dni else ""
        last, first = row[i_last].strip(), row[i_first].strip()
        if not last:
            errors.append(_("falta el apellido"))
        birth = None
        if i_birth is not None and row[i_birth].strip():
            try:
                birth = parse_date(row[i_birth])
            except ValueError:
                errors.append(_("fecha de nacimiento ilegible «%(value)s»") % {"value": row[i_birth].strip()})
        try:
            month_from, month_to = parse_month(row[i_from]), parse_month(row[i_to])
            if month_to < month_from:
                errors.append(_("el mes «hasta» es anterior al mes «desde»"))
        except ValueError:
            errors.append(
                _("meses del beneficio ilegibles «%(from)s»–«%(to)s»") % {"from": row[i_from], "to": row[i_to]}
            )
        if errors:
            yield number, None, "; ".join(errors)
            continue
        key = name_key(last, first)[:250]
        yield (
            number,
            (
                cuil,
                dni,
                last[:120],
                first[:120],
                key,
                last_key(last)[:60],
                sort_key(key),
                birth,
                month_from,
                month_to,
            ),
            "",
        )


def remuneration_rows(fileobj) -> Iterator[tuple[int, tuple | None, str]]:
    """Yield ``(row_number, (cuil, month, employer_cuit, activity, gross), error)`` per row."""
    reader, col = _reader(open_text(fileobj), REMUNERATION_REQUIRED)
    width = max(col.values()) + 1
    for number, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            yield (
                number,
                None,
                _("Faltan columnas en la fila (%(got)s de %(want)s).") % {"got": len(row), "want": width},
            )
            continue
        errors = []
        cuil, cuit = compact_cuil(row[col["cuil"]]), compact_cuil(row[col["cuit_empleador"]])
        if not is_valid_cuil(cuil):
            errors.append(_("CUIL inválido «%(value)s»") % {"value": row[col["cuil"]].strip()})
        if not is_valid_cuil(cuit):
            errors.append(_("CUIT de empleador inválido «%(value)s»") % {"value": row[col["cuit_empleador"]].strip()})
        activity = ACTIVITY_CODES.get(normalise_name(row[col["actividad"]]).lower())
        if activity is None:
            errors.append(_("actividad desconocida «%(value)s»") % {"value": row[col["actividad"]].strip()})
        month = gross = None
        try:
            month = parse_month(row[col["mes"]])
        except ValueError:
            errors.append(_("mes ilegible «%(value)s»") % {"value": row[col["mes"]].strip()})
        try:
            gross = Decimal(row[col["remuneracion"]].strip().replace(",", "."))
            if gross < 0 or not gross.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(_("remuneración inválida «%(value)s»") % {"value": row[col["remuneracion"]].strip()})
        if errors:
            yield number, None, "; ".join(errors)
        else:
            assert gross is not None  # no error means it parsed
            yield number, (cuil, month, cuit, activity, gross.quantize(Decimal("0.01"))), ""
