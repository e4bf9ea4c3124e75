import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from provinces.models import Agreement, Cycle
from provinces.roles import Role
from provinces.services import grant_membership, save_agreement, save_cycle
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

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return make_user(Role.MINISTRY_REVIEWER)


def agreement_kwargs(**overrides):
    kwargs = dict(
        province=province("Tucumán"),
        number="CONV-TUC-2026",
        title="Interzafra caña y cítricos",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        budget=Decimal("5000000000.00"),
        status=Agreement.Status.ACTIVE,
        quotas={crop("citricos"): 16000, crop("tabaco"): 16000},
    )
    kwargs.update(overrides)
    return kwargs


def test_reference_data_has_the_24_jurisdictions_with_indec_and_iso_codes():
    from provinces.models import Province

    assert Province.objects.count() == 24
    tucuman = province("Tucumán")
    assert (tucuman.indec_code, tucuman.iso_code) == ("90", "AR-T")
    assert Province.objects.get(iso_code="AR-C").indec_code == "02"


def test_reviewer_creates_agreement_with_quota_per_activity(reviewer):
    agreement = save_agreement(by=reviewer, **agreement_kwargs())
    assert {(q.crop.code, q.quota) for q in agreement.quotas.all()} == {("citricos", 16000), ("tabaco", 16000)}
    assert agreement.budget == Decimal("5000000000.00")


def test_agreement_end_before_start_is_refused_and_nothing_saved(reviewer):
    with pytest.raises(ValidationError) as error:
        save_agreement(by=reviewer, **agreement_kwargs(start_date=dt.date(2026, 6, 1), end_date=dt.date(2026, 1, 1)))
    assert "end_date" in error.value.message_dict
    assert not Agreement.objects.filter(number="CONV-TUC-2026").exists()


def test_agreement_needs_at_least_one_quota_of_one_or_more(reviewer):
    with pytest.raises(ValidationError) as error:
        save_agreement(by=reviewer, **agreement_kwargs(quotas={crop("cana"): 0}))
    assert "quotas" in error.value.message_dict
    with pytest.raises(ValidationError):
        save_agreement(by=reviewer, **agreement_kwargs(quotas={}))


def test_quota_cannot_drop_below_enrolments_already_made(reviewer):
    cycle = CycleFactory(crop=crop("cana"))
    EnrollmentFactory.create_batch(3, cycle=cycle)
    agreement = cycle.agreement
    kwargs = agreement_kwargs(number=agreement.number, quotas={crop("cana"): 2})
    with pytest.raises(ValidationError) as error:
        save_agreement(by=reviewer, agreement=agreement, **kwargs)
    assert "menor que las inscripciones ya hechas (3)" in str(error.value)
    assert agreement.quotas.get().quota == 1000
    save_agreement(
        by=reviewer, agreement=agreement, **agreement_kwargs(number=agreement.number, quotas={crop("cana"): 3})
    )
    assert agreement.quotas.get().quota == 3


def test_provincial_officer_cannot_create_agreements():
    officer = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory())
    with pytest.raises(PermissionDenied):
        save_agreement(by=officer, **agreement_kwargs())


def test_cycle_of_more_than_four_months_is_refused(reviewer):
    agreement = AgreementFactory()
    agreement.quotas.create(crop=crop("cana"), quota=10)
    with pytest.raises(ValidationError) as error:
        save_cycle(
            by=reviewer, agreement=agreement, crop=crop("cana"), name="X", first_month=dt.date(2026, 5, 1), months=5
        )
    assert "months" in error.value.message_dict
    assert not Cycle.objects.exists()


def test_cycle_outside_agreement_period_is_refused(reviewer):
    agreement = AgreementFactory(start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 10, 31))
    agreement.quotas.create(crop=crop("cana"), quota=10)
    with pytest.raises(ValidationError) as error:
        save_cycle(
            by=reviewer, agreement=agreement, crop=crop("cana"), name="X", first_month=dt.date(2026, 9, 1), months=4
        )
    assert "first_month" in error.value.message_dict
    cycle = save_cycle(
        by=reviewer, agreement=agreement, crop=crop("cana"), name="X", first_month=dt.date(2026, 7, 15), months=4
    )
    assert cycle.first_month == dt.date(2026, 7, 1)
    assert cycle.last_month == dt.date(2026, 10, 1)


def test_cycle_for_an_activity_without_quota_is_refused(reviewer):
    agreement = AgreementFactory()
    agreement.quotas.create(crop=crop("cana"), quota=10)
    with pytest.raises(ValidationError) as error:
        save_cycle(
            by=reviewer, agreement=agreement, crop=crop("vid"), name="X", first_month=dt.date(2026, 5, 1), months=3
        )
    assert "crop" in error.value.message_dict


def test_database_refuses_a_cycle_of_five_months_even_past_the_service():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        CycleFactory(months=5)


def test_membership_role_must_fit_organisation_kind():
    union = OrganisationFactory(kind="union", province=None, name="UATRE")
    with pytest.raises(ValidationError):
        grant_membership(user=UserFactory(), organisation=union, role=Role.PROVINCIAL_OFFICER)
