"""The quick check of survey-list rows accepts only what the full check accepts, with the same values."""

import datetime as dt

import pytest

from enrollment.imports.check import Lookups, RowChecker, validate_rows
from enrollment.imports.read import COLUMNS, Table, read_table
from tests.enrollment.survey_files import HEADER, csv_bytes, row
from tests.factories import CycleFactory, make_cuil


def tricky_rows() -> list[dict]:
    """Valid rows written in every way people write them, and rows with each kind of problem."""
    valid = [
        {},
        {"cuil": "{dashed}"},
        {"cuil": "{spaced}"},
        {"apellido": "  Núñez   de  la  Cruz ", "nombre": "José\tMaría"},
        {"domicilio": "Ruta 38  km 12", "localidad": "  Famaillá  "},
        {"fecha_nacimiento": "1985-03-15"},
        {"fecha_nacimiento": "15-03-1985"},
        {"fecha_nacimiento": "15.03.1985"},
        {"fecha_nacimiento": "01/05/2008"},  # 18 on the cycle's first day
        {"sexo": "femenino"},
        {"sexo": "Mujer"},
        {"sexo": "x"},
        {"provincia": "TUCUMAN"},
        {"provincia": "AR-T"},
        {"provincia": "t"},
        {"provincia": " tucumán "},
        {"actividad": "CANA"},
        {"actividad": "Caña de azúcar"},
        {"nacionalidad": ""},
        {"nacionalidad": "Bolivia"},
        {"cbu": ""},
        {"cbu": "{cbu_dashed}"},
        {"telefono": "", "domicilio": "", "renatre": ""},
        {"cuil": "{company}"},  # a company prefix: python-stdnum decides
    ]
    bad = [
        {"cuil": ""},
        {"cuil": "20400000010"},
        {"cuil": "2040000"},
        {"cuil": "٢٠٤٠٠٠٠٠٠١٠"},
        {"apellido": ""},
        {"apellido": "x" * 121},
        {"nombre": "   "},
        {"fecha_nacimiento": ""},
        {"fecha_nacimiento": "31/02/1990"},
        {"fecha_nacimiento": "15/03/85"},
        {"fecha_nacimiento": "01/01/2090"},
        {"fecha_nacimiento": "01/01/1890"},
        {"fecha_nacimiento": "02/05/2008"},
        {"sexo": ""},
        {"sexo": "Z"},
        {"provincia": ""},
        {"provincia": "Atlántida"},
        {"provincia": "Mendoza"},
        {"localidad": ""},
        {"localidad": "y" * 121},
        {"nacionalidad": "z" * 61},
        {"telefono": "9" * 31},
        {"domicilio": "d" * 201},
        {"renatre": "r" * 21},
        {"cbu": "0110599520000001234567"},
        {"cbu": "12345"},
        {"actividad": ""},
        {"actividad": "soja"},
        {"actividad": "vid"},
    ]
    rows = []
    for n, overrides in enumerate(valid + bad, start=1):
        r = row(n)
        cuil, cbu = r["cuil"], r["cbu"]
        for key, value in overrides.items():
            r[key] = value.format(
                dashed=f"{cuil[:2]}-{cuil[2:10]}-{cuil[10]}",
                spaced=f" {cuil[:2]} {cuil[2:10]} {cuil[10]} ",
                cbu_dashed=f"{cbu[:8]}-{cbu[8:]}",
                company=make_cuil(50_000_000 + n, prefix="30"),
            )
        rows.append(r)
    rows.append(row(1))  # the same CUIL again
    rows.append({h: "" for h in HEADER})  # a blank row
    return rows


def run_both(monkeypatch, table: Table, cycle) -> tuple:
    lookups = Lookups()
    quick = validate_rows(table, cycle=cycle, lookups=lookups, job_id=5)
    with monkeypatch.context() as patched:
        patched.setattr(RowChecker, "_build", lambda self: lambda row, number, seen: None)
        full = validate_rows(table, cycle=cycle, lookups=lookups, job_id=5)
    return quick, full


@pytest.mark.django_db
def test_quick_check_gives_what_the_full_check_gives(monkeypatch):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    table = read_table(csv_bytes(tricky_rows(), delimiter=";"), "csv")
    quick, full = run_both(monkeypatch, table, cycle)
    assert quick == full
    valid, errors, error_rows = quick
    assert len(valid) == 24 and error_rows == 30, [e for e in errors if e[1] < 27]


@pytest.mark.django_db
def test_quick_check_of_workbook_cells_and_short_rows(monkeypatch):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    cells = [[r[h] for h in HEADER] for r in tricky_rows()]
    cells[0][0] = float(cells[0][0])  # CUIL typed as a number
    cells[1][3] = dt.datetime(1985, 3, 15)  # a date cell
    cells[2][3] = dt.date(1990, 1, 2)
    cells[3][3] = 31000.0  # a date left as Excel's serial number
    cells[4][10] = float(cells[4][10]) if cells[4][10] else 1.0
    cells[5] = cells[5][:-1]  # the last cell missing
    cells[6] = [*cells[6], "extra"]
    cells[7][6] = 3814000000.0
    cells[8][3] = None
    cells[9][7] = "Ruta 38\nkm 12"
    table = Table(
        headers=HEADER,
        columns={COLUMNS[h][0]: i for i, h in enumerate(HEADER)},
        labels={COLUMNS[h][0]: h for h in HEADER},
        rows=cells,
    )
    quick, full = run_both(monkeypatch, table, cycle)
    assert quick == full
    assert len(quick[0]) == 20


@pytest.mark.django_db
def test_quick_check_without_optional_columns(monkeypatch):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    header = [h for h in HEADER if h not in ("nacionalidad", "telefono", "cbu", "renatre")]
    table = read_table(csv_bytes(tricky_rows(), header=header), "csv")
    quick, full = run_both(monkeypatch, table, cycle)
    assert quick == full
    assert all(v[9] == "Argentina" and v[14] == "" for v in quick[0])


@pytest.mark.django_db
def test_quick_check_takes_the_usual_rows():
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    table = read_table(csv_bytes(tricky_rows()), "csv")
    checker = RowChecker(table, cycle=cycle, lookups=Lookups(), today=dt.date(2026, 1, 1), job_id=5)
    taken = [n for n, r in enumerate(table.rows, start=2) if checker.check(r, n, {}) is not None]
    # and row 55, the repeated CUIL, since this checker was given no CUILs seen before
    assert taken == [*range(2, 23), 24, 55], "every valid row but the CBU with a dash and the company CUIL"
