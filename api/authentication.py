"""Personal API tokens: ``Authorization: Token <key>`` (or ``Bearer <key>``)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from api import fastsql
from api.models import ApiToken
from provinces.scoping import scope_of

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


# In the model's field order: ``Model.from_db`` maps partial rows by that order.
_TOKEN_FIELDS = tuple(
    f.attname
    for f in ApiToken._meta.concrete_fields
    if f.attname in {"id", "user_id", "expires_at", "revoked_at", "last_used_at"}
)


def _token_with_user(key_hash: str) -> ApiToken | None:
    """The token and its user in one prepared query (every API request runs it)."""
    user_model = get_user_model()
    user_fields = [f.attname for f in user_model._meta.concrete_fields]
    found = fastsql.rows_for(
        ("api-token",),
        lambda value: ApiToken.objects.filter(key_hash=value).values_list(
            *_TOKEN_FIELDS, *(f"user__{name}" for name in user_fields)
        ),
        key_hash,
    )
    if not found:
        return None
    row = found[0]
    token = ApiToken.from_db(connection.alias, list(_TOKEN_FIELDS), row[: len(_TOKEN_FIELDS)])
    token.user = user_model.from_db(connection.alias, user_fields, row[len(_TOKEN_FIELDS) :])
    return token


def remember_scope(user) -> None:
    """Reuse the user's scope (``provinces.scoping.scope_of``) for ``API_SCOPE_CACHE_SECONDS``.

    Computing a scope takes a few queries and most of a status lookup's CPU. A token's validity
    is still checked on every request; a change of role or province reaches the API within that
    many seconds (at once in the process where ``forget_scope`` ran). 0 turns it off.
    """
    seconds = settings.API_SCOPE_CACHE_SECONDS
    if not seconds:
        return
    key = f"api-scope:{user.pk}"
    scope = cache.get(key)
    if scope is None:
        scope = scope_of(user)
        cache.set(key, scope, seconds)
    user._interzafra_scope = scope


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
        token = _token_with_user(hash_key(key))
        if token is None or not token.user.is_active:
            raise TokenInvalid()
        if token.revoked_at is not None:
            raise TokenRevoked()
        now = timezone.now()
        if token.expires_at <= now:
            raise TokenExpired()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        remember_scope(token.user)
        return token.user, token

    def authenticate_header(self, request):
        return "Token"
