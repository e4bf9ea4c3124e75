"""Reads of the API app: beneficiary status, tokens and the access log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from api import fastsql
from api.models import ApiToken, StatusLookup
from enrollment.selectors import enrollments_for, workers_for
from provinces.scoping import scope_of
from training.models import Referral
from training.selectors import referrals_for


def _subquery(queryset: QuerySet, columns: str) -> tuple[str, list[Any]]:
    """A ``values_list()`` queryset as a derived table whose columns are named ``columns``.

    A queryset that can match nothing (a scope with nothing in it) does not compile to SQL; it
    becomes an empty table with the same column types.
    """
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        fields = queryset._fields  # type: ignore[attr-defined]  # the values_list() names
        nothing = queryset.model._base_manager.filter(pk__isnull=True).values_list(*fields)
        sql, params = nothing.query.sql_with_params()
    return f"SELECT * FROM ({sql}) AS q ({columns})", list(params)


def _installments(enrollments: RawSQL) -> QuerySet | None:
    """Installments (not cancelled) of the given enrollments; ``None`` while the payments app
    has no Installment model."""
    try:
        installment = apps.get_model("payments", "Installment")
        batch_item = apps.get_model("payments", "BatchItem")
    except LookupError:
        return None
    # The branch-pickup order now carrying it, if any: the day the worker collects it.
    order = batch_item.objects.filter(installment_id=OuterRef("pk"), method="pickup", outcome="pending")
    return (
        installment.objects.filter(enrollment_id__in=enrollments)
        .exclude(status="cancelled")
        .annotate(pickup_day=Subquery(order.values("pickup_day")[:1]))
        .order_by()
        .values_list("enrollment_id", "number", "month", "amount", "status", "pickup_day")
    )


# The answer, shaped in PostgreSQL from the scoped CTEs (amounts as text: exact decimals).
_STATUS_SELECT = """
SELECT w.cuil, w.last_name, w.first_name,
  (SELECT coalesce(json_agg(json_build_object(
      'id', e.id, 'cycle', e.cycle, 'cycle_name', e.cycle_name, 'province', e.province, 'crop', e.crop,
      'first_month', e.first_month, 'months', e.months, 'status', e.status,
      'status_changed_at', e.status_changed_at,
      'installments', (
        SELECT json_build_object(
          'paid', count(*) FILTER (WHERE i.status = 'paid'),
          'pending', count(*) FILTER (WHERE i.status <> 'paid'),
          'items', coalesce(json_agg(json_build_object(
            'number', i.number, 'month', i.month, 'amount', i.amount::text, 'status', i.status,
            'pickup_day', i.pickup_day
          ) ORDER BY i.number), '[]'))
        FROM status_installments i WHERE i.enrollment_id = e.id)
    ) ORDER BY e.first_month DESC, e.id), '[]') FROM status_enrollments e),
  (SELECT coalesce(json_agg(json_build_object(
      'id', r.id, 'line', r.line, 'status', r.status, 'referred_on', r.referred_on,
      'course', r.course, 'office', r.office
    ) ORDER BY r.referred_on DESC, r.id), '[]') FROM status_referrals r)
