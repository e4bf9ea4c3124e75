"""Who may see and do what in the provinces UI, tested both ways for every role."""

import datetime as dt

import pytest
from django.urls import reverse

from provinces.models import Agreement
from provinces.roles import Role
from tests.factories import (
    AgreementFactory,
    CycleFactory,
    EnrollmentFactory,
    OrganisationFactory,
    UserFactory,
    crop,
    make_user,
    province,
)
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tucuman, mendoza = province("Tucumán"), province("Mendoza")
    tuc_office = OrganisationFactory(name="Secretaría de Empleo Tucumán", province=tucuman)
    mza_office = OrganisationFactory(name="Subsecretaría de Trabajo Mendoza", province=mendoza)
    union_a = OrganisationFactory(name="UATRE Tucumán", kind="union", province=tucuman)
    union_b = OrganisationFactory(name="FOTIA", kind="union", province=tucuman)
    tuc_agreement = AgreementFactory(province=tucuman)
    mza_agreement = AgreementFactory(province=mendoza)
    tuc_cycle = CycleFactory(agreement=tuc_agreement)
    mza_cycle = CycleFactory(agreement=mza_agreement, crop=crop("vid"))
    return {
        "tuc_agreement": tuc_agreement,
        "mza_agreement": mza_agreement,
        "tuc_cycle": tuc_cycle,
        "mza_cycle": mza_cycle,
        "worker_union_a": EnrollmentFactory(cycle=tuc_cycle, worker__registered_by=union_a).worker,
        "worker_union_b": EnrollmentFactory(cycle=tuc_cycle, worker__registered_by=union_b).worker,
        "worker_mza": EnrollmentFactory(
            cycle=mza_cycle, worker__registered_by=mza_office, worker__province=mendoza
        ).worker,
        "users": {
            "reviewer": make_user(Role.MINISTRY_REVIEWER),
            "payments": make_user(Role.PAYMENTS_OFFICER),
            "auditor": make_user(Role.AUDITOR),
            "tucuman": make_user(Role.PROVINCIAL_OFFICER, tuc_office),
            "mendoza": make_user(Role.PROVINCIAL_OFFICER, mza_office),
            "union_a": make_user(Role.UNION_OFFICER, union_a),
            "union_b": make_user(Role.UNION_OFFICER, union_b),
            "no_role": UserFactory(),
        },
    }


def status_for(client, user, url, method="get", data=None):
    sign_in(client, user)
    response = getattr(client, method)(url, data or {})
    client.logout()
    return response.status_code


ALL = ["reviewer", "payments", "auditor", "tucuman", "mendoza", "union_a", "union_b", "no_role"]


def test_anonymous_users_are_sent_to_login(client, world):
    for url in [reverse("home"), reverse("provinces:agreement_list"), reverse("provinces:audit_log")]:
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_agreement_list_shows_each_role_only_its_provinces(client, world):
    tuc, mza = world["tuc_agreement"].number, world["mza_agreement"].number
    expected = {
        "reviewer": {tuc, mza},
        "payments": {tuc, mza},
        "auditor": {tuc, mza},
        "tucuman": {tuc},
        "mendoza": {mza},
        "union_a": {tuc},
        "union_b": {tuc},
        "no_role": set(),
    }
    for role, numbers in expected.items():
        sign_in(client, world["users"][role])
        listed = {a.number for a in client.get(reverse("provinces:agreement_list")).context["agreements"]}
        assert listed == numbers, role


def test_agreement_of_another_province_answers_404(client, world):
    url = reverse("provinces:agreement_detail", args=[world["mza_agreement"].pk])
    codes = {role: status_for(client, world["users"][role], url) for role in ALL}
    assert codes == {
        "reviewer": 200,
        "payments": 200,
        "auditor": 200,
        "tucuman": 404,
        "mendoza": 200,
        "union_a": 404,
        "union_b": 404,
        "no_role": 404,
    }


def test_only_ministry_reviewers_create_agreements_and_cycles(client, world):
    for url in [reverse("provinces:agreement_create"), reverse("provinces:cycle_create")]:
        codes = {role: status_for(client, world["users"][role], url) for role in ALL}
        assert codes == {role: (200 if role == "reviewer" else 403) for role in ALL}, url


def test_provincial_officer_cannot_edit_even_their_own_agreement(client, world):
    url = reverse("provinces:agreement_edit", args=[world["tuc_agreement"].pk])
    assert status_for(client, world["users"]["tucuman"], url, "post", {"number": "HACK"}) == 403
    assert status_for(client, world["users"]["mendoza"], url, "post", {"number": "HACK"}) == 404
    world["tuc_agreement"].refresh_from_db()
    assert world["tuc_agreement"].number != "HACK"


