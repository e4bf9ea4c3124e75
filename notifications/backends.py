"""Channels for SMS and WhatsApp: a small interface, a console and a file backend for local
runs, and an HTTP webhook backend for a provider's gateway. E-mail goes through Django's own
e-mail backends (``EMAIL_BACKEND``: console by default, django-anymail for a provider).

``NOTIFICATIONS_SMS_BACKEND`` names the class; a backend raises :class:`DeliveryError` when the
message did not leave, and the outbox tries again later."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """The message was not accepted; it may be tried again."""


class PhoneBackend:
    def send(self, *, to: str, body: str, channel: str, reference: str) -> None:
        raise NotImplementedError


class ConsoleBackend(PhoneBackend):
    def send(self, *, to: str, body: str, channel: str, reference: str) -> None:
        logger.info("%s a %s [%s]: %s", channel.upper(), to, reference, body)


class FileBackend(PhoneBackend):
    """One JSON line per message in ``NOTIFICATIONS_FILE_PATH``."""

    def send(self, *, to: str, body: str, channel: str, reference: str) -> None:
        path = Path(settings.NOTIFICATIONS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {"at": timezone.now().isoformat(), "channel": channel, "to": to, "body": body, "ref": reference}
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


class WebhookBackend(PhoneBackend):
    """POST ``{"channel", "to", "body", "reference"}`` as JSON to ``NOTIFICATIONS_WEBHOOK_URL``
    (with ``Authorization: Bearer NOTIFICATIONS_WEBHOOK_TOKEN`` when set). Any answer but 2xx,
    a timeout or a refused connection is a :class:`DeliveryError`. ``reference`` lets the
    gateway drop a repeated message."""

    def send(self, *, to: str, body: str, channel: str, reference: str) -> None:
        payload = json.dumps({"channel": channel, "to": to, "body": body, "reference": reference}).encode()
        request = urllib.request.Request(  # noqa: S310 (the URL is configuration, not input)
            settings.NOTIFICATIONS_WEBHOOK_URL,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        if settings.NOTIFICATIONS_WEBHOOK_TOKEN:
            request.add_header("Authorization", f"Bearer {settings.NOTIFICATIONS_WEBHOOK_TOKEN}")
        try:
            with urllib.request.urlopen(request, timeout=settings.NOTIFICATIONS_WEBHOOK_TIMEOUT) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DeliveryError(str(error)) from error
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status}")


def phone_backend() -> PhoneBackend:
    return import_string(settings.NOTIFICATIONS_SMS_BACKEND)()
