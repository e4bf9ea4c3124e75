"""One error shape for every 4xx answer of the API.

```json
{"status": 404, "code": "not_found", "message": "No encontrado.", "fields": {}}
```

``fields`` maps each offending input field to its messages (for requests with many items,
``{"items": {"3": {"cuil": [...]}}}``); it is empty when the error is not about a field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from api.errors import InvalidCuil, PayloadTooLarge, error_body  # noqa: F401  (re-exported)


def _messages(value) -> list[str] | dict:
    if isinstance(value, dict):
        return {str(k): _messages(v) for k, v in value.items()}
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return [str(v) for v in value]
        if all(isinstance(v, dict | list) for v in value):
            return {str(i): _messages(v) for i, v in enumerate(value) if v}
        return [str(v) for v in value]
    return [str(value)]


def _first_code(codes) -> str:
    if isinstance(codes, dict):
        for value in codes.values():
            return _first_code(value)
    if isinstance(codes, list):
        for value in codes:
            return _first_code(value)
    return codes if isinstance(codes, str) else "invalid"


def django_validation_to_drf(
    error: DjangoValidationError, *, renamed: dict[str, str] | None = None
) -> exceptions.ValidationError:
    """A service's ValidationError (field → messages, or just messages) as DRF's; ``renamed``
    maps a service's argument to the input field that carries it."""
    if hasattr(error, "error_dict"):
        names = {"__all__": "non_field_errors", **(renamed or {})}
        fields = {names.get(k, k): v for k, v in error.message_dict.items()}
        return exceptions.ValidationError(fields)
    return exceptions.ValidationError({"non_field_errors": error.messages})


def exception_handler(exc, context):
    """DRF's handler, then every error reshaped into the documented body."""
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_to_drf(exc)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        # Services explain refusals in a sentence; ``require_perm`` only names the permission.
        text = str(exc.args[0]) if exc.args else ""
        exc = exceptions.PermissionDenied(text if " " in text else None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = _messages(detail) if isinstance(detail, dict | list) else {"non_field_errors": [str(detail)]}
        if isinstance(fields, list):
            fields = {"non_field_errors": fields}
        code = "invalid_cuil" if "invalid_cuil" in str(exc.get_codes()) else "invalid"
        message = str(_("Los datos enviados no son válidos."))
        if code == "invalid_cuil":
            message = str(_("El CUIL no es válido."))
    else:
        fields = {}
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else _first_code(codes)
        detail = getattr(exc, "detail", "")
        message = str(detail) if not isinstance(detail, dict | list) else str(_("Error en la solicitud."))
    response.data = error_body(status_code=response.status_code, code=code, message=message, fields=fields)
    return response


@csrf_exempt
def not_found_view(request, *args, **kwargs):
    """Unknown paths under the API answer in the same shape (not Django's HTML page)."""
    return JsonResponse(error_body(status_code=404, code="not_found", message=str(_("No encontrado."))), status=404)
