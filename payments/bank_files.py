"""Bank files: rendering an approved batch in the bank's fixed-width layout (docs/bank-files.md),
requesting the file, writing it in Celery and exporting it.

Rules: only a batch approved by a second person (or already exported) is exported; the
fixed-width layout's records are 120 characters; transfers and branch-pickup orders go in
sections of their own, each closed by its count and sum; the file's lines and sum must equal
the batch's count and total or it is not written; its hash is stored with it, and asking again for a
file already written returns it unchanged.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from payments.cbu_holds import stale_lines
from payments.common import (
    B,
    require_manager,
)
from payments.models import BankFile, BatchItem, PaymentBatch

#: Fixed-width layout (see docs/bank-files.md): every record is 120 characters.
RECORD_WIDTH = 120


#: Detail records per statement when writing a bank file (progress is saved after each).
EXPORT_CHUNK = 50_000


def batch_code(batch: PaymentBatch) -> str:
    return f"B{batch.pk:06d}"


def _export_summary(batch: PaymentBatch) -> tuple[int, Decimal]:
    summary = batch.items.exclude(outcome=BatchItem.Outcome.WITHDRAWN).aggregate(count=Count("id"), total=Sum("amount"))
    return summary["count"], summary["total"] or Decimal("0")


def _detail_sql(fmt: str, method: str) -> str:
    """The detail records of one section (transfers or pickup orders) whose reference is in
    (lower, upper], in reference order, as one text, with their count and the sum of their
    amounts.

    One value per range instead of one COPY message per record: the client receives a few
    large strings rather than looping over every record in Python. The records are what
    ``COPY … TO`` would write: the lines' check constraints keep every field free of what
    either layout would have to quote or escape (delimiter, quotes, backslash, line breaks).
    """
    where = (
        "i.batch_id = %s AND i.outcome <> 'withdrawn' AND i.method = %s"
        " AND i.reference > %s AND i.reference <= coalesce(%s::text, i.reference)"
    )
    name = "regexp_replace(i.name, '[^A-Z0-9 ]', ' ', 'g')"
    cents = "lpad(((i.amount * 100)::bigint)::text, 15, '0')"
    if method == BatchItem.Method.PICKUP:
        days = "to_char(i.pickup_day, 'YYYYMMDD')", "to_char(i.pickup_until, 'YYYYMMDD')"
        if fmt == BankFile.Format.CSV:
            record = (
                "'P;' || i.reference || ';' || substr(i.cuil, 3, 8) || ';' || i.cuil || ';' || i.name || ';'"
                f" || i.amount::text || ';' || {days[0]} || ';' || {days[1]} || ';' || p.indec_code || ';' || i.branch"
            )
        else:
            record = f"""rpad('3' || substr(i.cuil, 3, 8) || rpad(i.cuil, 11) || rpad({name}, 30) || {cents}
                         || rpad(i.reference, 20) || {days[0]} || {days[1]} || p.indec_code || rpad(i.branch, 17),
                         {RECORD_WIDTH})"""
    elif fmt == BankFile.Format.CSV:
        record = "'D;' || i.reference || ';' || i.cbu || ';' || i.cuil || ';' || i.name || ';' || i.amount::text"
    else:
        record = f"""rpad('2' || rpad(i.cbu, 22) || rpad(i.cuil, 11) || rpad({name}, 40) || {cents}
                     || rpad(i.reference, 20), {RECORD_WIDTH})"""
    return (
        f"SELECT count(*), coalesce(sum(i.amount), 0),"
        f" coalesce(string_agg({record} || E'\\n', '' ORDER BY i.reference), '')"
        f" FROM payments_batchitem i JOIN provinces_province p ON p.id = i.province_id WHERE {where}"
    )


def _closing(fmt: str, method: str, count: int, total: Decimal) -> bytes:
    """The closing record of a section: its number of records and the sum of their amounts."""
    if fmt == BankFile.Format.CSV:
        kind = "T" if method == BatchItem.Method.TRANSFER else "Q"
        return f"{kind};{count};{total:.2f}\n".encode()
    kind = "9" if method == BatchItem.Method.TRANSFER else "8"
    return ((kind + f"{count:07d}" + f"{int(total * 100):017d}").ljust(RECORD_WIDTH) + "\n").encode()


def _bank_file_chunks(
    batch: PaymentBatch,
    fmt: str,
    progress: Callable[[int], None] | None = None,
    summary: tuple[int, Decimal] | None = None,
) -> Iterable[bytes]:
    """The bytes of the batch's bank file, in pieces: deterministic (ordered by reference, no
    clock). The transfers' section comes first, closed by its control record as it always was;
    when the batch has branch-pickup orders, their own section follows with its own closing.
    The detail records are read in ranges of references; ``progress`` is told how many were
    written after each range. ``summary`` is the (count, total) of the whole batch when the
    caller already has it (an approved batch's lines no longer change); the count and the sum
    of the records actually written, both sections together, must match it."""
    if fmt not in BankFile.Format.values:
        raise ValidationError(_("Formato de archivo desconocido: %(fmt)s.") % {"fmt": fmt})
    count, total = summary if summary is not None else _export_summary(batch)
    if fmt == BankFile.Format.CSV:
        yield f"H;{batch_code(batch)};{batch.month:%Y%m};011;INTERZAFRA\n".encode()
    else:
        header = "1" + "INTERZAFRA".ljust(20) + batch_code(batch).ljust(10) + f"{batch.month:%Y%m}" + "011"
        yield (header.ljust(RECORD_WIDTH) + "\n").encode()
    bounds: list[str] = []
    if count > EXPORT_CHUNK:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT reference FROM (
                    SELECT reference, row_number() OVER (ORDER BY reference) AS n FROM payments_batchitem
                     WHERE batch_id = %s AND outcome <> 'withdrawn') r
                 WHERE n %% %s = 0 ORDER BY reference
                """,
                [batch.pk, EXPORT_CHUNK],
            )
            bounds = [row[0] for row in cursor.fetchall()]
    sections = [BatchItem.Method.TRANSFER]
    if batch.items.filter(method=BatchItem.Method.PICKUP).exclude(outcome=BatchItem.Outcome.WITHDRAWN).exists():
        sections.append(BatchItem.Method.PICKUP)
    written, written_total = 0, Decimal("0")
    for method in sections:
        sql = _detail_sql(fmt, method)
        lower: str | None = ""
        in_section, section_total = 0, Decimal("0")
        for upper in [*bounds, None]:
            with connection.cursor() as cursor:
                cursor.execute(sql, [batch.pk, method, lower, upper])
                records, amount, text = cursor.fetchone()
            if records:
                in_section += records
                section_total += amount
                yield text.encode()
            lower = upper
            if progress is not None:
                progress(written + in_section)
        written += in_section
        written_total += section_total
        if method == sections[-1]:
            if written != count:
                raise ValidationError(
                    _("El archivo tiene %(written)s transferencias y el lote %(count)s.")
                    % {"written": written, "count": count}
                )
            if written_total != total:
                raise ValidationError(
                    _("El archivo suma %(written)s y el lote %(total)s.") % {"written": written_total, "total": total}
                )
        yield _closing(fmt, method, in_section, section_total)


