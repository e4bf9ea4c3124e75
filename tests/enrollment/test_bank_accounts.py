"""Changes of a worker's CBU: who asks, who decides, what the database refuses."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from enrollment import bank_accounts
from enrollment.models import CbuChangeRequest, Worker
from provinces.roles import Role
from tests.factories import OrganisationFactory, WorkerFactory, make_cbu, make_user, province
from tests.twofactor import verified

pytestmark = pytest.mark.django_db
S = CbuChangeRequest.Status
NEW_CBU = make_cbu(987_654)


@pytest.fixture
def tucuman_officer():
    office = OrganisationFactory(province=province("Tucumán"))
    user = make_user(Role.PROVINCIAL_OFFICER, office)
    return user


@pytest.fixture
def worker():
    return WorkerFactory(province=province("Tucumán"))


def ask(worker, by, cbu=NEW_CBU, reason="Cambió de banco", evidence="Constancia de CBU del Banco Nación"):
    return bank_accounts.request_cbu_change(worker=worker, cbu=cbu, by=by, reason=reason, evidence=evidence)


def test_officer_in_scope_asks_and_the_cbu_does_not_change_until_decided(tucuman_officer, worker):
    old = worker.cbu
    change = ask(worker, tucuman_officer)
    assert change.status == S.PENDING
    assert (change.old_cbu, change.new_cbu, change.requested_by) == (old, NEW_CBU, tucuman_officer)
    worker.refresh_from_db()
    assert worker.cbu == old


def test_cbu_is_validated_and_accepted_with_separators(tucuman_officer, worker):
    with pytest.raises(ValidationError) as error:
        ask(worker, tucuman_officer, cbu="0110599520000000010013")
    assert "cbu" in error.value.message_dict
    spaced = f"{NEW_CBU[:8]} {NEW_CBU[8:]}"
    assert ask(worker, tucuman_officer, cbu=spaced).new_cbu == NEW_CBU


def test_reason_is_required_and_the_same_cbu_is_not_a_change(tucuman_officer, worker):
    with pytest.raises(ValidationError) as error:
        ask(worker, tucuman_officer, reason="  ")
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        ask(worker, tucuman_officer, cbu=worker.cbu)
    assert not CbuChangeRequest.objects.exists()


def test_setting_a_cbu_where_there_was_none_is_a_request_too(tucuman_officer):
    worker = WorkerFactory(province=province("Tucumán"), cbu="")
    change = ask(worker, tucuman_officer)
    assert change.old_cbu == "" and change.status == S.PENDING


def test_out_of_scope_worker_answers_as_an_unknown_one(worker):
    mendoza = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Mendoza")))
    with pytest.raises(Http404) as out_of_scope:
        ask(worker, mendoza)
    unknown = Worker(pk=worker.pk + 10_000, cbu="")
    with pytest.raises(Http404) as missing:
        ask(unknown, mendoza)
    assert str(out_of_scope.value) == str(missing.value)
    assert not CbuChangeRequest.objects.exists()


def test_union_officer_asks_only_for_workers_it_registered():
    union = OrganisationFactory(kind="union", province=province("Tucumán"))
    officer = make_user(Role.UNION_OFFICER, union)
    own = WorkerFactory(registered_by=union)
    other = WorkerFactory()
    assert ask(own, officer).status == S.PENDING
    with pytest.raises(Http404):
        ask(other, officer)


@pytest.mark.parametrize("role", [Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_payments_officers_and_auditors_do_not_ask(role, worker):
    with pytest.raises(PermissionDenied):
        ask(worker, make_user(role))


def test_one_pending_request_per_worker_service_and_database(tucuman_officer, worker):
    first = ask(worker, tucuman_officer)
    with pytest.raises(ValidationError):
        ask(worker, tucuman_officer, cbu=make_cbu(555))
    with pytest.raises(IntegrityError), transaction.atomic():
        CbuChangeRequest.objects.create(
            worker=worker, old_cbu=first.old_cbu, new_cbu=make_cbu(556), reason="x", requested_by=tucuman_officer
        )


def test_second_person_approves_with_second_factor_and_the_cbu_changes(tucuman_officer, worker):
    change = ask(worker, tucuman_officer)
    payer = verified(make_user(Role.PAYMENTS_OFFICER))
    bank_accounts.approve_cbu_change(change=change, by=payer, note="Constancia verificada")
    change.refresh_from_db()
    worker.refresh_from_db()
    assert change.status == S.APPROVED and change.decided_by == payer and change.decided_at is not None
    assert worker.cbu == NEW_CBU


def test_approval_without_second_factor_is_refused(tucuman_officer, worker):
    change = ask(worker, tucuman_officer)
    unverified = make_user(Role.MINISTRY_REVIEWER)
    with pytest.raises(PermissionDenied):
        bank_accounts.approve_cbu_change(change=change, by=unverified)
    assert bank_accounts.why_cannot_decide(unverified, change)
    change.refresh_from_db()
    worker.refresh_from_db()
    assert change.status == S.PENDING and worker.cbu == change.old_cbu


def test_the_requester_cannot_approve_in_the_service_or_the_database(worker):
    reviewer = verified(make_user(Role.MINISTRY_REVIEWER))
    change = ask(worker, reviewer)
    assert not bank_accounts.may_decide(reviewer, change)
    with pytest.raises(PermissionDenied):
        bank_accounts.approve_cbu_change(change=change, by=reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        CbuChangeRequest.objects.filter(pk=change.pk).update(
            status=S.APPROVED, decided_by=reviewer, decided_at=timezone.now()
        )
    worker.refresh_from_db()
    assert worker.cbu == change.old_cbu


@pytest.mark.parametrize("role", [Role.PROVINCIAL_OFFICER, Role.AUDITOR])
def test_only_payments_officers_and_reviewers_decide(role, worker, tucuman_officer):
    change = ask(worker, tucuman_officer)
    organisation = OrganisationFactory(province=province("Tucumán")) if role == Role.PROVINCIAL_OFFICER else None
    other = verified(make_user(role, organisation))
    with pytest.raises(PermissionDenied):
        bank_accounts.approve_cbu_change(change=change, by=other)


def test_rejection_keeps_the_cbu_and_needs_a_reason(tucuman_officer, worker):
    old = worker.cbu
    change = ask(worker, tucuman_officer)
    reviewer = verified(make_user(Role.MINISTRY_REVIEWER))
    with pytest.raises(ValidationError):
        bank_accounts.reject_cbu_change(change=change, by=reviewer, note="")
    bank_accounts.reject_cbu_change(change=change, by=reviewer, note="La constancia no es del titular")
    change.refresh_from_db()
    worker.refresh_from_db()
    assert change.status == S.REJECTED and change.decision_note == "La constancia no es del titular"
    assert worker.cbu == old
    with pytest.raises(ValidationError):  # decided once
        bank_accounts.approve_cbu_change(change=change, by=verified(make_user(Role.PAYMENTS_OFFICER)))
    assert ask(worker, tucuman_officer, cbu=make_cbu(777)).status == S.PENDING  # a new one may be asked


def test_requester_cancels_and_a_stranger_cannot(tucuman_officer, worker):
    change = ask(worker, tucuman_officer)
    colleague = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Tucumán")))
    with pytest.raises(PermissionDenied):
        bank_accounts.cancel_cbu_change(change=change, by=colleague, note="no")
    bank_accounts.cancel_cbu_change(change=change, by=tucuman_officer, note="Cargado por error")
    change.refresh_from_db()
    assert change.status == S.CANCELLED


def test_the_request_and_the_decision_are_in_the_audit_trail_with_who_and_why(tucuman_officer, worker):
    from pghistory.models import Events

    change = ask(worker, tucuman_officer, reason="Cuenta cerrada")
    payer = verified(make_user(Role.PAYMENTS_OFFICER))
    bank_accounts.approve_cbu_change(change=change, by=payer, note="Constancia verificada")
    events = list(Events.objects.tracks(change).order_by("pgh_created_at"))
    assert [e.pgh_data["status"] for e in events] == ["pending", "approved"]
    assert events[0].pgh_context["user"] == tucuman_officer.pk
    assert "Cuenta cerrada" in events[0].pgh_context["reason"]
    assert events[1].pgh_context["user"] == payer.pk
    worker_events = list(Events.objects.tracks(worker).order_by("pgh_created_at"))
    assert worker_events[-1].pgh_data["cbu"] == NEW_CBU
    assert worker_events[-1].pgh_context["user"] == payer.pk


def test_shared_cbu_warning_names_nobody(worker):
    other = WorkerFactory(cbu="")
    assert bank_accounts.shared_cbu_warning(cbu=worker.cbu, worker=other).startswith("CBU compartido")
    assert bank_accounts.shared_cbu_warning(cbu=worker.cbu, worker=worker) == ""
    assert str(worker) not in bank_accounts.shared_cbu_warning(cbu=worker.cbu)


def test_mask_shows_the_last_four_digits():
    assert bank_accounts.mask_cbu(NEW_CBU) == f"•••• {NEW_CBU[-4:]}"
    assert bank_accounts.mask_cbu("") == ""
