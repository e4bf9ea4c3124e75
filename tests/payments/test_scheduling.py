import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from enrollment.screening.models import EntitlementBracket, EntitlementRuleSet
from enrollment.suspensions import reinstate_enrollment, suspend_enrollment
from payments import installments, rates
from payments.models import Installment, Rate
from tests.factories import AgreementFactory, CycleFactory, EnrollmentFactory, WorkerFactory, agrarian_history

pytestmark = pytest.mark.django_db
I = Installment.Status  # noqa: E741


def test_rate_history_is_loaded_and_picks_the_resolution_in_force():
    assert Rate.objects.count() == 8
    assert rates.rate_for(dt.date(2016, 6, 1)).amount == Decimal("2300.00")
    assert rates.rate_for(dt.date(2020, 4, 1)).amount == Decimal("2300.00")
    assert rates.rate_for(dt.date(2020, 5, 1)).amount == Decimal("5000.00")
    assert rates.rate_for(dt.date(2021, 11, 1)).amount == Decimal("10000.00")
    assert rates.rate_for(dt.date(2022, 8, 1)).amount == Decimal("24000.00")
    assert rates.rate_for(dt.date(2023, 10, 1)).amount == Decimal("64000.00")
    with pytest.raises(ValidationError):
        rates.rate_for(dt.date(2015, 12, 1))


def test_approving_schedules_one_installment_per_month_with_amount_snapshot(approved):
    enrollment = approved()
    rows = list(enrollment.installments.order_by("number"))
    assert [(r.number, r.month) for r in rows] == [
        (1, dt.date(2026, 5, 1)),
        (2, dt.date(2026, 6, 1)),
        (3, dt.date(2026, 7, 1)),
        (4, dt.date(2026, 8, 1)),
    ]
    assert all(r.amount == Decimal("64000.00") and r.status == I.DUE for r in rows)
    assert all(
        r.worker_id == enrollment.worker_id and r.province_id == enrollment.cycle.agreement.province_id for r in rows
    )


def test_a_new_resolution_changes_future_installments_never_scheduled_ones(approved):
    enrollment = approved()
    Rate.objects.create(amount=Decimal("90000.00"), effective_month=dt.date(2026, 9, 1), resolution="Res. SE 1/2026")
    assert set(enrollment.installments.values_list("amount", flat=True)) == {Decimal("64000.00")}
    later = approved(cycle=CycleFactory(first_month=dt.date(2026, 8, 1), months=2))
    assert list(later.installments.order_by("number").values_list("amount", flat=True)) == [
        Decimal("64000.00"),
        Decimal("90000.00"),
    ]


def test_short_cycle_schedules_only_its_months(approved):
    enrollment = approved(cycle=CycleFactory(first_month=dt.date(2026, 5, 1), months=2))
    assert enrollment.installments.count() == 2


def test_scheduling_twice_adds_nothing(approved, reviewer):
    enrollment = approved()
    assert installments.schedule_installments(enrollment=enrollment, by=reviewer) == []
    assert enrollment.installments.count() == 4


