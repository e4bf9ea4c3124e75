"""The monthly re-screening proposes suspensions to reviewers (pay above the aid, an
incompatible benefit, a death registry, a residence in another province); a reviewer accepts
(the enrollment is suspended with that cause) or dismisses with a reason."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment.models import Enrollment, Suspension, SuspensionProposal
from enrollment.screening import services
from enrollment.screening.models import ExternalRegistry, MatchFlag, Remuneration
from enrollment.suspension_proposals import accept_proposal, dismiss_proposal, propose_suspensions
from provinces.roles import Role
from tests.factories import CycleFactory, make_cuil, make_user, province
from tests.screening.test_screening import enrollment_of
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db
S = Enrollment.Status
P = SuspensionProposal.Status
MAY, JUNE, JULY = dt.date(2026, 5, 1), dt.date(2026, 6, 1), dt.date(2026, 7, 1)
RODRIGUEZ = f"{make_cuil(30111222)},,Rodriguez,Ramon,1985-04-09"


def approved(**kwargs):
    enrollment = enrollment_of(cycle=CycleFactory(first_month=MAY, months=4), **kwargs)
    Enrollment.objects.filter(pk=enrollment.pk).update(status=S.APPROVED)
    enrollment.refresh_from_db()
    return enrollment


def proposals(enrollment):
    return list(SuspensionProposal.objects.filter(enrollment=enrollment).values_list("cause", "status"))


def test_an_incompatible_benefit_in_the_month_holds_and_proposes_a_suspension_once(load_registry):
    enrollment = approved()
    load_registry([f"{RODRIGUEZ},2026-06,2026-12"])
    held = services.screen_for_month(month=JUNE, enrollment_ids=[enrollment.pk])
    assert list(held) == [enrollment.pk]
    [proposal] = SuspensionProposal.objects.filter(enrollment=enrollment)
    assert (proposal.cause, proposal.status, proposal.month) == ("incompatible_benefit", P.OPEN, JUNE)
    assert proposal.flag.kind == MatchFlag.Kind.REGISTRY and "mismo CUIL" in proposal.detail
    services.screen_for_month(month=JULY, enrollment_ids=[enrollment.pk])  # still there: not proposed twice
    assert proposals(enrollment) == [("incompatible_benefit", P.OPEN)]


def test_a_benefit_in_other_months_proposes_nothing(load_registry):
    enrollment = approved()
    load_registry([f"{RODRIGUEZ},2026-08,2026-08"])
    assert services.screen_for_month(month=JUNE, enrollment_ids=[enrollment.pk]) == {}
    assert proposals(enrollment) == []


def test_pay_above_the_aid_proposes_that_cause(load_registry):
    enrollment = approved()
    Remuneration.objects.create(
        cuil=enrollment.worker.cuil, month=JUNE, employer_cuit="30500010912", activity="other", gross=Decimal("90000")
    )
    services.screen_for_month(month=JUNE, enrollment_ids=[enrollment.pk], monthly_aid=Decimal("64000"))
    assert proposals(enrollment) == [("pay_above_aid", P.OPEN)]


def test_a_death_registry_match_proposes_death(load_registry):
    enrollment = approved()
    load_registry([f"{RODRIGUEZ},2026-06,2026-12"], code="fallecidos")
    ExternalRegistry.objects.filter(code="fallecidos").update(kind=ExternalRegistry.Kind.DEATH_REGISTRY)
    services.screen_for_month(month=JUNE, enrollment_ids=[enrollment.pk])
    assert proposals(enrollment) == [("death", P.OPEN)]


def test_an_enrollment_not_yet_approved_is_held_but_not_proposed(load_registry):
    enrollment = enrollment_of(cycle=CycleFactory(first_month=MAY, months=4))
    Enrollment.objects.filter(pk=enrollment.pk).update(status=S.PENDING_REVIEW)
    load_registry([f"{RODRIGUEZ},2026-06,2026-12"])
    assert list(services.screen_for_month(month=JUNE, enrollment_ids=[enrollment.pk])) == [enrollment.pk]
    assert proposals(enrollment) == []


def test_moving_out_is_proposed_and_a_dismissal_is_remembered_until_the_residence_changes_again(reviewer):
    enrollment = approved()
    worker = enrollment.worker
    worker.province = province("Salta")
    worker.save()
    assert services.screen_for_month(month=JUNE, enrollment_ids=[enrollment.pk]) == {}  # nothing held for it
    [proposal] = SuspensionProposal.objects.filter(enrollment=enrollment)
    assert proposal.cause == "moved_out" and "Salta" in proposal.detail and "Tucumán" in proposal.detail
    dismiss_proposal(proposal=proposal, by=reviewer, reason="Trabaja en Salta; su domicilio sigue en Tucumán")
    services.screen_for_month(month=JULY, enrollment_ids=[enrollment.pk])
    assert proposals(enrollment) == [("moved_out", P.DISMISSED)]
    worker.province = province("Jujuy")
    worker.save()
    services.screen_for_month(month=JULY, enrollment_ids=[enrollment.pk])
    assert sorted(proposals(enrollment)) == [("moved_out", P.DISMISSED), ("moved_out", P.OPEN)]


def test_proposals_are_inserted_in_one_statement():
    enrollments = [approved(dni=30_500_000 + n, last=f"Apellido{n}") for n in range(12)]
    for enrollment in enrollments:
        enrollment.worker.province = province("Salta")
        enrollment.worker.save()
    with CaptureQueriesContext(connection) as queries:
        created = propose_suspensions(month=JUNE, enrollment_ids=[e.pk for e in enrollments], flag_ids=[])
    assert created == 12
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO enrollment_suspensionproposal" in q["sql"]]
    assert len(inserts) == 1


def _moved(enrollment):
    enrollment.worker.province = province("Salta")
    enrollment.worker.save()
    propose_suspensions(month=JUNE, enrollment_ids=[enrollment.pk], flag_ids=[])
    return SuspensionProposal.objects.get(enrollment=enrollment, status=P.OPEN)


def test_accepting_suspends_with_the_proposed_cause_and_closes_the_proposal(reviewer):
    enrollment = approved()
    proposal = _moved(enrollment)
    accept_proposal(proposal=proposal, by=reviewer, note="Confirmó el cambio de domicilio")
    enrollment.refresh_from_db()
    proposal.refresh_from_db()
    assert enrollment.status == S.SUSPENDED
    suspension = Suspension.objects.get(enrollment=enrollment)
    assert suspension.cause == "moved_out" and suspension.note == "Confirmó el cambio de domicilio"
    assert (proposal.status, proposal.suspension, proposal.decided_by) == (P.ACCEPTED, suspension, reviewer)
    with pytest.raises(ValidationError):  # decided once
        dismiss_proposal(proposal=proposal, by=reviewer, reason="otra vez")


@pytest.mark.parametrize("role", [Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_only_reviewers_decide_proposals(role):
    enrollment = approved()
    proposal = _moved(enrollment)
    user = make_user(role)
    with pytest.raises(PermissionDenied):
        accept_proposal(proposal=proposal, by=user, note="Visto")
    with pytest.raises(PermissionDenied):
        dismiss_proposal(proposal=proposal, by=user, reason="No corresponde")
    proposal.refresh_from_db()
    enrollment.refresh_from_db()
    assert proposal.status == P.OPEN and enrollment.status == S.APPROVED


def test_accepting_needs_the_reviewers_note(reviewer):
    enrollment = approved()
    proposal = _moved(enrollment)
    for note in ("", "  "):
        with pytest.raises(ValidationError) as refused:
            accept_proposal(proposal=proposal, by=reviewer, note=note)
        assert refused.value.message_dict == {"note": ["Indique en la nota qué verificó antes de suspender."]}
    proposal.refresh_from_db()
    enrollment.refresh_from_db()
    assert (proposal.status, enrollment.status) == (P.OPEN, S.APPROVED)
    assert not Suspension.objects.filter(enrollment=enrollment).exists()


def test_dismissing_needs_a_reason(reviewer):
    proposal = _moved(approved())
    with pytest.raises(ValidationError):
        dismiss_proposal(proposal=proposal, by=reviewer, reason=" ")
    proposal.refresh_from_db()
    assert proposal.status == P.OPEN


# --- the review area ---------------------------------------------------------------------------


def test_the_review_queue_counts_open_proposals_and_the_list_decides_them(client, reviewer):
    first, second = approved(), approved(dni=30_600_000, last="Paz")
    accept_me, dismiss_me = _moved(first), _moved(second)
    sign_in(client, reviewer)
    queue = client.get(reverse("enrollment:review_queue")).content.decode()
    assert "2 suspensiones propuestas por el control mensual" in queue
    url = reverse("enrollment:suspension_proposals")
    body = client.get(url).content.decode()
    assert "Se mudó fuera de la provincia del convenio" in body and "06/2026" in body
    assert client.post(url, {"proposal": dismiss_me.pk, "action": "dismiss", "reason": ""}).status_code == 400
    assert client.post(url, {"proposal": accept_me.pk, "action": "accept", "reason": ""}).status_code == 400
    first.refresh_from_db()
    assert first.status == S.APPROVED  # not without the reviewer's note
    note = "Confirmó en la oficina que vive en Salta"
    assert client.post(url, {"proposal": accept_me.pk, "action": "accept", "reason": note}).status_code == 302
    assert client.post(url, {"proposal": dismiss_me.pk, "action": "dismiss", "reason": "Error"}).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (S.SUSPENDED, S.APPROVED)
    assert Suspension.objects.get(enrollment=first).note == note
    queue = client.get(reverse("enrollment:review_queue")).content.decode()
    assert "0 suspensiones propuestas" in queue
    # A decided proposal cannot be decided again through the form.
    assert client.post(url, {"proposal": accept_me.pk, "action": "dismiss", "reason": "x"}).status_code == 400


def test_accepting_without_a_note_on_the_page_says_so_next_to_that_proposals_note(client, reviewer):
    import re

    refused_one, other = _moved(approved()), _moved(approved(dni=30_600_000, last="Paz"))
    sign_in(client, reviewer)
    url = reverse("enrollment:suspension_proposals")
    answer = client.post(url, {"proposal": refused_one.pk, "action": "accept", "reason": " "})
    assert answer.status_code == 400
    body = answer.content.decode()
    message = "Indique en la nota qué verificó antes de suspender."
    assert body.count(message) == 1
    error = re.search(rf'<span class="errors" role="alert" id="reason-error-{refused_one.pk}">([^<]*)</span>', body)
    assert error is not None and error.group(1) == message
    field = re.search(rf'<textarea name="reason" id="reason-{refused_one.pk}"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in field and f"reason-error-{refused_one.pk}" in field
    assert "aria-invalid" not in re.search(rf'<textarea name="reason" id="reason-{other.pk}"[^>]*>', body).group(0)
    # the decision chosen stays chosen
    assert re.search(rf'id="action-{refused_one.pk}"><option value="accept" selected>', body)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.post(url, {"proposal": refused_one.pk, "action": "accept", "reason": ""})
    assert english.status_code == 400
    assert "Say in the note what you checked before suspending." in english.content.decode()
    refused_one.refresh_from_db()
    assert refused_one.status == P.OPEN


@pytest.mark.parametrize("role", [Role.PAYMENTS_OFFICER, Role.AUDITOR])
def test_other_roles_do_not_reach_the_proposals(client, role):
    proposal = _moved(approved())
    sign_in(client, make_user(role))
    url = reverse("enrollment:suspension_proposals")
    assert client.get(url).status_code == 403
    assert client.post(url, {"proposal": proposal.pk, "action": "accept", "reason": ""}).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == P.OPEN
