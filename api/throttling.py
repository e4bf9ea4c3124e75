"""Per-user and per-IP throttling with fixed one-minute (or second/hour/day) windows.

A counter per key and window in the cache (``cache.add`` + ``cache.incr``): constant work per
request whatever the rate, unlike a list of timestamps. Rates come from ``API_THROTTLE_RATES``.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

_DURATIONS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    number, period = rate.split("/")
    return int(number), _DURATIONS[period.strip()[0]]


class _FixedWindowThrottle(BaseThrottle):
    scope = ""

    def get_key(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = settings.API_THROTTLE_RATES.get(self.scope)
        key = self.get_key(request)
        if not rate or key is None:
            return True
        limit, duration = parse_rate(rate)
        now = time.time()
        window = int(now // duration)
        cache_key = f"api-throttle:{self.scope}:{key}:{window}"
        self.wait_seconds = duration - (now % duration)
        try:  # one cache operation for every request of a window but its first
            count = cache.incr(cache_key)
        except ValueError:  # the window's first request, unless another one just started it
            count = 1 if cache.add(cache_key, 1, duration + 1) else cache.incr(cache_key)
        return count <= limit

    def wait(self):
        return getattr(self, "wait_seconds", None)


class UserThrottle(_FixedWindowThrottle):
    scope = "user"

    def get_key(self, request):
        user = getattr(request, "user", None)
        return str(user.pk) if user is not None and user.is_authenticated else None


class IPThrottle(_FixedWindowThrottle):
    scope = "ip"

    def get_key(self, request):
        return self.get_ident(request)