def test_database_forbids_second_installment_for_same_enrollment_and_number(approved):
    first = approved().installments.get(number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Installment.objects.create(
            enrollment=first.enrollment,
            worker=first.worker,
            agreement=first.agreement,
            province=first.province,
            number=1,
            month=dt.date(2027, 1, 1),
            rate=first.rate,
            amount=first.amount,
        )


def test_database_forbids_same_worker_and_month_across_the_programme(approved):
    first = approved().installments.get(number=1)
    other = EnrollmentFactory(worker=first.worker, cycle=CycleFactory(first_month=dt.date(2026, 5, 1)))
    with pytest.raises(IntegrityError), transaction.atomic():
        Installment.objects.create(
            enrollment=other,
            worker=first.worker,
            agreement=other.cycle.agreement,
            province=first.province,
            number=1,
            month=first.month,
            rate=first.rate,
            amount=first.amount,
        )


def test_approval_of_overlapping_enrollment_of_same_worker_is_refused(approved, reviewer):
    enrollment = approved()
    other = EnrollmentFactory(
        worker=enrollment.worker,
        cycle=CycleFactory(first_month=dt.date(2026, 7, 1), months=2),
        status=Enrollment.Status.PENDING_REVIEW,
    )
    with pytest.raises(ValidationError, match="no se paga dos veces"):
        enrollment_services.approve_enrollment(enrollment=other, by=reviewer)
    other.refresh_from_db()
    assert other.status == Enrollment.Status.PENDING_REVIEW
    assert not other.installments.exists()


def test_agreement_budget_is_never_exceeded(approved, reviewer):
    agreement = AgreementFactory(budget=Decimal("384000.00"))  # six installments of 64,000
    approved(cycle=CycleFactory(agreement=agreement, months=4))
    pending = EnrollmentFactory(
        cycle=CycleFactory(agreement=agreement, first_month=dt.date(2026, 9, 1), months=3),
        status=Enrollment.Status.PENDING_REVIEW,
    )
    agrarian_history(pending.worker, before=dt.date(2026, 9, 1), months=5)  # entitled to 3 months
    with pytest.raises(ValidationError, match="presupuesto"):
        enrollment_services.approve_enrollment(enrollment=pending, by=reviewer)
    pending.refresh_from_db()
    assert pending.status == Enrollment.Status.PENDING_REVIEW
    assert rates.committed_amount(agreement.pk) == Decimal("256000.00")


def test_suspension_cancels_unpaid_installments_and_keeps_them(approved, reviewer):
    enrollment = approved()
    first = enrollment.installments.get(number=1)
    Installment.objects.filter(pk=first.pk).update(status=I.PAID)
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Nuevo empleo registrado")
    statuses = dict(enrollment.installments.values_list("number", "status"))
    assert statuses == {1: I.PAID, 2: I.CANCELLED, 3: I.CANCELLED, 4: I.CANCELLED}
    assert set(enrollment.installments.filter(status=I.CANCELLED).values_list("cancel_reason", flat=True)) == {
        "Remuneración registrada mayor a la ayuda: Nuevo empleo registrado"
    }


def test_cancellation_sets_cancelled_at_and_the_audit_records_it(approved, reviewer):
    from payments.models import InstallmentEvent

    enrollment = approved()
    first = enrollment.installments.get(number=1)
    Installment.objects.filter(pk=first.pk).update(status=I.PAID)
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="own_request", note="Baja")
    rows = {r.number: r for r in enrollment.installments.all()}
    assert rows[1].cancelled_at is None
    assert all(rows[n].status == I.CANCELLED and rows[n].cancelled_at is not None for n in (2, 3, 4))
    events = InstallmentEvent.objects.filter(pgh_obj__in=[rows[2], rows[3], rows[4]], pgh_label="update")
    assert sorted((e.status, e.cancelled_at is not None) for e in events) == [(I.CANCELLED, True)] * 3


@pytest.mark.parametrize(
    ("status", "with_cancelled_at"),
    [(Installment.Status.CANCELLED, False), (Installment.Status.DUE, True), (Installment.Status.PAID, True)],
)
def test_database_ties_cancelled_at_to_the_cancelled_status(approved, status, with_cancelled_at):
    from django.utils import timezone

    first = approved().installments.get(number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Installment.objects.filter(pk=first.pk).update(
            status=status, cancelled_at=timezone.now() if with_cancelled_at else None
        )


def test_a_cancelled_installment_frees_its_number_and_month_for_a_new_one(approved, reviewer):
    enrollment = approved()
    first = enrollment.installments.get(number=1)
    installments.cancel_unpaid_installments(enrollment=enrollment, by=reviewer, reason="Baja")
    again = Installment.objects.create(
        enrollment=enrollment,
        worker=first.worker,
        agreement=first.agreement,
        province=first.province,
        number=1,
        month=first.month,
        rate=first.rate,
        amount=first.amount,
    )
    assert again.status == I.DUE
    with pytest.raises(IntegrityError), transaction.atomic():
        Installment.objects.create(
            enrollment=enrollment,
            worker=first.worker,
            agreement=first.agreement,
            province=first.province,
            number=1,
            month=first.month,
            rate=first.rate,
            amount=first.amount,
        )


def test_no_index_of_installments_covers_status():
    """A status change (due → in batch → paid) must write no index entry, so that PostgreSQL can
    keep the new row version on its page (HOT update): ``status`` appears in no index key,
    expression or predicate."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(x.indexrelid)
              FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
             WHERE x.indrelid = 'payments_installment'::regclass
            """
        )
        indexes = cursor.fetchall()
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'payments_installment'::regclass")
        (options,) = cursor.fetchone()
    assert len(indexes) >= 6
    assert [name for name, definition in indexes if "status" in definition] == []
    assert "fillfactor=75" in (options or [])


def _months_from_now(offset: int) -> dt.date:
    from django.utils import timezone

    from provinces.models import add_months

    return add_months(timezone.localdate().replace(day=1), offset)


