"""The outbox: messages queued once per event in the event's transaction, sent after commit,
retried with back-off through a webhook gateway (a fake server on 127.0.0.1), opting out."""

import datetime as dt
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from claims import services as claims
from notifications import services, texts
from notifications.models import Contact, Message
from notifications.phones import normalise_phone
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db
MOBILE = "0381 15-555-1234"


@pytest.fixture
def gateway():
    """A fake SMS gateway: answers each POST with the next status of ``codes`` (then 200)."""
    received, codes = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"body": json.loads(body), "auth": self.headers.get("Authorization")})
            self.send_response(codes.pop(0) if codes else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/sms"
    with override_settings(
        NOTIFICATIONS_SMS_BACKEND="notifications.backends.WebhookBackend",
        NOTIFICATIONS_WEBHOOK_URL=url,
        NOTIFICATIONS_WEBHOOK_TOKEN="secreto",
        NOTIFICATIONS_RETRY_SECONDS=60,
        NOTIFICATIONS_MAX_ATTEMPTS=3,
    ):
        yield received, codes
    server.shutdown()


def with_phone(worker, phone=MOBILE):
    worker.phone = phone
    worker.save(update_fields=["phone"])
    return worker


def resolved_claim(rejected, reviewer, upheld=True):
    claim = claims.file_claim(
        by=None, worker=rejected.worker, subject="rejection", enrollment=rejected, description="x"
    )
    claims.take_claim(claim=claim, by=reviewer)
    decide = claims.uphold_claim if upheld else claims.deny_claim
    return decide(claim=claim, by=reviewer, resolution="Presentó recibos de la zafra 2025")


def test_phones_are_normalised_to_e164_or_refused():
    assert normalise_phone("0381 15-555-1234") == "+5493815551234"
    assert normalise_phone("+54 9 381 555 1234") == "+5493815551234"
    assert normalise_phone("12345") is None and normalise_phone("") is None


def test_texts_are_plain_spanish_under_160_and_cut_long_reasons():
    assert texts.money(Decimal("64000.5")) == "$64.000,50"
    long_reason = "Cobra una pensión no contributiva registrada en el padrón provincial " * 4
    for text in (
        texts.approved(months=4, amount=Decimal("64000")),
        texts.rejected(reason=long_reason),
        texts.held(month="05/2026", reason=long_reason),
        texts.payment_ready(month="05/2026", amount=Decimal("64000")),
        texts.claim_resolved(number=123456, upheld=False, resolution=long_reason),
    ):
        assert len(text) <= 160, text
    assert "reclamar" in texts.rejected(reason=long_reason)  # what to do is never cut
    assert "/consulta/" in texts.held(month="05/2026", reason=long_reason)


def test_resolving_a_claim_queues_one_message_in_the_same_transaction(rejected, reviewer):
    with_phone(rejected.worker)
    claim = resolved_claim(rejected, reviewer)
    message = Message.objects.get(kind="claim_resolved")
    assert (message.channel, message.recipient, message.status) == ("sms", "+5493815551234", "pending")
    assert f"reclamo {claim.pk} fue aceptado" in message.body


def test_a_refused_decision_leaves_no_message(rejected, reviewer, payer):
    with_phone(rejected.worker)
    claim = claims.file_claim(
        by=None, worker=rejected.worker, subject="rejection", enrollment=rejected, description="x"
    )
    claims.take_claim(claim=claim, by=payer)
    with pytest.raises(Exception):  # noqa: B017 — a payments officer may not re-open enrollments
        claims.uphold_claim(claim=claim, by=payer, resolution="ok")
    assert not Message.objects.exists()


def test_queueing_the_same_event_twice_writes_one_message():
    worker = with_phone(WorkerFactory())
    for _ in range(2):
        services.queue_message(worker=worker, kind="held", event_key="installment:1:held", body="Interzafra: x")
    assert Message.objects.count() == 1


def test_worker_without_a_valid_mobile_or_email_gets_nothing():
    worker = with_phone(WorkerFactory(), "011 4555-1234")  # a landline
    assert services.queue_message(worker=worker, kind="held", event_key="k", body="x") == 0


def test_email_and_whatsapp_follow_the_workers_contact(officer):
    worker = with_phone(WorkerFactory())
    services.set_contact(by=officer, worker=worker, opted_out=False, email="rosa@example.com", whatsapp=True)
    services.queue_message(worker=worker, kind="held", event_key="k", body="Interzafra: su cuota")
    assert set(Message.objects.values_list("channel", "recipient")) == {
        ("whatsapp", "+5493815551234"),
        ("email", "rosa@example.com"),
    }
    services.send_due_messages()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rosa@example.com"]
    assert mail.outbox[0].body == "Interzafra: su cuota"


def test_opting_out_stops_new_and_pending_messages(officer):
    worker = with_phone(WorkerFactory())
    services.queue_message(worker=worker, kind="held", event_key="a", body="x")
    services.set_contact(by=officer, worker=worker, opted_out=True)
    assert services.queue_message(worker=worker, kind="held", event_key="b", body="x") == 0
    assert list(Message.objects.values_list("status", flat=True)) == ["skipped"]
    assert services.send_due_messages() == {}


def test_officer_of_another_province_cannot_change_contact(officer):
    from django.core.exceptions import PermissionDenied

    from tests.factories import province

    worker = WorkerFactory(province=province("Mendoza"))
    with pytest.raises(PermissionDenied):
        services.set_contact(by=officer, worker=worker, opted_out=True)
    assert not Contact.objects.exists()


def test_webhook_failure_is_retried_with_back_off_and_sent_once(gateway):
    received, codes = gateway
    codes += [500, 503]
    worker = with_phone(WorkerFactory())
    services.queue_message(worker=worker, kind="held", event_key="k", body="Interzafra: hola")
    message = Message.objects.get()
    before = timezone.now()
    assert services.send_due_messages() == {"pending": 1}  # failed: to be tried again
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("pending", 1, "HTTP 500")
    assert message.next_attempt_at >= before + dt.timedelta(seconds=60)
    assert services.send_due_messages() == {}  # not due yet: nothing sent
    assert len(received) == 1
    Message.objects.update(next_attempt_at=timezone.now())
    assert services.send_due_messages() == {"pending": 1}
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at >= timezone.now() + dt.timedelta(seconds=119)
    Message.objects.update(next_attempt_at=timezone.now())
    assert services.send_due_messages() == {"sent": 1}
    Message.objects.update(next_attempt_at=timezone.now())
    assert services.send_due_messages() == {}  # sent once, never again
    assert len(received) == 3
    assert received[-1] == {
        "body": {"channel": "sms", "to": "+5493815551234", "body": "Interzafra: hola", "reference": f"iz-{message.pk}"},
        "auth": "Bearer secreto",
    }


def test_a_message_that_keeps_failing_is_marked_failed(gateway):
    _received, codes = gateway
    codes += [500, 500, 500]
    services.queue_message(worker=with_phone(WorkerFactory()), kind="held", event_key="k", body="x")
    for _ in range(3):
        Message.objects.update(next_attempt_at=timezone.now())
        services.send_due_messages()
    assert Message.objects.get().status == "failed"


def test_unreachable_gateway_is_a_retry_not_a_crash():
    with override_settings(
        NOTIFICATIONS_SMS_BACKEND="notifications.backends.WebhookBackend",
        NOTIFICATIONS_WEBHOOK_URL="http://127.0.0.1:9/closed",
        NOTIFICATIONS_WEBHOOK_TIMEOUT=2,
    ):
        services.queue_message(worker=with_phone(WorkerFactory()), kind="held", event_key="k", body="x")
        services.send_due_messages()
    message = Message.objects.get()
    assert message.status == "pending" and message.attempts == 1 and message.last_error


def test_commit_queues_the_send(rejected, reviewer, django_capture_on_commit_callbacks, tmp_path):
    path = tmp_path / "sms.jsonl"
    with_phone(rejected.worker)
    with (
        override_settings(
            NOTIFICATIONS_SMS_BACKEND="notifications.backends.FileBackend", NOTIFICATIONS_FILE_PATH=str(path)
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        resolved_claim(rejected, reviewer, upheld=False)
    line = json.loads(path.read_text().splitlines()[0])
    assert line["to"] == "+5493815551234" and "fue rechazado" in line["body"]
    assert Message.objects.get().status == "sent"


def test_payment_events_are_queued_once(held):
    with_phone(held.worker)
    assert services.queue_payment_events() == 1
    assert services.queue_payment_events() == 0
    message = Message.objects.get()
    assert message.kind == "held" and "05/2026" in message.body and "pensión" in message.body


def test_database_refuses_an_sms_over_160_characters():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        Message.objects.create(
            event_key="k",
            worker=WorkerFactory(),
            kind="held",
            channel="sms",
            recipient="+54",
            body="x" * 161,
            next_attempt_at=timezone.now(),
        )


def test_approval_and_rejection_reach_the_outbox_through_the_seams(reviewer, office):
    import datetime as dt

    from enrollment.models import Enrollment
    from enrollment.services import approve_enrollment, bulk_decide, reject_enrollment
    from payments.models import Rate
    from tests.factories import CycleFactory, EnrollmentFactory

    Rate.objects.get_or_create(
        effective_month=dt.date(2026, 1, 1), defaults={"amount": Decimal("64000.00"), "resolution": "Res. 1/2026"}
    )
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1), months=3)
    pending = [
        EnrollmentFactory(status=Enrollment.Status.PENDING_REVIEW, cycle=cycle, worker__phone=MOBILE) for _ in range(4)
    ]
    approve_enrollment(enrollment=pending[0], by=reviewer)
    reject_enrollment(enrollment=pending[1], by=reviewer, reason="Reside en otra provincia")
    assert bulk_decide(enrollments=pending[2:], by=reviewer, approve=True) == []
    bodies = dict(Message.objects.values_list("worker_id", "body"))
    assert len(bodies) == 4
    rate = Rate.objects.filter(effective_month__lte=cycle.first_month).order_by("-effective_month").first()
    # no agrarian history: the entitlement table's lowest bracket, 2 of the period's 3 months
    assert f"Cobra 2 cuotas de {texts.money(rate.amount)}" in bodies[pending[0].worker_id]
    assert "rechazada: Reside en otra provincia" in bodies[pending[1].worker_id]
    assert all("aprobada" in bodies[e.worker_id] for e in pending[2:])


def test_worker_page_shows_messages_to_reviewers_and_officers_set_preferences(client, rejected, reviewer, officer):
    from django.urls import reverse

    from tests.twofactor import verify_client

    worker = with_phone(rejected.worker)
    services.queue_message(worker=worker, kind="held", event_key="k", body="Interzafra: su cuota de 05/2026")
    client.force_login(reviewer)
    verify_client(client, reviewer)
    page = client.get(reverse("reports:worker", args=[worker.pk])).content.decode()
    assert "Interzafra: su cuota de 05/2026" in page and "+5493815551234" in page
    assert reverse("notifications:contact", args=[worker.pk]) not in page  # reviewers do not edit it
    client.force_login(officer)
    page = client.get(reverse("reports:worker", args=[worker.pk])).content.decode()
    assert "Interzafra: su cuota" not in page  # officers do not read the outbox
    client.post(reverse("notifications:contact", args=[worker.pk]), {"opted_out": "on", "email": ""})
    assert Contact.objects.get(worker=worker).opted_out
    assert Message.objects.get().status == "skipped"


def test_officer_cannot_set_preferences_out_of_scope(client, officer):
    from django.urls import reverse

    from tests.factories import province

    worker = WorkerFactory(province=province("Mendoza"))
    client.force_login(officer)
    assert client.post(reverse("notifications:contact", args=[worker.pk]), {"opted_out": "on"}).status_code == 404
    assert not Contact.objects.exists()


def test_an_email_longer_than_the_stored_field_is_refused_with_a_message_not_a_server_error(client, rejected, officer):
    from django.urls import reverse

    worker = rejected.worker
    client.force_login(officer)
    # valid for Django's validator (up to 320 characters), longer than the 254 the column holds
    email = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com"
    response = client.post(reverse("notifications:contact", args=[worker.pk]), {"email": email}, follow=True)
    assert response.status_code == 200
    assert "más de 254 caracteres" in response.content.decode()
    assert not Contact.objects.filter(worker=worker).exists()


def test_a_phone_typed_without_15_gets_sms_only_once_confirmed_as_a_mobile(rejected, reviewer, officer):
    from notifications.phones import mobile_number

    assert mobile_number("381 5551234") is None
    assert mobile_number("381 5551234", confirmed_mobile=True) == "+5493815551234"
    assert mobile_number("0381 15-555-1234") == "+5493815551234"
    assert mobile_number("12345", confirmed_mobile=True) is None

    worker = with_phone(rejected.worker, "381 5551234")
    assert services.recipients(worker) == []
    services.set_contact(by=officer, worker=worker, opted_out=False, mobile_confirmed=True)
    assert services.recipients(worker) == [(Message.Channel.SMS, "+5493815551234")]


def test_the_worker_page_says_a_landline_gets_no_sms_and_an_officer_confirms_the_mobile(client, rejected, officer):
    from django.urls import reverse

    worker = with_phone(rejected.worker, "381 5551234")
    client.force_login(officer)
    page = client.get(reverse("reports:worker", args=[worker.pk])).content.decode()
    assert "figura como fijo" in page and 'name="mobile_confirmed"' in page
    client.post(reverse("notifications:contact", args=[worker.pk]), {"mobile_confirmed": "on", "email": ""})
    assert Contact.objects.get(worker=worker).mobile_confirmed
    page = client.get(reverse("reports:worker", args=[worker.pk])).content.decode()
    assert "figura como fijo" not in page and "+5493815551234" in page


def _approved_batch(payer, month=dt.date(2026, 5, 1)):
    from payments import batches
    from payments.common import batch_month_for
    from payments.models import PaymentBatch
    from provinces.roles import Role
    from tests.factories import make_user
    from tests.twofactor import verified

    # the batch that pays ``month`` ("a mes vencido": the next month's)
    batch = PaymentBatch.objects.create(
        month=batch_month_for(month), built_by=payer, pickup_opens_on=dt.date(2027, 1, 11)
    )
    batches.build_batch(batch_id=batch.pk)
    batch.refresh_from_db()
    return batches.approve_batch(batch=batch, by=verified(make_user(Role.PAYMENTS_OFFICER)))


def test_payment_ready_tells_a_worker_without_cbu_her_pickup_day(approved, payer):
    worker = with_phone(approved.worker)
    worker.cbu = ""
    worker.save(update_fields=["cbu"])
    _approved_batch(payer)
    assert services.queue_payment_events() == 1
    body = Message.objects.get(kind="payment_ready").body
    day = dt.date(2027, 1, 11 + int(worker.dni[-1]) // 2)  # 11/01/2027 is a Monday, no holidays that week
    assert f"cobro por ventanilla en Banco Nación desde el {day:%d/%m/%Y} con su DNI" in body
    assert "se acredita en su cuenta" not in body and len(body) <= 160


def test_payment_ready_of_a_transfer_says_nothing_of_a_branch(approved, payer):
    with_phone(approved.worker)
    _approved_batch(payer)
    assert services.queue_payment_events() == 1
    body = Message.objects.get(kind="payment_ready").body
    assert "se acredita en su cuenta" in body and "ventanilla" not in body
