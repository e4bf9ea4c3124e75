"""Identity is scoped and never merged silently: registration (service and form) and the
reviewers' identity queue (issue 14, findings 1, 2 and 6)."""

import datetime as dt

import pytest
from django.urls import reverse
from pghistory.models import Events

from enrollment import registration
from enrollment.identity_reviews import decide_identity_review, identity_reviews_for
from enrollment.models import Enrollment, IdentityReview, Worker
from provinces.roles import Role
from tests.factories import (
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    WorkerFactory,
    make_cbu,
    make_cuil,
    make_user,
    province,
)
from tests.twofactor import verify_client

pytestmark = pytest.mark.django_db
K = IdentityReview.Kind
D = IdentityReview.Decision


@pytest.fixture
def world():
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    men_office = OrganisationFactory(province=mendoza)
    tuc_office = OrganisationFactory(province=tucuman)
    union1 = OrganisationFactory(kind="union", province=tucuman)
    union2 = OrganisationFactory(kind="union", province=tucuman)
    mendocina = WorkerFactory(
        province=mendoza,
        registered_by=men_office,
        last_name="Videla",
        first_name="Elena",
        birth_date=dt.date(1980, 5, 6),
        cbu=make_cbu(501),
        renatre="R-MZA-1",
        phone="261 400",
        locality="Maipú",
    )
    EnrollmentFactory(worker=mendocina, organisation=men_office, cycle=CycleFactory(agreement__province=mendoza))
    of_union1 = WorkerFactory(registered_by=union1, last_name="Mamani", first_name="Rosa", cbu=make_cbu(502))
    return {
        "mendocina": mendocina,
        "of_union1": of_union1,
        "tuc_office": tuc_office,
        "tucuman": make_user(Role.PROVINCIAL_OFFICER, tuc_office),
        "mendoza": make_user(Role.PROVINCIAL_OFFICER, men_office),
        "union1": make_user(Role.UNION_OFFICER, union1),
        "union2": make_user(Role.UNION_OFFICER, union2),
        "reviewer": make_user(Role.MINISTRY_REVIEWER),
        "payments": make_user(Role.PAYMENTS_OFFICER),
        "auditor": make_user(Role.AUDITOR),
        "tuc_cycle": CycleFactory(agreement__province=tucuman, first_month=dt.date(2026, 5, 1)),
    }


def takeover(worker, **overrides):
    """What an attacker sends to take ``worker`` over: its CUIL, other names, another CBU."""
    data = {
        "cuil": worker.cuil,
        "last_name": "Impostor",
        "first_name": "Juan",
        "birth_date": "01/01/1990",
        "sex": "M",
        "province": "Tucumán",
        "locality": "Lules",
        "cbu": make_cbu(999),
        "renatre": "",
    }
    data.update(overrides)
    return data


def same_person(worker, **overrides):
    data = {
        "cuil": worker.cuil,
        "last_name": worker.last_name.upper(),
        "first_name": f" {worker.first_name} ",
        "birth_date": worker.birth_date.strftime("%d/%m/%Y"),
        "sex": worker.sex,
        "province": worker.province.name,
        "locality": worker.locality,
    }
    data.update(overrides)
    return data


def snapshot(worker):
    worker.refresh_from_db()
    return {f.name: getattr(worker, f.name) for f in Worker._meta.concrete_fields if f.name != "dni"}


# --- finding 1: nobody changes a worker they may not see ----------------------------------------


def test_officer_cannot_take_over_a_worker_of_another_province(world):
    before = snapshot(world["mendocina"])
    result = registration.register_worker(by=world["tucuman"], data=takeover(world["mendocina"]))
    assert result.worker is None and result.review is not None
    assert snapshot(world["mendocina"]) == before
    assert result.review.kind == K.DATA_CONFLICT and not result.review.in_sender_scope
    # The sender is told only "registered by another organisation", never that the data differ.
    assert str(result.review.sender_reason) == str(K.OTHER_ORGANISATION.label)
    assert result.review.submitted["last_name"] == "Impostor" and result.review.submitted["cbu"] == make_cbu(999)


def test_union_cannot_change_a_worker_another_organisation_registered(world):
    worker = world["of_union1"]
    before = snapshot(worker)
    result = registration.register_worker(by=world["union2"], data=same_person(worker, phone="381 1", cbu=make_cbu(7)))
    assert result.review.kind == K.OTHER_ORGANISATION and result.worker is None
    assert snapshot(worker) == before


