"""Rate limits of the public page: fixed windows counted in the Django cache (as the API's
throttles), per client address and per CUIL asked, so that neither one address nor many
addresses can try birth dates for one CUIL. Rates come from ``SELF_SERVICE_RATES``."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from api.throttling import parse_rate


def allow(scope: str, key: str) -> bool:
    """Count one attempt of ``key`` under ``scope`` and say whether it is within the rate."""
    rate = settings.SELF_SERVICE_RATES.get(scope)
    if not rate:
        return True
    limit, duration = parse_rate(rate)
    window = int(time.time() // duration)
    cache_key = f"selfservice:{scope}:{key}:{window}"
    try:
        count = cache.incr(cache_key)
    except ValueError:
        count = 1 if cache.add(cache_key, 1, duration + 1) else cache.incr(cache_key)
    return count <= limit
