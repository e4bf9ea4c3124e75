"""The demo year comes out of the real services: flags with their matched record, paid
installments with their batch and the bank's outcome, and a second run adds nothing."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Count

from demo import data
from demo import seed as demo
from enrollment.models import Enrollment
from enrollment.screening.models import MatchFlag
from payments.models import BatchItem, Installment, PaymentBatch
from tests.twofactor import verify_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """The registry files and bank files the demo stores go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seeded():
    demo.seed()


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in ("auth", "provinces", "enrollment", "screening", "payments", "training", "otp_totp", "guardian")
        and not model._meta.label.endswith("Event")
    }


def test_seeding_twice_duplicates_nothing(seeded):
    first = _counts()
    assert first["enrollment.Worker"] == 71 and first["enrollment.Enrollment"] == 72
    demo.seed()
    assert _counts() == first


def test_states_come_from_the_state_machine(seeded):
    """Every enrollment moved through the services: screened (by the engine), then decided by
    the reviewer, and made active by the bank's return; the audit trail holds each step."""
    states = dict(Enrollment.objects.values_list("status").annotate(n=Count("id")))
    assert set(states) == {"pending_review", "approved", "active", "completed", "rejected"}
    reviewer = get_user_model().objects.get(username="revisora")
    decided = Enrollment.objects.exclude(status__in=["pending_review", "active", "completed"])
    assert set(decided.values_list("status_changed_by", flat=True)) == {reviewer.pk}
    # the bank's return, applied by the payments officer, made the paid ones active
    builder = get_user_model().objects.get(username="pagos")
    active = Enrollment.objects.filter(status="active")
    assert active.exists() and set(active.values_list("status_changed_by", flat=True)) == {builder.pk}
    events = apps.get_model("enrollment", "EnrollmentEvent").objects
    for enrollment in Enrollment.objects.filter(status="active"):
        seen = list(events.filter(pgh_obj_id=enrollment.pk).order_by("pgh_id").values_list("status", flat=True))
        assert [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s] == [
            "submitted",
            "screening",
            "pending_review",
            "approved",
            "active",
        ]


def test_flag_pages_show_the_matched_record(seeded, client):
    reviewer = get_user_model().objects.get(username="revisora")
    client.force_login(reviewer)
    verify_client(client, reviewer)
    flags = MatchFlag.objects.filter(kind__in=[MatchFlag.Kind.REGISTRY, MatchFlag.Kind.PROGRAMME])
    kinds = set(flags.values_list("kind", "status"))
    assert {("registry", "open"), ("registry", "same_person"), ("registry", "not_same"), ("programme", "open")} <= kinds
    for flag in flags.select_related("matched_record", "matched_enrollment__worker"):
        theirs = flag.matched_record or flag.matched_enrollment.worker
        page = client.get(f"/control/alertas/{flag.pk}/")
        assert page.status_code == 200
        rows = {row["label"]: row["theirs"] for row in page.context["rows"]}
        assert theirs.last_name in rows.values(), flag
        assert theirs.last_name in page.content.decode()


def test_paid_installments_show_their_batch_and_the_banks_outcome(seeded):
    paid = Installment.objects.filter(status=Installment.Status.PAID)
    rejected = Installment.objects.filter(status=Installment.Status.REJECTED)
    assert paid.count() > 10 and rejected.exists()
    for installment in [*paid, *rejected]:
        (item,) = installment.batch_items.exclude(outcome=BatchItem.Outcome.WITHDRAWN)
        assert item.outcome == installment.status
        assert item.batch.status == PaymentBatch.Status.RECONCILED
        assert item.batch.reconciliations.exists() and item.batch.files.exists()
    assert all(reason for reason in rejected.values_list("bank_reason", flat=True))
    batch = PaymentBatch.objects.get(status=PaymentBatch.Status.RECONCILED, agreement=None)
    assert batch.built_by.username == "pagos" and batch.approved_by.username == "pagos2"
    # paid "a mes vencido": July's batch pays June's installments (and earlier ones still due)
    assert batch.month == dt.date(2026, 7, 1) and batch.pays_through == dt.date(2026, 6, 1)
    months = set(batch.items.values_list("installment__month", flat=True))
    assert dt.date(2026, 6, 1) in months and max(months) == dt.date(2026, 6, 1)
    # the registry's monthly update found workers already approved: their month is held, not paid
    held = Installment.objects.filter(status=Installment.Status.HELD)
    assert held.exists()
    assert MatchFlag.objects.filter(
        enrollment__in=held.values("enrollment"), month=batch.pays_through, matched_record__isnull=False
    ).exists()
    assert PaymentBatch.objects.filter(status=PaymentBatch.Status.BUILT).exists()  # next month, awaiting approval


