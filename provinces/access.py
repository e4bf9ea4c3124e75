"""Access administration: who may give whom which role, new accounts, lost second factors.

Rules (the matrix is in docs/deploy.md, "Roles y accesos"):

- Only an access administrator (``provinces.manage_access``) who verified a second factor in
  this session grants or revokes roles, creates accounts and resets a lost device. Ministry
  reviewers no longer do.
- Never to oneself: an administrator neither grants nor revokes their own roles, nor resets
  their own device, nor approves a grant for themselves.
- A role of the ministry (reviewer, payments officer, auditor, access administrator) is first
  a pending :class:`~provinces.models.RoleGrant`; it is given only when a *second* access
  administrator — not the one who asked, not the person receiving it — approves it. The
  database refuses a decision by the requester. Provincial and union roles are given by one
  administrator.
- Incompatible roles (``provinces.roles.INCOMPATIBLE_ROLES``) are refused, counting the roles
  the person holds and the ones pending for them: nobody registers, approves and pays alone.
- A new account has no password: the person chooses it through a one-time link (Django's
  token generator; it expires after ``PASSWORD_RESET_TIMEOUT`` and stops working once used)
  that the administrator sees once and that is sent by email.
- Every act runs inside ``pghistory.context`` with who did it and why.
"""

from __future__ import annotations

import logging

import pghistory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from guardian.shortcuts import remove_perm

from provinces.models import Membership, Organisation, RoleGrant, TwoFactorReset
from provinces.roles import MINISTRY_ROLES, ROLE_ORGANISATION_KINDS, Role, conflicting_roles
from provinces.scoping import ORGANISATION_SCOPED_ROLES, forget_scope, require_perm
from provinces.services import acts_for_organisation, grant_membership
from provinces.twofactor import require_verified

logger = logging.getLogger(__name__)


def require_access_admin(by) -> None:
    """Refuse anyone but an access administrator who verified a second factor."""
    require_perm(by, "provinces.manage_access")
    require_verified(by)


def _not_oneself(by, user, message: str) -> None:
    if by.pk == user.pk:
        raise PermissionDenied(message)


#: The longest reason a grant's decision or a second-factor reset stores (their columns).
REASON_MAX_LENGTH = 300


