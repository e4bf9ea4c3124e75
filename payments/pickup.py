"""Branch-pickup orders: how a worker without a CBU is paid (Banco Nación, *cobro por ventanilla*).

Rules:

- At batch build, the due installments of workers without a CBU become **pickup lines** of the
  batch instead of being held: an order collected with the DNI at a Banco Nación branch of the
  worker's locality. All of them go in with one statement (an UPDATE feeding an INSERT).
- The **pickup day** follows the DNI calendar (``provinces.calendar.dni_calendar``): last digit
  0–1 on the day the batch's calendar opens, 2–3 on the next business day, and so on up to
  8–9, weekends and national holidays skipped. The calendar opens on the first business day from
  ``PAYMENTS_PICKUP_OPENS_DAY`` of the batch's month, never sooner than
  ``PAYMENTS_PICKUP_LEAD_DAYS`` business days after the build started; that day is stored on
  the batch, so a resumed build gives every order the same day. An order can be collected for
  ``PAYMENTS_PICKUP_VALID_DAYS`` business days from its day (``pickup_until``).
- An order the bank returns uncollected (``payments.returns``) is **expired**: its installment is
  due again and goes in a later batch once more — with a new day, or as a transfer if the
  worker has a CBU by then. A second expiry holds it with ``HOLD_PICKUP_EXPIRED_TWICE``; that
  hold is released at a build once the worker has a CBU (or by a payments officer).
- An order the bank **rejects** (``RECHAZADA``, e.g. the DNI does not match the bank's records)
  holds its installment with ``HOLD_PICKUP_REJECTED`` and the bank's reason, shown in words on
  the worker's and the enrollment's pages. A payments officer re-issues it with a note
  (``payments.installments.reissue_pickup_order``: the next batch carries it, as a pickup order
  again or as a transfer if the worker has a CBU by then), or the approval of a CBU change for
  the worker releases it (``release_for_new_cbu``; a build does the same for any worker with a
  CBU on file): it goes as a transfer.
- Releasing a hold of an order that expired twice or was rejected clears the bank's answer on
  the installment with it: what the bank said of an order no longer in play is not shown next
  to an installment due again (the batch line keeps it, and the audit trail the release).
- Paid at most once stays the database's rule: an expired line releases its installment, a
  paid one never does (``batch_item_one_live_per_installment``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pghistory
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from payments.models import HOLD_PICKUP_REJECTED, PaymentBatch
from provinces.audit import prepare_bulk_audit
from provinces.calendar import add_business_days, dni_calendar, first_business_day_from

#: Why an installment whose order expired twice waits (stored untranslated, shown translated).
HOLD_PICKUP_EXPIRED_TWICE = gettext_noop(
    "La orden de cobro por ventanilla venció dos veces sin cobrarse: se retiene hasta que registre un CBU"
)
#: The reason installments of workers without a CBU were held before pickup orders existed;
#: the next build releases them into pickup orders.
HOLD_WITHOUT_CBU = gettext_noop("Sin CBU válido para la transferencia")


def pickup_words(day: dt.date) -> str:
    """How the worker is told where and when she collects (pages, API clients, messages)."""
    return _("Cobro por ventanilla en Banco Nación desde el %(day)s con su DNI") % {"day": day.strftime("%d/%m/%Y")}


Scoped = Callable[[str, list, PaymentBatch, str], tuple[str, list]]


def calendar_opens_on(month: dt.date, *, built_on: dt.date) -> dt.date:
    """The day the DNI calendar of the batch of ``month`` opens, for a build on ``built_on``."""
    earliest = first_business_day_from(month.replace(day=min(settings.PAYMENTS_PICKUP_OPENS_DAY, 28)))
    after_build = add_business_days(built_on, settings.PAYMENTS_PICKUP_LEAD_DAYS)
    return max(earliest, after_build)


def pickup_days(opens_on: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """The five pickup days of a calendar opening on ``opens_on`` (by DNI group) and the last
    day each group's orders can be collected."""
    days = dni_calendar(opens_on)
    return days, [add_business_days(day, settings.PAYMENTS_PICKUP_VALID_DAYS) for day in days]


def fix_calendar(batch: PaymentBatch, *, today: dt.date | None = None) -> dt.date:
    """Store the day the batch's DNI calendar opens, once (the caller holds the batch row lock)."""
    if batch.pickup_opens_on is None:
        batch.pickup_opens_on = calendar_opens_on(batch.month, built_on=today or timezone.localdate())
        PaymentBatch.objects.filter(pk=batch.pk).update(pickup_opens_on=batch.pickup_opens_on)
    return batch.pickup_opens_on


