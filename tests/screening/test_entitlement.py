"""Entitlement: 2, 3 or 4 months of aid per worker from the SIPA history before the period, by
the dated rule table that the ministry edits with four eyes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from enrollment import services as enrollment_services
from enrollment.models import Enrollment
from enrollment.screening import entitlement
from enrollment.screening.entitlement import Bracket
from enrollment.screening.models import Entitlement, EntitlementRuleSet, Remuneration
from payments.models import Installment
from provinces.roles import Role
from tests.factories import CycleFactory, EnrollmentFactory, agrarian_history, make_user
from tests.twofactor import verified

pytestmark = pytest.mark.django_db
MAY = dt.date(2026, 5, 1)
S = EntitlementRuleSet.Status


@pytest.fixture
def reviewer():
    return verified(make_user(Role.MINISTRY_REVIEWER))


@pytest.fixture
def officer():
    return verified(make_user(Role.PAYMENTS_OFFICER))


@pytest.fixture
def cycle():
    return CycleFactory(first_month=MAY, months=4)


def pending(cycle, history: int | None = None, **kwargs) -> Enrollment:
    enrollment = EnrollmentFactory(cycle=cycle, status=Enrollment.Status.PENDING_REVIEW, **kwargs)
    if history:
        agrarian_history(enrollment.worker, before=cycle.first_month, months=history)
    return enrollment


def approve(enrollment, by) -> Enrollment:
    return enrollment_services.approve_enrollment(enrollment=enrollment, by=by)


def table(by, *, effective_from, brackets, window=12, note="Res. 1/2026") -> EntitlementRuleSet:
    return entitlement.propose_rule_set(
        by=by,
        effective_from=effective_from,
        window_months=window,
        note=note,
        brackets=[Bracket(*b) for b in brackets],
    )


# --------------------------------------------------------------------------- the count and the table


@pytest.mark.parametrize(
    ("history", "months"),
    [(0, 2), (1, 2), (4, 2), (5, 3), (7, 3), (8, 4), (12, 4)],
)
def test_each_bracket_boundary_of_the_default_table_schedules_its_months(cycle, reviewer, history, months):
    enrollment = approve(pending(cycle, history), reviewer)
    assert enrollment.entitlement.months == months
    assert enrollment.entitlement.pay_months == history
    assert list(enrollment.installments.order_by("number").values_list("number", "month")) == [
        (n, dt.date(2026, 4 + n, 1)) for n in range(1, months + 1)
    ]


def test_only_agrarian_or_agro_industrial_pay_in_the_window_counts_once_per_month(cycle, reviewer):
    enrollment = pending(cycle, history=4)  # 01/2026..04/2026 agrarian: 4 months
    cuil = enrollment.worker.cuil
    extra = [
        # agro-industrial pay counts: 5th month
        (dt.date(2025, 12, 1), "E1", "agro_industrial", "90000"),
        # a second employer in a month already counted adds nothing
        (dt.date(2026, 4, 1), "E2", "agrarian", "1000"),
        # another activity, zero pay, the period's own month and a month before the window do not count
        (dt.date(2025, 11, 1), "E1", "other", "500000"),
        (dt.date(2025, 10, 1), "E1", "agrarian", "0"),
        (dt.date(2026, 5, 1), "E1", "agrarian", "90000"),
        (dt.date(2025, 4, 1), "E1", "agrarian", "90000"),
    ]
    Remuneration.objects.bulk_create(
        Remuneration(cuil=cuil, month=m, employer_cuit=f"30{e}0000000"[:11], activity=a, gross=Decimal(g))
        for m, e, a, g in extra
    )
    approved = approve(enrollment, reviewer)
    assert approved.entitlement.pay_months == 5
    assert approved.entitlement.months == 3
    assert (approved.entitlement.window_start, approved.entitlement.window_end) == (
        dt.date(2025, 5, 1),
        dt.date(2026, 4, 1),
    )
    assert approved.installments.count() == 3


def test_no_sipa_data_gets_the_lowest_bracket_and_says_so(cycle, reviewer):
    approved = approve(pending(cycle), reviewer)
    assert approved.entitlement.months == 2 and approved.entitlement.has_sipa_data is False
    text = entitlement.describe(approved.entitlement, period_months=4)
    assert text == (
        "2 meses: sin datos SIPA entre 05/2025 y 04/2026, se aplica el tramo más bajo de la tabla "
        "(tabla vigente desde 01/01/2016)"
    )


def test_reason_in_words_names_the_count_the_window_and_the_table(cycle, reviewer):
    approved = approve(pending(cycle, history=5), reviewer)
    assert entitlement.describe(approved.entitlement, period_months=4) == (
        "3 meses: 5 meses con remuneración agraria o agroindustrial registrada entre 05/2025 y 04/2026 "
        "(tabla vigente desde 01/01/2016)"
    )


def test_a_short_period_pays_at_most_its_own_months(reviewer):
    short = CycleFactory(first_month=MAY, months=2)
    approved = approve(pending(short, history=10), reviewer)
    assert approved.entitlement.months == 4
    assert approved.installments.count() == 2
    assert entitlement.describe(approved.entitlement, period_months=2).endswith("El período tiene 2 meses: se pagan 2.")


def test_the_table_in_force_at_the_periods_first_month_applies(reviewer, officer):
    new = table(reviewer, effective_from=dt.date(2026, 6, 1), brackets=[(0, 12, 4)])
    entitlement.approve_rule_set(rule_set=new, by=officer)
    may = approve(pending(CycleFactory(first_month=MAY, months=4)), reviewer)
    june = approve(pending(CycleFactory(first_month=dt.date(2026, 6, 1), months=4)), reviewer)
    assert (may.entitlement.months, may.installments.count()) == (2, 2)
    assert (june.entitlement.months, june.installments.count()) == (4, 4)
    assert june.entitlement.rule_set == new and may.entitlement.rule_set != new


def test_a_proposed_or_rejected_table_never_applies(reviewer, officer, cycle):
    proposed = table(reviewer, effective_from=dt.date(2026, 1, 1), brackets=[(0, 12, 4)])
    rejected = table(reviewer, effective_from=dt.date(2026, 2, 1), brackets=[(0, 12, 4)])
    entitlement.reject_rule_set(rule_set=rejected, by=officer, note="Sin resolución firmada")
    approved = approve(pending(cycle), reviewer)
    assert approved.entitlement.months == 2
    assert proposed.pk and approved.entitlement.rule_set.effective_from == dt.date(2016, 1, 1)


def test_determined_once_a_later_table_or_sipa_load_changes_nothing_already_scheduled(reviewer, officer, cycle):
    enrollment = approve(pending(cycle), reviewer)
    again = table(reviewer, effective_from=dt.date(2016, 1, 1), brackets=[(0, 12, 4)])
    entitlement.approve_rule_set(rule_set=again, by=officer)
    agrarian_history(enrollment.worker, before=MAY, months=12)
    from payments.installments import schedule_installments

    assert schedule_installments(enrollment=enrollment, by=reviewer) == []
    assert Entitlement.objects.get(enrollment=enrollment).months == 2
    assert enrollment.installments.count() == 2
    assert EntitlementRuleSet.objects.get(pk=again.pk).status == S.APPROVED
    assert EntitlementRuleSet.objects.filter(effective_from=dt.date(2016, 1, 1), status=S.REPLACED).count() == 1


def test_a_period_before_every_table_is_refused_and_nothing_is_approved(reviewer):
    old = CycleFactory(first_month=dt.date(2015, 11, 1), months=2)
    enrollment = pending(old)
    with pytest.raises(ValidationError, match="No hay tabla de meses de ayuda vigente"):
        approve(enrollment, reviewer)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.PENDING_REVIEW
    assert not Entitlement.objects.filter(enrollment=enrollment).exists()


def test_bulk_and_single_approval_give_the_same_months(reviewer):
    histories = [0, 4, 5, 7, 8, 12]
    single_cycle = CycleFactory(first_month=MAY, months=4)
    bulk_cycle = CycleFactory(first_month=MAY, months=4)
    singles = [approve(pending(single_cycle, h), reviewer) for h in histories]
    bulk = [pending(bulk_cycle, h) for h in histories]
    assert enrollment_services.bulk_decide(enrollments=bulk, by=reviewer, approve=True) == []
    single_counts = [e.installments.count() for e in singles]
    bulk_counts = [Installment.objects.filter(enrollment=e).count() for e in bulk]
    assert single_counts == bulk_counts == [2, 2, 3, 3, 4, 4]
    assert [Entitlement.objects.get(enrollment=e).months for e in bulk] == [2, 2, 3, 3, 4, 4]


# --------------------------------------------------------------------------- four eyes


def test_another_ministry_user_approves_a_proposed_table(reviewer, officer):
    proposed = table(reviewer, effective_from=dt.date(2027, 1, 1), brackets=[(0, 5, 2), (6, 9, 3), (10, 12, 4)])
    assert proposed.status == S.PROPOSED
    assert entitlement.rule_set_in_force(dt.date(2027, 1, 1)).effective_from == dt.date(2016, 1, 1)
    entitlement.approve_rule_set(rule_set=proposed, by=officer, note="Verificada contra la resolución")
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decided_by, proposed.proposed_by) == (S.APPROVED, officer, reviewer)
    assert entitlement.rule_set_in_force(dt.date(2027, 1, 1)) == proposed


def test_the_proposer_cannot_approve_or_reject_their_own_table(reviewer):
    proposed = table(reviewer, effective_from=dt.date(2027, 1, 1), brackets=[(0, 12, 4)])
    with pytest.raises(PermissionDenied):
        entitlement.approve_rule_set(rule_set=proposed, by=reviewer)
    with pytest.raises(PermissionDenied):
        entitlement.reject_rule_set(rule_set=proposed, by=reviewer, note="no")
    assert EntitlementRuleSet.objects.get(pk=proposed.pk).status == S.PROPOSED


def test_the_database_refuses_a_table_decided_by_its_proposer(reviewer):
    proposed = table(reviewer, effective_from=dt.date(2027, 1, 1), brackets=[(0, 12, 4)])
    with pytest.raises(IntegrityError), transaction.atomic():
        EntitlementRuleSet.objects.filter(pk=proposed.pk).update(
            status=S.APPROVED, decided_by=reviewer, decided_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
        )


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER, Role.AUDITOR, Role.ACCESS_ADMIN])
def test_roles_outside_the_ministrys_reviewers_and_payments_officers_neither_propose_nor_approve(reviewer, role):
    from tests.factories import OrganisationFactory

    organisation = None
    if role in (Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER):
        kind = "provincial_office" if role == Role.PROVINCIAL_OFFICER else "union"
        organisation = OrganisationFactory(kind=kind)
    outsider = verified(make_user(role, organisation))
    with pytest.raises(PermissionDenied):
        table(outsider, effective_from=dt.date(2027, 1, 1), brackets=[(0, 12, 4)])
    proposed = table(reviewer, effective_from=dt.date(2027, 1, 1), brackets=[(0, 12, 4)])
    with pytest.raises(PermissionDenied):
        entitlement.approve_rule_set(rule_set=proposed, by=outsider)
    assert EntitlementRuleSet.objects.get(pk=proposed.pk).status == S.PROPOSED
    assert entitlement.rule_sets_for(outsider).exists() == (role == Role.AUDITOR)


def test_approval_needs_a_verified_second_factor(reviewer):
    proposed = table(reviewer, effective_from=dt.date(2027, 1, 1), brackets=[(0, 12, 4)])
    unverified = make_user(Role.PAYMENTS_OFFICER)
    with pytest.raises(PermissionDenied):
        entitlement.approve_rule_set(rule_set=proposed, by=unverified)
    assert EntitlementRuleSet.objects.get(pk=proposed.pk).status == S.PROPOSED


def test_only_the_proposer_withdraws_and_a_decided_table_is_not_decided_again(reviewer, officer):
    proposed = table(reviewer, effective_from=dt.date(2027, 1, 1), brackets=[(0, 12, 4)])
    with pytest.raises(PermissionDenied):
        entitlement.withdraw_rule_set(rule_set=proposed, by=officer)
    entitlement.withdraw_rule_set(rule_set=proposed, by=reviewer, note="Error de carga")
    with pytest.raises(ValidationError, match="ya fue decidida"):
        entitlement.approve_rule_set(rule_set=proposed, by=officer)
    assert EntitlementRuleSet.objects.get(pk=proposed.pk).status == S.WITHDRAWN


def test_rejecting_needs_a_reason(reviewer, officer):
    proposed = table(reviewer, effective_from=dt.date(2027, 1, 1), brackets=[(0, 12, 4)])
    with pytest.raises(ValidationError):
        entitlement.reject_rule_set(rule_set=proposed, by=officer, note=" ")
    assert EntitlementRuleSet.objects.get(pk=proposed.pk).status == S.PROPOSED


@pytest.mark.parametrize(
    ("brackets", "message"),
    [
        ([(1, 12, 4)], "Faltan los meses 0 a 0"),
        ([(0, 4, 2), (6, 12, 4)], "Faltan los meses 5 a 5"),
        ([(0, 5, 2), (5, 12, 4)], "se superpone"),
        ([(0, 4, 2), (5, 12, 5)], "deben ser entre 2 y 4"),
        ([(0, 4, 1), (5, 12, 4)], "deben ser entre 2 y 4"),
        ([(0, 4, 2), (5, 10, 4)], "debe terminar en 12"),
        ([], "al menos un tramo"),
    ],
)
def test_a_table_with_gaps_overlaps_or_months_outside_2_to_4_is_refused(reviewer, brackets, message):
    with pytest.raises(ValidationError, match=message):
        table(reviewer, effective_from=dt.date(2027, 1, 1), brackets=brackets)
    assert not EntitlementRuleSet.objects.filter(effective_from=dt.date(2027, 1, 1)).exists()


def test_proposal_and_approval_are_in_the_audit_trail_with_who(reviewer, officer):
    from pghistory.models import Events

    proposed = table(reviewer, effective_from=dt.date(2027, 1, 1), brackets=[(0, 12, 4)])
    entitlement.approve_rule_set(rule_set=proposed, by=officer)
    events = list(Events.objects.tracks(proposed).order_by("pgh_created_at"))
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert [e.pgh_context["user"] for e in events] == [reviewer.pk, officer.pk]


def test_determining_many_stores_only_the_missing_ones_without_reading_the_table_it_writes(reviewer):
    """The INSERT of the entitlements never reads screening_entitlement: a NOT EXISTS there was
    planned as one scan of the table per enrollment, each visiting the rows inserted so far
    (quadratic: minutes for 200,000). The ones already stored are left out beforehand."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cycle = CycleFactory(first_month=MAY, months=4)
    enrollments = [pending(cycle, h) for h in (4, 5, 8)]
    assert entitlement.determine_entitlements(enrollment_ids=[enrollments[0].pk], by=reviewer) == 1
    first = Entitlement.objects.get(enrollment=enrollments[0])
    with CaptureQueriesContext(connection) as queries:
        stored = entitlement.determine_entitlements(enrollment_ids=[e.pk for e in enrollments], by=reviewer)
    assert stored == 2
    assert Entitlement.objects.get(enrollment=enrollments[0]) == first
    assert [Entitlement.objects.get(enrollment=e).months for e in enrollments] == [2, 3, 4]
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO screening_entitlement" in q["sql"]]
    assert len(inserts) == 1
    assert not re.search(r"FROM\s+screening_entitlement\b", inserts[0])
    assert entitlement.determine_entitlements(enrollment_ids=[e.pk for e in enrollments], by=reviewer) == 0
