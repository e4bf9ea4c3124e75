"""The CBU pages for every role: request form, queue, a request's page and its decision."""

import pytest

from enrollment import bank_accounts
from enrollment.models import CbuChangeRequest, Worker
from provinces.roles import Role
from tests.factories import PASSWORD, OrganisationFactory, WorkerFactory, make_cbu, make_user, province
from tests.twofactor import verify_client

pytestmark = pytest.mark.django_db
NEW_CBU = make_cbu(313_131)
ROLES = ["prov_tuc", "prov_men", "union1", "union2", "reviewer", "payments", "auditor"]
NATIONAL = {"reviewer", "payments", "auditor"}


@pytest.fixture
def world():
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    union1 = OrganisationFactory(kind="union", province=tucuman)
    users = {
        "prov_tuc": make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=tucuman)),
        "prov_men": make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=mendoza)),
        "union1": make_user(Role.UNION_OFFICER, union1),
        "union2": make_user(Role.UNION_OFFICER, OrganisationFactory(kind="union", province=tucuman)),
        "reviewer": make_user(Role.MINISTRY_REVIEWER),
        "payments": make_user(Role.PAYMENTS_OFFICER),
        "auditor": make_user(Role.AUDITOR),
    }
    worker = WorkerFactory(registered_by=union1, province=tucuman)
    change = bank_accounts.request_cbu_change(
        worker=worker, cbu=NEW_CBU, by=users["union1"], reason="Cuenta cerrada", evidence="Constancia"
    )
    return {"users": users, "worker": worker, "change": change}


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    verify_client(client, user)


def sees(role, *who):
    return 200 if role in NATIONAL or role in who else 404


@pytest.mark.parametrize("role", ROLES)
def test_cbu_pages_permission_matrix(client, world, role):
    login(client, world["users"][role])
    worker, change = world["worker"], world["change"]
    scoped = sees(role, "prov_tuc", "union1")
    form = {"prov_tuc": 200, "union1": 200, "reviewer": 200, "payments": 403, "auditor": 403}.get(role, 404)
    expected = [
        (f"/trabajadores/{worker.pk}/cambiar-cbu/", form),
        (f"/trabajadores/{worker.pk + 10_000}/cambiar-cbu/", 404),
        ("/cambios-de-cbu/", 200 if role in NATIONAL else 403),
        (f"/cambios-de-cbu/{change.pk}/", scoped),
        (f"/cambios-de-cbu/{change.pk + 10_000}/", 404),
        (f"/trabajadores/{worker.pk}/", scoped),
    ]
    got = [(url, client.get(url).status_code) for url, _status in expected]
    assert got == expected


@pytest.mark.parametrize("role", ROLES)
def test_only_a_second_person_who_may_decide_approves_through_the_page(client, world, role):
    login(client, world["users"][role])
    change = world["change"]
    response = client.post(f"/cambios-de-cbu/{change.pk}/", {"action": "approve", "note": "Constancia verificada"})
    change.refresh_from_db()
    if role in ("reviewer", "payments"):
        assert response.status_code == 302 and change.status == CbuChangeRequest.Status.APPROVED
        assert Worker.objects.get(pk=change.worker_id).cbu == NEW_CBU
    else:
        assert response.status_code == (404 if role in ("prov_men", "union2") else 403)
        assert change.status == CbuChangeRequest.Status.PENDING


def test_decider_without_second_factor_is_told_why_and_offered_no_buttons(client, world):
    payer = world["users"]["payments"]
    client.login(username=payer.username, password=PASSWORD)
    response = client.get(f"/cambios-de-cbu/{world['change'].pk}/")
    if response.status_code == 302:  # national roles may be sent to verify first
        return
    body = response.content.decode()
    assert "segundo factor" in body and 'value="approve"' not in body


def test_requester_sees_why_not_and_can_cancel(client, world):
    login(client, world["users"]["union1"])
    body = client.get(f"/cambios-de-cbu/{world['change'].pk}/").content.decode()
    assert 'value="approve"' not in body and 'value="cancel"' in body


def test_reviewer_is_not_offered_approval_of_her_own_request(client, world):
    reviewer = world["users"]["reviewer"]
    other = WorkerFactory(province=province("Tucumán"))
    change = bank_accounts.request_cbu_change(worker=other, cbu=NEW_CBU, by=reviewer, reason="Pedido de la persona")
    login(client, reviewer)
    body = client.get(f"/cambios-de-cbu/{change.pk}/").content.decode()
    assert 'value="approve"' not in body and "otra persona" in body
    assert client.post(f"/cambios-de-cbu/{change.pk}/", {"action": "approve"}).status_code == 403


