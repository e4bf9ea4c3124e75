"""Helpers for the programme's bulk passes over hundreds of thousands of rows in Python."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models.expressions import RawSQL


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a pass that builds many small objects.

    Reading a survey list, a bank's return file or a registry block creates hundreds of
    thousands of lists, strings and tuples, which start the collector over and over; each time
    it walks every live object of the process, which costs more than the pass itself. Those
    objects hold no reference cycles, so reference counting frees them all the same; the
    collector runs again afterwards (if it was on).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def any_of(ids) -> RawSQL:
    """A subquery of the ids passed as one array parameter, for ``filter(pk__in=any_of(ids))``.

    ``pk__in=[…]`` with tens of thousands of ids writes one placeholder per id: the driver then
    splits a query of hundreds of kilobytes and the audit context is attached to all of it, which
    costs more than running it. One array keeps the statement a few bytes long."""
    return RawSQL("SELECT unnest(%s::bigint[])", (sorted({int(i) for i in ids}),))
