"""WSGI entry point.

Requests to the API that carry a token (``Authorization: Token …`` or ``Bearer …``) go through
``API_TOKEN_MIDDLEWARE``: the full chain minus what only a browser session needs (static files,
sessions, CSRF, session authentication, messages, htmx). DRF authenticates them by the token
alone, and a token request never falls back to the session. Everything else takes the full
``MIDDLEWARE`` chain.
"""

import gc
import os

from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

_full = get_wsgi_application()


class ApiTokenWSGIHandler(WSGIHandler):
    """Django's handler with the token API's middleware chain."""

    def load_middleware(self, is_async=False):
        from django.conf import UserSettingsHolder, settings

        wrapped = settings._wrapped
        holder = UserSettingsHolder(wrapped)
        holder.MIDDLEWARE = settings.API_TOKEN_MIDDLEWARE
        settings._wrapped = holder  # only while this handler builds its chain, at start-up
        try:
            super().load_middleware(is_async)
        finally:
            settings._wrapped = wrapped


_api = ApiTokenWSGIHandler()

# What start-up loaded (settings, URL patterns, models, compiled templates) lives as long as
# the process: move it out of the collector's reach, so that the full collections that
# requests trigger do not walk it again each time (shorter pauses, steadier latencies).
gc.collect()
gc.freeze()
_TOKEN_SCHEMES = ("token ", "bearer ")


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/api/") and (
        environ.get("HTTP_AUTHORIZATION", "")[:7].lower().startswith(_TOKEN_SCHEMES)
    ):
        return _api(environ, start_response)
    return _full(environ, start_response)