def test_same_identity_in_scope_updates_only_contact_data_and_erases_nothing(world):
    worker = world["mendocina"]
    before = snapshot(worker)
    data = same_person(worker, phone="261 999", address="", renatre="", cbu=make_cbu(888), sex="X", nationality="Chile")
    result = registration.register_worker(by=world["mendoza"], data=data)
    after = snapshot(worker)
    assert result.worker == worker and result.review is None
    assert after["phone"] == "261 999"
    assert after["renatre"] == "R-MZA-1" and after["cbu"] == before["cbu"]  # not erased, not replaced
    assert (after["sex"], after["nationality"], after["last_name"]) == (before["sex"], before["nationality"], "Videla")


def test_province_changes_only_to_one_the_caller_also_registers_in(world):
    from django.core.exceptions import PermissionDenied

    worker = world["of_union1"]
    with pytest.raises(PermissionDenied):
        registration.register_worker(by=world["union1"], data=same_person(worker, province="Mendoza"))
    assert snapshot(worker)["province"] == province("Tucumán")


def test_renatre_is_filled_where_none_is_stored(world):
    worker = world["of_union1"]
    registration.register_worker(by=world["union1"], data=same_person(worker, renatre="R-9"))
    assert snapshot(worker)["renatre"] == "R-9"


def test_out_of_scope_known_cuil_is_validated_like_an_unknown_one(world):
    """Only a CUIL and a phone: refused the same way for an unknown and an out-of-scope CUIL."""
    from django.core.exceptions import ValidationError

    messages = []
    for cuil in (world["mendocina"].cuil, make_cuil(44_444_444)):
        with pytest.raises(ValidationError) as error:
            registration.register_worker(by=world["tucuman"], data={"cuil": cuil, "phone": "1"})
        messages.append(sorted(error.value.message_dict))
    assert messages[0] == messages[1] and "last_name" in messages[0]
    assert not IdentityReview.objects.exists()


# --- finding 2: a different identity is never an overwrite --------------------------------------


def test_in_scope_worker_with_other_names_becomes_a_conflict_not_an_overwrite(world):
    worker = world["mendocina"]
    before = snapshot(worker)
    result = registration.register_worker(by=world["mendoza"], data=same_person(worker, first_name="Elena Beatriz"))
    assert result.review.kind == K.DATA_CONFLICT and result.review.in_sender_scope
    assert str(result.review.sender_reason) == str(K.DATA_CONFLICT.label)
    assert snapshot(worker) == before


def test_other_birth_date_is_a_conflict_and_sending_again_answers_the_same_item(world):
    worker = world["mendocina"]
    data = same_person(worker, birth_date="07/05/1980")
    first = registration.register_worker(by=world["mendoza"], data=data).review
    again = registration.register_worker(by=world["mendoza"], data=data).review
    assert first.pk == again.pk and IdentityReview.objects.count() == 1


def test_accents_and_case_are_not_a_conflict(world):
    worker = WorkerFactory(registered_by=world["tuc_office"], last_name="Núñez", first_name="José María")
    result = registration.register_worker(
        by=world["tucuman"], data=same_person(worker, last_name="NUNEZ", first_name="jose  maria")
    )
    assert result.review is None and result.worker == worker


# --- the registration form ------------------------------------------------------------------------


def form_post(worker, cycle, **overrides):
    data = {
        "cycle": cycle.pk,
        "cuil": worker.cuil,
        "last_name": "Impostor",
        "first_name": "Juan",
        "birth_date": "1990-01-01",
        "sex": "M",
        "nationality": "Argentina",
        "phone": "",
        "address": "",
        "province": province("Tucumán").pk,
        "locality": "Lules",
        "cbu": make_cbu(999),
        "renatre": "",
    }
    data.update(overrides)
    return data


def test_form_with_another_provinces_cuil_changes_nothing_and_reveals_nothing(client, world):
    worker = world["mendocina"]
    before = snapshot(worker)
    client.force_login(world["tucuman"])
    response = client.post(reverse("enrollment:register"), form_post(worker, world["tuc_cycle"]), follow=True)
    assert snapshot(worker) == before  # RENATRE, CBU, names, province: all kept
    review = IdentityReview.objects.get()
    assert response.redirect_chain[-1][0] == reverse("enrollment:identity_review_detail", args=[review.pk])
    page = response.content.decode()
    assert "inscripto/a por otra organización — requiere revisión" in page
    assert "Impostor" in page
    for stored in ("Videla", "Elena", "R-MZA-1", make_cbu(501), "Maipú", "261 400", "06/05/1980"):
        assert stored not in page
    assert review.cycle == world["tuc_cycle"] and not Enrollment.objects.filter(cycle=world["tuc_cycle"]).exists()