def _reason(reason: str, *, required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError({"reason": [_("Indique el motivo.")]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": [_("Use como máximo %(n)s caracteres para el motivo.") % {"n": REASON_MAX_LENGTH}]}
        )
    return reason


def _check_role_fits(*, user, organisation: Organisation, role: Role) -> None:
    """The organisation's kind fits the role; the person does not hold it nor has it pending;
    it conflicts with nothing they hold or have pending."""
    if organisation.kind not in ROLE_ORGANISATION_KINDS[role]:
        raise ValidationError(
            {
                "organisation": [
                    _("El rol %(role)s no corresponde a una organización de tipo %(kind)s.")
                    % {"role": role.label, "kind": organisation.get_kind_display()}
                ]
            }
        )
    if Membership.objects.filter(user=user, organisation=organisation, role=role).exists():
        raise ValidationError({"role": [_("La persona ya tiene ese rol en esa organización.")]})
    if RoleGrant.objects.filter(
        user=user, organisation=organisation, role=role, status=RoleGrant.Status.PENDING
    ).exists():
        raise ValidationError({"role": [_("Ese rol ya está pedido para la persona y espera aprobación.")]})
    held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    held |= set(RoleGrant.objects.filter(user=user, status=RoleGrant.Status.PENDING).values_list("role", flat=True))
    conflicts = conflicting_roles(role, held)
    if conflicts:
        raise ValidationError(
            {
                "role": [
                    _("%(role)s es incompatible con %(others)s, que la persona ya tiene o tiene pedido.")
                    % {"role": role.label, "others": ", ".join(str(Role(r).label) for r in conflicts)}
                ]
            }
        )


def _lock_user(user):
    """The person's row locked: two grants for one person are decided one after the other, so
    that two compatible-looking requests cannot together build an incompatible pair."""
    return get_user_model().objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def grant_role(*, by, user, organisation: Organisation, role: str, reason: str) -> Membership | RoleGrant:
    """Give ``user`` a role, or — for a ministry role — ask a second administrator to.

    Returns the membership given, or the pending grant. Refused: to oneself, an organisation of
    another kind, a role already held or pending, a role incompatible with one held or pending.
    """
    require_access_admin(by)
    _not_oneself(by, user, _("Nadie puede otorgarse roles a sí mismo/a."))
    role = Role(role)
    reason = _reason(reason)
    user = _lock_user(user)
    _check_role_fits(user=user, organisation=organisation, role=role)
    with pghistory.context(user=by.pk, reason=reason):
        if role in MINISTRY_ROLES:
            return RoleGrant.objects.create(
                user=user, organisation=organisation, role=role, reason=reason, requested_by=by
            )
        return grant_membership(user=user, organisation=organisation, role=role)


@transaction.atomic
def approve_grant(*, by, grant: RoleGrant, reason: str = "") -> Membership:
    """A second access administrator gives the pending ministry role: never the one who asked for
    it nor the person who receives it. The conflicts are checked again at this moment."""
    require_access_admin(by)
    reason = _reason(reason, required=False)
    grant = RoleGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.status != RoleGrant.Status.PENDING:
        raise ValidationError(_("Este pedido ya fue decidido."))
    _not_oneself(by, grant.user, _("Nadie puede aprobar un rol para sí mismo/a."))
    if grant.requested_by_id == by.pk:
        raise PermissionDenied(_("Un rol nacional lo aprueba otro/a administrador/a: usted lo pidió."))
    user = _lock_user(grant.user)
    role = Role(grant.role)
    held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    held |= set(
        RoleGrant.objects.filter(user=user, status=RoleGrant.Status.PENDING)
        .exclude(pk=grant.pk)
        .values_list("role", flat=True)
    )
    conflicts = conflicting_roles(role, held)
    if conflicts:
        raise ValidationError(
            _("%(role)s es incompatible con %(others)s, que la persona ya tiene o tiene pedido.")
            % {"role": role.label, "others": ", ".join(str(Role(r).label) for r in conflicts)}
        )
    with pghistory.context(user=by.pk, reason=reason or grant.reason):
        membership = grant_membership(user=user, organisation=grant.organisation, role=role)
        grant.status = RoleGrant.Status.APPROVED
        grant.decided_by = by
        grant.decided_at = timezone.now()
        grant.decision_reason = reason
        grant.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return membership


@transaction.atomic
def refuse_grant(*, by, grant: RoleGrant, reason: str) -> RoleGrant:
    """A second access administrator refuses a pending ministry role, with a reason."""
    require_access_admin(by)
    reason = _reason(reason)
    grant = RoleGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.status != RoleGrant.Status.PENDING:
        raise ValidationError(_("Este pedido ya fue decidido."))
    _not_oneself(by, grant.user, _("Nadie puede decidir un pedido de rol para sí mismo/a."))
    if grant.requested_by_id == by.pk:
        raise PermissionDenied(_("El pedido lo decide otro/a administrador/a: usted lo pidió."))
    with pghistory.context(user=by.pk, reason=reason):
        grant.status = RoleGrant.Status.REFUSED
        grant.decided_by = by
        grant.decided_at = timezone.now()
        grant.decision_reason = reason
        grant.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return grant


@transaction.atomic
def revoke_role(*, by, membership: Membership, reason: str) -> None:
    """Take a role away (never one's own); the group and the object permission go when no other
    membership of the person needs them."""
    require_access_admin(by)
    _not_oneself(by, membership.user, _("Nadie puede quitarse roles a sí mismo/a."))
    reason = _reason(reason)
    membership = Membership.objects.select_for_update().select_related("user", "organisation").get(pk=membership.pk)
    user, organisation, role = membership.user, membership.organisation, membership.role
    with pghistory.context(user=by.pk, reason=reason):
        membership.delete()
    others = Membership.objects.filter(user=user)
    if not others.filter(role=role).exists():
        user.groups.remove(Group.objects.get(name=role))
    if acts_for_organisation(role, organisation):
        if not others.filter(organisation=organisation, role__in=ORGANISATION_SCOPED_ROLES).exists():
            remove_perm("provinces.act_for_organisation", user, organisation)
    elif (
        role == Role.PROVINCIAL_OFFICER
        and not others.filter(role=role, organisation__province=organisation.province)
        .exclude(organisation__kind=Organisation.Kind.MUNICIPALITY)
        .exists()
    ):
        remove_perm("provinces.act_in_province", user, organisation.province)
    forget_scope(user)


def password_link_path(user) -> str:
    """The path of the one-time link where ``user`` chooses a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("access:set_password", kwargs={"uidb64": uid, "token": token})


def _send_link(user, link: str) -> None:
    def send() -> None:
        try:
            send_mail(
                _("Interzafra: elija su contraseña"),
                _(
                    "Hola, %(name)s:\n\nSe creó su cuenta «%(username)s» en Interzafra. Elija su contraseña "
                    "en este enlace, que sirve una sola vez y vence en %(days)s días:\n\n%(link)s\n"
                )
                % {
                    "name": user.get_full_name() or user.username,
                    "username": user.username,
                    "days": _link_days(),
                    "link": link,
                },
                None,
                [user.email],
            )
        except Exception:  # the administrator saw the link: a mail server down must not undo the account
            logger.exception("no se pudo enviar el enlace de contraseña a %s", user.username)

    transaction.on_commit(send)


def _link_days() -> int:
    from django.conf import settings

    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


@transaction.atomic
def create_account(
    *,
    by,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    organisation: Organisation,
    role: str,
    reason: str,
    site_url: str,
) -> tuple[object, Membership | RoleGrant, str]:
    """Create a person's account without a password and grant (or ask for) their first role.

    Returns the user, the membership or pending grant, and the one-time link (``site_url`` +
    path) to choose a password, which is also sent to ``email`` once the transaction commits.
    """
    require_access_admin(by)
    user_model = get_user_model()
    username = (username or "").strip()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": [_("Ya existe un usuario con ese nombre.")]})
    if not email:
        raise ValidationError({"email": [_("Indique el correo electrónico: allí recibe el enlace.")]})
    with pghistory.context(user=by.pk, reason=_reason(reason)):
        user = user_model.objects.create_user(username, email, None, first_name=first_name, last_name=last_name)
    granted = grant_role(by=by, user=user, organisation=organisation, role=role, reason=reason)
    link = site_url.rstrip("/") + password_link_path(user)
    _send_link(user, link)
    return user, granted, link


@transaction.atomic
def issue_password_link(*, by, user, site_url: str) -> str:
    """A new one-time link for a person who never chose a password (the first one expired).

    A person who already has a password recovers access otherwise: an administrator never
    gets a link into an account in use."""
    require_access_admin(by)
    _not_oneself(by, user, _("Nadie puede emitirse un enlace a sí mismo/a."))
    if user.has_usable_password():
        raise ValidationError(_("La persona ya eligió su contraseña: el enlace no corresponde."))
    link = site_url.rstrip("/") + password_link_path(user)
    _send_link(user, link)
    return link


def user_from_link(uidb64: str):
    """The user a link names (or None)."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


def link_state(user, token: str) -> str:
    """``valid``; ``used`` once the person chose a password; ``expired`` otherwise (too old or
    not a token of ours)."""
    if user is None:
        return "expired"
    if default_token_generator.check_token(user, token):
        return "valid"
    return "used" if user.has_usable_password() else "expired"


@transaction.atomic
def choose_password(*, user, token: str, password: str) -> None:
    """The person sets their password through the link; the link stops working at once (the
    token covers the password hash)."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if link_state(user, token) != "valid":
        raise PermissionDenied(_("El enlace ya fue usado o venció."))
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"new_password1": error.messages}) from error
    with pghistory.context(user=user.pk, reason="contraseña elegida con el enlace"):
        user.set_password(password)
        user.save(update_fields=["password"])


@transaction.atomic
def reset_two_factor(*, by, user, reason: str) -> TwoFactorReset:
    """Remove a person's second-factor devices (authenticator and backup codes) after a lost
    phone: they enrol again at their next sign-in. Never one's own."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    require_access_admin(by)
    _not_oneself(by, user, _("Nadie puede reiniciar su propia verificación en dos pasos."))
    reason = _reason(reason)
    with pghistory.context(user=by.pk, reason=reason):
        devices = TOTPDevice.objects.filter(user=user).count() + StaticDevice.objects.filter(user=user).count()
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        return TwoFactorReset.objects.create(user=user, by=by, reason=reason, devices=devices)
