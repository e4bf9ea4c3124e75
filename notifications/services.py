"""Writes of the outbox: queueing a message for an event, and sending what is due.

Rules:
- A message is queued in the transaction of its event (a decision on an enrollment, a claim
  resolved) — or, for installments held or put in an approved batch, by a sweep that finds the
  events not yet told — once per event and channel: ``event_key`` is unique with the channel,
  so telling the same event twice writes nothing.
- Where it goes: SMS (WhatsApp if the worker prefers it) to the worker's mobile phone,
  normalised to E.164 with ``phonenumbers`` (a number that is not a valid Argentine mobile is
  not used), and e-mail when the worker gave an address. A worker who opted out gets nothing;
  opting out also stops what is still pending.
- Sending happens after commit, in Celery: each message is sent at most once (row locked,
  ``SKIP LOCKED`` between workers, status checked); a failure is tried again after
  ``NOTIFICATIONS_RETRY_SECONDS`` × 2^(attempts − 1), up to ``NOTIFICATIONS_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import datetime as dt

import pghistory
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from enrollment.models import Enrollment, Worker
from enrollment.screening.models import Entitlement
from enrollment.selectors import workers_for
from notifications import texts
from notifications.backends import DeliveryError, phone_backend
from notifications.models import Contact, Message
from notifications.phones import mobile_number
from payments.models import BatchItem, Installment, PaymentBatch
from payments.rates import rate_for

K = Message.Kind
M = Message.Status


def recipients(worker: Worker, contact: Contact | None = None) -> list[tuple[str, str]]:
    """(channel, address) pairs for ``worker``; empty when she opted out or has none."""
    if contact is None:
        contact = Contact.objects.filter(worker=worker).first()
    if contact is not None and contact.opted_out:
        return []
    found: list[tuple[str, str]] = []
    phone = mobile_number(worker.phone, confirmed_mobile=bool(contact and contact.mobile_confirmed))
    if phone:
        found.append((Message.Channel.WHATSAPP if contact and contact.whatsapp else Message.Channel.SMS, phone))
    if contact is not None and contact.email:
        found.append((Message.Channel.EMAIL, contact.email))
    return found


def _queue_after_commit() -> None:
    from notifications.tasks import send_due_messages_task

    transaction.on_commit(lambda: send_due_messages_task.delay())


def _messages(*, worker: Worker, kind: str, event_key: str, body: str, contact: Contact | None = None) -> list:
    now = timezone.now()
    subject = str(Message.Kind(kind).label)
    return [
        Message(
            event_key=event_key,
            worker=worker,
            kind=kind,
            channel=channel,
            recipient=address,
            subject=f"Interzafra: {subject}",
            body=body,
            next_attempt_at=now,
        )
        for channel, address in recipients(worker, contact)
    ]


def queue_message(*, worker: Worker, kind: str, event_key: str, body: str) -> int:
    """Queue ``body`` for ``worker`` on each of her channels, once per event (see the module's
    rules). Returns how many messages were written."""
    rows = _messages(worker=worker, kind=kind, event_key=event_key, body=body)
    if not rows:
        return 0
    written = Message.objects.bulk_create(rows, ignore_conflicts=True)
    _queue_after_commit()
    return len(written)


def notify_enrollment_decisions(*, enrollments) -> int:
    """Tell each worker her enrollment was approved (the months she is entitled to and the
    monthly amount) or rejected (the reason and how to claim), in one insert. Other states send
    nothing. The event is the decision itself (enrollment, state, moment), so a re-opened and
    decided-again enrollment is told again, and the same decision never twice."""
    enrollments = [e for e in enrollments if e.status in (Enrollment.Status.APPROVED, Enrollment.Status.REJECTED)]
    if not enrollments:
        return 0
    contacts = {c.worker_id: c for c in Contact.objects.filter(worker_id__in={e.worker_id for e in enrollments})}
    # the months she is entitled to (determined when her installments were scheduled), at most the period's
    entitled = dict(
        Entitlement.objects.filter(enrollment_id__in=[e.pk for e in enrollments]).values_list("enrollment_id", "months")
    )
    aids: dict = {}
    rows = []
    with translation.override("es-ar"):
        for enrollment in enrollments:
            changed = enrollment.status_changed_at or timezone.now()
            key = f"enrollment:{enrollment.pk}:{enrollment.status}:{int(changed.timestamp())}"
            if enrollment.status == Enrollment.Status.APPROVED:
                cycle = enrollment.cycle
                if cycle.first_month not in aids:
                    aids[cycle.first_month] = rate_for(cycle.first_month).amount
                months = min(entitled.get(enrollment.pk, cycle.months), cycle.months)
                body = texts.approved(months=months, amount=aids[cycle.first_month])
                kind = K.APPROVED
            else:
                body = texts.rejected(reason=enrollment.status_reason or _("no cumple los requisitos"))
                kind = K.REJECTED
            contact = contacts.get(enrollment.worker_id) or Contact(worker=enrollment.worker)
            rows += _messages(worker=enrollment.worker, kind=kind, event_key=key, body=body, contact=contact)
    if not rows:
        return 0
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    _queue_after_commit()
    return len(rows)


def notify_claim_resolved(*, claim) -> int:
    """Tell the worker her claim was upheld or denied, and why."""
    with translation.override("es-ar"):
        body = texts.claim_resolved(number=claim.pk, upheld=claim.status == "upheld", resolution=claim.resolution)
    return queue_message(
        worker=claim.worker, kind=K.CLAIM_RESOLVED, event_key=f"claim:{claim.pk}:{claim.status}", body=body
    )


@transaction.atomic
def queue_payment_events(*, limit: int = 5000) -> int:
    """Find installments held, or put in an approved or exported batch, whose worker has not
    been told yet, and queue those messages in one insert. Idempotent: the event keys
    (``installment:<id>:held``, ``installment:<id>:ready:<batch>``) are written once."""
    held = Installment.objects.filter(status=Installment.Status.HELD).select_related("worker")
    candidates: list[tuple[str, Installment, str]] = []
    for installment in held.order_by("pk")[:limit]:
        candidates.append((f"installment:{installment.pk}:held", installment, K.HELD))
    ready = (
        BatchItem.objects.filter(
            installment__status=Installment.Status.IN_BATCH,
            batch__status__in=[PaymentBatch.Status.APPROVED, PaymentBatch.Status.EXPORTED],
            released_at__isnull=True,  # the line now carrying it, not an expired or rejected one
        )
        .select_related("installment__worker")
        .order_by("pk")[:limit]
    )
    pickup_from = {}
    for item in ready:
        candidates.append(
            (f"installment:{item.installment_id}:ready:{item.batch_id}", item.installment, K.PAYMENT_READY)
        )
        if item.method == BatchItem.Method.PICKUP:
            pickup_from[item.installment_id] = item.pickup_day
    if not candidates:
        return 0
    keys = [key for key, _i, _k in candidates]
    already = set(Message.objects.filter(event_key__in=keys).values_list("event_key", flat=True))
    workers = {i.worker_id for _key, i, _k in candidates}
    contacts = {c.worker_id: c for c in Contact.objects.filter(worker_id__in=workers)}
    rows = []
    with translation.override("es-ar"):
        for key, installment, kind in candidates:
            if key in already:
                continue
            month = installment.month.strftime("%m/%Y")
            if kind == K.HELD:
                body = texts.held(month=month, reason=installment.hold_words or _("en control"))
            else:
                body = texts.payment_ready(
                    month=month, amount=installment.amount, pickup_from=pickup_from.get(installment.pk)
                )
            rows += _messages(
                worker=installment.worker,
                kind=kind,
                event_key=key,
                body=body,
                contact=contacts.get(installment.worker_id) or Contact(worker=installment.worker),
            )
    if rows:
        Message.objects.bulk_create(rows, ignore_conflicts=True)
        _queue_after_commit()
    return len(rows)


def _deliver(message: Message) -> None:
    if message.channel == Message.Channel.EMAIL:
        sent = send_mail(
            message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient], fail_silently=False
        )
        if sent != 1:
            raise DeliveryError("el servidor de correo no aceptó el mensaje")
    else:
        phone_backend().send(
            to=message.recipient, body=message.body, channel=message.channel, reference=f"iz-{message.pk}"
        )


def send_one(*, message_id: int) -> str | None:
    """Send one due message (row locked; a message already sent, failed or locked by another
    worker is left alone). Returns its new status, or ``None`` when it was not taken."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=M.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if message is None:
            return None
        if Contact.objects.filter(worker_id=message.worker_id, opted_out=True).exists():
            message.status = M.SKIPPED
            message.save(update_fields=["status"])
            return message.status
        message.attempts += 1
        try:
            _deliver(message)
        except Exception as error:  # noqa: BLE001 — any failure of the channel is retried
            message.last_error = str(error)[:500] or error.__class__.__name__
            if message.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                message.status = M.FAILED
            else:
                delay = settings.NOTIFICATIONS_RETRY_SECONDS * 2 ** (message.attempts - 1)
                message.next_attempt_at = now + dt.timedelta(seconds=delay)
        else:
            message.status = M.SENT
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "sent_at"])
        return message.status


