"""The demo's ministry users verify a second factor with a published key; ``make otp`` prints
their current code only in a local demo and only for them."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo import data
from demo import seed as demo
from provinces.models import Membership
from provinces.roles import Role

pytestmark = pytest.mark.django_db


def otp(username: str) -> str:
    out = io.StringIO()
    call_command("demo_otp", username, stdout=out)
    return out.getvalue().strip()


def test_demo_access_administrators_and_codes():
    demo.seed()
    assert set(Membership.objects.filter(role=Role.ACCESS_ADMIN).values_list("user__username", flat=True)) == {
        "accesos",
        "accesos2",
    }
    for username in ("revisora", "pagos", "pagos2", "auditora", "accesos", "accesos2"):
        assert TOTPDevice.objects.get(user__username=username).key == data.DEMO_OTP_KEY
    assert not TOTPDevice.objects.filter(user__username="tucuman").exists()

    with pytest.raises(CommandError, match="DEBUG"):
        otp("revisora")  # the test settings are production's: DEBUG off
    with override_settings(DEBUG=True):
        code = otp("revisora")
        assert len(code) == 6 and TOTPDevice.objects.get(user__username="revisora").verify_token(code)
        for refused in ("tucuman", "admin", "nadie"):
            with pytest.raises(CommandError):
                otp(refused)
        # a demo name whose device is no longer the demo's (a real account) gets no code
        TOTPDevice.objects.filter(user__username="pagos").update(key="ab" * 20)
        with pytest.raises(CommandError):
            otp("pagos")
