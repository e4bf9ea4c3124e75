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
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from enrollment.models import Enrollment, Worker
from enrollment.selectors import enrollments_for
from payments.filters import MonthField, parse_month
from payments.selectors import monthly_report_rows
from provinces.selectors import agreements_for, cycles_for, provinces_for
from provinces.spreadsheets import spreadsheet_safe
from training.models import Referral
from training.selectors import referrals_for

StrOrPromise = str | Promise

#: Rows between two progress updates of a report job.
PROGRESS_EVERY = 500


@dataclass(frozen=True)
class Column:
    header: StrOrPromise
    #: "text", "date", "month", "money" or "int"
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
    #: the permission a role needs to ask for this report (its rows are then limited to the scope)
    permission: str = "enrollment.view_enrollment"

    def allowed(self, user) -> bool:
        return bool(user and user.is_authenticated and user.has_perm(self.permission))


REPORTS: dict[str, ReportKind] = {}


def register_report(kind: ReportKind) -> None:
    REPORTS[kind.key] = kind


def clean_params(*, kind: ReportKind, user, data) -> dict:
    """Parse and check the report's parameters against the user's scope. A role without the
    report's permission is refused (PermissionDenied, a 403 in views)."""
    if not kind.allowed(user):
        raise PermissionDenied(kind.permission)
    form = kind.form(data, user=user)
    if not form.is_valid():
        raise ValidationError(form.errors.get_json_data(escape_html=True))
    return form.cleaned_data


# --- writers ----------------------------------------------------------------------------------


def _text(value, column: Column) -> str:
    if value is None:
        return ""
    if column.choices:
        return str(column.choices.get(value, value))
    if isinstance(value, dt.date):
        return f"{value:%Y-%m}" if column.kind == "month" else value.isoformat()
    text = str(value)
    return spreadsheet_safe(text) if column.kind == "text" else text  # shown as typed, never evaluated


def csv_rows(kind: ReportKind, rows: Iterable[tuple], progress: Callable[[int], None] = lambda n: None):
    """The report's heading and rows as lists of CSV cells (text cells spreadsheet-safe)."""
    yield [str(c.header) for c in kind.columns]
    for n, row in enumerate(rows, start=1):
        yield [_text(v, c) for v, c in zip(row, kind.columns, strict=True)]
        if n % PROGRESS_EVERY == 0:
            progress(n)


def write_csv(out: IO[str], kind: ReportKind, rows: Iterable[tuple], progress: Callable[[int], None]) -> int:
    """CSV for spreadsheets set to Spanish: ``;`` separates fields (``,`` is the decimal mark);
    dates ISO 8601, amounts with a dot, so that any program reads them unambiguously."""
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    written = -1  # the heading is not a row
    for cells in csv_rows(kind, rows, progress):
        writer.writerow(cells)
        written += 1
    return written


_XLSX_FORMATS = {"date": "DD/MM/YYYY", "month": "MM/YYYY", "money": "#,##0.00", "int": "0"}


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


# --- payments per month and province ---------------------------------------------------------


class PaymentsReportForm(forms.Form):
    """An optional range of months, province and agreement; only those in scope are offered."""

    first_month = MonthField(label=_("Desde el mes (AAAA-MM)"), required=False)
    last_month = MonthField(label=_("Hasta el mes (AAAA-MM)"), required=False)
    province: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Provincia"), queryset=None, required=False)
    agreement: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Convenio"), queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces_for(user)
        self.fields["agreement"].queryset = agreements_for(user)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_month"), data.get("last_month")
        if first and last and first > last:
            raise forms.ValidationError(_("El mes inicial es posterior al final."))
        # parameters are stored as JSON
        return {
            "first_month": f"{first:%Y-%m}" if first else "",
            "last_month": f"{last:%Y-%m}" if last else "",
            "province": data["province"].pk if data.get("province") else None,
            "agreement": data["agreement"].pk if data.get("agreement") else None,
        }


def payments_rows(user, params: dict):
    return monthly_report_rows(
        user=user,
        first_month=parse_month(params.get("first_month") or ""),
        last_month=parse_month(params.get("last_month") or ""),
        province_id=params.get("province"),
        agreement_id=params.get("agreement"),
    )