def send_due_messages(*, limit: int = 500) -> dict[str, int]:
    """Send the pending messages that are due, oldest first; each in its own transaction."""
    ids = list(
        Message.objects.filter(status=M.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    outcome: dict[str, int] = {}
    for message_id in ids:
        status = send_one(message_id=message_id)
        if status is not None:
            outcome[status] = outcome.get(status, 0) + 1
    return outcome


@transaction.atomic
def set_contact(
    *, by, worker: Worker, opted_out: bool, email: str = "", whatsapp: bool = False, mobile_confirmed: bool = False
) -> Contact:
    """An officer records how a worker in their scope wants to be told (or that she wants no
    messages), and whether her phone, typed without the ``15``, is her mobile; opting out
    leaves her pending messages unsent."""
    if not (by.has_perm("notifications.change_contact") and workers_for(by).filter(pk=worker.pk).exists()):
        raise PermissionDenied(_("No puede cambiar los avisos de esta persona."))
    with pghistory.context(user=by.pk, reason="preferencia de avisos"):
        contact, _created = Contact.objects.update_or_create(
            worker=worker,
            defaults={
                "opted_out": opted_out,
                "email": email.strip(),
                "whatsapp": whatsapp,
                "mobile_confirmed": mobile_confirmed,
                "updated_by": by,
            },
        )
    if opted_out:
        Message.objects.filter(worker=worker, status=M.PENDING).update(status=M.SKIPPED)
    return contact
