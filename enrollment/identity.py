"""Identity numbers and names: CUIL, DNI, CBU validation and name folding (python-stdnum)."""

from __future__ import annotations

import unicodedata

from stdnum.ar import cbu as cbu_number
from stdnum.ar import cuit as cuit_number


def normalise_name(text: str) -> str:
    """Upper case, accents folded, spaces collapsed: ``" José  Núñez"`` → ``"JOSE NUNEZ"``."""
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(folded.upper().split())


def compact_cuil(value: str) -> str:
    return cuit_number.compact(value or "")


def is_valid_cuil(value: str) -> bool:
    return cuit_number.is_valid(value or "")


def is_valid_cbu(value: str) -> bool:
    return cbu_number.is_valid(value or "")


def dni_of(cuil: str) -> str:
    return compact_cuil(cuil)[2:10]
