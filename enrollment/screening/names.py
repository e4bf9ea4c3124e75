"""Spanish name folding for matching.

``normalise_name`` (accents, case, spaces) comes from ``enrollment.identity``; on top of it the
phonetic key folds the spellings that sound alike in Rioplatense Spanish, so that ``Benítez`` and
``Venites``, ``Yanez`` and ``Llanes``, ``Hernández`` and ``Ernandes`` get the same key. The
rules are applied with one compiled regular expression per step, and memoised, because a
registry of millions of rows repeats a few thousand names.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from enrollment.identity import normalise_name

#: Particles that are part of compound surnames and carry no identity ("de la Fuente").
PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "Y", "E", "DA", "DI", "VAN", "VON", "MC"})

_STEPS = [
    (re.compile(r"[^A-Z ]"), ""),
    (re.compile(r"CH"), "#"),  # keep CH apart from the silent H
    (re.compile(r"LL"), "Y"),
    (re.compile(r"QU([EI])"), r"K\1"),
    (re.compile(r"GU([EI])"), r"G\1"),
    (re.compile(r"G([EI])"), r"J\1"),
    (re.compile(r"C([EI])"), r"S\1"),
    (re.compile(r"C"), "K"),
    (re.compile(r"Q"), "K"),
    (re.compile(r"Z"), "S"),
    (re.compile(r"X"), "S"),
    (re.compile(r"V"), "B"),
    (re.compile(r"W"), "B"),
    (re.compile(r"H"), ""),
    (re.compile(r"#"), "CH"),
    (re.compile(r"Y\b"), "I"),
    (re.compile(r"\bY(?=[^AEIOU]|\b)"), "I"),
    (re.compile(r"([A-Z])\1+"), r"\1"),
]


@lru_cache(maxsize=200_000)
def phonetic_word(word: str) -> str:
    text = word
    for pattern, repl in _STEPS:
        text = pattern.sub(repl, text)
    return text


@lru_cache(maxsize=500_000)
def phonetic_tokens(text: str) -> tuple[str, ...]:
    """Folded, phonetic tokens of a name without particles: ``"de la Vega  Hoyos"`` →
    ``("BEGA", "OIOS")``."""
    tokens = []
    for word in normalise_name(text).replace("-", " ").split():
        if word in PARTICLES:
            continue
        key = phonetic_word(word)
        if key:
            tokens.append(key)
    return tuple(tokens)


@lru_cache(maxsize=200_000)
def surname_tokens(last_name: str) -> tuple[str, ...]:
    """The surname's phonetic tokens; a surname that is only particles ("Del", "De la") keeps
    them, or "DEL, GASTON" would have no surname at all and a lone given name to compare."""
    tokens = phonetic_tokens(last_name)
    if tokens:
        return tokens
    return tuple(key for word in normalise_name(last_name).replace("-", " ").split() if (key := phonetic_word(word)))


def name_key(last_name: str, first_name: str) -> str:
    """Surname tokens, then given-name tokens, each folded: the string the scorer compares."""
    return " ".join(surname_tokens(last_name) + phonetic_tokens(first_name))


def sort_key(key: str) -> str:
    """The name key's words in alphabetical order: swapped surnames or name and surname compare equal."""
    return " ".join(sorted(key.split()))


def last_key(last_name: str) -> str:
    tokens = surname_tokens(last_name)
    return tokens[0] if tokens else ""


#: Birth dates that registries use when the real one is unknown.
PLACEHOLDER_BIRTH_DATES = frozenset({dt.date(1900, 1, 1), dt.date(1901, 1, 1), dt.date(1970, 1, 1)})


def is_placeholder(day: dt.date | None) -> bool:
    return day is None or day in PLACEHOLDER_BIRTH_DATES


def swapped(day: dt.date | None) -> dt.date | None:
    """The same date with day and month swapped, when that is a different valid date."""
    if day is None or day.day > 12 or day.day == day.month:
        return None
    return dt.date(day.year, day.day, day.month)
