"""A labelled Argentine population for the screening benchmarks.

Names follow the skew of Argentine civil registries: a handful of surnames (González,
Rodríguez, Gómez...) cover a large share of people and a long tail covers the rest (Zipf
weights); a quarter of people carry two surnames, some with particles ("de la Fuente"); most
carry two given names. DNIs are unique 8-digit numbers and CUILs carry valid check digits.

``make_pairs`` returns candidates (workers) and registry records with the truth: which record
is which candidate, after the errors real lists carry (typos, sound-alike spellings, swapped
day and month, placeholder birth dates, missing or swapped surnames, a CUIL of another DNI with
a valid check digit), plus namesakes who are different people (some born the same day), and
registry records of other people that carry a candidate's CUIL (CUIL conflicts).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from stdnum.ar import cuit as cuit_number


def _words(text: str) -> list[str]:
    return text.split()


SURNAMES = _words(
    "González Rodríguez Gómez Fernández López Díaz Martínez Pérez García Sánchez Romero Sosa Álvarez Torres Ruiz "
    "Ramírez Flores Acosta Benítez Medina Suárez Herrera Aguirre Pereyra Gutiérrez Giménez Molina Silva Castro Rojas "
    "Ortiz Núñez Luna Juárez Cabrera Ríos Ferreyra Godoy Morales Domínguez Moreno Peralta Vega Carrizo Quiroga "
    "Castillo Ledesma Muñoz Ojeda Ponce Vera Cardozo Villalba Navarro Coronel Vázquez Ramos Vargas Cáceres Arias "
    "Figueroa Córdoba Correa Maldonado Paz Rivero Miranda Mansilla Farías Roldán Méndez Guzmán Agüero Hernández "
    "Lucero Cruz Páez Escobar Mendoza Barrios Bustos Ávila Ayala Blanco Soria Maidana Acuña Leiva Duarte Moyano "
    "Campos Soto Martín Valdez Bravo Chávez Velázquez Olivera Toledo Franco Mamani Quispe Condori Choque Vilca "
    "Chambi Tolaba Guanuco Colque Cari Llanos Yapura Zalazar Sequeira Villagra Insaurralde Echeverría Iturralde "
    "Bianchi Rossi Russo Ferrari Romano Colombo Ricci Marino Greco Bruno Gallo Conti Mancini Costa Giordano Rizzo "
    "Lombardi Moretti Barbieri Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile "
    "Villalobos Zárate Zapata Yáñez Lezcano Benavídez Bazán Brizuela Cejas Chaile Frías Guerrero Heredia Jaime "
    "Llanes Luque Montenegro Nieva Olmos Orellana Palacios Quinteros Reynoso Salinas Tapia Valdéz Vallejos Villegas "
    "Zárate Albornoz Alderete Amaya Aranda Argañaraz Barraza Burgos Cano Carabajal Contreras Cuello Espíndola "
    "Gaitán Galván Garay Ibáñez Jerez Lobo Lencina Medrano Mercado Montes Moya Ocampo Pacheco Pinto Rearte "
    "Robledo Saavedra Santillán Sotelo Taboada Tello Trejo Valenzuela Vélez Videla Yanzi Zamora"
)
MALE = _words(
    "Juan José Carlos Luis Jorge Miguel Ramón Héctor Daniel Roberto Ricardo Oscar Mario Sergio Rubén Raúl Hugo "
    "Pedro Ángel Marcelo Walter Alberto Eduardo Julio César Víctor Diego Pablo Gustavo Fernando Claudio Néstor "
    "Enrique Alejandro Francisco Antonio Manuel Rafael Gabriel Martín Javier Cristian Matías Lucas Nicolás "
    "Facundo Gonzalo Maximiliano Leandro Emanuel Ezequiel Franco Brian Hernán Silvio Dante Benjamín Valentín"
)
FEMALE = _words(
    "María Rosa Ana Silvia Marta Norma Graciela Claudia Patricia Laura Liliana Mónica Gladys Carmen Beatriz "
    "Susana Alicia Elena Teresa Estela Cristina Andrea Verónica Natalia Carolina Gabriela Lorena Paola Romina "
    "Soledad Valeria Vanesa Daiana Micaela Yanina Jésica Noelia Florencia Agustina Camila Milagros Luciana "
    "Lucía Sofía Victoria Ramona Hilda Nélida Olga Isabel Josefa Yolanda Inés Belén Celeste Ayelén Yésica"
)
PARTICLE_SURNAMES = ["de la Fuente", "del Valle", "de los Santos", "de la Vega", "del Castillo", "de la Cruz"]
PLACEHOLDER = dt.date(1900, 1, 1)


def _zipf(items, s=1.05):
    """Items with cumulative Zipf weights (rank 1 most frequent), for ``random.choices``."""
    total, cumulative = 0.0, []
    for rank in range(1, len(items) + 1):
        total += 1 / (rank**s)
        cumulative.append(total)
    return list(items), cumulative


def _tail_surnames(n: int) -> list[str]:
    """Rarer surnames for the long tail, built from Spanish, Italian, Basque and Quechua syllables."""
    starts = _words(
        "Al Ar Ba Be Bo Ca Ce Co Cu Cha Da De Do E Es Fa Fe Ga Go Gu Ha I Ja Jo La Le Lo Ma Me Mo Na Ni "
        "O Pa Pe Po Qui Ra Re Ro Sa Se So Ta Te To U Va Ve Vi Ya Za Zu Llo Que Hua Chi"
    )
    middles = _words("ba ca da ga la ma na ra sa ta va za be ce de le me ne re se te li ri ti lo no ro to gui rre lle")
    ends = _words("ez es as os ado ano ino ina era ero ela ola al el il on an ui ella illo eta ote ache uel aga")
    names = []
    for a in starts:
        for b in middles:
            for c in ends:
                names.append(a + b + c)
    random.Random(3).shuffle(names)
    known = set(SURNAMES)
    return [name for name in names if name not in known][:n]


#: Real surnames first, then a long tail: González about 3 %, as in the civil registries.
_SUR, _SUR_W = _zipf(list(dict.fromkeys(SURNAMES)) + _tail_surnames(20_000), 0.8)
_MALE, _MALE_W = _zipf(MALE, 0.9)
_FEMALE, _FEMALE_W = _zipf(FEMALE, 0.9)


def make_cuil(dni: int, sex: str) -> str:
    body = f"{'20' if sex == 'M' else '27'}{dni:08d}"
    digit = cuit_number.calc_check_digit(body)
    if digit == "10":  # no valid CUIL with this prefix: the issuing rule uses 23
        body = f"23{dni:08d}"
        digit = cuit_number.calc_check_digit(body)
    return body + digit


@dataclass(frozen=True, slots=True)
class Record:
    person: int  # who this really is (the label)
    cuil: str
    dni: str
    last: str
    first: str
    birth: dt.date | None


class Population:
    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.used_dni: set[int] = set()

    def dni(self) -> int:
        while True:
            n = self.rng.randint(10_000_000, 45_999_999)
            if n not in self.used_dni:
                self.used_dni.add(n)
                return n

    def surname(self) -> str:
        r = self.rng.random()
        if r < 0.02:
            return self.rng.choice(PARTICLE_SURNAMES)
        first = self.rng.choices(_SUR, cum_weights=_SUR_W)[0]
        if r < 0.27:
            return f"{first} {self.rng.choices(_SUR, cum_weights=_SUR_W)[0]}"
        return first

    def given(self, sex: str) -> str:
        names, weights = (_MALE, _MALE_W) if sex == "M" else (_FEMALE, _FEMALE_W)
        first = self.rng.choices(names, cum_weights=weights)[0]
        if self.rng.random() < 0.6:
            second = self.rng.choices(names, cum_weights=weights)[0]
            if second != first:
                return f"{first} {second}"
        return first

    def birth(self) -> dt.date:
        return dt.date(1960, 1, 1) + dt.timedelta(days=self.rng.randint(0, 16_000))

    def person(self, pid: int) -> Record:
        sex = "M" if self.rng.random() < 0.55 else "F"
        dni = self.dni()
        return Record(pid, make_cuil(dni, sex), f"{dni:08d}", self.surname(), self.given(sex), self.birth())

    # --- errors real lists carry -----------------------------------------------------------

    def typo(self, word: str) -> str:
        letters = list(word)
        i = self.rng.randrange(1, max(2, len(letters) - 1))
        kind = self.rng.randrange(4)
        if kind == 0 and len(letters) > 3:
            del letters[i]
        elif kind == 1:
            letters.insert(i, self.rng.choice("aeiourslnt"))
        elif kind == 2:
            letters[i] = self.rng.choice("aeiourslntcm")
        elif i + 1 < len(letters):
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        return "".join(letters)

    SOUND_ALIKES = [("v", "b"), ("b", "v"), ("z", "s"), ("s", "z"), ("ll", "y"), ("y", "ll"), ("ce", "se"),
                    ("ci", "si"), ("h", ""), ("qu", "k"), ("ge", "je"), ("gi", "ji")]  # fmt: skip

    def respell(self, word: str) -> str:
        lower = word.lower()
        options = [(a, b) for a, b in self.SOUND_ALIKES if a in lower]
        if not options:
            return self.typo(word)
        a, b = self.rng.choice(options)
        out = lower.replace(a, b, 1)
        return out[:1].upper() + out[1:]

    def other_dni_cuil(self, rec: Record, *, near: bool) -> tuple[str, str]:
        """A CUIL with valid check digits for a DNI one digit off (near) or unrelated."""
        if near:
            digits = list(rec.dni)
            i = self.rng.randrange(1, 8)
            digits[i] = str((int(digits[i]) + self.rng.randint(1, 9)) % 10)
            dni = int("".join(digits))
        else:
            dni = self.dni()
        cuil = make_cuil(dni, "M" if rec.cuil.startswith("20") else "F")
        return cuil, cuil[2:10]

    def distort(self, rec: Record) -> tuple[Record, str]:
        """The same person as another list wrote them down, and what was changed."""
        r = self.rng.random()
        no_id = replace(rec, cuil="", dni="")
        if r < 0.25:
            return rec, "exact"
        if r < 0.35:
            return replace(rec, cuil=""), "dni_only"
        if r < 0.43:
            cuil, dni = self.other_dni_cuil(rec, near=True)
            return replace(rec, cuil=cuil, dni=dni), "dni_typo"
        if r < 0.48:
            cuil, dni = self.other_dni_cuil(rec, near=False)
            return replace(rec, cuil=cuil, dni=dni), "wrong_dni"
        base = (
            no_id
            if self.rng.random() < 0.5
            else replace(rec, **dict(zip(("cuil", "dni"), self.other_dni_cuil(rec, near=True), strict=True)))
        )
        parts = rec.last.split(" ")
        if r < 0.58:
            parts[0] = self.typo(parts[0])
            return replace(base, last=" ".join(parts)), "surname_typo"
        if r < 0.68:
            parts[0] = self.respell(parts[0])
            return replace(base, last=" ".join(parts), first=self.respell(rec.first)), "sound_alike"
        if r < 0.75:
            if rec.birth.day <= 12 and rec.birth.day != rec.birth.month:
                return replace(base, birth=dt.date(rec.birth.year, rec.birth.day, rec.birth.month)), "swapped_date"
            return replace(base, first=self.typo(rec.first)), "given_typo"
        if r < 0.83:
            if len(parts) > 1 and "de" not in parts:
                return replace(base, last=parts[0]), "missing_surname"
            given = rec.first.split(" ")
            if len(given) > 1:
                return replace(base, first=given[0]), "missing_given"
            return replace(base, last=self.typo(rec.last)), "surname_typo"
        if r < 0.90:
            if len(parts) == 2 and "de" not in parts:
                return replace(base, last=f"{parts[1]} {parts[0]}"), "swapped_surnames"
            return replace(base, last=rec.first, first=rec.last), "swapped_name_surname"
        if r < 0.95:
            return replace(no_id, birth=PLACEHOLDER), "placeholder_date"
        return replace(base, last=self.respell(rec.last), first=self.typo(rec.first)), "two_errors"


def make_pairs(
    n_registry: int,
    n_candidates: int,
    *,
    match_share=0.4,
    namesake_share=0.2,
    same_day_share=0.02,
    cuil_conflict_share=0.005,
    seed=7,
):
    """Registry records, candidates and the true (candidate index, registry index) pairs.

    Besides the true pairs and unrelated people: namesakes (another person's name, another birth
    date), namesakes born the same day (a common name, the same birth date, another DNI), and
    CUIL conflicts (a registry record of someone else listing the candidate's CUIL)."""
    pop = Population(seed)
    registry = [pop.person(i) for i in range(n_registry)]
    candidates, truth, kinds = [], set(), {}
    n_match = int(n_candidates * match_share)
    chosen = pop.rng.sample(range(n_registry), n_match)
    for j in chosen:
        written, kind = pop.distort(registry[j])
        # The worker's own data is clean (validated CUIL); the registry holds the copy with errors.
        registry[j], candidate = written, registry[j]
        truth.add((len(candidates), j))
        kinds[len(candidates)] = kind
        candidates.append(candidate)
    pid = n_registry
    chosen_set = set(chosen)
    common = set(SURNAMES[:30])
    # Registry records of common names (one surname among the 30 most frequent, one given name):
    # where two people born the same day with the same name really occur.
    common_records = [
        j for j, r in enumerate(registry) if j not in chosen_set and r.last in common and " " not in r.first
    ]
    while len(candidates) < n_candidates:
        person = pop.person(pid)
        r = pop.rng.random()
        if r < namesake_share / (1 - match_share):
            other = registry[pop.rng.randrange(n_registry)]
            person = replace(person, last=other.last, first=other.first)  # a namesake: another person
            kinds[len(candidates)] = "namesake"
        elif r < (namesake_share + same_day_share) / (1 - match_share) and common_records:
            # Another person with a common name born the same day: a different DNI and CUIL.
            other = registry[pop.rng.choice(common_records)]
            person = replace(person, last=other.last, first=other.first, birth=other.birth)
            kinds[len(candidates)] = "namesake_same_day"
        elif r < (namesake_share + same_day_share + cuil_conflict_share) / (1 - match_share):
            # A registry record of someone else carrying this person's CUIL (typed wrong there):
            # a CUIL conflict, not the same person.
            j = pop.rng.randrange(n_registry)
            kinds[len(candidates)] = "other"
            if j not in chosen_set:
                registry[j] = replace(registry[j], cuil=person.cuil, dni=person.dni)
                chosen_set.add(j)
                kinds[len(candidates)] = "cuil_conflict"
        else:
            kinds[len(candidates)] = "other"
        candidates.append(person)
        pid += 1
    return candidates, registry, truth, kinds
