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


def verify_if_needed(client, user) -> None:
    """Verify a logged-in client's second factor when ``user``'s role needs one (the ministry's)."""
    from provinces.twofactor import needs_two_factor

    if needs_two_factor(user):
        verify_client(client, user)


def sign_in(client, user) -> None:
    """Log the test client in as ``user``, verifying a second factor when their role needs one,
    as a person signing in with their authenticator would."""
    client.force_login(user)
    verify_if_needed(client, user)


def current_code(device, *, after_last: bool = True) -> str:
    """The code ``device``'s app shows now (or, if that one was used already, the next one,
    which django-otp still accepts within its tolerance)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if after_last and device.last_t is not None and totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"
