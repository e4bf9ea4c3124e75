"""Lists of the web UI: one way to filter, count, page and export.

Every list (workers, enrollments, installments, batches, the audit trail, flags, claims, identity
reviews, CBU changes, the outbox, courses, referrals, screening runs, API tokens, the status
lookups log) goes through :func:`render_list`:

- the filters narrow a queryset the caller already scoped to the user; they never widen it;
- a filter value the form refuses (a malformed month or CUIL, a province out of scope) is shown
  as an error next to its field and lists nothing — never dropped and read as "every one" (a
  province out of scope answers like a malformed value: the list a dashboard link opens stays
  a page, not an error);
- the total is counted on the filtered rows, the page is one ``Paginator`` page;
- ``?exportar=csv`` or ``?exportar=xlsx`` downloads exactly the filtered rows (every page, in
  the list's order), each text cell made spreadsheet-safe, read in chunks from the database:
  CSV streamed as it is written, XLSX written row by row (openpyxl's write-only mode) to a
  temporary file that is then streamed.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from provinces.spreadsheets import csv_stream, spreadsheet_safe

EXPORT_PARAM = "exportar"
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: rows read from the database at a time while exporting
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    """One column of an export: its heading and how to read its value from a row."""

    header: str
    value: Callable[[object], object]


def cell_text(value: object) -> object:
    """A value as an export writes it: numbers stay numbers (XLSX sums them), dates read
    dd/mm/aaaa (local time for moments), text is spreadsheet-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("Sí") if value else _("No"))
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return spreadsheet_safe(str(value))


def export_rows(rows: Iterable, columns: Sequence[Column]) -> Iterator[list[object]]:
    yield [str(column.header) for column in columns]
    for row in rows:
        yield [cell_text(column.value(row)) for column in columns]


def _csv_cell(value: object) -> object:
    # CSV read by a spreadsheet in Argentina: decimal comma, no grouping (it would read as text)
    if isinstance(value, Decimal):
        return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=False)
    return value


def _described(rows: Iterator, describe: Callable[[list], list]) -> Iterator:
    """``rows`` turned into what the page shows, ``CHUNK`` at a time (set-based per chunk)."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield from describe(chunk)
            chunk = []
    if chunk:
        yield from describe(chunk)


def export_response(
    rows, *, columns: Sequence[Column], filename: str, fmt: str, describe: Callable[[list], list] | None = None
) -> HttpResponse:
    """The rows of a filtered list as a CSV or XLSX download (``fmt`` in ``EXPORT_FORMATS``)."""
    iterator = rows.iterator(chunk_size=CHUNK) if hasattr(rows, "iterator") else iter(rows)
    if describe is not None:
        iterator = _described(iterator, describe)
    table = export_rows(iterator, columns)
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_stream([_csv_cell(value) for value in row] for row in table), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in table:
        sheet.append(row)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed (and deleted) by the response once sent
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_TYPE)


def count_text(count: int, noun: Callable[[int], str], values: dict | None = None) -> str:
    """``"1.234 inscripciones"``: ``noun(count)`` is the ngettext text, with ``%(n)s`` (or
    ``%(shown)s``) for the number and ``values`` for anything else it names."""
    shown = number_format(count, use_l10n=True, force_grouping=True)
    return noun(count) % {"n": shown, "shown": shown, **(values or {})}


def _rows(count: int) -> str:
    return ngettext("%(n)s fila", "%(n)s filas", count)


def render_list(
    request,
    *,
    filterset,
    template: str,
    columns: Sequence[Column] = (),
    filename: str = "",
    noun: Callable[[int], str] = _rows,
    per_page: int = 50,
    order_by: Sequence[str] = (),
    context: dict | None = None,
    count_values: dict | None = None,
    rows_of: Callable | None = None,
    describe: Callable[[list], list] | None = None,
) -> HttpResponse:
    """The filtered list page (or its export, with ``?exportar=csv|xlsx``).

    ``filterset`` is bound to ``request.GET`` over the user's scoped queryset; ``rows_of``, if
    given, turns the filtered queryset into what is paged and exported (annotations, ordering);
    ``describe``, if given, turns a page (or an export's chunk) of rows into what is shown.
    The template receives ``filter``, ``page``, ``total_text`` and ``export_formats``."""
    valid = filterset.is_valid()
    rows = filterset.qs if valid else filterset.queryset.none()
    if order_by:
        rows = rows.order_by(*order_by)
    if rows_of is not None:
        rows = rows_of(rows)
    fmt = request.GET.get(EXPORT_PARAM)
    if valid and columns and fmt in EXPORT_FORMATS:
        return export_response(rows, columns=columns, filename=filename, fmt=fmt, describe=describe)
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    if describe is not None:
        page.object_list = describe(list(page.object_list))
    data = {
        "filter": filterset,
        "page": page,
        "total_text": count_text(page.paginator.count, noun, count_values),
        "export_formats": EXPORT_FORMATS if columns else (),
        **(context or {}),
    }
    return render(request, template, data)