def render_bank_file(*, batch: PaymentBatch, fmt: str) -> tuple[bytes, int, Decimal]:
    """The whole bank file in memory (for checks; exports stream it to file storage)."""
    content = b"".join(_bank_file_chunks(batch, fmt))
    count, total = _export_summary(batch)
    return content, count, total


def request_bank_file(*, batch: PaymentBatch, fmt: str, by, queue: bool = True) -> BankFile:
    """Ask for the bank file of an approved batch; a Celery task writes it (unless ``queue`` is
    false: the caller writes it itself).

    One file per batch and format (unique constraint): asking again returns the same file,
    written once, so exporting twice gives identical bytes and hash.
    """
    from payments.tasks import write_bank_file_task

    require_manager(by)
    if fmt not in BankFile.Format.values:
        raise ValidationError(_("Formato de archivo desconocido: %(fmt)s.") % {"fmt": fmt})
    with transaction.atomic():
        locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        existing = BankFile.objects.filter(batch=locked, format=fmt).first()
        if existing is not None:
            if existing.status == BankFile.Status.FAILED:
                BankFile.objects.filter(pk=existing.pk).update(status=BankFile.Status.QUEUED, error="")
                existing.refresh_from_db()
                if queue:
                    transaction.on_commit(lambda: write_bank_file_task.delay(existing.pk))
            return existing
        if locked.status not in (B.APPROVED, B.EXPORTED):
            raise ValidationError(_("Solo se exporta un lote aprobado por una segunda persona."))
        # Never the old CBU: a pending CBU change took the worker's lines out of this batch when
        # it was asked (payments.cbu_holds); should one still be here, or its CBU no longer be
        # the one on file, the first file is refused rather than written. (Once one format is
        # written the batch is with the bank, and the other format carries the same lines.)
        stale = [] if locked.files.exists() else stale_lines(locked)
        if stale:
            raise ValidationError(
                ngettext(
                    "No se exporta: %(count)s transferencia tiene un cambio de CBU pendiente o un CBU que ya no es "
                    "el registrado (%(refs)s). Decida el cambio o arme el lote de nuevo.",
                    "No se exporta: %(count)s transferencias tienen un cambio de CBU pendiente o un CBU que ya no es "
                    "el registrado (%(refs)s). Decida el cambio o arme el lote de nuevo.",
                    len(stale),
                )
                % {"count": len(stale), "refs": ", ".join(stale[:5])}
            )
        # The batch's own totals: an approved batch's lines change only by a CBU change taking a
        # worker's lines out (totals recomputed then), and writing the file checks its records
        # against them.
        count, total = locked.item_count, locked.total_amount
        extension = "csv" if fmt == BankFile.Format.CSV else "txt"
        with pghistory.context(user=by.pk, reason="archivo bancario solicitado"):
            bank_file = BankFile.objects.create(
                batch=locked,
                format=fmt,
                filename=f"interzafra_{batch_code(locked)}_{locked.month:%Y%m}.{extension}",
                line_count=count,
                control_total=total,
                exported_by=by,
            )
        if queue:
            transaction.on_commit(lambda: write_bank_file_task.delay(bank_file.pk))
    return bank_file


