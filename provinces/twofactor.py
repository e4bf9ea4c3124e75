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

from django.core.exceptions import PermissionDenied
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
