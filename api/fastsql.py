"""Run the ORM's querysets on the API's hottest path without paying the ORM twice per request.

1. Prepared statements. Django's psycopg cursors bind parameters on the client, so PostgreSQL
   parses and plans every query again. Here psycopg's own cursor, on Django's connection, binds
   on the server and uses a named prepared statement per query text (``prepare=True``; psycopg
   keeps an LRU of them per connection). psycopg prepares only on a connection whose
   ``prepare_threshold`` is not None: the settings give Django's connection one when
   ``API_PREPARED_STATEMENTS`` is on (Django's own cursors still never prepare).
2. Compiled once. Building and compiling a scoped queryset costs more CPU than running it. The
   SQL of a queryset is compiled once per *shape* (a key that includes the caller's scope) with
   a marker in place of the per-request value, then reused with the value swapped in, its
   placeholders already in PostgreSQL's ``$n`` form.

The SQL always comes from the same scoped selectors the web UI uses; only when it is compiled
changes. Nothing else does: the connection and its transaction are Django's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

MAX_SHAPES = 2000
STR_MARKER = "\x1fapi-fastsql-marker\x1f"
INT_MARKER = -7_391_204_611

_compiled: dict[Hashable, tuple[str, tuple[Any, ...], tuple[int, ...]]] = {}
_lock = threading.Lock()


def _prepare() -> bool:
    """Named prepared statements, unless ``API_PREPARED_STATEMENTS`` is off (behind a PgBouncer
    in transaction pooling older than 1.21, or without ``max_prepared_statements``)."""
    return bool(settings.API_PREPARED_STATEMENTS)


def _cursor() -> psycopg.Cursor:
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _raw_cursor() -> psycopg.RawCursor:
    connection.ensure_connection()
    return psycopg.RawCursor(connection.connection)


def rows(queryset: QuerySet) -> list[tuple[Any, ...]]:
    """All rows of a ``values_list()`` queryset, as tuples in the selected order."""
    sql, params = queryset.query.sql_with_params()
    with _cursor() as cursor:
        cursor.execute(sql, params, prepare=_prepare())
        return cursor.fetchall()


def compiled_for(
    key: Hashable, build: Callable[[Any], tuple[str, Any]], marker_type: type = str
) -> tuple[str, tuple[Any, ...], tuple[int, ...]]:
    """``build(marker)``'s SQL and parameters, compiled only the first time ``key`` is seen,
    with the positions of the per-request value among the parameters.

    ``key`` must capture everything the SQL depends on apart from that value (e.g. the
    caller's scope). Returns slots ``()`` when the value did not become a parameter (then the
    shape is not kept).
    """
    entry = _compiled.get(key)
    if entry is None:
        marker = STR_MARKER if marker_type is str else INT_MARKER
        sql, params = build(marker)
        slots = tuple(i for i, p in enumerate(params) if p == marker)
        entry = (sql, tuple(params), slots)
        if not slots:
            return entry
        entry = (_numbered(sql), tuple(params), slots)
        with _lock:
            if len(_compiled) >= MAX_SHAPES:
                _compiled.clear()
            _compiled[key] = entry
    return entry


_PLACEHOLDER = re.compile(r"%[%s]")


def _numbered(sql: str) -> str:
    """Django's ``%s`` placeholders as PostgreSQL's ``$1, $2, …`` (and ``%%`` as ``%``), so that
    psycopg sends a kept shape's text as it is instead of parsing it again on every request
    (it only caches the parsing of short statements)."""
    counter = iter(range(1, 1 << 16))
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(counter)}", sql)


def bind(entry: tuple[str, tuple[Any, ...], tuple[int, ...]], value: Any) -> list[Any]:
    """The parameters of a compiled shape with ``value`` in its slots."""
    bound = list(entry[1])
    for i in entry[2]:
        bound[i] = value
    return bound


def rows_for(key: Hashable, build: Callable[[Any], QuerySet], value: str | int) -> list[tuple[Any, ...]]:
    """Rows of ``build(value)``, compiling the queryset only the first time ``key`` is seen.

    ``key`` must capture everything the SQL depends on apart from ``value`` (e.g. the caller's
    scope). ``value`` is a string or an integer used in exactly the places the marker lands.
    """
    entry = compiled_for(key, lambda marker: build(marker).query.sql_with_params(), type(value))
    if not entry[2]:  # the value did not become a parameter: compile this request's own
        return rows(build(value))
    with _raw_cursor() as cursor:
        cursor.execute(entry[0], bind(entry, value), prepare=_prepare())
        return cursor.fetchall()


def fetchone_compiled(entry: tuple[str, tuple[Any, ...], tuple[int, ...]], params: list[Any]) -> tuple[Any, ...] | None:
    """The first row of a shape from ``compiled_for`` with ``params`` (from ``bind``, plus any
    appended)."""
    if not entry[2]:  # not kept, so still in Django's placeholder style
        with _cursor() as cursor:
            cursor.execute(entry[0], params, prepare=_prepare())
            return cursor.fetchone()
    with _raw_cursor() as cursor:
        cursor.execute(entry[0], params, prepare=_prepare())
        return cursor.fetchone()


def execute(sql: str, params: list[Any]) -> None:
    with _cursor() as cursor:
        cursor.execute(sql, params, prepare=_prepare())