def test_form_in_scope_with_empty_renatre_keeps_the_stored_one(client, world):
    worker = world["mendocina"]
    cycle = CycleFactory(agreement__province=province("Mendoza"))
    client.force_login(world["mendoza"])
    data = form_post(
        worker,
        cycle,
        last_name="Videla",
        first_name="Elena",
        birth_date="1980-05-06",
        sex="F",
        province=province("Mendoza").pk,
        locality="Luján de Cuyo",
        renatre="",
    )
    response = client.post(reverse("enrollment:register"), data)
    assert response.status_code == 302
    after = snapshot(worker)
    assert (after["renatre"], after["locality"], after["cbu"]) == ("R-MZA-1", "Luján de Cuyo", make_cbu(501))
    assert Enrollment.objects.filter(worker=worker, cycle=cycle).exists()


# --- reviewers decide -----------------------------------------------------------------------------


def held(world, **overrides):
    return registration.register_and_enroll(
        by=world["tucuman"], data=takeover(world["mendocina"], **overrides), cycle=world["tuc_cycle"]
    ).review


def test_keep_stored_enrolls_for_the_sender_with_the_stored_identity(world):
    worker = world["of_union1"]
    before = snapshot(worker)
    data = same_person(worker, cbu=make_cbu(71), phone="381 7")
    review = registration.register_and_enroll(by=world["union2"], data=data, cycle=world["tuc_cycle"]).review
    assert review.kind == K.OTHER_ORGANISATION
    decide_identity_review(review=review, by=world["reviewer"], decision=D.KEEP_STORED, reason="misma persona")
    review.refresh_from_db()
    assert review.state == "decided" and review.decided_by == world["reviewer"]
    enrollment = Enrollment.objects.get(worker=worker, cycle=world["tuc_cycle"])
    assert enrollment.organisation == world["union2"].memberships.get().organisation and review.enrollment == enrollment
    assert snapshot(worker) == before  # identity, contact and bank data untouched


def test_a_decision_the_registration_rules_refuse_leaves_the_item_open(world):
    from django.core.exceptions import ValidationError

    review = held(world, last_name="Videla", first_name="Elena", birth_date="06/05/1980")
    with pytest.raises(ValidationError, match="Reside en Mendoza"):
        decide_identity_review(review=review, by=world["reviewer"], decision=D.KEEP_STORED, reason="misma persona")
    review.refresh_from_db()
    assert review.state == "open" and not Enrollment.objects.filter(cycle=world["tuc_cycle"]).exists()


def test_correct_replaces_names_and_birth_date_only(world):
    worker = world["mendocina"]
    before = snapshot(worker)
    review = registration.register_worker(by=world["tucuman"], data=takeover(worker)).review
    decide_identity_review(review=review, by=world["reviewer"], decision=D.CORRECT, reason="partida de nacimiento")
    after = snapshot(worker)
    assert (after["last_name"], after["first_name"], after["birth_date"]) == ("Impostor", "Juan", dt.date(1990, 1, 1))
    assert after["last_name_norm"] == "IMPOSTOR"
    assert {k: after[k] for k in ("cbu", "province", "renatre", "sex")} == {
        k: before[k] for k in ("cbu", "province", "renatre", "sex")
    }


def test_other_person_refuses_and_tells_the_sender_to_check_the_cuil(client, world):
    worker = world["mendocina"]
    before = snapshot(worker)
    review = held(world)
    decide_identity_review(review=review, by=world["reviewer"], decision=D.OTHER_PERSON, reason="otra persona")
    assert snapshot(worker) == before
    assert not Enrollment.objects.filter(cycle=world["tuc_cycle"]).exists()
    client.force_login(world["tucuman"])
    page = client.get(reverse("enrollment:identity_review_detail", args=[review.pk])).content.decode()
    assert "Revise el CUIL" in page and "Videla" not in page


def test_decisions_need_a_reason_and_are_made_once_with_audit(world):
    from django.core.exceptions import ValidationError

    review = held(world)
    with pytest.raises(ValidationError):
        decide_identity_review(review=review, by=world["reviewer"], decision=D.OTHER_PERSON, reason=" ")
    decide_identity_review(review=review, by=world["reviewer"], decision=D.OTHER_PERSON, reason="otra persona")
    with pytest.raises(ValidationError):
        decide_identity_review(review=review, by=world["reviewer"], decision=D.KEEP_STORED, reason="de nuevo")
    events = Events.objects.tracks(review).order_by("pgh_created_at", "pgh_id")
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert events.last().pgh_context["user"] == world["reviewer"].pk
    assert "otra persona" in events.last().pgh_context["reason"]


