"""Write the survey-list templates (CSV and XLSX) shipped in enrollment/static/enrollment/.

Run from the checkout: ``.venv/bin/python scripts/make_survey_template.py``. The column list
comes from ``enrollment.imports.read.COLUMNS`` so the templates never drift from what the import reads.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from config.localkey import ensure_local_secret_key  # noqa: E402

ensure_local_secret_key()

# Each example row's CUIL starts with the importer's marker (EXAMPLE_MARKER): an example left in
# a list is refused with a message saying to delete it, never imported as a person.
EXAMPLES = [
    [
        "EJEMPLO 20-12345678-6",
        "Núñez",
        "José Luis",
        "15/03/1985",
        "M",
        "Argentina",
        "381 4123456",
        "Ruta 38 km 12",
        "Tucumán",
        "Famaillá",
        "0110599520000001234569",
        "R-001234",
        "cana",
    ],
    [
        "EJEMPLO 27-23456789-1",
        "Mamani",
        "Rosa",
        "02/11/1990",
        "F",
        "Bolivia",
        "",
        "Barrio San José casa 4",
        "Tucumán",
        "Monteros",
        "",
        "",
        "limon",
    ],
    [
        "EJEMPLO 20-34567890-6",
        "Quispe",
        "Ramón",
        "20/07/1979",
        "M",
        "Argentina",
        "261 4556677",
        "Calle San Martín 1020",
        "Mendoza",
        "Maipú",
        "",
        "",
        "vid",
    ],
]

#: What each column holds, on the XLSX's second sheet (the import reads only the first).
NOTES = {
    "cuil": "11 dígitos, con o sin guiones. Obligatorio.",
    "apellido": "Obligatorio.",
    "nombre": "Obligatorio.",
    "fecha_nacimiento": "dd/mm/aaaa. Obligatorio; 18 años o más el primer día del período.",
    "sexo": "F, M o X. Obligatorio.",
    "nacionalidad": "Opcional; Argentina si se deja vacía.",
    "telefono": "Opcional.",
    "domicilio": "Opcional.",
    "provincia": (
        "Provincia de residencia (nombre o código). Cada fila va al período abierto de su provincia y "
        "actividad; sin esta columna, la provincia del período elegido al subir."
    ),
    "localidad": "Obligatorio.",
    "cbu": "22 dígitos. Opcional.",
    "renatre": "Número de RENATRE. Opcional.",
    "actividad": (
        "Código (cana, limon, vid, tabaco…) o nombre de la actividad. Una misma lista puede mezclar "
        "actividades (y provincias, para un sindicato nacional); sin esta columna, la actividad del "
        "período elegido al subir."
    ),
}


def examples() -> list[list[str]]:
    from enrollment.imports.check import EXAMPLE_MARKER

    assert all(row[0].startswith(EXAMPLE_MARKER) for row in EXAMPLES)
    return EXAMPLES


def headings() -> list[str]:
    from enrollment.imports.read import COLUMNS

    return list(COLUMNS)


def write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(headings())
        writer.writerows(examples())


def write_xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "padron"
    sheet.append(headings())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in examples():
        sheet.append(example)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
        for cell in column:
            cell.number_format = "@"  # text: keeps CUIL/CBU digits and dd/mm/aaaa as typed
    notes = book.create_sheet("columnas")
    notes.append(["columna", "contenido"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for heading in headings():
        notes.append([heading, NOTES[heading]])
    notes.append([])
    notes.append(["", "Las filas de ejemplo (CUIL que empieza con EJEMPLO) no se importan: bórrelas."])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 110
    book.save(path)


def main() -> None:
    import django

    django.setup()
    folder = BASE / "enrollment" / "static" / "enrollment"
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "plantilla_padron.csv")
    write_xlsx(folder / "plantilla_padron.xlsx")
    print(f"Plantillas escritas en {folder}")


if __name__ == "__main__":
    main()
