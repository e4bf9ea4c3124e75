"""Survey-list import benchmark (issue 3).

Generates a realistic survey list of N rows (default 200,000) as CSV and XLSX, imports each end
to end through the same services the web UI and the Celery tasks use (store the upload, parse,
validate, stage with COPY, summarise, confirm, insert workers and enrollments set-based with
the audit triggers on), and in the same run times PostgreSQL's COPY of the same rows into
tables with the same indexes (``CREATE TABLE … (LIKE … INCLUDING ALL)``). Prints rows/s and
the ratio import ÷ COPY.

Runs in its own scratch database (the development database's name + ``_import_bench``, created,
migrated and dropped), so the development and test databases, and another checkout's, are not
touched; the generated lists in ``benchmarks/out/`` and the uploaded copies are deleted at the end:

    .venv/bin/python benchmarks/import_bench.py            # 200,000 rows
    .venv/bin/python benchmarks/import_bench.py --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from config.localkey import ensure_local_secret_key  # noqa: E402

ensure_local_secret_key()
OUT = BASE / "benchmarks" / "out"

SURNAMES = [
    "González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez", "Pérez", "Romero", "Sosa",
    "Álvarez", "Torres", "Ruiz", "Ramírez", "Flores", "Acosta", "Benítez", "Medina", "Herrera", "Suárez",
    "Aguirre", "Giménez", "Gutiérrez", "Pereyra", "Rojas", "Molina", "Castro", "Ortiz", "Silva", "Núñez",
    "Luna", "Juárez", "Cabrera", "Ríos", "Ferreyra", "Godoy", "Morales", "Domínguez", "Moreno", "Peralta",
    "Mamaní", "Quispe", "Chocobar", "Villalba", "Coronel", "Toledo", "Carrizo", "Quiroga", "Ponce", "Vega",
]  # fmt: skip
NAMES = [
    "Juan Carlos", "José", "Ramón", "Luis", "Miguel Ángel", "Carlos", "Jorge", "Héctor", "Daniel", "Walter",
    "María", "Rosa", "Carmen", "Ana María", "Graciela", "Silvia", "Norma", "Marta", "Beatriz", "Elena",
]  # fmt: skip
LOCALITIES = ["Famaillá", "Monteros", "Lules", "Concepción", "Aguilares", "Simoca", "Bella Vista", "Tafí Viejo"]
NATIONALITIES = ["Argentina"] * 92 + ["Bolivia"] * 5 + ["Paraguay"] * 3
HEADER = [
    "cuil", "apellido", "nombre", "fecha_nacimiento", "sexo", "nacionalidad", "telefono", "domicilio",
    "provincia", "localidad", "cbu", "renatre", "actividad",
]  # fmt: skip


def generate_rows(n: int, seed: int = 2026) -> list[list[str]]:
    """``n`` rows as people type them: CUIL with dashes in some, dd/mm/yyyy dates, accents, some
    without CBU or phone, foreign nationals. All valid, so every row becomes an enrollment."""
    from stdnum.ar import cbu as cbu_number
    from stdnum.ar import cuit as cuit_number

    rng = random.Random(seed)
    bank = "0110599" + cbu_number.calc_check_digit("0110599")
    dnis = rng.sample(range(10_000_000, 45_000_000), n)
    rows = []
    for i, dni in enumerate(dnis):
        female = rng.random() < 0.35
        prefix = "27" if female else "20"
        body = f"{prefix}{dni:08d}"
        digit = cuit_number.calc_check_digit(body)
        if digit == "10":
            body = f"23{dni:08d}"
            digit = cuit_number.calc_check_digit(body)
        cuil = body + digit
        if i % 3 == 0:
            cuil = f"{cuil[:2]}-{cuil[2:10]}-{cuil[10]}"
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 15000))
        account = f"{rng.randint(0, 10**13 - 1):013d}"
        cbu = bank + account + cbu_number.calc_check_digit(account) if rng.random() < 0.7 else ""
        rows.append(
            [
                cuil,
                rng.choice(SURNAMES),
                rng.choice(NAMES),
                birth.strftime("%d/%m/%Y"),
                "F" if female else "M",
                rng.choice(NATIONALITIES),
                f"381 {rng.randint(4000000, 6999999)}" if rng.random() < 0.8 else "",
                f"Calle {rng.randint(1, 500)} N° {rng.randint(1, 3000)}",
                "Tucumán",
                rng.choice(LOCALITIES),
                cbu,
                f"{rng.randint(100000, 999999)}" if rng.random() < 0.5 else "",
                "cana",
            ]
        )
    return rows


def write_csv(rows: list[list[str]], path: Path) -> None:
    """A survey list as the provinces send it: ``;``-separated, with the column names first."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)


