"""Login throttling (django-axes): what a locked-out login answers, and from which address.

After ``AXES_FAILURE_LIMIT`` wrong passwords for one username from one address, that username
cannot log in from that address — not even with the right password — until
``AXES_COOLOFF_TIME`` has passed with no new attempt, or an access administrator (or a
superuser) unlocks it (``manage.py axes_reset_username <user>``, or *Access attempts* in the
Django admin). The same holds for the site's login and the Django admin's. The answer is the same
whether the username exists or not, so the lockout tells nothing about who has an account.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle


def client_address(request) -> str | None:
    """The caller's address as the API's throttle sees it: ``X-Forwarded-For`` is believed only
    through the ``API_NUM_PROXIES`` proxies of ours, otherwise the peer address."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return None


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page (HTTP 429), in the user's language, for the site and the admin alike."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked.html", {"minutes": minutes}, status=429)