def test_reinstatement_schedules_only_the_months_still_to_come(approved, reviewer):
    """Two months passed under the suspension: only this month and the next are paid again."""
    enrollment = approved(cycle=CycleFactory(first_month=_months_from_now(-2), months=4))
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="pay_above_aid", note="Alta en SIPA")
    with pytest.raises(ValidationError):  # lifting a suspension is not an approval
        enrollment_services.approve_enrollment(enrollment=enrollment, by=reviewer)
    reinstate_enrollment(enrollment=enrollment, by=reviewer, reason="La relación laboral terminó")
    due = sorted(enrollment.installments.filter(status=I.DUE).values_list("number", "month"))
    assert due == [(3, _months_from_now(0)), (4, _months_from_now(1))]
    assert enrollment.installments.filter(status=I.CANCELLED).count() == 4
    enrollment_services.withdraw_enrollment(enrollment=enrollment, by=reviewer, reason="Baja")
    assert enrollment.installments.filter(status=I.CANCELLED).count() == 6


def test_reinstatement_pays_the_passed_months_a_reviewer_states_are_owed(approved, reviewer):
    enrollment = approved(cycle=CycleFactory(first_month=_months_from_now(-2), months=4))
    suspend_enrollment(enrollment=enrollment, by=reviewer, cause="incompatible_benefit", note="Pensión")
    reinstate_enrollment(
        enrollment=enrollment,
        by=reviewer,
        reason="El padrón tenía un error",
        owed_months=[_months_from_now(-1)],
        owed_reason="La pensión empezó después",
    )
    due = sorted(enrollment.installments.filter(status=I.DUE).values_list("number", flat=True))
    assert due == [2, 3, 4]
    assert not enrollment.installments.filter(number=1).exclude(status=I.CANCELLED).exists()


def test_bulk_scheduling_is_set_based_and_idempotent(reviewer):
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1), months=3)
    enrollments = [EnrollmentFactory(cycle=cycle, status=Enrollment.Status.APPROVED) for _ in range(5)]
    for enrollment in enrollments:
        agrarian_history(enrollment.worker, before=cycle.first_month, months=8)
    pending = EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW)
    ids = [e.pk for e in enrollments] + [pending.pk]
    assert installments.schedule_installments_bulk(enrollment_ids=ids, by=reviewer) == 15
    assert installments.schedule_installments_bulk(enrollment_ids=ids, by=reviewer) == 0
    assert not pending.installments.exists()
    assert set(Installment.objects.filter(enrollment__cycle=cycle).values_list("amount", flat=True)) == {
        Decimal("64000.00")
    }


def test_bulk_scheduling_adds_only_the_numbers_without_a_live_installment(reviewer):
    """A cancelled installment's number is planned again; a live one's is not; another
    enrollment's live installment of the same number does not hide this one's."""
    cycle = CycleFactory(first_month=dt.date(2026, 5, 1), months=3)
    one, other = (EnrollmentFactory(cycle=cycle, status=Enrollment.Status.APPROVED) for _ in range(2))
    for enrollment in (one, other):
        agrarian_history(enrollment.worker, before=cycle.first_month, months=8)
    assert installments.schedule_installments_bulk(enrollment_ids=[one.pk], by=reviewer) == 3
    one.installments.filter(number=1).update(status=I.CANCELLED, cancelled_at=dt.datetime(2026, 5, 2, tzinfo=dt.UTC))
    one.installments.filter(number=3).delete()
    assert installments.schedule_installments_bulk(enrollment_ids=[one.pk, other.pk], by=reviewer) == 5
    live = sorted(one.installments.exclude(status=I.CANCELLED).values_list("number", flat=True))
    assert live == [1, 2, 3]
    assert sorted(other.installments.values_list("number", flat=True)) == [1, 2, 3]


def test_bulk_scheduling_refuses_budget_overrun_and_same_worker_month(reviewer):
    agreement = AgreementFactory(budget=Decimal("100000.00"))
    cycle = CycleFactory(agreement=agreement, months=1)
    enrollments = [EnrollmentFactory(cycle=cycle, status=Enrollment.Status.APPROVED) for _ in range(2)]
    with pytest.raises(ValidationError, match="presupuesto"):
        installments.schedule_installments_bulk(enrollment_ids=[e.pk for e in enrollments], by=reviewer)
    assert not Installment.objects.filter(agreement=agreement).exists()

    worker = WorkerFactory()
    a = EnrollmentFactory(worker=worker, cycle=CycleFactory(months=1), status=Enrollment.Status.APPROVED)
    b = EnrollmentFactory(worker=worker, cycle=CycleFactory(months=1), status=Enrollment.Status.APPROVED)
    with pytest.raises(ValidationError, match="mismo mes"):
        installments.schedule_installments_bulk(enrollment_ids=[a.pk, b.pk], by=reviewer)
    assert not Installment.objects.filter(worker=worker).exists()