def payments_filename(params: dict) -> str:
    name = "pagos-por-mes-y-provincia"
    if params.get("first_month") or params.get("last_month"):
        name += f"-{params.get('first_month') or 'inicio'}-a-{params.get('last_month') or 'hoy'}"
    return name


register_report(
    ReportKind(
        key="payments",
        title=_("Pagos por mes y provincia"),
        columns=(
            Column(_("Mes"), "month"),
            Column(_("Provincia")),
            Column(_("Convenio")),
            Column(_("Cuotas programadas"), "int"),
            Column(_("Importe programado"), "money"),
            Column(_("Cuotas pagadas"), "int"),
            Column(_("Importe pagado"), "money"),
            Column(_("Cuotas rechazadas por el banco"), "int"),
            Column(_("Importe rechazado"), "money"),
            Column(_("Cuotas retenidas"), "int"),
            Column(_("Importe retenido"), "money"),
            Column(_("Cuotas pendientes (programadas o en lote)"), "int"),
            Column(_("Importe pendiente"), "money"),
        ),
        rows=payments_rows,
        form=PaymentsReportForm,
        filename=payments_filename,
        permission="payments.view_installment",
    )
)


# --- referrals and outcomes ------------------------------------------------------------------


class ReferralsReportForm(forms.Form):
    cycle: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Período interzafra"), queryset=None, required=False)
    province: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Provincia del convenio"), queryset=None, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles_for(user)
        self.fields["province"].queryset = provinces_for(user)

    def clean(self):
        data = super().clean()
        return {
            "cycle": data["cycle"].pk if data.get("cycle") else None,
            "province": data["province"].pk if data.get("province") else None,
        }


def referrals_rows(user, params: dict):
    qs = referrals_for(user)
    if params.get("cycle"):
        qs = qs.filter(enrollment__cycle_id=params["cycle"])
    if params.get("province"):
        qs = qs.filter(enrollment__cycle__agreement__province_id=params["province"])
    return qs.order_by(
        "enrollment__cycle__agreement__province__name",
        "enrollment__cycle__name",
        "worker__last_name_norm",
        "worker__first_name_norm",
        "referred_on",
        "pk",
    ).values_list(
        "worker__cuil",
        "worker__last_name",
        "worker__first_name",
        "enrollment__cycle__agreement__province__name",
        "enrollment__cycle__agreement__number",
        "enrollment__cycle__name",
        "enrollment__organisation__name",
        "line",
        "course__topic",
        "course__provider__name",
        "office__name",
        "destination_province__name",
        "destination_crop__name",
        "referred_on",
        "accepted_on",
        "started_on",
        "ended_on",
        "status",
        "sessions_attended",
        "certificate_issued",
        "job_placement",
        "employer",
        "support_amount",
    )


YES_NO = {True: _("Sí"), False: _("No")}

register_report(
    ReportKind(
        key="referrals",
        title=_("Derivaciones y resultados"),
        columns=(
            Column(_("CUIL")),
            Column(_("Apellido")),
            Column(_("Nombre")),
            Column(_("Provincia del convenio")),
            Column(_("Convenio")),
            Column(_("Período")),
            Column(_("Organización que inscribe")),
            Column(_("Línea"), choices=dict(Referral.Line.choices)),
            Column(_("Curso o entrenamiento")),
            Column(_("Institución")),
            Column(_("Oficina de empleo")),
            Column(_("Provincia de destino")),
            Column(_("Actividad de destino")),
            Column(_("Fecha de derivación"), "date"),
            Column(_("Fecha de aceptación"), "date"),
            Column(_("Fecha de inicio"), "date"),
            Column(_("Fecha de cierre"), "date"),
            Column(_("Estado"), choices=dict(Referral.Status.choices)),
            Column(_("Encuentros asistidos"), "int"),
            Column(_("Certificado obtenido"), choices=YES_NO),
            Column(_("Obtuvo empleo"), choices=YES_NO),
            Column(_("Empleador")),
            Column(_("Ayuda otorgada (ARS)"), "money"),
        ),
        rows=referrals_rows,
        form=ReferralsReportForm,
        filename=lambda params: "derivaciones" + (f"-periodo-{params['cycle']}" if params.get("cycle") else ""),
        permission="training.view_referral",
    )
)
