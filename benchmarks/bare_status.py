"""The baseline for ``api_bench.py``: the beneficiary status lookup as a bare WSGI app.

The same work the API does for ``GET /api/v1/status/<cuil>/`` — token check, the caller's
roles and organisations, the scoped worker lookup, enrollments, installments, open referrals,
the access-log insert — as hand-written SQL over psycopg, with no framework. One persistent
connection per server thread. Only the benchmark serves it; it is not part of the app.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading

import psycopg
from psycopg.conninfo import conninfo_to_dict

_local = threading.local()
ROLE_NAMES = ["provincial_officer", "union_officer", "ministry_reviewer", "payments_officer", "auditor"]
NATIONAL = {"ministry_reviewer", "payments_officer", "auditor"}


def _connect() -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        url = os.environ["DATABASE_URL"]
        conn = psycopg.connect(**conninfo_to_dict(url.replace("postgres://", "postgresql://", 1)), autocommit=True)
        _local.conn = conn
        _local.has_installments = bool(
            conn.execute("SELECT to_regclass('payments_installment') IS NOT NULL").fetchone()[0]
        )
    return conn


def _json(status: str, body: dict, start_response):
    data = json.dumps(body, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _error(code: int, name: str, start_response):
    reason = {400: "400 Bad Request", 401: "401 Unauthorized", 404: "404 Not Found"}[code]
    return _json(reason, {"status": code, "code": name, "message": name, "fields": {}}, start_response)


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if not path.startswith("/status/"):
        return _error(404, "not_found", start_response)
    cuil = path[len("/status/") :].strip("/").replace("-", "")
    auth = environ.get("HTTP_AUTHORIZATION", "").split()
    if len(auth) != 2 or auth[0].lower() != "token":
        return _error(401, "not_authenticated", start_response)
    conn = _connect()
    now = dt.datetime.now(dt.UTC)
    token = conn.execute(
        "SELECT t.id, t.user_id, t.revoked_at, t.expires_at, u.is_active FROM api_apitoken t "
        "JOIN auth_user u ON u.id = t.user_id WHERE t.key_hash = %s",
        [hashlib.sha256(auth[1].encode()).hexdigest()],
    ).fetchone()
    if token is None or not token[4] or token[2] is not None or token[3] <= now:
        return _error(401, "token_invalid", start_response)
    token_id, user_id = token[0], token[1]
    roles = {
        r[0]
        for r in conn.execute(
            "SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id "
            "WHERE ug.user_id = %s AND g.name = ANY(%s)",
            [user_id, ROLE_NAMES],
        )
    }
    province_ids: list[int] = []
    organisation_ids: list[int] = []
    if roles & {"provincial_officer", "union_officer"}:
        for codename, object_pk in conn.execute(
            "SELECT p.codename, uop.object_pk FROM guardian_userobjectpermission uop "
            "JOIN auth_permission p ON p.id = uop.permission_id "
            "WHERE uop.user_id = %s AND p.codename IN ('act_in_province', 'act_for_organisation')",
            [user_id],
        ):
            (province_ids if codename == "act_in_province" else organisation_ids).append(int(object_pk))
    ip = environ.get("REMOTE_ADDR")
    if len(cuil) != 11 or not cuil.isdigit():
        conn.execute(
            "INSERT INTO api_statuslookup (user_id, token_id, cuil, result, ip, at) "
            "VALUES (%s, %s, %s, 'invalid', %s, %s)",
            [user_id, token_id, cuil[:32], ip, now],
        )
        return _error(400, "invalid_cuil", start_response)
    national = bool(roles & NATIONAL)
    worker = None
    if roles:
        worker = conn.execute(
            "SELECT w.id, w.cuil, w.last_name, w.first_name FROM enrollment_worker w WHERE w.cuil = %s AND ("
            " %s OR w.province_id = ANY(%s) OR w.registered_by_id = ANY(%s) OR EXISTS ("
            "  SELECT 1 FROM enrollment_enrollment e JOIN provinces_cycle c ON c.id = e.cycle_id"
            "  JOIN provinces_agreement a ON a.id = c.agreement_id WHERE e.worker_id = w.id"
            "  AND (a.province_id = ANY(%s) OR e.organisation_id = ANY(%s))))",
            [cuil, national, province_ids, organisation_ids, province_ids, organisation_ids],
        ).fetchone()
    result = "found" if worker else "not_found"
    conn.execute(
        "INSERT INTO api_statuslookup (user_id, token_id, cuil, result, ip, at) VALUES (%s, %s, %s, %s, %s, %s)",
        [user_id, token_id, cuil, result, ip, now],
    )
    if worker is None:
        return _error(404, "not_found", start_response)
    enrollments = conn.execute(
        "SELECT e.id, e.cycle_id, c.name, p.name, cr.name, c.first_month, c.months, e.status, e.status_changed_at "
        "FROM enrollment_enrollment e JOIN provinces_cycle c ON c.id = e.cycle_id "
        "JOIN provinces_agreement a ON a.id = c.agreement_id JOIN provinces_province p ON p.id = a.province_id "
        "JOIN provinces_crop cr ON cr.id = c.crop_id "
        "WHERE e.worker_id = %s AND (%s OR a.province_id = ANY(%s) OR e.organisation_id = ANY(%s)) "
        "ORDER BY c.first_month DESC",
        [worker[0], national, province_ids, organisation_ids],
    ).fetchall()
    installments: dict[int, dict] = {}
    if enrollments and _local.has_installments:
        for enrollment_id, number, month, amount, status in conn.execute(
            "SELECT enrollment_id, number, month, amount, status FROM payments_installment "
            "WHERE enrollment_id = ANY(%s) ORDER BY enrollment_id, number",
            [[e[0] for e in enrollments]],
        ):
            entry = installments.setdefault(enrollment_id, {"paid": 0, "pending": 0, "items": []})
            entry["paid" if status == "paid" else "pending"] += 1
            entry["items"].append({"number": number, "month": month, "amount": str(amount), "status": status})
    referrals = conn.execute(
        "SELECT r.id, r.line, r.status, r.referred_on, co.topic, o.name FROM training_referral r "
        "JOIN enrollment_enrollment e ON e.id = r.enrollment_id JOIN provinces_cycle c ON c.id = e.cycle_id "
        "JOIN provinces_agreement a ON a.id = c.agreement_id "
        "LEFT JOIN training_course co ON co.id = r.course_id "
        "LEFT JOIN training_employmentoffice o ON o.id = r.office_id "
        "WHERE r.worker_id = %s AND r.status IN ('referred', 'accepted', 'attending') "
        "AND (%s OR a.province_id = ANY(%s) OR co.province_id = ANY(%s) OR e.organisation_id = ANY(%s)) "
        "ORDER BY r.referred_on DESC",
        [worker[0], national, province_ids, province_ids, organisation_ids],
    ).fetchall()
    body = {
        "cuil": worker[1],
        "last_name": worker[2],
        "first_name": worker[3],
        "enrollments": [
            {
                "id": e[0],
                "cycle": e[1],
                "cycle_name": e[2],
                "province": e[3],
                "crop": e[4],
                "first_month": e[5],
                "months": e[6],
                "status": e[7],
                "status_changed_at": e[8],
                "installments": installments.get(e[0], {"paid": 0, "pending": 0, "items": []}),
            }
            for e in enrollments
        ],
        "open_referrals": [
            {"id": r[0], "line": r[1], "status": r[2], "referred_on": r[3], "course": r[4], "office": r[5]}
            for r in referrals
        ],
    }
    return _json("200 OK", body, start_response)