def test_demo_has_a_claim_in_each_state_and_messages_in_the_outbox():
    from claims.models import Claim
    from enrollment.models import Enrollment
    from notifications.models import Message

    demo.seed()
    assert set(Claim.objects.values_list("status", flat=True)) == {"received", "in_review", "upheld", "denied"}
    upheld = Claim.objects.get(status="upheld")
    # re-opened through the service, then approved from the queue
    assert upheld.enrollment.status == Enrollment.Status.APPROVED
    assert upheld.enrollment.events.filter(status=Enrollment.Status.PENDING_REVIEW).count() >= 2
    assert Claim.objects.filter(filed_by_kind="officer").exists()
    kinds = set(Message.objects.values_list("kind", flat=True))
    assert {"approved", "rejected", "claim_resolved", "held"} <= kinds
    counts = (Claim.objects.count(), Message.objects.count())
    demo.seed()
    assert counts == (Claim.objects.count(), Message.objects.count())


def test_periods_that_ended_say_closed_and_running_ones_stay_open(seeded):
    """The seed leaves registration as the nightly beat task would: closed once a period has
    ended, open while it runs (the demo's periods are dated, so which is which follows today)."""
    import datetime as dt

    from django.utils import timezone

    from provinces.models import Cycle, add_months

    today = timezone.localdate()
    cycles = list(Cycle.objects.all())
    assert cycles
    for cycle in cycles:
        ended = add_months(cycle.first_month, cycle.months) <= today
        assert cycle.registration_open is not ended, cycle.name
    if today < dt.date(2027, 3, 1):  # the Tucumán citrus period (12/2026–03/2027) still runs
        assert any(c.registration_open for c in cycles)


def test_demo_has_a_beneficiary_suspended_and_reinstated_with_one_month_owed(seeded):
    from enrollment.models import Suspension, SuspensionProposal
    from enrollment.suspensions import months_passed_under

    suspension = Suspension.objects.get()
    assert suspension.cause == "pay_above_aid" and suspension.lifted_at is not None
    assert suspension.enrollment.status == Enrollment.Status.APPROVED
    assert len(suspension.owed_months) == 1 and suspension.owed_reason
    live = suspension.enrollment.installments.exclude(status=Installment.Status.CANCELLED)
    passed = months_passed_under(suspension.enrollment)
    # Of the months that passed, only the one owed is paid; the ones to come are scheduled again.
    entitled = suspension.enrollment.cycle.month_list[: suspension.enrollment.entitlement.months]
    expected = suspension.owed_months + [m for m in entitled if m not in passed]
    assert sorted(live.values_list("month", flat=True)) == sorted(expected)
    # The registry's monthly update also left suspensions proposed for the reviewer.
    assert SuspensionProposal.objects.filter(status=SuspensionProposal.Status.OPEN).exists()


def test_workers_without_cbu_are_paid_by_pickup_orders_with_their_day(seeded):
    from provinces.calendar import dni_calendar

    orders = BatchItem.objects.filter(method=BatchItem.Method.PICKUP).select_related("batch", "installment__worker")
    collected = orders.filter(outcome=BatchItem.Outcome.PAID)
    waiting = orders.filter(outcome=BatchItem.Outcome.PENDING, batch__status=PaymentBatch.Status.BUILT)
    assert collected.exists() and waiting.exists()
    assert all(item.installment.status == Installment.Status.PAID for item in collected)
    for item in orders:
        assert item.installment.worker.cbu == "" and item.cbu == ""
        digit = int(item.installment.worker.dni[-1])
        assert item.pickup_day == dni_calendar(item.batch.pickup_opens_on)[digit // 2]


def test_demo_has_an_enrollment_completed_with_every_entitled_month_paid(seeded):
    """Río Negro's batch paying July is approved and reconciled ahead of the national one: a
    worker entitled to two months (June and July) has both paid, and the bank's return made her
    enrollment "Finalizada" through the services."""
    builder = get_user_model().objects.get(username="pagos")
    completed = Enrollment.objects.filter(status=Enrollment.Status.COMPLETED).select_related("entitlement")
    assert completed.exists()
    for enrollment in completed:
        installments = list(enrollment.installments.order_by("month"))
        assert len(installments) == enrollment.entitlement.months == 2
        assert {i.status for i in installments} == {Installment.Status.PAID}
        for installment in installments:
            (item,) = installment.batch_items.filter(outcome=BatchItem.Outcome.PAID)
            assert item.batch.status == PaymentBatch.Status.RECONCILED
        assert enrollment.status_changed_by == builder
        seen = list(enrollment.events.order_by("pgh_id").values_list("status", flat=True))
        assert [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s][-3:] == ["approved", "active", "completed"]
    ahead = PaymentBatch.objects.get(agreement__number=data.PAID_AHEAD_AGREEMENT)
    assert ahead.status == PaymentBatch.Status.RECONCILED and ahead.month == dt.date(2026, 8, 1)
    assert ahead.built_by == builder and ahead.approved_by.username == "pagos2"


def test_demo_shows_the_beneficiarys_year(seeded):
    """The three stories the README promises: a pickup order with its day, a worker suspended
    and reinstated, and a completed enrollment."""
    from enrollment.models import Suspension

    assert BatchItem.objects.filter(method=BatchItem.Method.PICKUP, pickup_day__isnull=False).exists()
    assert Suspension.objects.filter(lifted_at__isnull=False).exists()
    assert Enrollment.objects.filter(status=Enrollment.Status.COMPLETED).exists()