def test_audit_log_and_history_only_for_reviewers_and_auditors(client, world):
    urls = [
        reverse("provinces:audit_log"),
        reverse("provinces:record_history", args=["agreement", world["tuc_agreement"].pk]),
    ]
    for url in urls:
        codes = {role: status_for(client, world["users"][role], url) for role in ALL}
        assert codes == {role: (200 if role in {"reviewer", "auditor"} else 403) for role in ALL}, url


def test_worker_pages_respect_province_and_union_scope(client, world):
    def visible(role):
        return {
            name
            for name in ("worker_union_a", "worker_union_b", "worker_mza")
            if status_for(client, world["users"][role], reverse("enrollment:worker_detail", args=[world[name].pk]))
            == 200
        }

    assert visible("reviewer") == {"worker_union_a", "worker_union_b", "worker_mza"}
    assert visible("auditor") == {"worker_union_a", "worker_union_b", "worker_mza"}
    assert visible("tucuman") == {"worker_union_a", "worker_union_b"}
    assert visible("mendoza") == {"worker_mza"}
    assert visible("union_a") == {"worker_union_a"}
    assert visible("union_b") == {"worker_union_b"}
    assert visible("no_role") == set()


def test_enrollment_list_never_shows_another_unions_registrations(client, world):
    sign_in(client, world["users"]["union_a"])
    listed = {e.worker_id for e in client.get(reverse("enrollment:enrollment_list")).context["page"]}
    assert listed == {world["worker_union_a"].pk}


def test_django_admin_is_for_superusers_only(client, world):
    staff = world["users"]["reviewer"]
    staff.is_staff = True
    staff.save()
    assert status_for(client, staff, reverse("admin:index")) == 302
    superuser = UserFactory(is_superuser=True, is_staff=True)
    assert status_for(client, superuser, reverse("admin:index")) == 200


def test_reviewer_creates_agreement_through_the_form(client, world):
    sign_in(client, world["users"]["reviewer"])
    data = {
        "province": province("Misiones").pk,
        "number": "CONV-MIS-9",
        "title": "Yerba mate",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
        "budget": "600000000.50",
        "status": Agreement.Status.ACTIVE,
        "quotas-TOTAL_FORMS": "3",
        "quotas-INITIAL_FORMS": "0",
        "quotas-0-crop": crop("yerba").pk,
        "quotas-0-quota": "6000",
    }
    response = client.post(reverse("provinces:agreement_create"), data)
    assert response.status_code == 302
    agreement = Agreement.objects.get(number="CONV-MIS-9")
    assert str(agreement.budget) == "600000000.50"
    assert agreement.quotas.get().quota == 6000


def test_agreement_form_with_reversed_dates_shows_the_error_and_saves_nothing(client, world):
    sign_in(client, world["users"]["reviewer"])
    data = {
        "province": province("Misiones").pk,
        "number": "CONV-MIS-10",
        "title": "Yerba mate",
        "start_date": "2027-03-01",
        "end_date": "2026-02-28",
        "budget": "1000",
        "status": Agreement.Status.DRAFT,
        "quotas-TOTAL_FORMS": "1",
        "quotas-INITIAL_FORMS": "0",
        "quotas-0-crop": crop("yerba").pk,
        "quotas-0-quota": "10",
    }
    response = client.post(reverse("provinces:agreement_create"), data)
    assert response.status_code == 200
    assert "no puede ser anterior" in response.content.decode()
    assert not Agreement.objects.filter(number="CONV-MIS-10").exists()


def test_cycle_form_refuses_five_months_with_a_message(client, world):
    sign_in(client, world["users"]["reviewer"])
    data = {
        "agreement": world["tuc_agreement"].pk,
        "crop": crop("cana").pk,
        "name": "Largo",
        "first_month": "2026-06",
        "months": "5",
        "registration_open": "on",
    }
    response = client.post(reverse("provinces:cycle_create"), data)
    assert response.status_code == 200
    assert "entre 1 y 4 meses" in response.content.decode()
    data["months"] = "4"
    assert client.post(reverse("provinces:cycle_create"), data).status_code == 302
    assert world["tuc_agreement"].cycles.filter(name="Largo", first_month=dt.date(2026, 6, 1)).exists()


def test_english_is_available(client, world):
    sign_in(client, world["users"]["reviewer"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("provinces:agreement_list"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Agreements" in response.content.decode()


def test_spanish_is_the_default_even_for_an_english_browser(client, world):
    sign_in(client, world["users"]["reviewer"])
    response = client.get(reverse("provinces:agreement_list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Convenios" in response.content.decode()