@pytest.mark.parametrize("role", ["tucuman", "union1", "payments", "auditor"])
def test_only_reviewers_decide(world, role):
    from django.core.exceptions import PermissionDenied

    review = held(world)
    with pytest.raises(PermissionDenied):
        decide_identity_review(review=review, by=world[role], decision=D.OTHER_PERSON, reason="x")


def test_correct_is_not_offered_for_an_item_without_differences(world):
    from django.core.exceptions import ValidationError

    review = held(world, last_name="Videla", first_name="Elena", birth_date="06/05/1980")
    with pytest.raises(ValidationError):
        decide_identity_review(review=review, by=world["reviewer"], decision=D.CORRECT, reason="x")


# --- who sees what: the pages ---------------------------------------------------------------------


def page_status(client, user, url, method="get", data=None):
    client.logout()
    client.force_login(user)
    verify_client(client, user)
    return getattr(client, method)(url, data or {}).status_code


def test_permission_matrix_of_the_identity_pages(client, world):
    review = held(world)
    queue = reverse("enrollment:identity_review_list")
    detail = reverse("enrollment:identity_review_detail", args=[review.pk])
    decide = reverse("enrollment:identity_review_decide", args=[review.pk])
    unknown = reverse("enrollment:identity_review_detail", args=[review.pk + 1000])
    expected = {
        #            queue detail decide(empty form) unknown
        "tucuman": (403, 200, 403, 404),
        "mendoza": (403, 404, 404, 404),
        "union1": (403, 404, 404, 404),
        "payments": (403, 404, 404, 404),
        "auditor": (200, 200, 403, 404),
        "reviewer": (200, 200, 400, 404),
    }
    got = {
        role: (
            page_status(client, world[role], queue),
            page_status(client, world[role], detail),
            page_status(client, world[role], decide, "post"),
            page_status(client, world[role], unknown),
        )
        for role in expected
    }
    assert got == expected
    assert IdentityReview.objects.get().state == "open"


def test_reviewer_sees_both_sides_and_decides_through_the_page(client, world):
    review = held(world)
    client.force_login(world["reviewer"])
    verify_client(client, world["reviewer"])
    queue = client.get(reverse("enrollment:identity_review_list")).content.decode()
    assert world["mendocina"].cuil_display in queue and "datos en conflicto" in queue.lower()
    page = client.get(reverse("enrollment:identity_review_detail", args=[review.pk])).content.decode()
    assert "Impostor" in page and "Videla" in page and "distinto" in page
    response = client.post(
        reverse("enrollment:identity_review_decide", args=[review.pk]),
        {"decision": D.OTHER_PERSON, "reason": "DNI distinto en RENAPER"},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.decision == D.OTHER_PERSON and review.decision_reason == "DNI distinto en RENAPER"


def test_review_queue_counts_open_identity_items(client, world):
    held(world)
    client.force_login(world["reviewer"])
    verify_client(client, world["reviewer"])
    page = client.get(reverse("enrollment:review_queue")).content.decode()
    assert "1 revisión de identidad abierta" in page


def test_sender_organisation_sees_its_items_and_no_one_elses(world):
    review = held(world)
    colleague = make_user(Role.PROVINCIAL_OFFICER, world["tuc_office"])
    assert list(identity_reviews_for(colleague)) == [review]
    assert not identity_reviews_for(world["mendoza"]).exists()
    assert not identity_reviews_for(world["payments"]).exists()


def test_another_cbu_sent_in_scope_becomes_a_change_request_not_a_write(world):
    from enrollment.models import CbuChangeRequest

    worker = world["mendocina"]
    result = registration.register_worker(by=world["mendoza"], data=same_person(worker, cbu=make_cbu(777)))
    worker.refresh_from_db()
    assert worker.cbu == make_cbu(501)
    change = CbuChangeRequest.objects.get(worker=worker)
    assert result.cbu_change == change and change.new_cbu == make_cbu(777)
    assert (change.status, change.reason, change.requested_by) == (
        "pending",
        "informado en el registro",
        world["mendoza"],
    )
    # Sending the same data again asks nothing more.
    registration.register_worker(by=world["mendoza"], data=same_person(worker, cbu=make_cbu(777)))
    assert CbuChangeRequest.objects.filter(worker=worker).count() == 1
