"""Two-factor authentication (django-otp, TOTP): who must have it and the check money acts call.

National roles (ministry reviewer, payments officer, auditor, access administrator) work only
after verifying a second factor in the session, and every money approval (a payment batch, a
bank-account change, a rate) calls :func:`require_verified` on the acting user. The user object
that views pass to services is ``request.user`` as ``django_otp.middleware.OTPMiddleware``
leaves it: ``is_verified()`` is true once a confirmed device of that user verified a code in
this session. A user object without that method (a script, a task, a test that did not verify)
counts as not verified.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _


def is_verified(user) -> bool:
    """True if ``user`` verified a second factor in the current session."""
    check = getattr(user, "is_verified", None)
    return bool(callable(check) and check())


def require_verified(user) -> None:
    """Refuse a money approval by a user who has not verified a second factor."""
    if not is_verified(user):
        raise PermissionDenied(
            _("Esta acción requiere verificación en dos pasos: ingrese el código de su aplicación de autenticación.")
        )


#: Backup codes given at enrolment (django-otp static tokens, each usable once).
BACKUP_CODES = 10


def needs_two_factor(user) -> bool:
    """True for a signed-in person holding a ministry role: they verify before any page."""
    from provinces.roles import MINISTRY_ROLES
    from provinces.scoping import scope_of

    return bool(scope_of(user).roles & MINISTRY_ROLES)


def confirmed_device(user):
    """The person's confirmed authenticator (TOTP), or None."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def start_enrolment(*, user):
    """The unconfirmed authenticator a person scans (created once, reused until confirmed).

    Refused when the person already has a confirmed one: replacing a device is an access
    administrator's act (``provinces.access.reset_two_factor``), never one's own, so that a
    stolen password alone never registers a new phone."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if confirmed_device(user) is not None:
        raise ValidationError(
            _(
                "Su verificación en dos pasos ya está activada. Si perdió el teléfono, pida el reinicio "
                "a un/a administrador/a de accesos."
            )
        )
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="app", confirmed=False)


@transaction.atomic
def confirm_enrolment(*, user, device, token: str) -> list[str]:
    """Confirm the person's authenticator with a code it shows, and give them backup codes.

    Returns the backup codes, shown once. A wrong code changes nothing."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    if not device.verify_token((token or "").strip().replace(" ", "")):
        raise ValidationError(
            {"token": [_("El código no es correcto o ya venció. Ingrese el que muestra ahora la aplicación.")]}
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="respaldo", confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    return codes


def provisioning_svg(device) -> str:
    """The authenticator's QR code as inline SVG (segno), for the enrolment page."""
    import segno

    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, title=str(_("Código QR para la aplicación de autenticación"))
    )


def secret_text(device) -> str:
    """The device key in base32, grouped by four, for typing it into the app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
