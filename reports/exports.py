"""Downloadable reports: what each one contains, and how rows become CSV or XLSX.

A report is a ``ReportKind``: its columns and a function returning the scoped queryset of its
rows as tuples (``values_list``), so PostgreSQL does the joins and the file is written while
the rows stream in. Other apps add theirs (payments per month and province, referrals and
outcomes) with ``register_report``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from enrollment.models import Enrollment, Worker
from enrollment.selectors import enrollments_for
from provinces.selectors import cycles_for

StrOrPromise = str | Promise

#: Rows between two progress updates of a report job.
PROGRESS_EVERY = 500


@dataclass(frozen=True)
class Column:
    header: StrOrPromise
    #: "text", "date", "money" or "int"
    kind: str = "text"
    #: value → label, for choice fields stored as codes
    choices: dict | None = None


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: StrOrPromise
    columns: tuple[Column, ...]
    #: (user, cleaned params) → queryset of tuples, one per row, in column order
    rows: Callable
    #: the form that parses the parameters; it receives ``user=`` to offer only what is in scope
    form: Callable[..., forms.Form]
    #: (cleaned params) → file name without extension
    filename: Callable[[dict], str]


REPORTS: dict[str, ReportKind] = {}


def register_report(kind: ReportKind) -> None:
    REPORTS[kind.key] = kind


def clean_params(*, kind: ReportKind, user, data) -> dict:
    """Parse and check the report's parameters against the user's scope."""
    form = kind.form(data, user=user)
    if not form.is_valid():
        raise ValidationError(form.errors.get_json_data(escape_html=True))
    return form.cleaned_data


# --- writers ----------------------------------------------------------------------------------


#: A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value, column: Column) -> str:
    if value is None:
        return ""
    if column.choices:
        return str(column.choices.get(value, value))
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if column.kind == "text" and text.startswith(_FORMULA_START):
        return "'" + text  # shown as typed, never evaluated
    return text


def write_csv(out: IO[str], kind: ReportKind, rows: Iterable[tuple], progress: Callable[[int], None]) -> int:
    """CSV for spreadsheets set to Spanish: ``;`` separates fields (``,`` is the decimal mark);
    dates ISO 8601, amounts with a dot, so that any program reads them unambiguously."""
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(c.header) for c in kind.columns])
    n = 0
    for row in rows:
        writer.writerow([_text(v, c) for v, c in zip(row, kind.columns, strict=True)])
        n += 1
        if n % PROGRESS_EVERY == 0:
            progress(n)
    return n


_XLSX_FORMATS = {"date": "DD/MM/YYYY", "money": "#,##0.00", "int": "0"}


def write_xlsx(out: IO[bytes], kind: ReportKind, rows: Iterable[tuple], progress: Callable[[int], None]) -> int:
    """XLSX with real dates and numbers (Excel shows them in the reader's locale: 1.234,56)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(kind.title)[:31])
    bold = Font(bold=True)
    header = []
    for c in kind.columns:
        cell = WriteOnlyCell(sheet, value=str(c.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    n = 0
    for row in rows:
        cells = []
        for value, column in zip(row, kind.columns, strict=True):
            if column.kind in _XLSX_FORMATS and value is not None:
                cell = WriteOnlyCell(sheet, value=Decimal(value) if column.kind == "money" else value)
                cell.number_format = _XLSX_FORMATS[column.kind]
                cells.append(cell)
            else:
                cells.append(_text(value, column))
        sheet.append(cells)
        n += 1
        if n % PROGRESS_EVERY == 0:
            progress(n)
    workbook.save(out)
    return n


def write_report(fmt: str, out: IO[bytes], kind: ReportKind, rows: Iterable[tuple], progress=lambda n: None) -> int:
    if fmt == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        n = write_csv(text, kind, rows, progress)
        text.flush()
        text.detach()
        return n
    if fmt == "xlsx":
        return write_xlsx(out, kind, rows, progress)
    raise ValueError(fmt)


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# --- beneficiaries per cycle -----------------------------------------------------------------

#: Enrollments that count as beneficiaries of a cycle: approved, paying, finished, or
#: suspended after approval.
BENEFICIARY_STATES = (
    Enrollment.Status.APPROVED,
    Enrollment.Status.ACTIVE,
    Enrollment.Status.COMPLETED,
    Enrollment.Status.SUSPENDED,
)


class CycleReportForm(forms.Form):
    cycle: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Período interzafra"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles_for(user)

    def clean(self):
        data = super().clean()
        if data.get("cycle") is not None:
            data["cycle"] = data["cycle"].pk  # parameters are stored as JSON
        return data


def beneficiaries_rows(user, params: dict):
    return (
        enrollments_for(user)
        .filter(cycle_id=params["cycle"], status__in=BENEFICIARY_STATES)
        .order_by("worker__last_name_norm", "worker__first_name_norm", "worker__cuil")
        .values_list(
            "worker__cuil",
            "worker__dni",
            "worker__last_name",
            "worker__first_name",
            "worker__birth_date",
            "worker__sex",
            "worker__nationality",
            "worker__province__name",
            "worker__locality",
            "worker__cbu",
            "cycle__agreement__number",
            "cycle__agreement__province__name",
            "cycle__crop__name",
            "cycle__name",
            "organisation__name",
            "status",
            "status_changed_at__date",
        )
    )


register_report(
    ReportKind(
        key="beneficiaries",
        title=_("Beneficiarios por período"),
        columns=(
            Column(_("CUIL")),
            Column(_("DNI")),
            Column(_("Apellido")),
            Column(_("Nombre")),
            Column(_("Fecha de nacimiento"), "date"),
            Column(_("Sexo"), choices=dict(Worker.Sex.choices)),
            Column(_("Nacionalidad")),
            Column(_("Provincia de residencia")),
            Column(_("Localidad")),
            Column(_("CBU")),
            Column(_("Convenio")),
            Column(_("Provincia del convenio")),
            Column(_("Actividad")),
            Column(_("Período")),
            Column(_("Organización que inscribe")),
            Column(_("Estado"), choices=dict(Enrollment.Status.choices)),
            Column(_("Último cambio de estado"), "date"),
        ),
        rows=beneficiaries_rows,
        form=CycleReportForm,
        filename=lambda params: f"beneficiarios-periodo-{params['cycle']}",
    )
)