FROM status_worker w"""

_LOG_CTE = (
    f"status_log AS (INSERT INTO {StatusLookup._meta.db_table} (user_id, token_id, cuil, result, ip, at) "
    "SELECT %s, %s, %s, CASE WHEN EXISTS (SELECT 1 FROM status_worker) THEN 'found' ELSE 'not_found' END, "
    "%s, %s)"
)


def _status_statement(user, marker: str, *, logged: bool) -> tuple[str, list[Any]]:
    """One statement for a status lookup: the worker by CUIL (``marker``), their enrollments,
    installments and open referrals, each from the web UI's scoped selectors for ``user``;
    with ``logged``, also the access-log insert (its five values appended to the parameters)."""
    worker_id = RawSQL('(SELECT "id" FROM status_worker)', [])
    worker = workers_for(user).filter(cuil=marker).values_list("id", "cuil", "last_name", "first_name")[:1]
    if not scope_of(user).roles:  # no role, no scope: nobody is found
        worker = worker.none()
    enrollments = (
        enrollments_for(user)
        .filter(worker_id=worker_id)
        .order_by()  # the answer orders them
        .values_list(
            "id",
            "cycle_id",
            "cycle__name",
            "cycle__agreement__province__name",
            "cycle__crop__name",
            "cycle__first_month",
            "cycle__months",
            "status",
            "status_changed_at",
        )
    )
    referrals = (
        referrals_for(user)
        .filter(worker_id=worker_id, status__in=Referral.OPEN_STATES)
        .order_by()
        .values_list("id", "line", "status", "referred_on", "course__topic", "office__name")
    )
    installments = _installments(RawSQL('SELECT "id" FROM status_enrollments', []))
    ctes: list[str] = []
    params: list[Any] = []
    parts: list[tuple[str, str, QuerySet | None]] = [
        ("status_worker", "id, cuil, last_name, first_name", worker),
        (
            "status_enrollments",
            "id, cycle, cycle_name, province, crop, first_month, months, status, status_changed_at",
            enrollments,
        ),
        ("status_installments", "enrollment_id, number, month, amount, status, pickup_day", installments),
        ("status_referrals", "id, line, status, referred_on, course, office", referrals),
    ]
    for name, columns, queryset in parts:
        if queryset is None:  # no payments app: no installments
            part_params: list[Any] = []
            nothing = "SELECT NULL::bigint, NULL::int, NULL::date, NULL::text, NULL::text, NULL::date WHERE false"
            sql = f"SELECT * FROM ({nothing}) AS q ({columns})"
        else:
            sql, part_params = _subquery(queryset, columns)
        ctes.append(f"{name} AS MATERIALIZED ({sql})")
        params.extend(part_params)
    if logged:
        ctes.append(_LOG_CTE)
    return "WITH " + ",\n".join(ctes) + _STATUS_SELECT, params


def _status_payload(row: tuple[Any, ...]) -> dict:
    cuil, last_name, first_name, enrollments, referrals = row
    for enrollment in enrollments:
        changed = enrollment["status_changed_at"]
        if changed is not None:
            enrollment["status_changed_at"] = dt.datetime.fromisoformat(changed).astimezone(dt.UTC)
    return {
        "cuil": cuil,
        "last_name": last_name,
        "first_name": first_name,
        "enrollments": enrollments,
        "open_referrals": referrals,
    }


def beneficiary_status(*, user, cuil: str, log: tuple[Any, ...] | None = None) -> dict | None:
    """What the user may know about the worker with ``cuil``: their enrollments (state, cycle,
    installments paid and pending) and open referrals. ``None`` when the CUIL is unknown *or*
    outside the user's scope — the caller cannot tell the two apart.

    The querysets are the scoped selectors of the web UI, run as one prepared statement whose
    SQL is compiled once per user and scope (``api.fastsql``): this is the API's hottest path.
    ``log`` — (user id, token id, CUIL asked, IP, time) — adds the access-log insert to that
    same statement (``api.services.look_up_status``); its result says whether the worker was
    found in scope.
    """
    scope = scope_of(user)
    logged = log is not None
    entry = fastsql.compiled_for(
        ("status", logged, user.pk, scope), lambda marker: _status_statement(user, marker, logged=logged)
    )
    params = fastsql.bind(entry, cuil)
    if logged:
        params.extend(log)  # type: ignore[arg-type]
    row = fastsql.fetchone_compiled(entry, params)
    return None if row is None else _status_payload(row)


def tokens_for(user) -> QuerySet[ApiToken]:
    """Ministry staff who manage tokens and auditors see every token; others their own."""
    qs = ApiToken.objects.select_related("user")
    if user.has_perm("api.manage_tokens") or user.has_perm("api.view_apitoken"):
        return qs
    return qs.filter(user=user)


def lookups_for(user) -> QuerySet[StatusLookup]:
    """The access log, for auditors only."""
    if not user.has_perm("api.view_statuslookup"):
        return StatusLookup.objects.none()
    return StatusLookup.objects.select_related("user")
