"""Named seams: how a higher app acts on a lower one's events without the lower app importing it.

Apps depend one way (``provinces ← enrollment ← payments / training ← api / reports``). When a
lower app needs something only a higher app knows — approving an enrollment schedules its
installments, screening needs the monthly aid in force — the lower app declares a seam here or
in its own ``seams.py``, names it after the event or question, and calls it; the higher app
fills it from its ``AppConfig.ready()``.

Rules: a seam is declared by the app that calls it and filled by the app that answers; handlers
run in the caller's transaction, in the order they were connected (connecting the same function
twice keeps one); a seam nobody filled raises ``SeamNotFilled`` when it is needed, never passes
silently. This module also holds provinces' own seam: the places an agreement's quota already
has taken (enrollment counts them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class SeamNotFilled(ImproperlyConfigured):
    """A seam was needed and no app has filled it (its app is missing from INSTALLED_APPS, or
    its ``ready()`` did not connect it)."""


class Seam:
    """An event several handlers may follow: ``run(**kwargs)`` calls each, in order."""

    def __init__(self, name: str, *, required: bool = True) -> None:
        self.name = name
        self.required = required
        self._handlers: list[Callable[..., Any]] = []

    def connect(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    def disconnect(self, handler: Callable[..., Any]) -> None:
        if handler in self._handlers:
            self._handlers.remove(handler)

    @property
    def handlers(self) -> tuple[Callable[..., Any], ...]:
        return tuple(self._handlers)

    def run(self, **kwargs: Any) -> None:
        if not self._handlers and self.required:
            raise SeamNotFilled(f"No app follows «{self.name}»: its handlers were never connected.")
        for handler in self._handlers:
            handler(**kwargs)

    def __repr__(self) -> str:
        return f"<Seam {self.name}: {len(self._handlers)} handler(s)>"


class Provider:
    """A question exactly one higher app answers: ``provide(func)`` fills it, calling it asks."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._func: Callable[..., Any] | None = None

    def provide(self, func: Callable[..., Any]) -> Callable[..., Any]:
        self._func = func
        return func

    @property
    def is_filled(self) -> bool:
        return self._func is not None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._func is None:
            raise SeamNotFilled(f"No app answers «{self.name}»: its provider was never registered.")
        return self._func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Provider {self.name}: {'filled' if self._func else 'empty'}>"


#: ``quota_in_use(*, agreement, crop) -> int``: how many places of the agreement's quota for
#: ``crop`` are taken (filled by enrollment, which owns the enrollments that take them).
quota_in_use = Provider("places taken in an agreement's quota")
