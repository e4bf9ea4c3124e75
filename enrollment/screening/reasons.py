"""The sentence a reviewer reads for a scored pair: its facts (see ``matching.score_pair``) in
words, translated once per language."""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

#: What ``describe`` says, translated once per language (a screening describes thousands of
#: pairs, and each ``gettext`` walks the catalogue's fallbacks).
_PHRASES = {
    "same_worker": gettext_noop("es el mismo trabajador (mismo CUIL)"),
    "cuil": gettext_noop("mismo CUIL"),
    "dni": gettext_noop("mismo DNI con otro CUIL"),
    "dni_typo": gettext_noop("DNI con un dígito distinto"),
    "dni_near": gettext_noop("DNI con dos dígitos distintos"),
    "dni_other": gettext_noop("DNI distinto"),
    "no_id": gettext_noop("sin CUIL en el padrón"),
    "same_name": gettext_noop("mismo apellido y nombre"),
    "sound": gettext_noop("apellido y nombre que suenan igual (V/B, S/Z/C, LL/Y, H muda)"),
    "order": gettext_noop("apellidos y nombres en otro orden"),
    "missing_word": gettext_noop("falta un apellido o un nombre"),
    "last_typo": gettext_noop("error de tipeo en el apellido"),
    "last_other": gettext_noop("apellido distinto"),
    "first_typo": gettext_noop("error de tipeo en el nombre"),
    "first_other": gettext_noop("nombre distinto"),
    "rare_name": gettext_noop("nombre poco frecuente en los padrones comparados"),
    "sex_other": gettext_noop("otro sexo según el CUIL"),
    "birth_same": gettext_noop("misma fecha de nacimiento"),
    "birth_swapped": gettext_noop("día y mes invertidos en la fecha de nacimiento"),
    "birth_placeholder": gettext_noop("fecha de nacimiento genérica o faltante"),
    "birth_typo": gettext_noop("fecha de nacimiento con un dígito distinto"),
    "birth_different": gettext_noop("fecha de nacimiento distinta"),
}


@lru_cache(maxsize=16)
def _phrases(language: str | None) -> dict[str, str]:
    return {key: _(message) for key, message in _PHRASES.items()}


def describe(facts: list[str], a_last: str, a_first: str, b_last: str, b_first: str) -> str:
    """The facts of a scored pair as the sentence a reviewer reads."""
    from enrollment.screening.names import phonetic_tokens

    say = _phrases(get_language())
    parts = []
    if "same_worker" in facts:
        parts.append(say["same_worker"])
    else:
        ident = next((f for f in ("cuil", "dni", "dni_typo", "dni_near", "dni_other") if f in facts), "no_id")
        parts.append(say[ident])
    al, af, bl, bf = (phonetic_tokens(x) for x in (a_last, a_first, b_last, b_first))
    raw_equal = (a_last.upper(), a_first.upper()) == (b_last.upper(), b_first.upper())
    if raw_equal:
        parts.append(say["same_name"])
    elif (al, af) == (bl, bf):
        parts.append(say["sound"])
    elif sorted(al + af) == sorted(bl + bf):
        parts.append(say["order"])
    elif set(al + af) < set(bl + bf) or set(bl + bf) < set(al + af):
        parts.append(say["missing_word"])
    else:
        if al != bl:
            parts.append(say["last_typo"] if fuzz.ratio(" ".join(al), " ".join(bl)) >= 70 else say["last_other"])
        if af != bf:
            parts.append(say["first_typo"] if fuzz.ratio(" ".join(af), " ".join(bf)) >= 70 else say["first_other"])
    if "rare_name" in facts:
        parts.append(say["rare_name"])
    if "sex:other" in facts:
        parts.append(say["sex_other"])
    birth = next((f.split(":")[1] for f in facts if f.startswith("birth:")), "")
    parts.append(say.get(f"birth_{birth}", ""))
    return ", ".join(p for p in parts if p)