def test_officer_requests_through_the_form_and_the_worker_page_shows_it(client, world):
    officer = world["users"]["prov_tuc"]
    worker = WorkerFactory(province=province("Tucumán"))
    login(client, officer)
    empty = client.post(f"/trabajadores/{worker.pk}/cambiar-cbu/", {"cbu": NEW_CBU, "reason": "", "evidence": ""})
    assert empty.status_code == 200 and not CbuChangeRequest.objects.filter(worker=worker).exists()
    response = client.post(
        f"/trabajadores/{worker.pk}/cambiar-cbu/",
        {"cbu": NEW_CBU, "reason": "Cambió de banco", "evidence": "Constancia del Banco Nación"},
    )
    assert response.status_code == 302
    page = client.get(f"/trabajadores/{worker.pk}/").content.decode()
    assert "Pendiente de aprobación" in page and "Cambió de banco" in page
    assert NEW_CBU not in page.split('id="cbu-history"')[1]  # masked in the history list
    assert f"•••• {NEW_CBU[-4:]}" in page
    worker.refresh_from_db()
    assert worker.cbu != NEW_CBU


def test_queue_masks_cbus_except_to_deciders(client, world):
    login(client, world["users"]["auditor"])
    body = client.get("/cambios-de-cbu/").content.decode()
    assert NEW_CBU not in body and f"•••• {NEW_CBU[-4:]}" in body
    client.logout()
    login(client, world["users"]["payments"])
    assert NEW_CBU in client.get("/cambios-de-cbu/").content.decode()


def test_shared_cbu_listed_and_resolved_by_a_reviewer(client, world):
    one = world["worker"]
    two = WorkerFactory(province=province("Tucumán"), cbu=one.cbu)
    login(client, world["users"]["payments"])
    body = client.get("/cambios-de-cbu/").content.decode()
    assert str(two) in body and "Titulares distintos confirmados" not in body
    assert (
        client.post("/cambios-de-cbu/cbu-compartido/", {"prefix": "s0", "s0-cbu": one.cbu, "s0-note": "x"}).status_code
        == 403
    )
    client.logout()
    login(client, world["users"]["reviewer"])
    response = client.post(
        "/cambios-de-cbu/cbu-compartido/",
        {"prefix": "s0", "s0-cbu": one.cbu, "s0-note": "Cuenta conjunta del matrimonio"},
    )
    assert response.status_code == 302
    assert bank_accounts.unresolved_shared_cbus() == []


def test_cbu_pages_label_every_field_and_speak_english_too(client, world):
    from tests.reports.test_accessibility import FieldsAndLabels

    WorkerFactory(province=province("Tucumán"), cbu=world["worker"].cbu)  # a shared CBU row with its form
    reviewer = world["users"]["reviewer"]
    login(client, reviewer)
    urls = [
        f"/trabajadores/{world['worker'].pk}/cambiar-cbu/",
        "/cambios-de-cbu/",
        f"/cambios-de-cbu/{world['change'].pk}/",
        f"/trabajadores/{world['worker'].pk}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        parser = FieldsAndLabels()
        parser.feed(response.content.decode())
        assert parser.unlabelled() == [], url
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/cambios-de-cbu/").content.decode()
    assert "CBU changes" in body and "Distinct holders confirmed" in body


def test_registering_a_worker_with_a_cbu_on_file_for_another_warns_and_reaches_the_reviewer(client, world):
    import datetime as dt

    from tests.factories import CycleFactory, make_cuil

    cycle = CycleFactory(first_month=dt.date(2026, 5, 1))
    officer = world["users"]["prov_tuc"]
    shared = world["worker"].cbu
    login(client, officer)
    data = {
        "cycle": cycle.pk,
        "cuil": make_cuil(31_444_555),
        "last_name": "Quispe",
        "first_name": "Ana",
        "birth_date": "1988-04-02",
        "sex": "F",
        "nationality": "Perú",
        "phone": "",
        "address": "",
        "province": province("Tucumán").pk,
        "locality": "Lules",
        "cbu": shared,
        "renatre": "",
    }
    response = client.post("/inscribir/", data, follow=True)
    new = Worker.objects.get(cuil=data["cuil"])
    assert response.redirect_chain[-1][0] == f"/trabajadores/{new.pk}/"
    body = response.content.decode()
    assert "CBU compartido" in body and str(world["worker"]) not in body  # warned, nobody named
    assert [ids for cbu, ids in bank_accounts.unresolved_shared_cbus() if cbu == shared] == [
        sorted([world["worker"].pk, new.pk])
    ]
    client.logout()
    login(client, world["users"]["reviewer"])
    assert str(new) in client.get("/cambios-de-cbu/").content.decode()