def test_retroactive_rate_raises_unpaid_and_schedules_difference_for_paid(approved, officer):
    enrollment = approved(cycle=CycleFactory(first_month=dt.date(2026, 5, 1), months=3))
    paid = enrollment.installments.get(number=1)
    Installment.objects.filter(pk=paid.pk).update(status=I.PAID)
    rate = Rate.objects.create(
        amount=Decimal("80000.00"), effective_month=dt.date(2026, 5, 1), resolution="Res. SE 9/2026"
    )
    result = rates.apply_retroactive_rate(rate=rate, by=officer)
    assert result == {"raised": 2, "differences": 1, "agreements": 1}
    assert list(enrollment.installments.filter(kind="regular").order_by("number").values_list("amount", flat=True)) == [
        Decimal("64000.00"),
        Decimal("80000.00"),
        Decimal("80000.00"),
    ]
    difference = enrollment.installments.get(kind="difference")
    assert difference.amount == Decimal("16000.00") and difference.difference_of_id == paid.pk
    assert difference.status == I.DUE
    assert rates.apply_retroactive_rate(rate=rate, by=officer) == {"raised": 0, "differences": 0, "agreements": 1}


def test_only_payments_officers_apply_a_rate(reviewer):
    rate = Rate.objects.create(amount=Decimal("80000.00"), effective_month=dt.date(2026, 5, 1), resolution="Res")
    with pytest.raises(PermissionDenied):
        rates.apply_retroactive_rate(rate=rate, by=reviewer)


def _scheduling_reasons(enrollments):
    from payments.models import InstallmentEvent

    return set(
        InstallmentEvent.objects.filter(pgh_obj__enrollment__in=enrollments, pgh_label="insert").values_list(
            "pgh_context__metadata__reason", flat=True
        )
    )


def test_bulk_approval_schedules_every_enrollment_in_one_set_based_pass(reviewer):
    pending = [EnrollmentFactory(status=Enrollment.Status.PENDING_REVIEW) for _ in range(3)]
    for enrollment in pending:
        agrarian_history(enrollment.worker, before=enrollment.cycle.first_month, months=8)
    assert enrollment_services.bulk_decide(enrollments=pending, by=reviewer, approve=True) == []
    for enrollment in pending:
        enrollment.refresh_from_db()
        assert enrollment.status == Enrollment.Status.APPROVED
        assert enrollment.installments.count() == 4
    assert _scheduling_reasons(pending) == {"cuotas programadas (masivo)"}


def test_bulk_approval_reports_the_enrollment_that_cannot_be_scheduled_and_approves_the_rest(approved, reviewer):
    paid_already = approved()
    clash = EnrollmentFactory(
        worker=paid_already.worker,
        cycle=CycleFactory(first_month=dt.date(2026, 7, 1), months=2),
        status=Enrollment.Status.PENDING_REVIEW,
    )
    fine = [EnrollmentFactory(status=Enrollment.Status.PENDING_REVIEW) for _ in range(2)]
    for enrollment in fine:
        agrarian_history(enrollment.worker, before=enrollment.cycle.first_month, months=8)
    failures = enrollment_services.bulk_decide(enrollments=[fine[0], clash, fine[1]], by=reviewer, approve=True)
    assert len(failures) == 1 and "no se paga dos veces" in failures[0]
    clash.refresh_from_db()
    assert clash.status == Enrollment.Status.PENDING_REVIEW and not clash.installments.exists()
    for enrollment in fine:
        enrollment.refresh_from_db()
        assert enrollment.status == Enrollment.Status.APPROVED and enrollment.installments.count() == 4
    assert _scheduling_reasons(fine) == {"cuotas programadas"}  # decided one by one after the refusal


def test_bulk_scheduling_refuses_months_without_a_rate(reviewer):
    # An entitlement table in force before the first rate, so that the missing rate is what refuses.
    table = EntitlementRuleSet.objects.create(
        effective_from=dt.date(2015, 1, 1), note="Prueba", status="approved", decided_at=dt.datetime.now(dt.UTC)
    )
    EntitlementBracket.objects.create(rule_set=table, min_pay_months=0, max_pay_months=12, months=2)
    early = EnrollmentFactory(
        cycle=CycleFactory(first_month=dt.date(2015, 11, 1), months=3), status=Enrollment.Status.APPROVED
    )
    with pytest.raises(ValidationError, match="No hay monto"):
        installments.schedule_installments_bulk(enrollment_ids=[early.pk], by=reviewer)
    assert not Installment.objects.exists()


