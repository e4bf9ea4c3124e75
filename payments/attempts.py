"""Payment tasks over files that cannot loop for ever (applying a bank return file, writing a
bank file).

They run with ``acks_late`` and ``reject_on_worker_lost``: a worker that dies in the middle
leaves the task queued and the broker delivers it again. Each delivery first counts itself on
the file's row (``attempts``), committed on its own before the work; a delivery that finds
``UPLOAD_TASK_MAX_ATTEMPTS`` attempts already started marks the file failed with a clear message
instead of working again. An error raised by the work is kept on the row (``error``) and the
task tried once more; at the last attempt the file is marked failed. A file that is not queued
any more (done, failed) is left alone.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from payments.models import BankFile, ReturnFile

#: Both models have ``status`` (queued → done | failed), ``error`` and ``attempts``.
FileModel = type[BankFile] | type[ReturnFile]
QUEUED = "queued"
FAILED = "failed"


def max_attempts() -> int:
    return max(1, getattr(settings, "UPLOAD_TASK_MAX_ATTEMPTS", 2))


def start_attempt(model: FileModel, pk: int) -> int | None:
    """Count one more delivery, committed at once; its number, or None if there is nothing to do
    (not queued any more, or past the attempts, when the file is marked failed here)."""
    with transaction.atomic(durable=True):
        if not model.objects.filter(pk=pk, status=QUEUED).update(attempts=F("attempts") + 1):
            return None
        attempt, error = model.objects.filter(pk=pk).values_list("attempts", "error").get()
        if attempt <= max_attempts():
            return attempt
        failure = error or _("el proceso se interrumpió sin terminar (el archivo agota la memoria o el tiempo)")
        _mark_failed(model, pk, _("Falló %(n)s veces: %(failure)s") % {"n": attempt - 1, "failure": failure})
    return None


def record_failure(model: FileModel, pk: int, *, attempt: int, error: BaseException) -> bool:
    """Keep the error; at the last attempt mark the file failed. Whether to try again."""
    failure = (str(error) or type(error).__name__)[:500]
    with transaction.atomic(durable=True):
        if attempt < max_attempts():
            model.objects.filter(pk=pk, status=QUEUED).update(error=failure)
            return model.objects.filter(pk=pk, status=QUEUED).exists()
        _mark_failed(model, pk, _("Falló %(n)s veces: %(failure)s") % {"n": attempt, "failure": failure})
    return False


def _mark_failed(model: FileModel, pk: int, message: str) -> None:
    with pghistory.context(reason=str(_("proceso fallido")) + f": {model._meta.model_name} {pk}"):
        model.objects.filter(pk=pk, status=QUEUED).update(status=FAILED, error=message)
