"""Writes of the API app: personal tokens and the access log of status lookups."""

from __future__ import annotations

import datetime as dt
import secrets

import pghistory
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api import fastsql
from api.authentication import hash_key
from api.models import ApiToken, StatusLookup
from api.selectors import beneficiary_status

MAX_TOKEN_DAYS = 365


@transaction.atomic
def create_token(*, by, name: str, days: int = 90, user=None) -> tuple[ApiToken, str]:
    """Create a personal API token and return it with its key (shown once; only a hash is kept).

    Rules: users create tokens for themselves; only ministry staff holding ``api.manage_tokens``
    create them for someone else; every token expires, after 1 to 365 days.
    """
    user = user or by
    if user.pk != by.pk and not by.has_perm("api.manage_tokens"):
        raise PermissionDenied(_("Solo el personal del Ministerio crea tokens para otros usuarios."))
    if not user.is_active:
        raise ValidationError({"user": _("El usuario no está activo.")})
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError({"days": _("La vigencia es de 1 a %(max)s días.") % {"max": MAX_TOKEN_DAYS}})
    key = secrets.token_urlsafe(32)
    with pghistory.context(user=by.pk, reason=_("Token de API creado")):
        token = ApiToken.objects.create(
            user=user,
            name=name.strip(),
            key_hash=hash_key(key),
            prefix=key[:8],
            created_by=by,
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
    return token, key


@transaction.atomic
def revoke_token(*, by, token: ApiToken) -> ApiToken:
    """Revoke a token at once. Its owner or ministry staff (``api.manage_tokens``) may."""
    if token.user_id != by.pk and not by.has_perm("api.manage_tokens"):
        raise PermissionDenied(_("No puede revocar tokens de otros usuarios."))
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        with pghistory.context(user=by.pk, reason=_("Token de API revocado")):
            locked.revoked_at = timezone.now()
            locked.revoked_by = by
            locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


_LOG_SQL = (
    f"INSERT INTO {StatusLookup._meta.db_table} (user_id, token_id, cuil, result, ip, at) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)


def _asked(cuil: str) -> str:
    """What was asked is kept as typed, minus what PostgreSQL text cannot hold (NUL)."""
    return cuil.replace("\x00", "\ufffd")[:32]


def log_status_lookup(*, by, token: ApiToken | None, cuil: str, result: str, ip: str | None) -> None:
    """Record one status lookup (append-only: the table refuses updates and deletes).

    A prepared INSERT on Django's connection (``api.fastsql``).
    """
    fastsql.execute(_LOG_SQL, [by.pk, getattr(token, "pk", None), _asked(cuil), result, ip or None, timezone.now()])


def look_up_status(*, by, token: ApiToken | None, cuil: str, ip: str | None) -> dict | None:
    """The status of the worker with the (valid, compact) ``cuil`` as ``by`` may see it, or
    ``None`` when unknown or out of scope; the lookup is written to the access log with its
    result (``found`` / ``not_found``) by the same statement that reads the status."""
    log = (by.pk, getattr(token, "pk", None), _asked(cuil), ip or None, timezone.now())
    return beneficiary_status(user=by, cuil=cuil, log=log)


def user_by_id(pk: int):
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


def log_public_lookup(*, cuil: str, result: str, ip: str | None) -> StatusLookup:
    """Record one lookup on the public status page: no user (the worker herself), the CUIL as
    typed, the result and the address. Append-only, like every lookup."""
    return StatusLookup.objects.create(
        user=None, channel=StatusLookup.Channel.PUBLIC, cuil=_asked(cuil), result=result, ip=ip or None
    )