def _pending_entitled(n):
    pending = [EnrollmentFactory(status=Enrollment.Status.PENDING_REVIEW) for _ in range(n)]
    for enrollment in pending:
        agrarian_history(enrollment.worker, before=enrollment.cycle.first_month, months=8)
    return pending


def test_bulk_approval_takes_the_same_statements_for_two_enrollments_or_eight(reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    enrollment_services.bulk_decide(enrollments=_pending_entitled(2), by=reviewer, approve=True)  # warm caches
    counts = []
    for n in (2, 8):
        pending = _pending_entitled(n)
        with CaptureQueriesContext(connection) as queries:
            assert enrollment_services.bulk_decide(enrollments=pending, by=reviewer, approve=True) == []
        counts.append(len(queries))
        assert Enrollment.objects.filter(pk__in=[e.pk for e in pending], status=Enrollment.Status.APPROVED).count() == n
    assert counts[0] == counts[1]


def test_bulk_approval_reports_blocked_and_already_decided_enrollments_in_words_and_approves_the_rest(reviewer):
    from enrollment.screening.models import MatchFlag

    fine, blocked, decided = _pending_entitled(3)
    MatchFlag.objects.create(
        enrollment=blocked,
        kind=MatchFlag.Kind.REGISTRY,
        level=MatchFlag.Level.SAME,
        score=Decimal("0.990"),
        reasons="mismo CUIL",
        match_key="registry:test",
    )
    Enrollment.objects.filter(pk=decided.pk).update(status=Enrollment.Status.REJECTED)
    failures = enrollment_services.bulk_decide(enrollments=[fine, blocked, decided], by=reviewer, approve=True)
    assert failures == [
        f"{blocked.worker}: Tiene alertas de control que bloquean la aprobación: resuélvalas primero.",
        f"{decided.worker}: Una inscripción en estado «Rechazada» no puede pasar a «Aprobada».",
    ]
    statuses = dict(Enrollment.objects.filter(pk__in=[fine.pk, blocked.pk, decided.pk]).values_list("pk", "status"))
    assert statuses == {
        fine.pk: Enrollment.Status.APPROVED,
        blocked.pk: Enrollment.Status.PENDING_REVIEW,
        decided.pk: Enrollment.Status.REJECTED,
    }
    assert fine.installments.count() == 4 and not blocked.installments.exists()


def test_one_approval_and_a_bulk_approval_refuse_with_the_same_words(reviewer):
    from enrollment.screening.models import MatchFlag

    blocked, decided, other_blocked, other_decided = _pending_entitled(4)
    for enrollment in (blocked, other_blocked):
        MatchFlag.objects.create(
            enrollment=enrollment,
            kind=MatchFlag.Kind.REGISTRY,
            level=MatchFlag.Level.SAME,
            score=Decimal("0.990"),
            reasons="mismo CUIL",
            match_key="registry:test",
        )
    Enrollment.objects.filter(pk__in=[decided.pk, other_decided.pk]).update(status=Enrollment.Status.ACTIVE)
    alone = {}
    for enrollment in (blocked, decided):
        with pytest.raises(ValidationError) as refused:
            enrollment_services.approve_enrollment(enrollment=enrollment, by=reviewer)
        alone[enrollment.pk] = " ".join(refused.value.messages)
    assert alone[blocked.pk] == "Tiene alertas de control que bloquean la aprobación: resuélvalas primero."
    assert alone[decided.pk] == "Una inscripción en estado «Activa» no puede pasar a «Aprobada»."
    failures = enrollment_services.bulk_decide(enrollments=[other_blocked, other_decided], by=reviewer, approve=True)
    assert failures == [
        f"{other_blocked.worker}: {alone[blocked.pk]}",
        f"{other_decided.worker}: {alone[decided.pk]}",
    ]


def test_only_a_reviewer_approves_in_bulk():
    from provinces.roles import Role
    from tests.factories import make_user

    pending = _pending_entitled(2)
    with pytest.raises(PermissionDenied):
        enrollment_services.bulk_decide(enrollments=pending, by=make_user(Role.PAYMENTS_OFFICER), approve=True)
    assert not Enrollment.objects.filter(pk__in=[e.pk for e in pending], status=Enrollment.Status.APPROVED).exists()
