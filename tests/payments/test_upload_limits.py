"""Bank return files cannot hurt the service: size and line limits before they are read, a cap
on the problems kept, and their tasks (and the bank file's) give up after two failures."""

import pytest
from celery.exceptions import Retry
from django.core.exceptions import ValidationError
from django.test import TestCase

from payments import bank_files, batches, returns, tasks
from payments.common import batch_month_for
from payments.models import BankFile, ReturnFile
from tests.payments.test_reconciliation import MAY, exported_batch, line, return_file
from tests.twofactor import verified

pytestmark = pytest.mark.django_db


def test_a_return_file_over_the_size_limit_is_refused_at_upload(approved, officer, second_officer, settings):
    batch, _ = exported_batch(approved, officer, second_officer, n=1)
    settings.RETURN_FILE_MAX_BYTES = 1024 * 1024
    content = return_file(batch, [line(batch.items.get())]) + b"D;" * (600 * 1024)
    with pytest.raises(ValidationError, match="más de 1 MB"):
        returns.submit_return_file(batch=batch, content=content, filename="r.csv", by=officer)
    assert not ReturnFile.objects.exists()


def test_a_return_file_over_the_line_limit_is_refused_and_not_read(approved, officer, second_officer, settings):
    batch, _ = exported_batch(approved, officer, second_officer, n=1)
    settings.RETURN_FILE_MAX_LINES = 10
    item = batch.items.get()
    content = return_file(batch, [line(item)] * 11)
    with pytest.raises(ValidationError, match="13 líneas y el máximo es 10"):
        returns.submit_return_file(batch=batch, content=content, filename="r.csv", by=officer)
    record = returns.reconcile_batch(batch=batch, content=content, filename="r.csv", by=officer)
    assert not record.accepted and record.problems == [
        {"line": 0, "problem": "El archivo tiene 13 líneas y el máximo es 10."}
    ]


def test_problems_past_the_cap_are_counted_and_a_long_line_is_cut(approved, officer, second_officer, settings):
    batch, _ = exported_batch(approved, officer, second_officer, n=1)
    settings.RETURN_FILE_MAX_PROBLEMS = 20
    lines = [line(batch.items.get())] + ["X;" + "y" * 5000] + [f"D;NOPE{n};20123456786;1.00;OK;" for n in range(50)]
    record = returns.reconcile_batch(batch=batch, content=return_file(batch, lines), filename="r.csv", by=officer)
    assert record.accepted and len(record.problems) == 21
    assert record.problems[-1] == {"line": 0, "problem": "y 31 observaciones más, no guardadas."}
    malformed = next(p for p in record.problems if p["problem"].startswith("Registro mal formado"))
    assert len(malformed["problem"]) < 250


def test_a_return_file_task_that_fails_twice_marks_the_file_failed(approved, officer, second_officer, monkeypatch):
    batch, _ = exported_batch(approved, officer, second_officer, n=1)
    queued = ReturnFile.objects.create(
        batch=batch, filename="r.csv", sha256="x", content=return_file(batch, []), uploaded_by=officer
    )
    runs = []

    def broken(*, return_file_id):
        runs.append(return_file_id)
        raise RuntimeError("sin memoria")

    monkeypatch.setattr(returns, "apply_return_file", broken)
    with pytest.raises(Retry):
        tasks.apply_return_file_task.delay(queued.pk)
    tasks.apply_return_file_task.delay(queued.pk)  # the retry
    queued.refresh_from_db()
    assert runs == [queued.pk, queued.pk]
    assert queued.status == ReturnFile.Status.FAILED and queued.error == "Falló 2 veces: sin memoria"
    tasks.apply_return_file_task.delay(queued.pk)  # delivered again: nothing runs
    assert len(runs) == 2


def test_a_return_file_whose_worker_died_twice_is_failed_without_reading_it(
    approved, officer, second_officer, monkeypatch
):
    batch, _ = exported_batch(approved, officer, second_officer, n=1)
    queued = ReturnFile.objects.create(
        batch=batch, filename="r.csv", sha256="x", content=return_file(batch, []), uploaded_by=officer, attempts=2
    )
    monkeypatch.setattr(returns, "apply_return_file", lambda **kw: pytest.fail("the file was read again"))
    tasks.apply_return_file_task.delay(queued.pk)
    queued.refresh_from_db()
    assert queued.status == ReturnFile.Status.FAILED and "se interrumpió" in queued.error


def test_a_bank_file_whose_worker_died_twice_is_failed_without_writing_it(
    approved, officer, second_officer, monkeypatch
):
    approved()
    with TestCase.captureOnCommitCallbacks(execute=True):
        batch = batches.request_batch(month=batch_month_for(MAY), by=officer)
    batch = batches.approve_batch(batch=batch, by=verified(second_officer))
    bank_file = bank_files.request_bank_file(batch=batch, fmt="csv", by=officer, queue=False)
    BankFile.objects.filter(pk=bank_file.pk).update(attempts=2)
    monkeypatch.setattr(bank_files, "write_bank_file", lambda **kw: pytest.fail("the file was written again"))
    tasks.write_bank_file_task.delay(bank_file.pk)
    bank_file.refresh_from_db()
    assert bank_file.status == BankFile.Status.FAILED and "Falló 2 veces" in bank_file.error
