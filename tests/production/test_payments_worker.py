"""A real Celery worker killed (SIGKILL) in the middle of building a monthly batch, then a new
worker: the broker hands the unfinished task to the new worker by itself (late acknowledgement),
and the batch ends with every due installment exactly once — none lost, none duplicated.

On Redis an unacknowledged task becomes visible again once the transport's visibility timeout
has passed (checked when a worker starts, and periodically); production keeps it longer than
any batch takes (``CELERY_VISIBILITY_TIMEOUT``, 2 h), the test's workers use a few seconds."""

import contextlib
import datetime as dt
import os
import signal
import time
from pathlib import Path

import pytest

from enrollment.models import Enrollment
from payments import batches, installments, rates
from payments.common import batch_month_for
from payments.models import BatchItem, Installment, PaymentBatch
from provinces.roles import Role
from tests.factories import CycleFactory, EnrollmentFactory, agrarian_history, make_user
from tests.production.conftest import wait_until

pytestmark = pytest.mark.production
AUGUST = dt.date(2026, 8, 1)
VISIBILITY = 4  # seconds before the broker gives an unacknowledged task to another worker


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _kill_worker(proc) -> None:
    """SIGKILL the worker and its pool processes at once, as a crashed machine would."""
    for pid in [proc.pid, *_descendants(proc.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(10)


def test_worker_killed_mid_batch_and_restarted_loses_and_duplicates_nothing(start_worker, monkeypatch, tmp_path):
    reviewer = make_user(Role.MINISTRY_REVIEWER)
    officer = make_user(Role.PAYMENTS_OFFICER)
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1), months=4)
    enrollments = [EnrollmentFactory(cycle=cycle, status=Enrollment.Status.APPROVED) for _ in range(150)]
    for enrollment in enrollments:  # 8 months of agrarian pay before the period: entitled to 4 months
        agrarian_history(enrollment.worker, before=cycle.first_month, months=8)
    assert installments.schedule_installments_bulk(enrollment_ids=[e.pk for e in enrollments], by=reviewer) == 600

    # small chunks with a pause, so the kill lands between committed chunks of one task
    monkeypatch.setenv("PAYMENTS_BATCH_CHUNK_SIZE", "10")
    monkeypatch.setenv("PAYMENTS_BATCH_CHUNK_PAUSE", "0.1")
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", str(VISIBILITY))
    first = start_worker("pay1")
    requested = time.monotonic()
    batch = batches.request_batch(month=batch_month_for(AUGUST), by=officer)
    wait_until(lambda: PaymentBatch.objects.get(pk=batch.pk).progress_done >= 100, timeout=60, interval=0.05)
    _kill_worker(first)

    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.BUILDING
    partial = BatchItem.objects.filter(batch=batch).count()
    assert 100 <= partial < 600

    # Nobody asks for the batch again: the new worker gets the unacknowledged task from the
    # broker once it is visible again, and resumes the build.
    time.sleep(max(0.0, requested + VISIBILITY + 1 - time.monotonic()))
    monkeypatch.setenv("PAYMENTS_BATCH_CHUNK_PAUSE", "0")
    start_worker("pay2")
    wait_until(lambda: PaymentBatch.objects.get(pk=batch.pk).status == PaymentBatch.Status.BUILT, timeout=90)
    assert "build_batch_task" in (tmp_path / "pay2.log").read_text()

    batch.refresh_from_db()
    assert batch.item_count == 600 and batch.total_amount == 600 * rates.rate_for(AUGUST).amount
    assert BatchItem.objects.filter(batch=batch).count() == 600
    assert BatchItem.objects.values("installment").distinct().count() == 600
    assert Installment.objects.filter(status=Installment.Status.IN_BATCH).count() == 600
    assert not Installment.objects.filter(status=Installment.Status.DUE).exists()
    assert PaymentBatch.objects.count() == 1
