"""Checking a worker's declared data, shared by the web form, the API and the survey-list import.

``WorkerDataCleaner.clean(data)`` turns what a person typed (or a spreadsheet cell held) into
model values and a dict of Spanish messages keyed by field. It never touches the database
after construction, so the import can run it over 200,000 rows quickly.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.ar import cbu as cbu_number
from stdnum.ar import cuit as cuit_number

from enrollment.identity import normalise_name
from enrollment.models import Worker

#: Oldest plausible age of a worker registering in the programme.
MAX_PLAUSIBLE_AGE = 100

REQUIRED_FIELDS = ("cuil", "last_name", "first_name", "birth_date", "sex", "province", "locality")
OPTIONAL_FIELDS = ("nationality", "phone", "address", "cbu", "renatre")

#: CUIL prefixes of people, checked on the fast path; any other goes through python-stdnum's
#: ``validate``, which has the last word.
CUIL_PREFIXES = frozenset({"20", "23", "24", "27"})

#: Accepted spellings of the sex column, normalised.
SEX_VALUES = {
    "F": Worker.Sex.FEMALE,
    "FEMENINO": Worker.Sex.FEMALE,
    "MUJER": Worker.Sex.FEMALE,
    "M": Worker.Sex.MALE,
    "MASCULINO": Worker.Sex.MALE,
    "VARON": Worker.Sex.MALE,
    "HOMBRE": Worker.Sex.MALE,
    "X": Worker.Sex.OTHER,
    "NO BINARIO": Worker.Sex.OTHER,
}

MAX_LENGTHS = {
    "last_name": 120,
    "first_name": 120,
    "nationality": 60,
    "phone": 30,
    "address": 200,
    "locality": 120,
    "renatre": 20,
}


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Cached ``normalise_name``: survey lists repeat the same names and places many times."""
    return normalise_name(text)


def text_of(value) -> str:
    """A cell or form value as text: spreadsheets give numbers for CUIL/CBU/phone columns."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def collapse(text: str) -> str:
    """Spaces collapsed (cheap when there is nothing to collapse, the usual case)."""
    if "  " in text or "\t" in text or "\n" in text:
        return " ".join(text.split())
    return text


def parse_date(value) -> dt.date | None:
    """dd/mm/yyyy, dd-mm-yyyy, yyyy-mm-dd or a spreadsheet date. Raises ValueError if impossible."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = text_of(value)
    return _parse_date_text(text) if text else None


@lru_cache(maxsize=65536)
def _parse_date_text(text: str) -> dt.date:
    # Cached: a survey list of 200,000 people has a few thousand distinct birth dates.
    if len(text) >= 10 and text[4] == "-":
        return dt.date.fromisoformat(text[:10])
    parts = text.replace("-", "/").replace(".", "/").split("/")
    if len(parts) != 3:
        raise ValueError(text)
    day, month, year = (int(p) for p in parts)
    if year < 100:
        raise ValueError(text)  # a two-digit year is ambiguous for birth dates
    return dt.date(year, month, day)


@lru_cache(maxsize=4096)
def bank_block_ok(first8: str) -> bool:
    """The CBU's bank-and-branch block repeats across a list: check its digit once."""
    return cbu_number.calc_check_digit(first8[:7]) == first8[7]


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class ProvinceLookup:
    """Province by name (accents and case ignored), ISO 3166-2 code (``AR-T`` or ``T``) or INDEC code."""

    def __init__(self, provinces):
        self.by_key: dict[str, object] = {}
        for p in provinces:
            for key in (
                fold(p.name),
                p.iso_code.upper(),
                p.iso_code.upper()[-1:],
                p.indec_code,
                str(int(p.indec_code)),
            ):
                self.by_key.setdefault(key, p)
        aliases = {"CABA": "AR-C", "CAPITAL FEDERAL": "AR-C", "TIERRA DEL FUEGO": "AR-V"}
        for alias, iso in aliases.items():
            if iso in self.by_key:
                self.by_key.setdefault(alias, self.by_key[iso])

    @classmethod
    def load(cls) -> ProvinceLookup:
        from provinces.models import Province

        return cls(Province.objects.all())

    def find(self, value):
        if isinstance(value, str):
            return self.by_key.get(fold(value.strip()))
        if hasattr(value, "pk") and hasattr(value, "iso_code"):
            return value
        return self.by_key.get(fold(text_of(value)))


