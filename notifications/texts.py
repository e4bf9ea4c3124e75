"""The messages, in plain Spanish and under 160 characters (one SMS): a long reason is cut to
fit, never the part that says what to do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import override

SMS_LIMIT = 160


def money(amount: Decimal) -> str:
    with override("es-ar"):
        return "$" + number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def _fit(template: str, *, cut: str = "", **values) -> str:
    """``template`` filled in; if it runs over the SMS limit, the ``cut`` value is shortened.

    The templates close the ``cut`` value with their own period, so a reason typed with one
    ("… en los meses del período.") does not end in two, nor a shortened one in "…."."""
    if cut:
        values[cut] = (values.get(cut) or "").strip().rstrip(".").rstrip()
    text = template % values
    if len(text) <= SMS_LIMIT or not cut:
        return text[:SMS_LIMIT]
    over = len(text) - SMS_LIMIT
    shortened = values[cut][: max(len(values[cut]) - over, 0)].rstrip() + "…"
    return (template % {**values, cut: shortened}).replace("….", "…")[:SMS_LIMIT]


def status_url() -> str:
    return settings.PUBLIC_SITE_URL.rstrip("/") + "/consulta/"


def approved(*, months: int, amount: Decimal) -> str:
    return _fit(
        _("Interzafra: su inscripción fue aprobada. Cobra %(months)s cuotas de %(amount)s. Detalle en %(url)s"),
        months=months,
        amount=money(amount),
        url=status_url(),
    )


def rejected(*, reason: str) -> str:
    return _fit(
        _("Interzafra: su inscripción fue rechazada: %(reason)s. Puede reclamar en %(url)s o en su oficina."),
        cut="reason",
        reason=reason,
        url=status_url(),
    )


def held(*, month: str, reason: str) -> str:
    return _fit(
        _("Interzafra: su cuota de %(month)s está retenida: %(reason)s. Puede reclamar en %(url)s"),
        cut="reason",
        month=month,
        reason=reason,
        url=status_url(),
    )


def payment_ready(*, month: str, amount: Decimal, pickup_from: dt.date | None = None) -> str:
    """The installment is on its way: to her account, or — without a CBU — to a Banco Nación
    branch, where she collects it with her DNI from the day her DNI's last digit sets."""
    if pickup_from is not None:
        return _fit(
            _(
                "Interzafra: su cuota de %(month)s por %(amount)s: cobro por ventanilla en Banco Nación "
                "desde el %(day)s con su DNI."
            ),
            month=month,
            amount=money(amount),
            day=pickup_from.strftime("%d/%m/%Y"),
        )
    return _fit(
        _("Interzafra: su cuota de %(month)s por %(amount)s se acredita en su cuenta en los próximos días."),
        month=month,
        amount=money(amount),
    )


def claim_resolved(*, number: int, upheld: bool, resolution: str) -> str:
    decision = _("aceptado") if upheld else _("rechazado")
    return _fit(
        _("Interzafra: su reclamo %(number)s fue %(decision)s: %(resolution)s. Detalle en %(url)s"),
        cut="resolution",
        number=number,
        decision=decision,
        resolution=resolution,
        url=status_url(),
    )
