"""Finding 10 (second half) and the sweep behind it: hostile query-string values never make a page
answer 500 — a value a page cannot use answers 400 (or is ignored), for every role."""

from __future__ import annotations

import os
import re

import django_filters
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from provinces.roles import Role
from tests.factories import make_user
from tests.twofactor import sign_in

pytestmark = pytest.mark.django_db

HOSTILE = ["-1", "99999", "abc", "\x00", "x" * 5000, "2026-13", "9" * 30]
#: Every query parameter a page of the web UI reads (grep request.GET), plus every filter field.
PARAMS = {
    *("page", "anio", "year", "month", "q", "cuil", "estado", "tipo", "nivel", "field", "cycle"),
    *("agreement", "province", "organisation", "status", "kind", "format", "ids", "desde", "hasta", "next"),
}
SKIP = re.compile(r"^(admin/|i18n/|api/v1/(schema|docs|redoc)/|salir/)")
#: one demo user of each role, and the superuser
DEMO_USERS = ["revisora", "pagos", "auditora", "accesos", "tucuman", "uatre", "admin"]


def _filter_names(cls=django_filters.FilterSet):
    for sub in cls.__subclasses__():
        if sub.__module__.split(".")[0] in {"enrollment", "payments", "training", "reports", "provinces", "api"}:
            yield from sub.base_filters
        yield from _filter_names(sub)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def get_paths() -> list[str]:
    """Every URL of the URL conf with its arguments filled with 1 (or a plain word)."""
    paths = set()
    for raw in _walk(get_resolver().url_patterns):
        if SKIP.match(raw) or "(?P<format>" in raw:
            continue
        path = re.sub(r"<int:\w+>|\(\?P<\w+>\[0-9\]\+\)|\(\?P<pk>[^)]*\)", "1", raw)
        path = re.sub(r"<(str|slug):\w+>", "beneficiaries", path)
        path = path.replace("^", "").replace("$", "").replace("\\", "")
        if "(" in path or "<" in path or "[" in path:
            continue
        paths.add("/" + path)
    return sorted(paths)


def test_hostile_query_values_never_answer_500():
    """Each page every role may open, with every parameter at once set to each hostile value; where
    that answers 400, each parameter alone too (a 400 for one must not hide a 500 for another)."""
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    params = sorted(PARAMS | set(_filter_names()))
    paths = get_paths()
    assert "/pagos/totales/" in paths and "/inscripciones/" in paths and "/api/v1/workers/" in paths
    users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERS)}
    assert sorted(users) == sorted(DEMO_USERS)
    failures, tried = [], 0
    for username in [None, *DEMO_USERS]:
        client = Client(raise_request_exception=False)
        if username is not None:
            sign_in(client, users[username])
        for path in paths:
            if client.get(path).status_code != 200:
                continue  # a page this role may not open (or a POST-only URL): nothing more to try
            for value in HOSTILE:
                tried += 1
                status = client.get(path, {name: value for name in params}).status_code
                if status >= 500:
                    failures.append((username, path, "every parameter", value[:12]))
                elif status == 400:
                    for name in params:
                        if client.get(path, {name: value}).status_code >= 500:
                            failures.append((username, path, name, value[:12]))
    assert tried > 500
    assert not failures, failures[:30]


@pytest.mark.parametrize("anio", ["-1", "0", "abc", "99999", "\x00"])
def test_monthly_totals_answers_400_for_a_year_it_cannot_read(anio):
    client = Client()
    sign_in(client, make_user(Role.PAYMENTS_OFFICER))
    assert client.get("/pagos/totales/", {"anio": anio}).status_code == 400
    assert client.get("/pagos/totales/", {"anio": "2026"}).status_code == 200
    assert client.get("/pagos/totales/").status_code == 200


def test_access_log_filter_answers_400_for_a_value_it_cannot_search():
    client = Client()
    sign_in(client, make_user(Role.AUDITOR))
    assert client.get("/consultas-api/", {"cuil": "20\x0012345678"}).status_code == 400
    assert client.get("/consultas-api/", {"cuil": "x" * 500}).status_code == 400
    page = client.get("/consultas-api/", {"cuil": "=1+2"})
    assert page.status_code == 200 and "?cuil=%3D1%2B2" in page.content.decode()  # the export link keeps it