#: Holds of an order the bank did not pay (expired twice, rejected) that a CBU on file ends.
ENDED_BY_A_CBU = (HOLD_PICKUP_EXPIRED_TWICE, HOLD_PICKUP_REJECTED)

#: Due again, without the bank's answer on the order no longer in play.
_DUE_AGAIN = (
    "status = 'due', hold_reason = '', bank_reason = CASE WHEN i.hold_reason = ANY(%s) THEN '' ELSE i.bank_reason END"
)


def release_for_new_cbu(*, worker_ids: list[int]) -> int:
    """The workers now have an approved CBU (inside the approval's audit context): what was
    held after two expired orders or a rejected order is due again, and the next batch pays it
    by transfer. Returns how many installments were released."""
    with connection.cursor() as cursor:
        prepare_bulk_audit(cursor)
        cursor.execute(
            f"UPDATE payments_installment i SET {_DUE_AGAIN}, updated_at = now()"
            " FROM enrollment_worker w WHERE w.id = i.worker_id AND w.cbu <> ''"
            " AND i.worker_id = ANY(%s) AND i.status = 'held' AND i.hold_reason = ANY(%s)",
            [list(ENDED_BY_A_CBU), worker_ids, list(ENDED_BY_A_CBU)],
        )
        return cursor.rowcount


def release_pickup_holds(*, batch: PaymentBatch, scoped: Scoped) -> int:
    """Before building: make due again, in the batch's scope, what was held only because the
    worker had no CBU (a pickup order pays it now), and what was held after two expired orders
    or a rejected order once the worker has a CBU (a transfer pays it now)."""
    sql, params = scoped(
        f"""
        UPDATE payments_installment i SET {_DUE_AGAIN}, updated_at = now()
          FROM enrollment_worker w
         WHERE w.id = i.worker_id AND i.status = 'held'
           AND (i.hold_reason = %s OR (i.hold_reason = ANY(%s) AND w.cbu <> ''))
        """,
        [list(ENDED_BY_A_CBU), HOLD_WITHOUT_CBU, list(ENDED_BY_A_CBU)],
        batch,
        "i",
    )
    with connection.cursor() as cursor, pghistory.context(reason="liberada: cobro por ventanilla o CBU registrado"):
        prepare_bulk_audit(cursor)
        cursor.execute(sql, params)
        return cursor.rowcount


def add_pickup_orders(*, batch: PaymentBatch, up_to: dt.date, scoped: Scoped) -> int:
    """Put the due installments (months up to ``up_to``, in the batch's scope) of workers
    without a CBU in the batch as pickup orders, each with its day by the DNI's last digit.
    One statement; the status-guarded UPDATE takes the rows, so an installment another
    transaction moved meanwhile gets no line. Returns how many orders were added."""
    days, until = pickup_days(fix_calendar(batch))
    moved, params = scoped(
        """
        UPDATE payments_installment i SET status = 'in_batch', updated_at = now()
          FROM enrollment_worker w
         WHERE w.id = i.worker_id AND w.cbu = '' AND i.status = 'due' AND i.month <= %s
        """,
        [up_to],
        batch,
        "i",
    )
    group = "1 + right(m.dni, 1)::int / 2"
    sql = f"""
        WITH moved AS (
            {moved}
            RETURNING i.id, i.province_id, i.amount, w.cuil, w.dni, w.last_name_norm, w.first_name_norm, w.locality
        )
        INSERT INTO payments_batchitem
               (batch_id, installment_id, province_id, reference, method, cbu, cuil, name, amount, outcome,
                bank_reason, pickup_day, pickup_until, branch)
        SELECT %s, m.id, m.province_id,
               'B' || lpad(%s::text, 6, '0') || 'C' || lpad(m.id::text, 12, '0'),
               'pickup', '', m.cuil, left(translate(m.last_name_norm || ' ' || m.first_name_norm, ';"\\', '   '), 60),
               m.amount, 'pending', '',
               (%s::date[])[{group}], (%s::date[])[{group}],
               left(btrim(regexp_replace(
                   upper(translate(m.locality, 'áéíóúüñÁÉÍÓÚÜÑ', 'aeiouunAEIOUUN')), '[^A-Z0-9 ]', ' ', 'g')), 40)
          FROM moved m
    """
    with connection.cursor() as cursor, pghistory.context(user=batch.built_by_id, reason=f"lote {batch.pk}"):
        prepare_bulk_audit(cursor)
        cursor.execute(sql, [*params, batch.pk, batch.pk, days, until])
        return cursor.rowcount