class WorkerDataCleaner:
    """Validates one worker's data. ``today`` is fixed per instance so a whole file uses one date."""

    def __init__(self, *, provinces: ProvinceLookup | None = None, today: dt.date | None = None):
        self.provinces = provinces or ProvinceLookup.load()
        self.today = today or timezone.localdate()

    def clean(self, data: dict, *, partial: bool = False) -> tuple[dict, dict[str, list[str]]]:
        """Return (values for the Worker model, errors by field). With ``partial`` only the keys
        present are checked (an update of some fields of a known worker)."""
        values: dict = {}
        errors: dict[str, list[str]] = {}
        texts = {field: text_of(value) for field, value in data.items()}
        get = texts.get

        def err(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        for field in REQUIRED_FIELDS:
            if not get(field) and (not partial or field in data):
                err(field, _("Este dato es obligatorio."))

        raw_cuil = get("cuil")
        if raw_cuil:
            # What python-stdnum's compact() does (drop spaces and dashes), without its per-character
            # scan for the usual spellings; its check digit is computed below either way.
            cuil = raw_cuil if raw_cuil.isdigit() else raw_cuil.replace("-", "").replace(" ", "")
            # The common case (11 digits, known prefix, right check digit) avoids validate()'s
            # exception machinery; anything else goes through it for the precise message.
            if (
                len(cuil) == 11
                and cuil.isascii()
                and cuil.isdigit()
                and cuil[:2] in CUIL_PREFIXES
                and cuit_number.calc_check_digit(cuil[:10]) == cuil[10]
            ):
                values["cuil"] = cuil
            else:
                try:
                    values["cuil"] = cuit_number.validate(raw_cuil)
                except cuit_number.InvalidChecksum:
                    err("cuil", _("El dígito verificador del CUIL %(cuil)s no es correcto.") % {"cuil": raw_cuil})
                except cuit_number.InvalidComponent:
                    err(
                        "cuil",
                        _("El CUIL %(cuil)s no empieza con un prefijo válido (20, 23, 24, 27…).") % {"cuil": raw_cuil},
                    )
                except cuit_number.ValidationError:
                    err("cuil", _("El CUIL %(cuil)s debe tener 11 dígitos.") % {"cuil": raw_cuil})

        for field in ("last_name", "first_name"):
            text = collapse(get(field) or "")
            if text:
                if len(text) > MAX_LENGTHS[field]:
                    err(field, _("Máximo %(n)s caracteres.") % {"n": MAX_LENGTHS[field]})
                else:
                    values[field] = text
                    values[f"{field}_norm"] = fold(text)

        if get("birth_date"):
            try:
                birth = parse_date(data.get("birth_date"))
            except (ValueError, TypeError):
                err(
                    "birth_date",
                    _("La fecha de nacimiento «%(value)s» no existe o no se entiende (use dd/mm/aaaa).")
                    % {"value": get("birth_date")},
                )
            else:
                if birth is None:
                    err("birth_date", _("Este dato es obligatorio."))
                elif birth > self.today:
                    err("birth_date", _("La fecha de nacimiento no puede ser futura."))
                elif age_on(birth, self.today) > MAX_PLAUSIBLE_AGE:
                    err(
                        "birth_date",
                        _("La fecha de nacimiento %(date)s no es plausible.") % {"date": birth.strftime("%d/%m/%Y")},
                    )
                else:
                    values["birth_date"] = birth

        raw_sex = get("sex")
        if raw_sex:
            sex = SEX_VALUES.get(raw_sex) or SEX_VALUES.get(fold(raw_sex))
            if sex is None:
                err("sex", _("Sexo «%(value)s» no reconocido: use F, M o X.") % {"value": raw_sex})
            else:
                values["sex"] = sex

        raw_province = data.get("province")
        if get("province") or hasattr(raw_province, "pk"):
            province = self.provinces.find(raw_province)
            if province is None:
                err("province", _("Provincia «%(value)s» desconocida.") % {"value": get("province")})
            else:
                values["province"] = province

        raw_cbu = get("cbu")
        if raw_cbu:
            cbu = raw_cbu if raw_cbu.isdigit() else cbu_number.compact(raw_cbu)
            if (
                len(cbu) == 22
                and cbu.isascii()
                and cbu.isdigit()
                and bank_block_ok(cbu[:8])
                and cbu_number.calc_check_digit(cbu[8:21]) == cbu[21]
            ):
                values["cbu"] = cbu
            else:
                try:
                    values["cbu"] = cbu_number.validate(raw_cbu)
                except cbu_number.ValidationError:
                    err(
                        "cbu",
                        _("El CBU %(cbu)s no es válido (22 dígitos con sus dígitos verificadores).") % {"cbu": raw_cbu},
                    )
        elif not partial or "cbu" in data:
            values["cbu"] = ""

        # Nationality is recorded, never judged: migrants with a CUIL are eligible.
        for field in ("nationality", "phone", "address", "locality", "renatre"):
            if (partial and field not in data) or field in errors:
                continue
            text = collapse(get(field) or "")
            if len(text) > MAX_LENGTHS[field]:
                err(field, _("Máximo %(n)s caracteres.") % {"n": MAX_LENGTHS[field]})
            elif text or field != "nationality":
                values[field] = text
        if not partial and not values.get("nationality"):
            values["nationality"] = "Argentina"
        return values, errors
