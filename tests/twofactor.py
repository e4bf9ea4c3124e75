"""Second-factor helpers for tests: a user (or a test client's session) that verified a TOTP code."""

from __future__ import annotations

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def verified(user):
    """``user`` as ``OTPMiddleware`` leaves it after a code was verified: for calling services."""
    device = totp_device(user)
    user.otp_device = device
    user.is_verified = lambda: True
    return user


def verify_client(client, user) -> None:
    """Mark a logged-in test client's session as verified by ``user``'s TOTP device."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
