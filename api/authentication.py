"""Personal API tokens: ``Authorization: Token <key>`` (or ``Bearer <key>``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from api import fastsql
from api.models import ApiToken
from provinces.models import Organisation, Province
from provinces.scoping import acting_organisation_ids, acting_province_ids, role_names, scope_from

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


_PLACEHOLDER = re.compile(r"%[%s]")
#: The stand-in user's id: negative (no user has it) and within a 32-bit id's range, out of
#: which Django would compile a lookup as matching nothing.
_USER_MARKER = -1_987_654_321


def _for_token_user(queryset: QuerySet) -> RawSQL:
    """``ARRAY(queryset)`` for the token's user: the queryset is built for a stand-in user
    whose id is ``_USER_MARKER``, and each place that id lands becomes the token row's
    ``user_id`` column."""
    sql, params = queryset.query.sql_with_params()
    kept: list[Any] = []
    index = iter(range(len(params)))

    def swap(match: re.Match) -> str:
        if match.group() == "%%":
            return "%%"
        value = params[next(index)]
        if value == _USER_MARKER:
            return f'"{ApiToken._meta.db_table}"."user_id"'
        kept.append(value)
        return "%s"

    return RawSQL(f"ARRAY({_PLACEHOLDER.sub(swap, sql)})", kept)


def _token_with_user(key_hash: str) -> ApiToken | None:
    """The token, its user and the user's scope in one prepared query (every API request runs
    it). The scope comes from the querysets ``provinces.scoping.scope_of`` reads, run as
    subqueries, so it is read afresh on every request."""
    user_model = get_user_model()
    user_fields = [f.attname for f in user_model._meta.concrete_fields]

    def build(value):
        stand_in = user_model(pk=_USER_MARKER)
        stand_in._state.adding = False  # as if loaded: its related managers build their queries
        return (
            ApiToken.objects.filter(key_hash=value)
            .annotate(
                scope_roles=_for_token_user(role_names(stand_in)),
                scope_provinces=_for_token_user(acting_province_ids(stand_in)),
                scope_organisations=_for_token_user(acting_organisation_ids(stand_in)),
            )
            .values_list(
                *_TOKEN_FIELDS,
                *(f"user__{name}" for name in user_fields),
                "scope_roles",
                "scope_provinces",
                "scope_organisations",
            )
        )

    # guardian's subqueries name the content types by id: keyed by them, the compiled query
    # follows a database whose content types were recreated (e.g. flushed by a test).
    types = ContentType.objects.get_for_models(Province, Organisation)
    found = fastsql.rows_for(("api-token", types[Province].pk, types[Organisation].pk), build, key_hash)
    if not found:
        return None
    row = found[0]
    n_token, n_user = len(_TOKEN_FIELDS), len(user_fields)
    token = ApiToken.from_db(connection.alias, list(_TOKEN_FIELDS), row[:n_token])
    user: Any = user_model.from_db(connection.alias, user_fields, row[n_token : n_token + n_user])
    roles, provinces, organisations = row[n_token + n_user :]
    user._interzafra_scope = scope_from(roles, provinces, organisations)  # what scope_of returns
    token.user = user
    return token


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
        return token.user, token

    def authenticate_header(self, request):
        return "Token"
