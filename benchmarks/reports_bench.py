"""Dashboards, search and exports at programme scale, on a scratch database of the embedded
PostgreSQL (or of DATABASE_URL's server): ``python benchmarks/reports_bench.py [workers]``.

Workers and enrollments are inserted set-based (INSERT ... SELECT generate_series); then each
read is timed (best of 3) for a national user and a provincial officer."""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "interzafra_bench_reports"
N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def scratch_database_url() -> str:
    import psycopg

    if "DATABASE_URL" in os.environ:
        base = os.environ["DATABASE_URL"]
    else:
        from config import embedded

        base = embedded.database_url()
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
        conn.execute(f'CREATE DATABASE "{DB}"')
    return urlunsplit(parts._replace(path=f"/{DB}"))


def best_of(fn, runs: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    os.environ["DATABASE_URL"] = scratch_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.localkey import ensure_local_secret_key

    ensure_local_secret_key()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())

    start = time.perf_counter()
    with connection.cursor() as c:
        c.execute(
            f"""
            WITH names AS (
              SELECT ARRAY['GONZALEZ','RODRIGUEZ','GOMEZ','FERNANDEZ','LOPEZ','DIAZ','MARTINEZ','PEREZ','ROMERO',
                           'SOSA','ALVAREZ','TORRES','RUIZ','RAMIREZ','FLORES','ACOSTA','BENITEZ','MEDINA','HERRERA',
                           'SUAREZ','AGUIRRE','GIMENEZ','GUTIERREZ','PEREYRA','ROJAS','MOLINA','CASTRO','ORTIZ',
                           'SILVA','NUNEZ','LUNA','JUAREZ','CABRERA','RIOS','FERREYRA','GODOY','MORALES',
                           'QUIROGA'] AS l,
                     ARRAY['MARIA','JOSE','JUAN CARLOS','RAMON','ROSA','LUIS','CARMEN','MIGUEL ANGEL','ANA MARIA',
                           'JORGE','GRACIELA','HECTOR','SILVIA','DANIEL','NORMA','WALTER','CLAUDIA','MIRTA'] AS f
            )
            INSERT INTO enrollment_worker (cuil, last_name, first_name, last_name_norm, first_name_norm, birth_date,
                sex, nationality, phone, address, province_id, locality, cbu, renatre, registered_by_id,
                created_at, updated_at)
            SELECT '20' || lpad((40000000 + g)::text, 8, '0') || (g % 10)::text,
                   initcap(l[1 + g % array_length(l, 1)]), initcap(f[1 + (g / 7) % array_length(f, 1)]),
                   l[1 + g % array_length(l, 1)] ||
                     CASE WHEN g % 5 = 0 THEN ' ' || l[1 + (g / 3) % array_length(l, 1)] ELSE '' END,
                   f[1 + (g / 7) % array_length(f, 1)],
                   date '1960-01-01' + (g % 15000), CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END, 'Argentina',
                   '', '', o.province_id, 'Localidad', '', '', o.id, now(), now()
            FROM generate_series(1, {int(N)}) g
            CROSS JOIN names
            CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM provinces_organisation
                        WHERE province_id IS NOT NULL) orgs
            JOIN provinces_organisation o ON o.id = orgs.ids[1 + g % array_length(orgs.ids, 1)]
            """
        )
        c.execute("ANALYZE enrollment_worker")
        c.execute(
            """
            INSERT INTO enrollment_enrollment (worker_id, cycle_id, organisation_id, status, status_reason, created_at)
            SELECT w.id, cy.id, w.registered_by_id,
                   (ARRAY['submitted','pending_review','approved','active','completed','rejected','suspended'])
                     [1 + w.id % 7], '', now()
            FROM enrollment_worker w
            JOIN (SELECT DISTINCT ON (a.province_id) a.province_id, c.id
                  FROM provinces_cycle c JOIN provinces_agreement a ON a.id = c.agreement_id
                  ORDER BY a.province_id, c.id) cy ON cy.province_id = w.province_id
            WHERE w.id > (SELECT coalesce(max(worker_id), 0) FROM enrollment_enrollment)
            """
        )
        c.execute("ANALYZE")
        c.execute("SELECT count(*) FROM enrollment_worker")
        workers = c.fetchone()[0]
        c.execute("SELECT count(*) FROM enrollment_enrollment")
        enrollments = c.fetchone()[0]
    load = time.perf_counter() - start

    from django.db.models import Count

    from provinces.models import Cycle
    from reports import dashboard
    from reports.exports import REPORTS, write_report
    from reports.selectors import search_workers

    users = get_user_model().objects
    national, provincial = users.get(username="revisora"), users.get(username="tucuman")
    print(f"data: {workers:,} workers, {enrollments:,} enrollments (loaded in {load:.1f} s)")
    print(f"{'what':58} {'user':10} {'best of 3':>10}")
    for user in (national, provincial):
        t, _ = best_of(lambda u=user: [s.charts for s in dashboard.sections_for(u)])
        print(f"{'dashboard: every section':58} {user.username:10} {t * 1000:8.0f} ms")
        for query in ("gonzales maria", "rodriges", "20400012344", "40001234"):
            t, found = best_of(lambda u=user, q=query: list(search_workers(user=u, query=q)))
            print(f"{'search ' + repr(query) + f' ({len(found)} found)':58} {user.username:10} {t * 1000:8.0f} ms")
    report = REPORTS["beneficiaries"]
    cycle = Cycle.objects.annotate(n=Count("enrollments")).order_by("-n").first()
    for fmt in ("csv", "xlsx"):
        rows = report.rows(national, {"cycle": cycle.pk})
        t, written = best_of(
            lambda f=fmt, r=rows: write_report(f, io.BytesIO(), report, r.iterator(chunk_size=2000)), 1
        )
        print(f"{f'export beneficiaries {fmt} ({written:,} rows)':58} {'revisora':10} {t * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
