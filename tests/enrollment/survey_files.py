"""Building survey lists (CSV and XLSX) for tests."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_cbu, make_cuil

HEADER = [
    "cuil",
    "apellido",
    "nombre",
    "fecha_nacimiento",
    "sexo",
    "nacionalidad",
    "telefono",
    "domicilio",
    "provincia",
    "localidad",
    "cbu",
    "renatre",
    "actividad",
]


def row(n: int, **overrides) -> dict:
    values = {
        "cuil": make_cuil(40_000_000 + n),
        "apellido": "Núñez",
        "nombre": f"José {n}",
        "fecha_nacimiento": "15/03/1985",
        "sexo": "M",
        "nacionalidad": "Argentina",
        "telefono": "381 4000000",
        "domicilio": "Ruta 38 km 12",
        "provincia": "Tucumán",
        "localidad": "Famaillá",
        "cbu": make_cbu(50_000 + n),
        "renatre": f"R{n:06d}",
        "actividad": "cana",
    }
    values.update(overrides)
    return values


def csv_bytes(rows: list[dict], *, header=HEADER, delimiter=",", encoding="utf-8", bom=False) -> bytes:
    lines = [delimiter.join(header)]
    for r in rows:
        lines.append(delimiter.join(str(r.get(h, "")) for h in header))
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[dict], *, header=HEADER) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append([r.get(h, "") for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "padron.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
