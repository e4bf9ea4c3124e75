"""The bank's return file: parsing it, submitting it, applying it in Celery and reconciling the
batch with it.

Rules: only an exported batch is reconciled; a file needs its header (the batch's code) and its
closing record, or nothing of it is applied; each line is matched to the batch's line by its
reference and is paid or rejected once (a reconciled batch is immutable, a paid installment is
never paid again, the same file sent twice is the same reconciliation); lines that match
nothing or cannot be read are reported as problems, never applied. A branch-pickup order
returned uncollected (``VENCIDA``) is expired: its installment is due again for a later batch the
first time, held the second time (``payments.pickup``); only a pickup order can expire. A file over the size limits
(``RETURN_FILE_MAX_BYTES``, ``RETURN_FILE_MAX_LINES``) is refused before it is read; at most
``RETURN_FILE_MAX_PROBLEMS`` problems are kept, the rest counted.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from decimal import Decimal, InvalidOperation

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from payments.bank_files import batch_code
from payments.common import (
    B,
    require_manager,
)
from payments.lifecycle import follow_paid_installments
from payments.models import BatchItem, PaymentBatch, Reconciliation, ReturnFile
from payments.pickup import HOLD_PICKUP_EXPIRED_TWICE, HOLD_PICKUP_REJECTED
from provinces.audit import prepare_bulk_audit
from provinces.bulk import collector_paused

PAID_WORDS = {"ACREDITADA", "ACREDITADO", "PAGADA", "OK", "COBRADA", "COBRADO"}
REJECTED_WORDS = {"RECHAZADA", "RECHAZADO"}
#: a branch-pickup order nobody collected by its last day (``payments.pickup``)
EXPIRED_WORDS = {"VENCIDA", "VENCIDO", "NO COBRADA"}
#: amounts are pesos with cents, below the batch lines' numeric(12, 2)
AMOUNT_LIMIT = Decimal(10) ** 10
CENT = Decimal("0.01")
#: status word (upper case, no surrounding spaces) → outcome of the line
OUTCOME_WORDS = (
    {word: "paid" for word in PAID_WORDS}
    | {word: "rejected" for word in REJECTED_WORDS}
    | {word: "expired" for word in EXPIRED_WORDS}
)


def _split_return(text: str) -> list[list[str]]:
    """The file's records split into fields, as ``csv.reader`` with ";" splits them.

    A bank return has no quoted fields; such a file (the common case) is split with plain
    string operations, many times faster than the csv module on a file of 200,000 lines. A
    file with a quote character goes through the csv module.
    """
    if '"' in text:
        return list(csv.reader(io.StringIO(text), delimiter=";"))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    records = text.split("\n")
    if records[-1] == "":
        records.pop()
    return [record.split(";") if record else [] for record in records]


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def size_problem(content: bytes) -> str | None:
    """Why a return file is too large to be read (``RETURN_FILE_MAX_BYTES``, ``_MAX_LINES``),
    measured without reading it, or None."""
    limit = settings.RETURN_FILE_MAX_BYTES
    if len(content) > limit:
        return _("El archivo pesa más de %(limit)s MB, el máximo para una respuesta del banco.") % {
            "limit": _number(limit // (1024 * 1024))
        }
    lines, max_lines = content.count(b"\n"), settings.RETURN_FILE_MAX_LINES
    if lines > max_lines + 2:  # header and closing record
        return _("El archivo tiene %(lines)s líneas y el máximo es %(limit)s.") % {
            "lines": _number(lines),
            "limit": _number(max_lines),
        }
    return None


def capped(problems: list[dict]) -> list[dict]:
    """The first ``RETURN_FILE_MAX_PROBLEMS`` problems, and one more that counts the rest."""
    limit = settings.RETURN_FILE_MAX_PROBLEMS
    if len(problems) <= limit:
        return problems
    rest = len(problems) - limit
    return [
        *problems[:limit],
        {"line": 0, "problem": _("y %(n)s observaciones más, no guardadas.") % {"n": _number(rest)}},
    ]


def _parse_return(content: bytes, batch: PaymentBatch) -> tuple[list[tuple], list[dict], list[dict]]:
    """Parse a return file. Returns (lines, line problems, file problems). A file over the size
    limits is not read (a file problem)."""
    file_problems: list[dict] = []
    line_problems: list[dict] = []
    too_large = size_problem(content)
    if too_large:
        return [], [], [{"line": 0, "problem": too_large}]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return [], [], [{"line": 0, "problem": _("El archivo no está en UTF-8.")}]
    if "\x00" in text:  # the database stores no NUL character: a binary file, not a bank return
        return [], [], [{"line": 0, "problem": _("El archivo tiene caracteres nulos: no es un archivo de texto.")}]
    if not text.endswith("\n"):
        file_problems.append(
            {"line": text.count("\n") + 1, "problem": _("La última línea está incompleta (archivo truncado).")}
        )
    rows = _split_return(text)
    if not rows or rows[0][:1] != ["H"] or len(rows[0]) < 3:
        file_problems.append({"line": 1, "problem": _("Falta el registro de cabecera H.")})
        return [], line_problems, file_problems
    if rows[0][1] != batch_code(batch):
        file_problems.append(
            {
                "line": 1,
                "problem": _("El archivo es del lote %(other)s, no de este lote (%(this)s).")
                % {"other": rows[0][1], "this": batch_code(batch)},
            }
        )
        return [], line_problems, file_problems
    trailer = rows[-1] if rows[-1][:1] == ["T"] else None
    details = rows[1:-1] if trailer else rows[1:]
    if trailer is None:
        file_problems.append({"line": len(rows), "problem": _("Falta el registro de cierre T (archivo truncado).")})
    lines: list[tuple] = []
    append = lines.append
    outcomes = OUTCOME_WORDS
    for number, row in enumerate(details, start=2):
        if len(row) != 6 or row[0] != "D":
            line_problems.append(
                # At most 200 characters of it: a line can be megabytes long.
                {"line": number, "problem": _("Registro mal formado: %(row)s") % {"row": ";".join(row)[:200]}}
            )
            continue
        _kind, reference, cuil, amount_text, outcome_text, reason = row
        try:
            amount = Decimal(amount_text)
            if not amount.is_finite():  # NaN, sNaN, Infinity
                raise InvalidOperation
        except InvalidOperation:
            line_problems.append({"line": number, "reference": reference, "problem": _("Importe ilegible.")})
            continue
        if abs(amount) >= AMOUNT_LIMIT or amount != amount.quantize(CENT):
            # Rounding it to cents would hide a difference, and past the limit it is no amount sent.
            line_problems.append(
                {
                    "line": number,
                    "reference": reference,
                    "problem": _("Importe fuera de rango o con más de dos decimales: %(amount)s")
                    % {"amount": amount_text[:40]},
                }
            )
            continue
        outcome = outcomes.get(outcome_text) or outcomes.get(outcome_text.strip().upper())
        if outcome is None:
            line_problems.append(
                {
                    "line": number,
                    "reference": reference,
                    "problem": _("Estado desconocido: %(s)s") % {"s": outcome_text},
                }
            )
            continue
        append((number, reference, cuil, amount, outcome, reason.strip()[:200] if reason else reason))
    if trailer is not None:
        try:
            declared = int(trailer[1])
        except (IndexError, ValueError):
            declared = -1
        if declared != len(details):
            file_problems.append(
                {
                    "line": len(rows),
                    "problem": _("El cierre declara %(declared)s registros y el archivo trae %(found)s.")
                    % {"declared": trailer[1] if len(trailer) > 1 else "?", "found": len(details)},
                }
            )
    return lines, line_problems, file_problems


def reconcile_batch(*, batch: PaymentBatch, content: bytes, filename: str, by) -> Reconciliation:
    """Apply the bank's return file to an exported batch.

    Each valid line marks its transfer (and installment) paid or rejected with the bank's
    reason. A file of another batch, without its closing record, or cut short is refused whole;
    unknown references, amounts that differ, duplicated or contradictory lines are reported and
    skipped. Only lines still pending are applied, so applying a return twice changes nothing.
    The batch's enrollments follow what was paid in the same transaction: approved ones with a
    paid installment become active, active ones with nothing left to pay completed
    (``payments.lifecycle``). When no line is pending any more the batch is reconciled (and
    immutable).
    """
    require_manager(by)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        previous = Reconciliation.objects.filter(batch=locked, sha256=digest).first()
        if previous is not None:
            return previous
        if locked.status not in (B.EXPORTED, B.RECONCILED):
            raise ValidationError(_("Solo se concilia un lote exportado al banco."))
        with collector_paused():
            lines, problems, file_problems = _parse_return(content, locked)
        record = Reconciliation(batch=locked, filename=filename[:200], sha256=digest, applied_by=by)
        if file_problems or locked.status == B.RECONCILED:
            if locked.status == B.RECONCILED and not file_problems:
                file_problems.append({"line": 0, "problem": _("El lote ya está conciliado: no se aplicó nada.")})
            record.problems = capped(file_problems + problems)
            record.save()
            return record
        usable = lines
        counts = Counter([line[1] for line in lines])
        if len(counts) < len(lines):  # some reference is repeated
            repeated = {reference for reference, n in counts.items() if n > 1}
            outcomes: dict[str, set] = {}
            for line in lines:
                if line[1] in repeated:
                    outcomes.setdefault(line[1], set()).add((line[3], line[4], line[5]))
            usable, seen = [], set()
            for line in lines:
                number, reference = line[0], line[1]
                if reference in repeated:
                    if len(outcomes[reference]) > 1:
                        problems.append(
                            {
                                "line": number,
                                "reference": reference,
                                "problem": _("Referencia repetida con datos distintos: no se aplica."),
                            }
                        )
                        continue
                    if reference in seen:
                        problems.append(
                            {
                                "line": number,
                                "reference": reference,
                                "problem": _("Línea duplicada: se aplica una sola vez."),
                            }
                        )
                        continue
                    seen.add(reference)
                usable.append(line)
        with pghistory.context(user=by.pk, reason=f"conciliación {filename}"):
            applied = _apply_lines(locked, usable, problems)
            record.accepted = True
            record.paid_count, record.rejected_count, record.unchanged_count, record.expired_count = applied
            record.problems = capped(sorted(problems, key=lambda p: p["line"]))
            record.save()
            follow_paid_installments(
                batch_id=locked.pk, by=by, reason=_("Cobró la primera cuota (%(file)s)") % {"file": filename[:200]}
            )
            if not locked.items.filter(outcome=BatchItem.Outcome.PENDING).exists():
                locked.status = B.RECONCILED
                locked.reconciled_at = timezone.now()
                locked.save(update_fields=["status", "reconciled_at"])
        return record


def submit_return_file(*, batch: PaymentBatch, content: bytes, filename: str, by) -> ReturnFile:
    """Receive a bank return file for an exported batch and queue it to be applied.

    The same file (same SHA-256) for the same batch is received once: uploading it again
    returns the first upload. A file over ``RETURN_FILE_MAX_BYTES`` or ``RETURN_FILE_MAX_LINES``
    is refused. The Celery task calls ``apply_return_file``.
    """
    from payments.tasks import apply_return_file_task

    require_manager(by)
    if batch.status not in (B.EXPORTED, B.RECONCILED):
        raise ValidationError(_("Solo se concilia un lote exportado al banco."))
    if not content:
        raise ValidationError(_("El archivo está vacío."))
    too_large = size_problem(content)
    if too_large:
        raise ValidationError(too_large)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic(), pghistory.context(user=by.pk, reason="respuesta del banco recibida"):
                return_file, _created = ReturnFile.objects.get_or_create(
                    batch=batch,
                    sha256=digest,
                    defaults={"filename": filename[:200], "content": content, "uploaded_by": by},
                )
        except IntegrityError:
            return_file = ReturnFile.objects.get(batch=batch, sha256=digest)
        if return_file.status == ReturnFile.Status.QUEUED:
            return_file_id = return_file.pk
            transaction.on_commit(lambda: apply_return_file_task.delay(return_file_id))
    return return_file


@transaction.atomic
def apply_return_file(*, return_file_id: int) -> ReturnFile:
    """Apply a queued return file (idempotent: a file already processed is left as it is)."""
    return_file = ReturnFile.objects.select_for_update().get(pk=return_file_id)
    if return_file.status != ReturnFile.Status.QUEUED:
        return return_file
    try:
        with transaction.atomic():
            record = reconcile_batch(
                batch=return_file.batch,
                content=bytes(return_file.content),
                filename=return_file.filename,
                by=return_file.uploaded_by,
            )
    except (ValidationError, PermissionDenied) as error:
        return_file.status = ReturnFile.Status.FAILED
        return_file.error = " ".join(getattr(error, "messages", [str(error)]))
    else:
        return_file.status = ReturnFile.Status.DONE
        return_file.reconciliation = record
    with pghistory.context(user=return_file.uploaded_by_id, reason="respuesta del banco procesada"):
        return_file.save(update_fields=["status", "error", "reconciliation"])
    return return_file


def _copy_return_lines(copy, lines: list[tuple]) -> None:
    """Send the parsed lines to COPY (text format), 10,000 lines per write.

    Each piece is joined as it is when none of its fields holds one of COPY's special
    characters (backslash, tab, line breaks: checked by counting them in the piece); otherwise
    its lines go through psycopg's ``write_row``, which escapes them.
    """
    step = 10_000
    for start in range(0, len(lines), step):
        rows = lines[start : start + step]
        piece = "".join(
            [f"{n}\t{ref}\t{cuil}\t{amount}\t{outcome}\t{reason}\n" for n, ref, cuil, amount, outcome, reason in rows]
        )
        if (
            piece.count("\t") == 5 * len(rows)
            and piece.count("\n") == len(rows)
            and "\\" not in piece
            and "\r" not in piece
        ):
            copy.write(piece)
        else:
            for row in rows:
                copy.write_row(row)


#: The bank's reason on an expired order when it gives none.
EXPIRED_REASON = gettext_noop("Orden de cobro por ventanilla vencida sin cobrarse")


def _apply_lines(batch: PaymentBatch, lines: list[tuple], problems: list[dict]) -> tuple[int, int, int, int]:
    with connection.cursor() as cursor:
        prepare_bulk_audit(cursor)
        cursor.execute("DROP TABLE IF EXISTS payments_return")
        cursor.execute(
            "CREATE TEMP TABLE payments_return (line int, reference text, cuil text, amount numeric(12,2),"
            " outcome text, reason text) ON COMMIT DROP"
        )
        with cursor.copy("COPY payments_return FROM STDIN") as copy:
            _copy_return_lines(copy, lines)
        cursor.execute("ANALYZE payments_return")
        cursor.execute(
            """
            SELECT r.line, r.reference,
                   CASE WHEN i.id IS NULL THEN 'unknown'
                        WHEN i.amount <> r.amount THEN 'amount'
                        WHEN i.cuil <> r.cuil THEN 'cuil'
                        WHEN i.outcome = 'withdrawn' THEN 'withdrawn'
                        WHEN r.outcome = 'expired' AND i.method <> 'pickup' THEN 'not_pickup'
                        WHEN i.outcome <> 'pending' AND i.outcome <> r.outcome THEN 'contradicts'
                        WHEN i.outcome <> 'pending' THEN 'same' END,
                   i.amount, r.amount
              FROM payments_return r
              LEFT JOIN payments_batchitem i ON i.reference = r.reference AND i.batch_id = %s
             WHERE i.id IS NULL OR i.amount <> r.amount OR i.cuil <> r.cuil OR i.outcome <> 'pending'
                OR (r.outcome = 'expired' AND i.method <> 'pickup')
            """,
            [batch.pk],
        )
        skip, unchanged = [], 0
        messages = {
            "unknown": _("Referencia desconocida en este lote."),
            "cuil": _("El CUIL no coincide con el de la transferencia."),
            "withdrawn": _("La transferencia fue retirada del lote."),
            "contradicts": _("Contradice un resultado ya aplicado: no se cambia."),
            "not_pickup": _("Una transferencia no vence: solo las órdenes de cobro por ventanilla."),
        }
        for line, reference, reason, expected, found in cursor.fetchall():
            skip.append(line)
            if reason == "same":
                unchanged += 1
            elif reason == "amount":
                problems.append(
                    {
                        "line": line,
                        "reference": reference,
                        "problem": _("Importe %(found)s distinto del enviado %(expected)s.")
                        % {"found": found, "expected": expected},
                    }
                )
            else:
                problems.append({"line": line, "reference": reference, "problem": str(messages[reason])})
        if skip:
            cursor.execute("DELETE FROM payments_return WHERE line = ANY(%s)", [skip])
        # An expired order's installment is due again (a later batch re-issues it) unless an
        # earlier order of it expired too: then it is held. An order the bank rejected is held
        # with the bank's reason until a payments officer re-issues it or the worker has a CBU.
        # The statement sees the lines as they were before it, so "an earlier one" is any other
        # expired line of the installment.
        cursor.execute(
            """
            WITH done AS (
                UPDATE payments_batchitem i
                   SET outcome = r.outcome, bank_reason = r.reason,
                       released_at = CASE WHEN r.outcome IN ('rejected', 'expired') THEN now() END
                  FROM payments_return r
                 WHERE i.reference = r.reference AND i.batch_id = %s AND i.outcome = 'pending'
                RETURNING i.installment_id, i.outcome, i.bank_reason, i.method
            ),
            settled AS (
                SELECT d.installment_id, d.outcome, d.bank_reason,
                       d.outcome = 'rejected' AND d.method = 'pickup' AS order_rejected,
                       d.outcome = 'expired' AND EXISTS (
                           SELECT 1 FROM payments_batchitem e
                            WHERE e.installment_id = d.installment_id AND e.outcome = 'expired') AS twice
                  FROM done d
            )
            UPDATE payments_installment n
               SET status = CASE WHEN s.order_rejected OR s.twice THEN 'held'
                                 WHEN s.outcome <> 'expired' THEN s.outcome ELSE 'due' END,
                   hold_reason = CASE WHEN s.twice THEN %s WHEN s.order_rejected THEN %s ELSE n.hold_reason END,
                   bank_reason = CASE WHEN s.outcome = 'expired' AND s.bank_reason = '' THEN %s ELSE s.bank_reason END,
                   updated_at = now(),
                   paid_at = CASE WHEN s.outcome = 'paid' THEN now() ELSE NULL END
              FROM settled s WHERE n.id = s.installment_id
            RETURNING s.outcome
            """,
            [batch.pk, HOLD_PICKUP_EXPIRED_TWICE, HOLD_PICKUP_REJECTED, EXPIRED_REASON],
        )
        outcomes = Counter(row[0] for row in cursor.fetchall())
    return outcomes.get("paid", 0), outcomes.get("rejected", 0), unchanged, outcomes.get("expired", 0)
