"""The messages, in plain Spanish and under 160 characters (one SMS): a long reason is cut to
fit, never the part that says what to do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override

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


#: A suspension's cause as the worker reads it (never the reviewer's note).
SUSPENSION_CAUSE_WORDS = {
    "pay_above_aid": gettext_lazy("figura con un sueldo registrado mayor a la ayuda"),
    "incompatible_benefit": gettext_lazy("figura cobrando otro beneficio incompatible"),
    "moved_out": gettext_lazy("figura con domicilio fuera de la provincia"),
    "death": gettext_lazy("figura en el registro de fallecidos"),
    "false_data": gettext_lazy("hay datos incorrectos en su inscripción"),
    "own_request": gettext_lazy("usted lo pidió"),
}


def suspended(*, cause: str) -> str:
    words = SUSPENSION_CAUSE_WORDS.get(cause) or _("una revisión de su inscripción")
    return _fit(
        _("Interzafra: su ayuda se suspendió porque %(cause)s. Si no es así, reclame en %(url)s."),
        cut="cause",
        cause=str(words),
        url=status_url(),
    )


def reinstated(*, owed: int, finished: bool = False) -> str:
    """The reinstatement, with the passed months she is paid; ``finished`` when nothing is left
    to pay (her period ended while suspended): she is not told she collects again."""
    if finished and not owed:
        return _fit(
            _(
                "Interzafra: su ayuda fue rehabilitada. No le quedan cuotas por cobrar en este período."
                " Detalle en %(url)s"
            ),
            url=status_url(),
        )
    if owed:
        text = ngettext(
            "Interzafra: su ayuda fue rehabilitada. Vuelve a cobrar sus cuotas y se le paga %(owed)d mes "
            "adeudado. Detalle en %(url)s",
            "Interzafra: su ayuda fue rehabilitada. Vuelve a cobrar sus cuotas y se le pagan %(owed)d meses "
            "adeudados. Detalle en %(url)s",
            owed,
        )
        return _fit(text, owed=owed, url=status_url())
    return _fit(
        _("Interzafra: su ayuda fue rehabilitada. Vuelve a cobrar sus cuotas. Detalle en %(url)s"), url=status_url()
    )


def withdrawn() -> str:
    return _fit(
        _(
            "Interzafra: su inscripción fue dada de baja a su pedido. Si usted no la pidió, reclame en %(url)s "
            "o en su oficina."
        ),
        url=status_url(),
    )
