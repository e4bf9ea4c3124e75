"""Argentine phone numbers: validated and written in E.164 (``+54 9 381 …`` for mobiles) with
``phonenumbers``, whatever way they were typed (``0381 15-555-1234``, ``381 5551234``...)."""

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
