"""Per-address throttling of every API request, before authentication: a flood of requests
without credentials, or guessing tokens, is limited too (DRF throttles run after auth)."""

from __future__ import annotations

import math

from django.http import JsonResponse
from django.utils.translation import gettext as _

from api.errors import error_body
from api.throttling import IPThrottle


class ApiAddressThrottleMiddleware:
    prefix = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(self.prefix):
            throttle = IPThrottle()
            if not throttle.allow_request(request, None):
                wait = math.ceil(throttle.wait() or 1)
                response = JsonResponse(
                    error_body(
                        status_code=429,
                        code="throttled",
                        message=_("Demasiadas solicitudes desde su dirección. Reintente en %(s)s segundos.")
                        % {"s": wait},
                    ),
                    status=429,
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)
