"""Argentine phone numbers: validated and written in E.164 (``+54 9 381 …`` for mobiles) with
``phonenumbers``, whatever way they were typed (``0381 15-555-1234``, ``381 5551234``...).

In Argentina a mobile and a landline share the same ten digits: only the ``15`` (or the ``9``
in international form) says a number is a mobile. A number typed without it reads as a landline
and gets no SMS, unless an officer confirms with the worker that it is her mobile
(``Contact.mobile_confirmed``): then the ``9`` is added."""

from __future__ import annotations

import phonenumbers


def normalise_phone(raw: str | None) -> str | None:
    """The number in E.164, or ``None`` when it is empty or not a valid Argentine number."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, "AR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    number = phonenumbers.parse(e164, "AR")
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def mobile_number(raw: str | None, *, confirmed_mobile: bool = False) -> str | None:
    """The number SMS and WhatsApp go to: ``raw`` when it is a mobile, or — when an officer
    confirmed it is one typed without the ``15`` — the same number as a mobile; else ``None``."""
    e164 = normalise_phone(raw)
    if e164 is None:
        return None
    if is_mobile(e164):
        return e164
    if confirmed_mobile:
        national = phonenumbers.parse(e164, "AR").national_number
        candidate = normalise_phone(f"+549{national}")
        if candidate and is_mobile(candidate):
            return candidate
    return None