def write_bank_file(*, bank_file_id: int) -> BankFile:
    """Write a requested bank file: COPY streamed through SHA-256 into a temporary file, which is
    then stored (file storage) with its hash, and the batch marked exported. Idempotent: a file
    already written is left as it is; a crash before the end leaves it queued, and writing it
    again gives the same bytes."""
    bank_file = BankFile.objects.select_related("batch").get(pk=bank_file_id)
    if bank_file.status == BankFile.Status.DONE:
        return bank_file

    def progress(done: int) -> None:
        BankFile.objects.filter(pk=bank_file_id).update(progress_done=done)

    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as spool:
        try:
            summary = (bank_file.line_count, bank_file.control_total)
            for piece in _bank_file_chunks(bank_file.batch, bank_file.format, progress, summary):
                digest.update(piece)
                spool.write(piece)
                size += len(piece)
        except Exception as error:
            BankFile.objects.filter(pk=bank_file_id).update(status=BankFile.Status.FAILED, error=str(error)[:2000])
            raise
        spool.seek(0)
        with transaction.atomic():
            locked = BankFile.objects.select_for_update().select_related("batch").get(pk=bank_file_id)
            if locked.status == BankFile.Status.DONE:
                return locked
            with pghistory.context(user=locked.exported_by_id, reason="archivo bancario exportado"):
                locked.file.save(locked.filename, File(spool), save=False)
                locked.sha256, locked.size = digest.hexdigest(), size
                locked.status, locked.error, locked.progress_done = BankFile.Status.DONE, "", locked.line_count
                locked.save(update_fields=["file", "sha256", "size", "status", "error", "progress_done"])
                batch = PaymentBatch.objects.select_for_update().get(pk=locked.batch_id)
                if batch.status == B.APPROVED:
                    batch.status = B.EXPORTED
                    batch.save(update_fields=["status"])
    return locked


def export_bank_file(*, batch: PaymentBatch, fmt: str, by) -> BankFile:
    """Request the bank file and write it at once (what the Celery task does), returning it."""
    bank_file = request_bank_file(batch=batch, fmt=fmt, by=by, queue=False)
    return write_bank_file(bank_file_id=bank_file.pk)
