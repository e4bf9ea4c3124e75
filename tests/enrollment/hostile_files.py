"""Hostile survey lists built in the test (no binary fixtures): XLSX files written by hand as a
zip of XML, so that a sheet can claim or hold cells no spreadsheet program would write."""

from __future__ import annotations

import io
import zipfile

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Padron" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx_from_sheet(sheet_xml: str | bytes) -> bytes:
    """A one-sheet workbook whose sheet is exactly ``sheet_xml``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def _text(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def far_corner_xlsx(*, declare: bool = True) -> bytes:
    """1.6 kB: a heading in A1 and one cell in XFD1048576, the last cell a sheet can have. Read
    densely that is 17,000 million cells (about 550 GB)."""
    dimension = '<dimension ref="A1:XFD1048576"/>' if declare else ""
    return xlsx_from_sheet(
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{dimension}<sheetData>'
        f'<row r="1">{_text("A1", "cuil")}</row><row r="1048576">{_text("XFD1048576", "x")}</row>'
        "</sheetData></worksheet>"
    )


def declared_only_xlsx() -> bytes:
    """A sheet that only claims the whole grid in its dimension."""
    return xlsx_from_sheet(
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><dimension ref="A1:XFD1048576"/>'
        f'<sheetData><row r="1">{_text("A1", "cuil")}</row></sheetData></worksheet>'
    )


def unreferenced_cells_xlsx(columns: int) -> bytes:
    """Cells with neither row nor cell references, under a namespace prefix: their position is
    only known by counting them."""
    cells = "".join(f'<x:c t="inlineStr"><x:is><x:t>c{n}</x:t></x:is></x:c>' for n in range(columns))
    return xlsx_from_sheet(
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
        f"<x:row>{cells}</x:row><x:row>{cells}</x:row></x:sheetData></x:worksheet>"
    )


def zip_bomb_xlsx(megabytes: int = 60) -> bytes:
    """A sheet of a few cells padded with megabytes of blanks: a small file that inflates to
    ``megabytes`` MB."""
    padding = b" " * (megabytes * 1024 * 1024)
    sheet = (
        (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
            f'<row r="1">{_text("A1", "cuil")}</row>'
        ).encode()
        + padding
        + b"</sheetData></worksheet>"
    )
    return xlsx_from_sheet(sheet)


def near_empty_rows_xlsx(rows: int) -> bytes:
    """``rows`` rows below a heading, each with a single ``x`` in column A (each is a row full of
    problems: every required column missing)."""
    from tests.enrollment.survey_files import HEADER

    letters = [chr(65 + n) for n in range(len(HEADER))]
    heading = "".join(_text(f"{letter}1", name) for letter, name in zip(letters, HEADER, strict=True))
    body = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x</t></is></c></row>' for n in range(2, rows + 2))
    return xlsx_from_sheet(
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
        f'<row r="1">{heading}</row>{body}</sheetData></worksheet>'
    )
