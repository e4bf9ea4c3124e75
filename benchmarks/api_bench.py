#!/usr/bin/env python
"""Load benchmark of the beneficiary status endpoint (issue 6).

Serves the app with the production server of docs/deploy.md (granian, WSGI interface, two
workers of four threads) against PostgreSQL holding 200,000 enrolled workers and drives
``GET /api/v1/status/<cuil>/`` with keep-alive from another process (wrk) for 30 s,
alternating with a bare WSGI app (``benchmarks/bare_status.py``) that runs the same queries
with psycopg and no framework, under the same server settings. The API request is the real
one: token authentication, the union officer's scope, the access-log insert (throttling too,
with a rate high enough not to refuse the load). Prints req/s, p50/p99, errors and the ratio
API / bare.

    apt-get install -y wrk            # the load generator (Debian package)
    .venv/bin/python benchmarks/api_bench.py [--workers 200000] [--duration 30] [--rounds 1]

Uses a separate database ``interzafra_api_bench`` on the embedded PostgreSQL (or
``BENCH_DATABASE_URL``); the data are loaded once with COPY and INSERT … SELECT and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "interzafra_api_bench"
# The web server and settings of docs/deploy.md §3, the same for both apps (two workers: two cores).
SERVER_ARGS = ["--interface", "wsgi", "--workers", "2", "--blocking-threads", "4"]
WRK_ARGS = ["-t2", "-c8", "--timeout", "10s"]


def bench_database_url() -> str:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    url = os.environ.get("BENCH_DATABASE_URL")
    if url is None:
        from config import embedded

        url = embedded.database_url().replace(f"/{embedded.DATABASE_NAME}?", f"/{BENCH_DB}?")
    params = conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = params.pop("dbname")
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return url


def cuil_for(n: int) -> str:
    from stdnum.ar import cuit

    for prefix in ("20", "27", "23"):
        body = f"{prefix}{n:08d}"
        digit = cuit.calc_check_digit(body)
        if digit != "10":
            return body + digit
    raise ValueError(n)


def prepare(url: str, n_workers: int) -> tuple[str, list[str]]:
    """Migrate, load ``n_workers`` enrolled workers (half registered by union A), return a fresh
    token of union A's officer and a sample of union A's CUILs."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.localkey import ensure_local_secret_key

    ensure_local_secret_key()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from api.services import create_token
    from enrollment.models import Worker
    from provinces.models import Agreement, AgreementQuota, Crop, Cycle, Organisation, Province
    from provinces.services import grant_membership
    from training.models import Course, Provider

    call_command("migrate", verbosity=0, interactive=False)
    tucuman, cane = Province.objects.get(name="Tucumán"), Crop.objects.get(code="cana")
    union_a, _ = Organisation.objects.get_or_create(
        name="Bench Sindicato A", defaults={"kind": "union", "province": tucuman}
    )
    union_b, _ = Organisation.objects.get_or_create(
        name="Bench Sindicato B", defaults={"kind": "union", "province": tucuman}
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-union-a")
    grant_membership(user=user, organisation=union_a, role="union_officer")
    agreement, _ = Agreement.objects.get_or_create(
        number="BENCH-1",
        defaults={
            "province": tucuman,
            "title": "Bench",
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
            "budget": Decimal("1000000000000"),
            "status": "active",
        },
    )
    AgreementQuota.objects.get_or_create(agreement=agreement, crop=cane, defaults={"quota": n_workers * 2})
    cycle, _ = Cycle.objects.get_or_create(
        agreement=agreement, crop=cane, first_month=dt.date(2026, 5, 1), defaults={"name": "Bench 2026", "months": 4}
    )
    provider, _ = Provider.objects.get_or_create(name="Bench CFP", defaults={"province": tucuman})
    course, _ = Course.objects.get_or_create(
        provider=provider,
        topic="Bench",
        defaults={
            "place": "X",
            "province": tucuman,
            "start_date": dt.date(2026, 6, 1),
            "end_date": dt.date(2026, 7, 1),
            "capacity": n_workers,
            "sessions": 4,
        },
    )
    existing = Worker.objects.filter(registered_by__in=[union_a, union_b]).count()
    if existing < n_workers:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # bulk load: no audit triggers
            now = dt.datetime.now(dt.UTC)
            columns = (
                "cuil, last_name, first_name, last_name_norm, first_name_norm, birth_date, sex, nationality, phone, "
                "address, province_id, locality, cbu, renatre, registered_by_id, created_at, updated_at"
            )
            with cursor.cursor.copy(f"COPY enrollment_worker ({columns}) FROM STDIN") as copy:
                for i in range(existing, n_workers):
                    org = union_a.pk if i % 2 == 0 else union_b.pk
                    birth = dt.date(1970, 1, 1) + dt.timedelta(days=i % 12000)
                    copy.write_row(
                        (
                            cuil_for(40_000_000 + i),
                            f"APELLIDO{i}",
                            "NOMBRE",
                            f"APELLIDO{i}",
                            "NOMBRE",
                            birth,
                            "F",
                            "Argentina",
                            "",
                            "",
                            tucuman.pk,
                            "Famaillá",
                            "",
                            "",
                            org,
                            now,
                            now,
                        )
                    )
            cursor.execute(
                "INSERT INTO enrollment_enrollment (worker_id, cycle_id, organisation_id, status, status_reason, "
                "created_at, status_changed_at) SELECT w.id, %s, w.registered_by_id, 'active', '', now(), now() "
                "FROM enrollment_worker w WHERE w.registered_by_id IN (%s, %s) AND NOT EXISTS "
                "(SELECT 1 FROM enrollment_enrollment e WHERE e.worker_id = w.id AND e.cycle_id = %s)",
                [cycle.pk, union_a.pk, union_b.pk, cycle.pk],
            )
            cursor.execute(
                "INSERT INTO training_referral (enrollment_id, worker_id, line, course_id, status, referred_on, "
                "sessions_attended, certificate_issued, certificate_number, job_placement, employer, notes, "
                "support_detail, referred_by_id, created_at) SELECT e.id, e.worker_id, 'vocational', %s, 'referred', "
                "'2026-06-01', 0, false, '', false, '', '', '', %s, now() FROM enrollment_enrollment e "
                "WHERE e.cycle_id = %s AND e.worker_id %% 10 = 0 ON CONFLICT DO NOTHING",
                [course.pk, user.pk, cycle.pk],
            )
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("ANALYZE")
        print(
            f"loaded {n_workers - existing} workers, enrolled and partly referred, "
            f"in {time.monotonic() - started:.1f} s"
        )
    _token, key = create_token(by=user, name="benchmark", days=1)
    cuils = list(Worker.objects.filter(registered_by=union_a).order_by("?").values_list("cuil", flat=True)[:20000])
    connection.close()
    return key, cuils


LUA = """
local cuils = {%(cuils)s}
local token = "%(token)s"
local prefix = "%(prefix)s"
local i = 0
local threads = {}
function setup(thread)
  thread:set("offset", math.random(1, #cuils))
  table.insert(threads, thread)
end
others = 0
function response(status, headers, body)
  if status ~= 200 then others = others + 1 end
end
function request()
  i = i + 1
  local c = cuils[((offset or 0) + i) %% #cuils + 1]
  return wrk.format("GET", prefix .. c .. "/", {["Authorization"] = "Token " .. token})
end
function done(summary, latency, requests)
  local e = summary.errors
  local not_ok = 0
  for _, t in ipairs(threads) do not_ok = not_ok + t:get("others") end
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "socket_errors": %%d, "timeouts": %%d, "non_2xx": %%d, "not_200": %%d}\\n', summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write, e.timeout, e.status, not_ok))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app: str, url: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DATABASE_CONN_MAX_AGE="600",
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        API_THROTTLE_USER="100000000/min",
        API_THROTTLE_IP="100000000/min",
        DJANGO_LOG_LEVEL="WARNING",
    )
    granian = str(Path(sys.executable).parent / "granian")
    cmd = [
        granian,
        *SERVER_ARGS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--working-dir",
        str(ROOT),
        app,
    ]
    process = subprocess.Popen(cmd, env=env, cwd=ROOT)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.1)
    return process, port


def check(port: int, prefix: str, key: str, cuil: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{prefix}{cuil}/", headers={"Authorization": f"Token {key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def load(port: int, prefix: str, key: str, cuils: list[str], seconds: int, workdir: Path) -> dict:
    script = workdir / "status.lua"
    script.write_text(LUA % {"cuils": ",".join(f'"{c}"' for c in cuils), "token": key, "prefix": prefix})
    out = subprocess.run(
        ["wrk", *WRK_ARGS, f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = result["socket_errors"] + result["timeouts"] + result["not_200"]
    return result


TARGETS = {
    "bare": ("benchmarks.bare_status:application", "/status/"),
    "api": ("config.wsgi:application", "/api/v1/status/"),
}


def ensure_wrk() -> None:
    """Install Debian's wrk when it is missing, the way ``make e2e-browser`` installs Chromium
    (apt, as root); otherwise say exactly what to run."""
    if shutil.which("wrk") is not None:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing it with apt-get (Debian package) ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed and could not be installed here: run `sudo apt-get install -y wrk`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=200_000)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1, help="bare/api alternations")
    args = parser.parse_args()
    ensure_wrk()
    url = bench_database_url()
    key, cuils = prepare(url, args.workers)
    results: dict[str, list[dict]] = {"bare": [], "api": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(1, args.rounds + 1):
            for name in ("bare", "api"):
                app, prefix = TARGETS[name]
                process, port = serve(app, url)
                try:
                    body = check(port, prefix, key, random.choice(cuils))
                    assert body["enrollments"], body
                    load(port, prefix, key, cuils, 3, Path(tmp))  # warm-up: connections, caches
                    result = load(port, prefix, key, cuils, args.duration, Path(tmp))
                finally:
                    process.terminate()
                    process.wait(timeout=30)
                results[name].append(result)
                print(
                    f"round {round_no} {name:4s}: {result['rps']:8.0f} req/s  p50 {result['p50_us'] / 1000:6.2f} ms  "
                    f"p99 {result['p99_us'] / 1000:6.2f} ms  max {result['max_us'] / 1000:7.1f} ms  "
                    f"errors {result['errors']} "
                    f"(socket {result['socket_errors']}, timeouts {result['timeouts']}, not 200 {result['not_200']}; "
                    f"{result['requests']} requests)"
                )
    bare = statistics.median(r["rps"] for r in results["bare"])
    api = statistics.median(r["rps"] for r in results["api"])
    p99 = max(r["p99_us"] for r in results["api"]) / 1000
    errors = sum(r["errors"] for r in results["api"])
    print(f"bare WSGI + psycopg: {bare:.0f} req/s")
    print(f"API (DRF, token auth, scoping, access log): {api:.0f} req/s, p99 {p99:.2f} ms, errors {errors}")
    print(f"ratio API / bare: {api / bare:.2f}x  (targets: >= 0.35x, p99 <= 30 ms, 0 errors)")


if __name__ == "__main__":
    main()
