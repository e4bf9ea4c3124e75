"""Scoped reads of workers and enrollments."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef, Q, QuerySet

from enrollment.models import Enrollment, Worker
from provinces.scoping import scope_of


def enrollments_for(user) -> QuerySet[Enrollment]:
    """Enrollments the user may see: all for national roles, their provinces' for provincial
    officers, and only those their organisations registered for union officers."""
    qs = Enrollment.objects.select_related("worker", "cycle__agreement__province", "cycle__crop", "organisation")
    return scope_of(user).restrict(qs, provinces=("cycle__agreement__province_id",), organisation="organisation_id")


def workers_for(user) -> QuerySet[Worker]:
    """Workers the user may see: by residence or enrollment in their provinces, or registered
    (or enrolled) by their organisations."""
    scope = scope_of(user)
    qs = Worker.objects.select_related("province", "registered_by")
    if scope.is_national:
        return qs
    return qs.filter(_worker_scope_q(scope))


def _worker_scope_q(scope) -> Q:
    q = Q(pk__in=[])
    if scope.province_ids:
        in_province = Enrollment.objects.filter(
            worker=OuterRef("pk"), cycle__agreement__province_id__in=scope.province_ids
        )
        q |= Q(province_id__in=scope.province_ids) | Q(Exists(in_province))
    if scope.organisation_ids:
        by_organisation = Enrollment.objects.filter(worker=OuterRef("pk"), organisation_id__in=scope.organisation_ids)
        q |= Q(registered_by_id__in=scope.organisation_ids) | Q(Exists(by_organisation))
    return q


def worker_scope_sql(user, *, alias: str = "w") -> tuple[str, list]:
    """``workers_for(user)``'s condition as SQL on the worker table aliased ``alias``, for
    set-based statements (survey lists): the same rule, compiled from the same ``Q``, evaluated
    on each row without reading the scope's whole worker set."""
    scope = scope_of(user)
    if scope.is_national:
        return "TRUE", []
    query = Worker.objects.filter(_worker_scope_q(scope)).query
    compiler = query.get_compiler(using=DEFAULT_DB_ALIAS)
    try:
        sql, params = query.where.as_sql(compiler, compiler.connection)
    except EmptyResultSet:
        return "FALSE", []
    table = compiler.connection.ops.quote_name(Worker._meta.db_table)
    return f"({sql.replace(f'{table}.', f'{alias}.')})", list(params)


def quota_usage(*, agreement, crop) -> int:
    """How many places of the agreement's quota for ``crop`` are taken."""
    return (
        Enrollment.objects.filter(cycle__agreement=agreement, cycle__crop=crop)
        .exclude(status__in=Enrollment.RELEASED_STATES)
        .count()
    )


def status_history(enrollment_ids) -> list[dict]:
    """Every status an enrollment went through, oldest first, read from the audit trail:
    when, which state, why and who (from the row and from the audit context)."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    event_model = apps.get_model("enrollment", "EnrollmentEvent")
    events = (
        event_model.objects.filter(pgh_obj_id__in=list(enrollment_ids))
        .select_related("cycle")
        .order_by("pgh_obj_id", "pgh_created_at", "pgh_id")
    )
    users = {}
    last_status: dict[int, str] = {}
    rows = []
    for event in events:
        if last_status.get(event.pgh_obj_id) == event.status:
            continue
        last_status[event.pgh_obj_id] = event.status
        rows.append(
            {
                "enrollment_id": event.pgh_obj_id,
                "at": event.status_changed_at or event.pgh_created_at,
                "cycle": event.cycle,
                "status": Enrollment.Status(event.status).label,
                "reason": event.status_reason,
                "by_id": event.status_changed_by_id,
            }
        )
    ids = {row["by_id"] for row in rows if row["by_id"]}
    if ids:
        users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}
    for row in rows:
        row["by"] = users.get(row["by_id"])
    rows.sort(key=lambda row: row["at"])
    return rows
