"""Benchmark of a payments month: 200,000 active enrollments.

Steps, each timed and compared with the same work done by one plain SQL statement in the same
run and on the same tables (rolled back afterwards):

1. schedule their installments (4 each)        vs  INSERT … SELECT of the installments
   (each worker has 8 months of agrarian pay;
   the entitlement is determined in this step)
2. build the month's batch, with re-screening  vs  INSERT … SELECT of the batch lines
3. approve it (second officer)                 vs  UPDATE of the batch row
4. export the bank file (CSV)                  vs  COPY (SELECT …) TO STDOUT
5. reconcile a return file with 2 % rejections vs  UPDATE of the lines and their installments
                                                   (one statement, a writable CTE)

Runs in its own database (``interzafra_bench``), created from the migrations and dropped at
the end. Usage: ``.venv/bin/python benchmarks/batch_bench.py [--enrollments 200000]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
from config.localkey import ensure_local_secret_key  # noqa: E402

ensure_local_secret_key()

import django  # noqa: E402

django.setup()

import pghistory  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

MAY = dt.date(2026, 5, 1)
REJECT_EVERY = 50  # 2 %
CONFLICT_EVERY = 100  # re-screening finds 1 % of the month's enrollments in conflict


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def baseline(sql: str, params=None) -> float:
    """Time one SQL statement, then roll it back so the real step starts from the same state."""
    from provinces.audit import prepare_bulk_audit

    with transaction.atomic(), connection.cursor() as cursor, pghistory.context(reason="baseline"):
        # same audit-trigger conditions as the services: pgtrigger.ignore set, and the triggers'
        # cached plans dropped (a plan cached for an earlier statement of a few rows makes the
        # statement-level audit triggers quadratic; see provinces.audit.prepare_bulk_audit)
        prepare_bulk_audit(cursor)
        # foreign keys are deferred to commit; check them now, as the real step's commit does
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        start = time.perf_counter()
        cursor.execute(sql, params)
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return elapsed


def baseline_copy(sql: str, params=None) -> float:
    with connection.cursor() as cursor:
        start = time.perf_counter()
        size = 0
        with cursor.copy(sql, params) as copy:
            for data in copy:
                size += len(data)
        return time.perf_counter() - start


def seed(n: int) -> list[int]:
    """Workers and approved enrollments, set-based: 4 provinces, one agreement and cycle each."""
    from tests.factories import AgreementFactory, CycleFactory, OrganisationFactory, province

    cycles = []
    for name in ("Tucumán", "Mendoza", "Río Negro", "Salta"):
        agreement = AgreementFactory(province=province(name), budget="100000000000.00")
        cycles.append(CycleFactory(agreement=agreement, first_month=MAY, months=4))
    org = OrganisationFactory()
    with transaction.atomic(), connection.cursor() as cursor, pghistory.context(reason="benchmark seed"):
        cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
        cursor.execute(
            """
            INSERT INTO enrollment_worker (cuil, last_name, first_name, last_name_norm, first_name_norm, birth_date,
                   sex, nationality, phone, address, province_id, locality, cbu, renatre, registered_by_id,
                   created_at, updated_at)
            SELECT '20' || lpad(g::text, 8, '0') || '1', 'APELLIDO' || g, 'NOMBRE', 'APELLIDO' || g, 'NOMBRE',
                   DATE '1980-01-01' + (g %% 9000), 'F', 'Argentina', '', '', c.province_id, 'Localidad',
                   '0110599' || '5' || lpad(g::text, 13, '0') || '1', '', %s, now(), now()
              FROM generate_series(1, %s) g
              JOIN (SELECT row_number() OVER (ORDER BY a.id) - 1 AS k, a.province_id
                      FROM provinces_agreement a WHERE a.id = ANY(%s)) c ON c.k = g %% 4
            """,
            [org.pk, n, [c.agreement_id for c in cycles]],
        )
        cursor.execute(
            """
            INSERT INTO enrollment_enrollment (worker_id, cycle_id, organisation_id, status, status_reason, created_at)
            SELECT w.id, c.id, %s, 'approved', '', now()
              FROM enrollment_worker w
              JOIN provinces_cycle c ON c.id = ANY(%s)
              JOIN provinces_agreement a ON a.id = c.agreement_id AND a.province_id = w.province_id
             WHERE w.registered_by_id = %s
            RETURNING id
            """,
            [org.pk, [c.pk for c in cycles], org.pk],
        )
        ids = [row[0] for row in cursor.fetchall()]
        # 8 months of agrarian pay before the period: the default entitlement table pays 4 months
        cursor.execute(
            """
            INSERT INTO screening_remuneration (cuil, month, employer_cuit, activity, gross)
            SELECT w.cuil, (DATE %s - make_interval(months => k))::date, '30500000001', 'agrarian', 150000
              FROM enrollment_worker w CROSS JOIN generate_series(1, 8) k
             WHERE w.registered_by_id = %s
            """,
            [MAY, org.pk],
        )
        cursor.execute("ANALYZE")
    return ids


def run(n: int, engine: bool = False) -> None:
    from payments import bank_files, batches, installments, returns
    from payments.common import batch_month_for
    from payments.models import BatchItem, PaymentBatch
    from provinces.roles import Role
    from tests.factories import make_user

    print(f"Payments month benchmark: {n:,} active enrollments (PostgreSQL, {connection.vendor})")
    seconds, ids = timed(lambda: seed(n))
    print(f"  seed: {len(ids):,} workers and approved enrollments in {seconds:.1f} s")
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    builder = make_user(Role.PAYMENTS_OFFICER)
    approver = make_user(Role.PAYMENTS_OFFICER)
    rows = []

    # 1. scheduling
    base = baseline(
        """
        INSERT INTO payments_installment (enrollment_id, worker_id, agreement_id, province_id, kind, number, month,
               rate_id, amount, status, hold_reason, bank_reason, cancel_reason, created_at, updated_at)
        SELECT e.id, e.worker_id, c.agreement_id, a.province_id, 'regular', g,
               (c.first_month + (g - 1) * interval '1 month')::date,
               (SELECT id FROM payments_rate ORDER BY effective_month DESC LIMIT 1), 64000, 'due', '', '', '', now(),
               now()
          FROM enrollment_enrollment e JOIN provinces_cycle c ON c.id = e.cycle_id
          JOIN provinces_agreement a ON a.id = c.agreement_id CROSS JOIN generate_series(1, c.months) g
         WHERE e.status = 'approved'
        """
    )
    step, created = timed(lambda: installments.schedule_installments_bulk(enrollment_ids=ids, by=reviewer))
    rows.append(("schedule installments", f"{created:,} installments", step, base, "INSERT … SELECT"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE payments_installment")

    # 2. batch with re-screening (1 % conflicts: the hold step runs on real ids)
    def synthetic(*, month, enrollment_ids):
        return {e: "Incompatible: registro externo" for e in enrollment_ids if e % CONFLICT_EVERY == 0}

    # --screening-engine: the real re-screening (enrollment.screening), against whatever
    # registries the database holds (none here); otherwise a stand-in reporting 1 % conflicts.
    screen = batches.monthly_screening() if engine else synthetic

    scratch = PaymentBatch.objects.create(month=dt.date(2026, 4, 1), built_by=builder)
    base = baseline(
        """
        INSERT INTO payments_batchitem (batch_id, installment_id, province_id, reference, cbu, cuil, name, amount,
               outcome, bank_reason)
        SELECT %s, i.id, i.province_id, 'X' || i.id, w.cbu, w.cuil,
               left(w.last_name_norm || ' ' || w.first_name_norm, 60), i.amount, 'pending', ''
          FROM payments_installment i JOIN enrollment_worker w ON w.id = i.worker_id
         WHERE i.status = 'due' AND i.month <= %s
        """,
        [scratch.pk, MAY],
    )
    scratch.delete()

    def build():
        with transaction.atomic():
            batch = PaymentBatch.objects.create(month=batch_month_for(MAY), built_by=builder)  # pays May
        return batches.build_batch(batch_id=batch.pk, screen=screen)

    step, batch = timed(build)
    rows.append(
        (
            "build batch (re-screen, hold, batch, totals)",
            f"{batch.item_count:,} lines, {batch.held_count:,} held",
            step,
            base,
            "INSERT … SELECT",
        )
    )

    # 3. approval
    base = baseline(
        "UPDATE payments_paymentbatch SET status = 'approved', approved_by_id = %s, approved_at = now() WHERE id = %s",
        [approver.pk, batch.pk],
    )
    approver.is_verified = lambda: True  # as OTPMiddleware leaves a person who verified a code
    step, _ = timed(lambda: batches.approve_batch(batch=batch, by=approver))
    rows.append(("approve batch", "1 batch", step, base, "UPDATE"))

    # 4. bank file
    base = baseline_copy(
        "COPY (SELECT 'D', reference, cbu, cuil, name, amount::text FROM payments_batchitem WHERE batch_id = %s"
        " ORDER BY reference) TO STDOUT WITH (FORMAT csv, DELIMITER ';')",
        [batch.pk],
    )
    step, bank_file = timed(lambda: bank_files.export_bank_file(batch=batch, fmt="csv", by=builder))
    rows.append(
        (
            "export bank file (CSV)",
            f"{bank_file.line_count:,} lines, {bank_file.size / 1e6:.1f} MB",
            step,
            base,
            "COPY … TO",
        )
    )

    # 5. return file with 2 % rejections
    items = list(
        BatchItem.objects.filter(batch=batch).order_by("reference").values_list("id", "reference", "cuil", "amount")
    )
    lines = [f"H;B{batch.pk:06d};{batch.month:%Y%m}"]
    for item_id, reference, cuil, amount in items:
        if item_id % REJECT_EVERY == 0:
            lines.append(f"D;{reference};{cuil};{amount};RECHAZADA;CBU inexistente")
        else:
            lines.append(f"D;{reference};{cuil};{amount};ACREDITADA;")
    lines.append(f"T;{len(items)};0")
    content = ("\n".join(lines) + "\n").encode()
    # The same work as the step in one plain statement: mark each line and its installment
    # paid or rejected (a writable CTE: one statement, both tables).
    base = baseline(
        """
        WITH done AS (
            UPDATE payments_batchitem SET outcome = CASE WHEN id %% %s = 0 THEN 'rejected' ELSE 'paid' END,
                   bank_reason = CASE WHEN id %% %s = 0 THEN 'CBU inexistente' ELSE '' END,
                   released_at = CASE WHEN id %% %s = 0 THEN now() END
             WHERE batch_id = %s
            RETURNING installment_id, outcome, bank_reason
        )
        UPDATE payments_installment n SET status = d.outcome, bank_reason = d.bank_reason, updated_at = now(),
               paid_at = CASE WHEN d.outcome = 'paid' THEN now() END
          FROM done d WHERE n.id = d.installment_id
        """,
        [REJECT_EVERY, REJECT_EVERY, REJECT_EVERY, batch.pk],
    )
    # For comparison with earlier runs, whose baseline marked only the batch lines (printed apart).
    lines_only = baseline(
        "UPDATE payments_batchitem SET outcome = CASE WHEN id %% %s = 0 THEN 'rejected' ELSE 'paid' END,"
        " bank_reason = CASE WHEN id %% %s = 0 THEN 'CBU inexistente' ELSE '' END,"
        " released_at = CASE WHEN id %% %s = 0 THEN now() END WHERE batch_id = %s",
        [REJECT_EVERY, REJECT_EVERY, REJECT_EVERY, batch.pk],
    )
    step, record = timed(
        lambda: returns.reconcile_batch(batch=batch, content=content, filename="return.csv", by=builder)
    )
    rows.append(
        (
            "reconcile return (2 % rejected)",
            f"{record.paid_count:,} paid, {record.rejected_count:,} rejected",
            step,
            base,
            "UPDATE … FROM, lines and installments",
        )
    )

    # how many of the row updates stayed on their page (HOT: no index entry written)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
            " WHERE relname IN ('payments_installment', 'payments_batchitem') ORDER BY relname DESC"
        )
        hot = cursor.fetchall()

    print()
    print(f"  {'step':<46} {'volume':<34} {'time':>8} {'SQL':>8} {'ratio':>6}  baseline")
    for name, volume, step_s, base_s, kind in rows:
        ratio = base_s / step_s if step_s else float("inf")
        print(f"  {name:<46} {volume:<34} {step_s:>7.2f}s {base_s:>7.2f}s {ratio:>5.2f}x  {kind}")
    reconcile_s = rows[-1][2]
    print(
        f"  {'  same, vs marking the lines only (old baseline)':<46} {'':<34} {reconcile_s:>7.2f}s"
        f" {lines_only:>7.2f}s {lines_only / reconcile_s if reconcile_s else float('inf'):>5.2f}x  UPDATE … FROM, lines"
    )
    month = sum(r[2] for r in rows[1:])
    print()
    print(f"  month for {n:,} (batch → approve → export → reconcile): {month:.2f} s")
    print(f"  with scheduling: {month + rows[0][2]:.2f} s")
    print("  ratio = SQL baseline time / step time (1.00x = as fast as the plain statement)")
    for table, updated, hot_updated in hot:
        print(f"  {table}: {updated:,} rows updated, {hot_updated:,} of them HOT (baselines included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=200_000)
    parser.add_argument("--screening-engine", action="store_true", help="re-screen with enrollment.screening")
    args = parser.parse_args()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "interzafra_bench"
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="batch_bench_")  # the bank file goes to file storage
    config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        run(args.enrollments, engine=args.screening_engine)
    finally:
        connection.close()
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
