"""Separation of duties: who grants roles, second approval of national roles, incompatible
roles, one-time set-password links and second-factor resets (issue 14, finding 3)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from provinces import access
from provinces.models import Membership, Organisation, RoleGrant, TwoFactorReset
from provinces.roles import INCOMPATIBLE_ROLES, Role
from provinces.scoping import scope_of
from tests.factories import OrganisationFactory, UserFactory, make_user, province
from tests.twofactor import sign_in, verified

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def ministry():
    return Organisation.objects.get_or_create(
        name="Ministerio de Trabajo, Empleo y Seguridad Social", defaults={"kind": "ministry", "province": None}
    )[0]


@pytest.fixture
def office():
    return OrganisationFactory(name="Secretaría de Trabajo de Jujuy", province=province("Jujuy"))


@pytest.fixture
def admin1(ministry):
    return verified(make_user(Role.ACCESS_ADMIN, ministry, username="accesos"))


@pytest.fixture
def admin2(ministry):
    return verified(make_user(Role.ACCESS_ADMIN, ministry, username="accesos2"))


@pytest.fixture
def reviewer(ministry):
    return make_user(Role.MINISTRY_REVIEWER, ministry, username="revisora")


def roles_of(user) -> set[str]:
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))


# --------------------------------------------------------------------------- finding 3


def test_reviewer_cannot_grant_herself_payments_officer(client, reviewer, ministry):
    with pytest.raises(PermissionDenied):
        access.grant_role(
            by=verified(reviewer), user=reviewer, organisation=ministry, role=Role.PAYMENTS_OFFICER, reason="x"
        )
    sign_in(client, reviewer)
    url = reverse("access:person_grant", args=[reviewer.pk])
    data = {"organisation": ministry.pk, "role": Role.PAYMENTS_OFFICER, "reason": "me hace falta"}
    assert client.post(url, data).status_code == 403
    assert roles_of(reviewer) == {Role.MINISTRY_REVIEWER}
    assert not RoleGrant.objects.exists()


def test_reviewer_cannot_create_an_account_with_a_password_of_her_choosing(client, reviewer, ministry):
    sign_in(client, reviewer)
    data = {
        "username": "complice",
        "first_name": "A",
        "last_name": "B",
        "email": "a@example.org",
        "password": "una-clave-larga-2026",
        "organisation": ministry.pk,
        "role": Role.PAYMENTS_OFFICER,
        "reason": "x",
    }
    assert client.post(reverse("access:account_create"), data).status_code == 403
    assert not User.objects.filter(username="complice").exists()


def test_reviewer_cannot_make_herself_provincial_officer(client, reviewer, office, admin1):
    with pytest.raises(PermissionDenied):
        access.grant_role(
            by=verified(reviewer), user=reviewer, organisation=office, role=Role.PROVINCIAL_OFFICER, reason="x"
        )
    # Nor may an administrator give her that role: a reviewer does not also register.
    with pytest.raises(ValidationError, match="incompatible"):
        access.grant_role(by=admin1, user=reviewer, organisation=office, role=Role.PROVINCIAL_OFFICER, reason="x")
    assert roles_of(reviewer) == {Role.MINISTRY_REVIEWER} and not scope_of(reviewer).province_ids


def test_access_administrator_without_second_factor_is_refused(ministry, office):
    admin = make_user(Role.ACCESS_ADMIN, ministry)
    with pytest.raises(PermissionDenied):
        access.grant_role(by=admin, user=UserFactory(), organisation=office, role=Role.PROVINCIAL_OFFICER, reason="x")


# --------------------------------------------------------------------------- never to oneself


def test_administrator_never_grants_revokes_or_resets_for_herself(admin1, ministry, office):
    with pytest.raises(PermissionDenied):
        access.grant_role(by=admin1, user=admin1, organisation=office, role=Role.PROVINCIAL_OFFICER, reason="x")
    own = Membership.objects.get(user=admin1)
    with pytest.raises(PermissionDenied):
        access.revoke_role(by=admin1, membership=own, reason="x")
    with pytest.raises(PermissionDenied):
        access.reset_two_factor(by=admin1, user=admin1, reason="perdí el teléfono")
    assert roles_of(admin1) == {Role.ACCESS_ADMIN} and TOTPDevice.objects.filter(user=admin1).exists()


# --------------------------------------------------------------------------- second administrator


def test_a_national_grant_waits_for_a_second_administrator(admin1, admin2, ministry):
    person = UserFactory()
    grant = access.grant_role(
        by=admin1, user=person, organisation=ministry, role=Role.PAYMENTS_OFFICER, reason="alta 2027"
    )
    assert isinstance(grant, RoleGrant) and grant.status == RoleGrant.Status.PENDING
    assert roles_of(person) == set()
    with pytest.raises(PermissionDenied):
        access.approve_grant(by=admin1, grant=grant)
    assert roles_of(person) == set()
    access.approve_grant(by=admin2, grant=grant, reason="verificado con RR. HH.")
    grant.refresh_from_db()
    assert grant.status == RoleGrant.Status.APPROVED and grant.decided_by == admin2
    assert roles_of(person) == {Role.PAYMENTS_OFFICER}
    assert scope_of(User.objects.get(pk=person.pk)).is_national
    # who asked and who approved, with their reasons, are in the audit trail
    events = list(RoleGrant.pgh_event_model.objects.filter(pgh_obj=grant).order_by("pgh_id"))
    assert [e.pgh_context.metadata["user"] for e in events] == [admin1.pk, admin2.pk]
    assert events[0].pgh_context.metadata["reason"] == "alta 2027"
    membership_event = Membership.pgh_event_model.objects.get(user_id=person.pk)
    assert membership_event.pgh_context.metadata["user"] == admin2.pk


def test_a_refused_grant_gives_nothing_and_the_requester_cannot_decide_it(admin1, admin2, ministry):
    person = UserFactory()
    grant = access.grant_role(by=admin1, user=person, organisation=ministry, role=Role.AUDITOR, reason="x")
    with pytest.raises(PermissionDenied):
        access.refuse_grant(by=admin1, grant=grant, reason="me arrepentí")
    with pytest.raises(ValidationError):
        access.refuse_grant(by=admin2, grant=grant, reason="")
    access.refuse_grant(by=admin2, grant=grant, reason="no corresponde")
    with pytest.raises(ValidationError):
        access.approve_grant(by=admin2, grant=grant)
    assert roles_of(person) == set()


def test_the_database_refuses_a_grant_decided_by_its_requester_or_its_grantee(admin1, admin2, ministry):
    person = UserFactory()
    grant = access.grant_role(by=admin1, user=person, organisation=ministry, role=Role.AUDITOR, reason="x")
    from django.utils import timezone

    for decider in (admin1, person):
        with pytest.raises(IntegrityError), transaction.atomic():
            RoleGrant.objects.filter(pk=grant.pk).update(
                status="approved", decided_by=decider, decided_at=timezone.now()
            )
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleGrant.objects.create(user=admin1, organisation=ministry, role=Role.AUDITOR, reason="x", requested_by=admin1)


def test_a_provincial_role_is_given_by_one_administrator(admin1, office):
    person = UserFactory()
    membership = access.grant_role(
        by=admin1, user=person, organisation=office, role=Role.PROVINCIAL_OFFICER, reason="oficina nueva"
    )
    assert isinstance(membership, Membership)
    assert scope_of(User.objects.get(pk=person.pk)).province_ids == {province("Jujuy").pk}
    access.revoke_role(by=admin1, membership=membership, reason="dejó la oficina")
    person = User.objects.get(pk=person.pk)
    assert not scope_of(person).roles and not scope_of(person).province_ids
    deleted = Membership.pgh_event_model.objects.filter(user_id=person.pk, pgh_label="delete").get()
    assert deleted.pgh_context.metadata == {
        **deleted.pgh_context.metadata,
        "user": admin1.pk,
        "reason": "dejó la oficina",
    }


# --------------------------------------------------------------------------- incompatible roles


def _org_for(role, ministry, office):
    if role in (Role.PROVINCIAL_OFFICER,):
        return office
    if role == Role.UNION_OFFICER:
        return OrganisationFactory(kind="union", province=province("Jujuy"))
    return ministry


@pytest.mark.parametrize(
    "held,asked",
    [
        (Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER),
        (Role.PAYMENTS_OFFICER, Role.MINISTRY_REVIEWER),
        (Role.MINISTRY_REVIEWER, Role.PROVINCIAL_OFFICER),
        (Role.MINISTRY_REVIEWER, Role.UNION_OFFICER),
        (Role.PAYMENTS_OFFICER, Role.PROVINCIAL_OFFICER),
        (Role.PAYMENTS_OFFICER, Role.UNION_OFFICER),
        (Role.PROVINCIAL_OFFICER, Role.PAYMENTS_OFFICER),
        (Role.UNION_OFFICER, Role.MINISTRY_REVIEWER),
        (Role.AUDITOR, Role.PAYMENTS_OFFICER),
        (Role.AUDITOR, Role.PROVINCIAL_OFFICER),
        (Role.ACCESS_ADMIN, Role.MINISTRY_REVIEWER),
        (Role.PROVINCIAL_OFFICER, Role.ACCESS_ADMIN),
    ],
)
def test_incompatible_roles_are_refused(admin1, ministry, office, held, asked):
    person = make_user(held, _org_for(held, ministry, office))
    with pytest.raises(ValidationError, match="incompatible"):
        access.grant_role(
            by=admin1, user=person, organisation=_org_for(asked, ministry, office), role=asked, reason="x"
        )
    assert roles_of(person) == {held}


def test_a_pending_grant_counts_as_held(admin1, ministry, office):
    person = UserFactory()
    access.grant_role(by=admin1, user=person, organisation=ministry, role=Role.MINISTRY_REVIEWER, reason="x")
    with pytest.raises(ValidationError, match="incompatible"):
        access.grant_role(by=admin1, user=person, organisation=office, role=Role.PROVINCIAL_OFFICER, reason="x")


def test_compatible_roles_are_given(admin1, office):
    person = make_user(Role.PROVINCIAL_OFFICER, OrganisationFactory(province=province("Salta")))
    access.grant_role(by=admin1, user=person, organisation=office, role=Role.PROVINCIAL_OFFICER, reason="dos oficinas")
    union = OrganisationFactory(kind="union", province=province("Jujuy"))
    access.grant_role(by=admin1, user=person, organisation=union, role=Role.UNION_OFFICER, reason="delegada")
    assert roles_of(person) == {Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER}


def test_the_matrix_keeps_registering_approving_and_paying_apart():
    for registering in (Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER):
        for approving in (Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER):
            assert frozenset({registering, approving}) in INCOMPATIBLE_ROLES
    assert frozenset({Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER}) in INCOMPATIBLE_ROLES


# --------------------------------------------------------------------------- new accounts


def _new_account(admin, organisation, role=Role.PROVINCIAL_OFFICER, username="rosa"):
    return access.create_account(
        by=admin,
        username=username,
        first_name="Rosa",
        last_name="Mamaní",
        email="rosa@example.org",
        organisation=organisation,
        role=role,
        reason="alta",
        site_url="http://testserver/",
    )


def test_a_new_account_chooses_its_password_once_through_the_link(
    client, admin1, office, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user, membership, link = _new_account(admin1, office)
    assert not user.has_usable_password() and isinstance(membership, Membership)
    assert len(mail.outbox) == 1 and link in mail.outbox[0].body and mail.outbox[0].to == ["rosa@example.org"]
    path = link.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    response = client.post(path, {"new_password1": "otra-clave-larga-2027", "new_password2": "otra-clave-larga-2027"})
    assert response.status_code == 302
    assert client.login(username="rosa", password="otra-clave-larga-2027")
    client.logout()
    again = client.get(path)
    assert again.status_code == 410 and "ya fue usado" in again.content.decode()
    reuse = client.post(path, {"new_password1": "tercera-clave-2028", "new_password2": "tercera-clave-2028"})
    assert reuse.status_code == 410
    assert User.objects.get(pk=user.pk).check_password("otra-clave-larga-2027")


def test_an_expired_link_says_so(client, admin1, office):
    _user, _m, link = _new_account(admin1, office)
    with override_settings(PASSWORD_RESET_TIMEOUT=-1):
        response = client.get(link.removeprefix("http://testserver"))
    assert response.status_code == 410 and "venció" in response.content.decode()
    forged = re.sub(r"/[^/]+/$", "/abc-123/", link.removeprefix("http://testserver"))
    assert client.get(forged).status_code == 410


def test_a_new_account_with_a_national_role_is_pending(admin1, admin2, ministry):
    user, grant, _link = _new_account(admin1, ministry, role=Role.PAYMENTS_OFFICER, username="nuevo_pagos")
    assert isinstance(grant, RoleGrant) and roles_of(user) == set()
    access.approve_grant(by=admin2, grant=grant)
    assert roles_of(user) == {Role.PAYMENTS_OFFICER}


def test_a_new_link_only_for_a_person_without_password(admin1, office):
    user, _m, _link = _new_account(admin1, office)
    assert access.issue_password_link(by=admin1, user=user, site_url="http://testserver/")
    with pytest.raises(ValidationError):
        access.issue_password_link(by=admin1, user=UserFactory(), site_url="http://testserver/")


def test_the_account_form_has_no_password_field(client, admin1):
    sign_in(client, admin1)
    page = client.get(reverse("access:account_create")).content.decode()
    assert 'name="username"' in page and 'type="password"' not in page


def test_account_created_through_the_page_shows_the_link_once(client, admin1, office):
    sign_in(client, admin1)
    data = {
        "username": "nueva",
        "first_name": "Ana",
        "last_name": "Paz",
        "email": "ana@example.org",
        "organisation": office.pk,
        "role": Role.PROVINCIAL_OFFICER,
        "reason": "alta de oficina",
    }
    page = client.post(reverse("access:account_create"), data).content.decode()
    assert "/acceso/clave/" in page
    assert User.objects.get(username="nueva").has_usable_password() is False
    assert (
        "/acceso/clave/"
        not in client.get(reverse("access:person", args=[User.objects.get(username="nueva").pk])).content.decode()
    )


# --------------------------------------------------------------------------- lost device


def test_an_administrator_resets_a_lost_device_with_a_reason(admin1, admin2):
    person = admin2
    StaticDevice.objects.create(user=person, name="respaldo", confirmed=True)
    with pytest.raises(ValidationError):
        access.reset_two_factor(by=admin1, user=person, reason=" ")
    reset = access.reset_two_factor(by=admin1, user=person, reason="perdió el teléfono")
    assert reset.devices == 2
    assert not TOTPDevice.objects.filter(user=person).exists() and not StaticDevice.objects.filter(user=person).exists()
    event = TwoFactorReset.pgh_event_model.objects.get(pgh_obj=reset)
    assert (
        event.pgh_context.metadata["user"] == admin1.pk and event.pgh_context.metadata["reason"] == "perdió el teléfono"
    )


# --------------------------------------------------------------------------- pages and matrix


ACCESS_PAGES = [
    ("get", "access:home", False),
    ("get", "access:account_create", False),
    ("get", "access:person", True),
    ("post", "access:person_grant", True),
    ("post", "access:two_factor_reset", True),
    ("post", "access:link_reissue", True),
]


@pytest.mark.parametrize(
    "role", [Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER, Role.AUDITOR, Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER]
)
def test_only_access_administrators_reach_the_access_pages(client, role, ministry, office):
    organisation = {Role.PROVINCIAL_OFFICER: office, Role.UNION_OFFICER: OrganisationFactory(kind="union")}.get(
        role, ministry
    )
    user = make_user(role, organisation)
    target = UserFactory()
    sign_in(client, user)
    for method, name, with_pk in ACCESS_PAGES:
        url = reverse(name, args=[target.pk] if with_pk else [])
        assert getattr(client, method)(url, {"reason": "x"}).status_code == 403, name
    grant = RoleGrant.objects.create(
        user=target,
        organisation=ministry,
        role=Role.AUDITOR,
        reason="x",
        requested_by=make_user(Role.ACCESS_ADMIN, ministry),
    )
    assert client.post(reverse("access:grant_approve", args=[grant.pk])).status_code == 403
    assert client.post(reverse("access:grant_refuse", args=[grant.pk]), {"reason": "x"}).status_code == 403
    membership = Membership.objects.get(user=user)
    assert client.post(reverse("access:membership_revoke", args=[membership.pk]), {"reason": "x"}).status_code == 403
    assert (
        RoleGrant.objects.get(pk=grant.pk).status == RoleGrant.Status.PENDING
        and Membership.objects.filter(pk=membership.pk).exists()
    )


def test_administrators_work_through_the_pages(client, admin1, admin2, ministry):
    person = UserFactory()
    sign_in(client, admin1)
    for method, name, with_pk in ACCESS_PAGES[:3]:
        assert getattr(client, method)(reverse(name, args=[person.pk] if with_pk else [])).status_code == 200
    data = {"organisation": ministry.pk, "role": Role.AUDITOR, "reason": "auditoría 2027"}
    assert client.post(reverse("access:person_grant", args=[person.pk]), data).status_code == 302
    grant = RoleGrant.objects.get(user=person)
    assert "Lo decide otro/a administrador/a" in client.get(reverse("access:home")).content.decode()
    client.post(reverse("access:grant_approve", args=[grant.pk]))
    assert roles_of(person) == set()
    sign_in(client, admin2)
    assert client.post(reverse("access:grant_approve", args=[grant.pk])).status_code == 302
    assert roles_of(person) == {Role.AUDITOR}
    membership = Membership.objects.get(user=person)
    assert client.post(reverse("access:membership_revoke", args=[membership.pk]), {"reason": "fin"}).status_code == 302
    assert roles_of(person) == set()


def test_a_reason_longer_than_its_column_is_refused_with_a_message_on_every_access_decision(
    client, admin1, admin2, ministry
):
    """The pages' inputs say maxlength=300, but a hand-made POST is not bound by them: the
    service refuses in words (never a database error) and nothing changes."""
    person = UserFactory()
    TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    grant = RoleGrant.objects.create(
        user=person, organisation=ministry, role=Role.AUDITOR, reason="auditoría", requested_by=admin1
    )
    long = "motivo " * 50  # 350 characters
    sign_in(client, admin2)
    for name, pk in (("access:grant_refuse", grant.pk), ("access:grant_approve", grant.pk)):
        response = client.post(reverse(name, args=[pk]), {"reason": long}, follow=True)
        assert response.status_code == 200, name
        assert "Use como máximo 300 caracteres para el motivo." in response.content.decode()
    assert RoleGrant.objects.get(pk=grant.pk).status == RoleGrant.Status.PENDING and roles_of(person) == set()
    response = client.post(reverse("access:two_factor_reset", args=[person.pk]), {"reason": long}, follow=True)
    assert response.status_code == 200
    assert "Use como máximo 300 caracteres para el motivo." in response.content.decode()
    assert TOTPDevice.objects.filter(user=person).exists() and not TwoFactorReset.objects.exists()


def test_reviewer_no_longer_holds_membership_permissions(reviewer):
    assert not reviewer.has_perm("provinces.add_membership")
    assert not reviewer.has_perm("provinces.delete_membership")
    assert not reviewer.has_perm("provinces.manage_access")
