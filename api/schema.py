"""OpenAPI: every operation documents the shared error body for its 4xx answers."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from api.serializers import ErrorSerializer

ERROR_CODES = {
    "400": "Datos inválidos (campos desconocidos, CUIL mal formado, JSON mal formado...).",
    "401": "Sin credenciales, o token inválido, revocado o vencido.",
    "403": "El rol del usuario no permite esta operación.",
    "404": "No existe, o está fuera del alcance del usuario (mismo resultado).",
    "405": "Método no admitido.",
    "406": "Formato de respuesta no admitido.",
    "413": "El cuerpo de la solicitud es demasiado grande.",
    "415": "Tipo de contenido no admitido (use application/json).",
    "429": "Demasiadas solicitudes: espere y reintente.",
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in ERROR_CODES.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description), code
                )
        return responses


def forbid_unknown_request_fields(result, generator, request, public):
    """Request bodies reject unknown fields, so say so in the schema."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token personal: `Authorization: Token <clave>`. Se crea en /api/v1/tokens/ y vence.",
        }
