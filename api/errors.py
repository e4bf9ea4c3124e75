"""The API's error body and its own exceptions (no import of DRF views: the middleware uses it)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("El cuerpo de la solicitud supera el tamaño máximo admitido.")
    default_code = "payload_too_large"


class InvalidCuil(exceptions.ValidationError):
    default_code = "invalid_cuil"


def error_body(*, status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    return {"status": status_code, "code": code, "message": message, "fields": fields or {}}
