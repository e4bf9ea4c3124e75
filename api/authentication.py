"""Personal API tokens: ``Authorization: Token <key>`` (or ``Bearer <key>``)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from api.models import ApiToken

#: ``last_used_at`` is refreshed at most this often, so a busy client does not write every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


class TokenExpired(exceptions.AuthenticationFailed):
    default_detail = _("El token venció. Genere uno nuevo.")
    default_code = "token_expired"


class TokenRevoked(exceptions.AuthenticationFailed):
    default_detail = _("El token fue revocado.")
    default_code = "token_revoked"


class TokenInvalid(exceptions.AuthenticationFailed):
    default_detail = _("Token inválido.")
    default_code = "token_invalid"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenAuthentication(BaseAuthentication):
    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in self.keywords:
            return None
        if len(auth) != 2:
            raise TokenInvalid(_("Encabezado Authorization mal formado: use «Token <clave>»."))
        try:
            key = auth[1].decode("ascii")
        except UnicodeError as error:
            raise TokenInvalid() from error
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None or not token.user.is_active:
            raise TokenInvalid()
        if token.revoked_at is not None:
            raise TokenRevoked()
        now = timezone.now()
        if token.expires_at <= now:
            raise TokenExpired()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return "Token"
