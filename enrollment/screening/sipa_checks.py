"""The checks of a screening pass against SIPA's data: formal pay above the monthly aid or
self-employment in the months screened, and the eligibility rules (seasonal months, average
pay, re-entry). They read the candidates' table ``screen_cand`` of the pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from enrollment.screening import history
from enrollment.screening.findings import FoundFlag, K, L, money, months_between, rules_for, sentence
from enrollment.screening.matching import Person
from provinces.models import add_months


def employment_flags(cursor, people, info, monthly_aid, month) -> list[FoundFlag]:
    """Formal pay above the monthly aid, or any self-employment income, in the months screened."""
    cursor.execute(
        """
        SELECT c.ref, r.month,
               COALESCE(SUM(r.gross) FILTER (WHERE r.activity <> 'self_employed'), 0) AS employed,
               COALESCE(SUM(r.gross) FILTER (WHERE r.activity = 'self_employed'), 0) AS self_employed,
               string_agg(DISTINCT r.employer_cuit, ', ') AS employers
          FROM screen_cand c
          JOIN screening_remuneration r ON r.cuil = c.cuil AND r.month BETWEEN c.month_from AND c.month_to
         GROUP BY c.ref, r.month
         ORDER BY c.ref, r.month
        """
    )
    flags = []
    for ref, pay_month, employed, self_employed, employers in cursor.fetchall():
        reasons = []
        if monthly_aid is not None and employed > monthly_aid:
            reasons.append(
                _(
                    "remuneración formal de %(gross)s en %(month)s (CUIT %(employers)s),"
                    " mayor que la ayuda mensual de %(aid)s"
                )
                % {
                    "gross": money(employed),
                    "month": f"{pay_month:%m/%Y}",
                    "employers": employers,
                    "aid": money(monthly_aid),
                }
            )
        if self_employed > 0:
            reasons.append(
                _("ingresos como independiente de %(gross)s en %(month)s")
                % {"gross": money(self_employed), "month": f"{pay_month:%m/%Y}"}
            )
        if reasons:
            flags.append(
                FoundFlag(
                    enrollment_id=ref,
                    kind=K.EMPLOYMENT,
                    level=L.SAME,
                    score=Decimal("1.000"),
                    reasons="; ".join(reasons),
                    match_key=f"emp:{pay_month:%Y-%m}",
                    matched={"mes": f"{pay_month:%m/%Y}", "cuit_empleador": employers, "remuneracion": str(employed)},
                    month=month,
                )
            )
    return flags


def eligibility_flags(cursor, people: list[Person], info: dict) -> tuple[list[FoundFlag], list[str]]:
    """The SIPA rules, one flag per enrollment listing every rule it fails; no SIPA data at all
    before the period, and a re-entry too soon after the previous period, each a flag of its own
    (``enrollment.screening.history``)."""
    flags, notes = [], []
    failures: dict[int, list[str]] = {p.ref: [] for p in people}
    by_start: dict[dt.date, list[Person]] = {}
    for p in people:
        by_start.setdefault(info[p.ref]["first_month"], []).append(p)
    for first_month, group in by_start.items():
        rules = rules_for(first_month)
        cursor.execute("SELECT max(month) FROM screening_remuneration WHERE month < %s", [first_month])
        latest = cursor.fetchone()[0]
        if latest is None:
            # Fails closed: no history to judge is a flag a reviewer must accept, never a pass.
            notes.append(
                _("No hay datos SIPA anteriores a %(month)s: no se evaluó la historia laboral.")
                % {"month": f"{first_month:%m/%Y}"}
            )
            reason = history.no_sipa_reason(first_month)
            flags += [
                FoundFlag(
                    enrollment_id=p.ref,
                    kind=K.NO_SIPA,
                    level=L.SAME,
                    score=Decimal("1.000"),
                    reasons=reason,
                    match_key=history.NO_SIPA_KEY,
                )
                for p in group
            ]
        else:
            start = add_months(latest, -(rules.window_months - 1))
            # Per candidate and month, the seasonal and the total pay; the first month with
            # seasonal pay (a window over the candidate's months, so the months are read once);
            # then, against that month's SMVM, the months of seasonal work and the average pay.
            cursor.execute(
                """
                WITH m AS (
                    SELECT c.ref, r.month,
                           SUM(r.gross) FILTER (WHERE r.activity IN ('agrarian', 'agro_industrial')) AS seasonal,
                           SUM(r.gross) AS total
                      FROM screen_cand c
                      JOIN screening_remuneration r ON r.cuil = c.cuil AND r.month BETWEEN %(start)s AND %(end)s
                     WHERE c.month_from = %(first)s
                     GROUP BY c.ref, r.month),
                x AS (SELECT ref, seasonal, total,
                             MIN(month) FILTER (WHERE seasonal > 0) OVER (PARTITION BY ref) AS first_seasonal
                        FROM m)
                SELECT x.ref, x.first_seasonal, w.amount,
                       COUNT(*) FILTER (WHERE x.seasonal >= %(fraction)s * w.amount) AS seasonal_months,
                       AVG(x.total) AS average
                  FROM x LEFT JOIN screening_minimumwage w ON w.month = x.first_seasonal
                 WHERE x.first_seasonal IS NOT NULL
                 GROUP BY x.ref, x.first_seasonal, w.amount
                """,
                {"start": start, "end": latest, "first": first_month, "fraction": rules.min_smvm_fraction},
            )
            found = {row[0]: row[1:] for row in cursor.fetchall()}
            window = _("entre %(start)s y %(end)s") % {"start": f"{start:%m/%Y}", "end": f"{latest:%m/%Y}"}
            no_seasonal_work = _(
                "sin meses de trabajo agrario o agroindustrial %(window)s (se requieren al menos %(min)s)"
            ) % {"window": window, "min": rules.min_seasonal_months}
            for p in group:
                row = found.get(p.ref)
                if row is None:
                    failures[p.ref].append(no_seasonal_work)
                    continue
                first_seasonal, smvm, count, average = row
                if smvm is None:
                    failures[p.ref].append(
                        _("falta el SMVM de %(month)s para evaluar la historia laboral")
                        % {"month": f"{first_seasonal:%m/%Y}"}
                    )
                    continue
                if count < rules.min_seasonal_months:
                    failures[p.ref].append(
                        _(
                            "solo %(count)s meses de trabajo estacional con al menos %(fraction)s SMVM %(window)s"
                            " (se requieren al menos %(min)s)"
                        )
                        % {
                            "count": count,
                            "fraction": rules.min_smvm_fraction.normalize(),
                            "window": window,
                            "min": rules.min_seasonal_months,
                        }
                    )
                elif count > rules.max_seasonal_months:
                    failures[p.ref].append(
                        _("%(count)s meses de trabajo estacional %(window)s (el máximo es %(max)s)")
                        % {"count": count, "window": window, "max": rules.max_seasonal_months}
                    )
                limit = rules.max_average_smvm * smvm
                if average >= limit:
                    failures[p.ref].append(
                        _("ingreso promedio de %(average)s, no menor que %(times)s SMVM (%(limit)s)")
                        % {
                            "average": money(average),
                            "times": rules.max_average_smvm.normalize(),
                            "limit": money(limit),
                        }
                    )
        # At least N months since the start of the previous inter-harvest period in this
        # programme: a flag of its own (``history``), so the reviewer sees the re-entry as such.
        for ref, previous in history.previous_period_starts(cursor, first_month):
            gap = months_between(previous, first_month)
            if gap < rules.min_months_since_previous:
                flags.append(
                    FoundFlag(
                        enrollment_id=ref,
                        kind=K.REENTRY,
                        level=L.SAME,
                        score=Decimal("1.000"),
                        reasons=history.reentry_reason(
                            gap=gap, previous=previous, minimum=rules.min_months_since_previous
                        ),
                        match_key=history.REENTRY_KEY,
                    )
                )
    for ref, reasons in failures.items():
        if reasons:
            flags.append(
                FoundFlag(
                    enrollment_id=ref,
                    kind=K.ELIGIBILITY,
                    level=L.SAME,
                    score=Decimal("1.000"),
                    reasons=sentence("; ".join(reasons)),
                    match_key="eligibility",
                )
            )
    return flags, notes