def write_files(rows: list[list[str]], n: int) -> tuple[Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = OUT / f"padron_{n}.csv", OUT / f"padron_{n}.xlsx"
    if not csv_path.exists():
        write_csv(rows, csv_path)
    if not xlsx_path.exists():
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("padron")
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        book.save(xlsx_path)
    return csv_path, xlsx_path


def setup_world(n: int):
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from provinces.models import Agreement, AgreementQuota, Crop, Cycle, Organisation, Province
    from provinces.roles import Role
    from provinces.services import grant_membership

    tucuman = Province.objects.get(name="Tucumán")
    office, _ = Organisation.objects.get_or_create(
        name="Secretaría de Empleo (benchmark)", defaults={"kind": "provincial_office", "province": tucuman}
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-officer")
    grant_membership(user=user, organisation=office, role=Role.PROVINCIAL_OFFICER)
    agreement, _ = Agreement.objects.get_or_create(
        number="BENCH-1",
        defaults={
            "province": tucuman,
            "title": "Convenio de prueba de rendimiento",
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
            "budget": Decimal("1000000000.00"),
            "status": Agreement.Status.ACTIVE,
        },
    )
    cane = Crop.objects.get(code="cana")
    AgreementQuota.objects.update_or_create(agreement=agreement, crop=cane, defaults={"quota": 2 * n + 10})
    cycle, _ = Cycle.objects.get_or_create(
        agreement=agreement, crop=cane, first_month=dt.date(2026, 5, 1), defaults={"name": "Bench", "months": 4}
    )
    return get_user_model().objects.get(pk=user.pk), cycle


def reset(connection) -> None:
    """Empty what an import writes (TRUNCATE skips the row triggers of the audit trail), then
    checkpoint."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE enrollment_enrollment, enrollment_enrollmentevent, enrollment_worker, "
            "enrollment_workerevent, enrollment_importrow, enrollment_importrowerror CASCADE"
        )
        cursor.execute("VACUUM ANALYZE enrollment_worker")
        cursor.execute("VACUUM ANALYZE enrollment_enrollment")
        # Each step starts right after a checkpoint, so none of them pays for the previous one's
        # WAL (a checkpoint that starts half-way makes the rest of a step write full pages).
        cursor.execute("CHECKPOINT")


def import_file(path: Path, user, cycle) -> tuple[float, dict]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enrollment import imports

    data = path.read_bytes()
    start = time.perf_counter()
    job = imports.create_import_job(by=user, upload=SimpleUploadedFile(path.name, data), cycle=cycle)
    t_upload = time.perf_counter()
    job = imports.analyse_import(job_id=job.pk)
    t_analyse = time.perf_counter()
    assert job.status == job.Status.READY, job.error_message
    imports.confirm_import(job=job, by=user)
    job = imports.apply_import(job_id=job.pk)
    end = time.perf_counter()
    assert job.status == job.Status.DONE
    purge_start = time.perf_counter()
    imports.purge_staged_rows(job_id=job.pk)
    purge = time.perf_counter() - purge_start
    return end - start, {
        "store upload": t_upload - start,
        "parse + validate + stage (COPY) + summary": t_analyse - t_upload,
        "confirm + insert workers and enrollments": end - t_analyse,
        "(after the job is done, not counted: purge staged rows)": purge,
        "valid rows": job.valid_rows,
        "error rows": job.error_rows,
        "enrollments created": job.created_enrollments,
    }


def copy_baseline(connection, rows: list[list[str]], cycle, user) -> float:
    """COPY the same workers and enrollments into tables LIKE the real ones (same indexes,
    constraints and generated DNI column), timing the two COPYs only."""
    from stdnum.ar import cuit as cuit_number

    from enrollment.identity import normalise_name

    now = dt.datetime.now(dt.UTC)
    organisation_id = user.memberships.get().organisation_id
    province_id = cycle.agreement.province_id
    workers = []
    for i, r in enumerate(rows, start=1):
        day, month, year = r[3].split("/")
        workers.append(
            (i, cuit_number.compact(r[0]), r[1], r[2], normalise_name(r[1]), normalise_name(r[2]),
             dt.date(int(year), int(month), int(day)), r[4], r[5], r[6], r[7], province_id, r[9], r[10], r[11],
             organisation_id, now, now)
        )  # fmt: skip
    enrollments = [
        (i, cycle.pk, organisation_id, user.pk, "submitted", "", now, user.pk, now) for i in range(1, len(rows) + 1)
    ]
    worker_cols = (
        "id, cuil, last_name, first_name, last_name_norm, first_name_norm, birth_date, sex, nationality, phone, "
        "address, province_id, locality, cbu, renatre, registered_by_id, created_at, updated_at"
    )
    enrollment_cols = (
        "worker_id, cycle_id, organisation_id, registered_by_id, status, status_reason, status_changed_at, "
        "status_changed_by_id, created_at"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_enrollment, bench_worker")
        cursor.execute("CREATE TABLE bench_worker (LIKE enrollment_worker INCLUDING ALL)")
        cursor.execute("CREATE TABLE bench_enrollment (LIKE enrollment_enrollment INCLUDING ALL)")
        start = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_worker ({worker_cols}) FROM STDIN") as copy:
            for w in workers:
                copy.write_row(w)
        with cursor.cursor.copy(f"COPY bench_enrollment ({enrollment_cols}) FROM STDIN") as copy:
            for e in enrollments:
                copy.write_row(e)
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_enrollment, bench_worker")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    n = args.rows

    import logging

    import django
    from django.conf import settings

    settings.DATABASES["default"]["TEST"] = {"NAME": f"{settings.DATABASES['default']['NAME']}_import_bench"}
    settings.SURVEY_LIST_MAX_BYTES = 200 * 1024 * 1024
    import tempfile

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="interzafra-bench-media-")
    django.setup()
    logging.getLogger("enrollment.imports").setLevel(logging.INFO)
    from django.db import connection

    print(f"Generating {n:,} rows…", flush=True)
    t = time.perf_counter()
    rows = generate_rows(n)
    csv_path, xlsx_path = write_files(rows, n)
    print(f"  generated in {time.perf_counter() - t:.1f} s: {csv_path.stat().st_size / 1e6:.1f} MB CSV, "
          f"{xlsx_path.stat().st_size / 1e6:.1f} MB XLSX", flush=True)  # fmt: skip

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    try:
        user, cycle = setup_world(n)
        # The machine is shared: COPY is timed before and after the imports and the two averaged,
        # so a burst of load elsewhere weighs on both sides of the ratio alike.
        reset(connection)
        copy_before = copy_baseline(connection, rows, cycle, user)
        results = {}
        for label, path in (("CSV", csv_path), ("XLSX", xlsx_path)):
            reset(connection)
            elapsed, parts = import_file(path, user, cycle)
            results[label] = elapsed
            print(f"\n{label} import end to end: {elapsed:.2f} s = {n / elapsed:,.0f} rows/s")
            for key, value in parts.items():
                print(f"  {key}: {value:.2f} s" if isinstance(value, float) else f"  {key}: {value:,}")
        reset(connection)
        copy_after = copy_baseline(connection, rows, cycle, user)
        copy_seconds = (copy_before + copy_after) / 2
        copy_rate = n / copy_seconds
        print(f"\nPostgreSQL COPY of the same rows (workers + enrollments, same indexes): {copy_before:.2f} s before, "
              f"{copy_after:.2f} s after the imports; mean {copy_seconds:.2f} s = {copy_rate:,.0f} rows/s")  # fmt: skip
        csv_rate = n / results["CSV"]
        print("\nSummary")
        print(f"  CSV import : {csv_rate:>9,.0f} rows/s  ratio to COPY {csv_rate / copy_rate:.2f}  (target ≥ 0.5)")
        xlsx_rate = n / results["XLSX"]
        print(f"  XLSX import: {xlsx_rate:>9,.0f} rows/s  ratio to COPY {xlsx_rate / copy_rate:.2f}  "
              f"XLSX − CSV = {results['XLSX'] - results['CSV']:+.2f} s  (target ≤ +2 s)")  # fmt: skip
        with open("/proc/loadavg") as load:
            averages = " ".join(load.read().split()[:3])
        print(f"  load average at the end (1, 5, 15 min): {averages} on {os.cpu_count()} cores")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        # The generated lists (tens of MB at full size) are not left behind.
        for path in (csv_path, xlsx_path):
            path.unlink(missing_ok=True)
        if OUT.exists() and not any(OUT.iterdir()):
            OUT.rmdir()
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


if __name__ == "__main__":
    main()
