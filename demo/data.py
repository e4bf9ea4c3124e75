"""The demo year's people, places and programme as data: organisations, demo users, agreements
and their periods, the workers the offices register, and another programme's registry that
matches some of them. ``demo.seed`` feeds all of it through the real services.

Everything is derived from fixed seeds, so every run describes the same year.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from stdnum.ar import cbu as cbu_number
from stdnum.ar import cuit as cuit_number

from provinces.models import Organisation
from provinces.roles import Role

DEMO_PASSWORD = "interzafra-demo"

#: The demo's ministry users (who must verify a second factor) share this published TOTP key, so
#: that anyone can walk the demo: add it to an authenticator app (base32
#: ``DEMO_OTP_KEY_BASE32``) or print the current code with ``make otp USER=revisora``. It is public:
#: never give it to a real account (``demo_otp`` prints codes only for devices with this key).
DEMO_OTP_KEY = b"interzafra-demo-otp!".hex()
DEMO_OTP_KEY_BASE32 = "NFXHIZLSPJQWM4TBFVSGK3LPFVXXI4BB"
MINISTRY = "Ministerio de Trabajo, Empleo y Seguridad Social"

# province, agreement number, budget, {crop: quota}, [(crop, first month, months)]
AGREEMENTS = [
    (
        "Tucumán",
        "CONV-2026-TUC-01",
        "2400000000.00",
        {"cana": 12000, "citricos": 16000, "tabaco": 16000},
        [("cana", dt.date(2026, 11, 1), 4), ("citricos", dt.date(2026, 12, 1), 4)],
    ),
    ("Mendoza", "CONV-2026-MZA-01", "1200000000.00", {"vid": 10000, "olivo": 10000}, [("vid", dt.date(2026, 6, 1), 4)]),
    ("Misiones", "CONV-2026-MIS-01", "600000000.00", {"yerba": 6000, "te": 1500}, [("yerba", dt.date(2026, 10, 1), 4)]),
    ("Jujuy", "CONV-2026-JUJ-01", "500000000.00", {"tabaco": 5000, "cana": 4000}, [("tabaco", dt.date(2026, 6, 1), 4)]),
    (
        "Río Negro",
        "CONV-2026-RN-01",
        "450000000.00",
        {"pera_manzana": 4700, "tomate": 800},
        [("pera_manzana", dt.date(2026, 6, 1), 3)],
    ),
]

ORGANISATIONS = [
    (MINISTRY, Organisation.Kind.MINISTRY, None),
    ("Agencia Territorial Tucumán", Organisation.Kind.TERRITORIAL_AGENCY, "Tucumán"),
    ("Secretaría de Empleo de Tucumán", Organisation.Kind.PROVINCIAL_OFFICE, "Tucumán"),
    ("Municipalidad de Famaillá", Organisation.Kind.MUNICIPALITY, "Tucumán"),
    ("Subsecretaría de Trabajo de Mendoza", Organisation.Kind.PROVINCIAL_OFFICE, "Mendoza"),
    ("Ministerio del Agro de Misiones", Organisation.Kind.PROVINCIAL_OFFICE, "Misiones"),
    ("Secretaría de Trabajo de Jujuy", Organisation.Kind.PROVINCIAL_OFFICE, "Jujuy"),
    ("Secretaría de Trabajo de Río Negro", Organisation.Kind.PROVINCIAL_OFFICE, "Río Negro"),
    ("UATRE Seccional Tucumán", Organisation.Kind.UNION, "Tucumán"),
    ("FOTIA (Federación Obrera Tucumana de la Industria Azucarera)", Organisation.Kind.UNION, "Tucumán"),
    ("Sindicato de Obreros Rurales de Mendoza", Organisation.Kind.UNION, "Mendoza"),
    ("Cámara de Productores Yerbateros de Misiones", Organisation.Kind.PRODUCERS_ASSOCIATION, "Misiones"),
]

# username, full name, role, organisation
USERS = [
    ("revisora", ("Laura", "Benítez"), Role.MINISTRY_REVIEWER, MINISTRY),
    ("pagos", ("Martín", "Quiroga"), Role.PAYMENTS_OFFICER, MINISTRY),
    ("pagos2", ("Silvia", "Ledesma"), Role.PAYMENTS_OFFICER, MINISTRY),
    ("auditora", ("Graciela", "Sosa"), Role.AUDITOR, MINISTRY),
    ("accesos", ("Patricia", "Ojeda"), Role.ACCESS_ADMIN, MINISTRY),
    ("accesos2", ("Hugo", "Barrionuevo"), Role.ACCESS_ADMIN, MINISTRY),
    ("tucuman", ("Jorge", "Albornoz"), Role.PROVINCIAL_OFFICER, "Secretaría de Empleo de Tucumán"),
    ("mendoza", ("Verónica", "Giménez"), Role.PROVINCIAL_OFFICER, "Subsecretaría de Trabajo de Mendoza"),
    ("misiones", ("Carlos", "Duarte"), Role.PROVINCIAL_OFFICER, "Ministerio del Agro de Misiones"),
    ("uatre", ("Ramón", "Villagra"), Role.UNION_OFFICER, "UATRE Seccional Tucumán"),
    ("sor_mendoza", ("Nélida", "Ortiz"), Role.UNION_OFFICER, "Sindicato de Obreros Rurales de Mendoza"),
]

SURNAMES = [
    "González",
    "Rodríguez",
    "Gómez",
    "Fernández",
    "López",
    "Díaz",
    "Martínez",
    "Pérez",
    "Romero",
    "Sosa",
    "Álvarez",
    "Torres",
    "Ruiz",
    "Ramírez",
    "Flores",
    "Acosta",
    "Benítez",
    "Medina",
    "Herrera",
    "Suárez",
    "Aguirre",
    "Giménez",
    "Gutiérrez",
    "Pereyra",
    "Rojas",
    "Molina",
    "Castro",
    "Ortiz",
    "Silva",
    "Núñez",
    "Luna",
    "Juárez",
    "Cabrera",
    "Ríos",
    "Ferreyra",
    "Godoy",
    "Morales",
    "Domínguez",
    "Moreno",
    "Peralta",
    "Vega",
    "Carrizo",
    "Quiroga",
    "Ponce",
    "Villalba",
    "Toledo",
    "Coronel",
    "Mamaní",
    "Cruz",
    "Chocobar",
]
MEN = ["Juan Carlos", "José", "Ramón", "Luis", "Miguel Ángel", "Carlos", "Jorge", "Héctor", "Daniel", "Walter"]
WOMEN = ["María", "Rosa", "Ana María", "Carmen", "Graciela", "Silvia", "Norma", "Claudia", "Mirta", "Liliana"]
LOCALITIES = {
    "Tucumán": ["Famaillá", "Monteros", "Lules", "Aguilares", "Bella Vista", "Concepción"],
    "Mendoza": ["Tunuyán", "San Rafael", "Maipú", "Lavalle", "San Martín"],
    "Misiones": ["Oberá", "Apóstoles", "Jardín América", "Gobernador Virasoro"],
    "Jujuy": ["Perico", "El Carmen", "San Pedro", "Monterrico"],
    "Río Negro": ["Cipolletti", "General Roca", "Villa Regina", "Allen"],
}
REGISTRARS = {
    "Tucumán": ["Secretaría de Empleo de Tucumán", "UATRE Seccional Tucumán"],
    "Mendoza": ["Subsecretaría de Trabajo de Mendoza", "Sindicato de Obreros Rurales de Mendoza"],
    "Misiones": ["Ministerio del Agro de Misiones", "Cámara de Productores Yerbateros de Misiones"],
    "Jujuy": ["Secretaría de Trabajo de Jujuy"],
    "Río Negro": ["Secretaría de Trabajo de Río Negro"],
}


#: Offices and unions that register workers in the demo but have no demo login: a registration
#: clerk acts for each (an account that cannot log in: unusable password).
CLERKS = {
    "FOTIA (Federación Obrera Tucumana de la Industria Azucarera)": ("carga_fotia", Role.UNION_OFFICER),
    "Cámara de Productores Yerbateros de Misiones": ("carga_yerbateros", Role.UNION_OFFICER),
    "Secretaría de Trabajo de Jujuy": ("carga_jujuy", Role.PROVINCIAL_OFFICER),
    "Secretaría de Trabajo de Río Negro": ("carga_rionegro", Role.PROVINCIAL_OFFICER),
}


def _cuil(dni: int, sex: str) -> str:
    for prefix in ("27", "23") if sex == "F" else ("20", "23"):
        digit = cuit_number.calc_check_digit(f"{prefix}{dni:08d}")
        if digit != "10":
            return f"{prefix}{dni:08d}{digit}"
    raise ValueError(dni)


def _cbu(n: int) -> str:
    bank = "0110" + f"{n % 900 + 100:03d}"
    account = f"{n:013d}"
    return bank + cbu_number.calc_check_digit(bank) + account + cbu_number.calc_check_digit(account)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


#: What the demo's reviewer does with an enrollment once screening has sent it to review.
APPROVE, REJECT, PENDING = "approve", "reject", "pending"
#: ... and with one whose screening found the worker in the other programme's registry.
CONFIRM_CONFLICT, CLEAR_MATCH = "confirm_conflict", "clear_match"

#: The month whose installments the demo pays (in the next month's batch: "a mes vencido"), and
#: the next one, whose batch is left built and waiting for a second officer's approval.
PAID_MONTH = dt.date(2026, 6, 1)
WAITING_MONTH = dt.date(2026, 7, 1)
#: The agreement whose batch paying ``WAITING_MONTH`` is approved and reconciled ahead of the
#: others' (a batch of one agreement): its workers entitled to two months are then fully paid.
PAID_AHEAD_AGREEMENT = "CONV-2026-RN-01"


@dataclass(frozen=True)
class CycleSpec:
    number: str  # the agreement's
    province: str
    crop: str
    first_month: dt.date
    months: int

    @property
    def last_month(self) -> dt.date:
        return add_months(self.first_month, self.months - 1)


@dataclass(frozen=True, eq=False)  # one spec, one worker in one period: compared by identity
class WorkerSpec:
    cycle: CycleSpec
    index: int  # within its period's list
    registrar: str  # organisation name
    decision: str
    data: dict  # as ``enrollment.registration.register_worker`` takes it

    @property
    def cuil(self) -> str:
        return self.data["cuil"]


def cycle_specs() -> list[CycleSpec]:
    return [
        CycleSpec(number, province, crop, first_month, months)
        for province, number, _budget, _quotas, cycles in AGREEMENTS
        for crop, first_month, months in cycles
    ]


def worker_specs() -> list[WorkerSpec]:
    """Twelve workers per period. Their place in the list decides their story: the 4th of each
    period is in the other programme's registry under their own CUIL (a conflict the reviewer
    confirms, clears or has not reviewed yet), the 8th is in it under the same names and birth
    date without a CUIL (waiting for the reviewer), the 2nd of a June period is approved and appears in the registry's
    next monthly update, and the 6th of the Tucumán citrus period is the 6th of its sugar-cane
    period, enrolled again by another organisation in overlapping months."""
    rng = random.Random(2026)
    specs: list[WorkerSpec] = []
    n = 0
    for c, cycle in enumerate(cycle_specs()):
        for index in range(12):
            n += 1
            sex = rng.choice("FM")
            first = rng.choice(WOMEN if sex == "F" else MEN)
            last = rng.choice(SURNAMES)
            if rng.random() < 0.2:
                last = f"{last} {rng.choice(SURNAMES)}"
            registrar = rng.choice(REGISTRARS[cycle.province])
            data = {
                "cuil": _cuil(22_000_000 + n * 137_911 % 20_000_000, sex),
                "last_name": last,
                "first_name": first,
                "birth_date": dt.date(1965, 1, 1) + dt.timedelta(days=rng.randint(0, 13000)),
                "sex": sex,
                "nationality": "Bolivia" if rng.random() < 0.08 else "Argentina",
                "phone": f"381 15{rng.randint(4000000, 6999999)}",  # a mobile: SMS reach it
                "province": cycle.province,
                "locality": rng.choice(LOCALITIES[cycle.province]),
                "cbu": _cbu(n),
                "renatre": f"{rng.randint(100000, 999999)}",
            }
            decision = rng.choice([PENDING] * 3 + [APPROVE] * 6 + [REJECT])
            if index == 3:
                decision = (CONFIRM_CONFLICT, CLEAR_MATCH, PENDING)[c % 3]
            elif index == 1 and cycle.first_month == PAID_MONTH:
                decision = APPROVE
            elif index in (5, 7) and (index == 7 or cycle.number == "CONV-2026-TUC-01"):
                decision = PENDING  # a match the reviewer has not looked at yet
            if index == 5 and cycle.crop == "citricos":
                cane = specs[len(specs) - 12]  # the same place in the previous (sugar-cane) list
                data = cane.data
                registrar = next(org for org in REGISTRARS[cycle.province] if org != cane.registrar)
            specs.append(WorkerSpec(cycle, index, registrar, decision, data))
    # Two approved workers of the paid month register without a CBU: they are paid by branch-pickup
    # orders on the DNI calendar (collected in the paid month; the next month's wait, with their day,
    # in the batch awaiting approval).
    without_cbu = [
        s for s in specs if s.decision == APPROVE and s.cycle.first_month == PAID_MONTH and s.index not in (1, 3, 5, 7)
    ]
    for spec in without_cbu[:2]:
        spec.data["cbu"] = ""
    return specs


REGISTRY_CODE = "potenciar-demo"
REGISTRY_HEADER = "apellido;nombre;cuil;dni;fecha_nacimiento;desde;hasta\n"


#: The SMVM of the months the demo's SIPA history covers (demo figures, not the official series).
MINIMUM_WAGES = [
    (add_months(dt.date(2025, 1, 1), k), "296832.00" if k < 6 else "317800.00" if k < 12 else "336000.00")
    for k in range(24)
]
SIPA_EMPLOYER = "30500010912"  # one demo agricultural employer (a valid CUIT)


def sipa_file(specs: list[WorkerSpec]) -> bytes:
    """The demo's SIPA extract (``cuil,mes,cuit_empleador,actividad,remuneracion``): every worker
    has agrarian pay in 3 to 10 of the months just before their first period — eligible — so the
    entitlement table gives some 2, some 3 and some 4 months of aid. Nothing in a period's months."""
    first: dict[str, dt.date] = {}
    for spec in specs:
        first[spec.cuil] = min(first.get(spec.cuil, spec.cycle.first_month), spec.cycle.first_month)
    lines = ["cuil,mes,cuit_empleador,actividad,remuneracion"]
    for n, (cuil, month) in enumerate(sorted(first.items())):
        for k in range(1, 3 + (n * 5) % 8 + 1):
            lines.append(f"{cuil},{add_months(month, -k):%Y-%m},{SIPA_EMPLOYER},agraria,220000.00")
    return ("\n".join(lines) + "\n").encode()


def _registry_line(last: str, first: str, cuil: str, birth: dt.date, start: dt.date, end: dt.date) -> str:
    return f"{last};{first};{cuil};{cuil[2:10] if cuil else ''};{birth:%d/%m/%Y};{start:%Y-%m};{end:%Y-%m}\n"


def registry_file(specs: list[WorkerSpec], *, update: bool) -> bytes:
    """The other programme's list of beneficiaries (CSV as its loader reads it): forty people
    unrelated to the demo, the 4th worker of every period under their own CUIL for the months of
    their period, the 8th under the same names and birth date without a CUIL, and — in the
    monthly ``update`` — the 2nd worker of each June period for the month the demo pays."""
    rng = random.Random(1977)
    lines = [REGISTRY_HEADER]
    for k in range(40):
        sex = rng.choice("FM")
        start = dt.date(2026, rng.randint(1, 9), 1)
        lines.append(
            _registry_line(
                rng.choice(SURNAMES),
                rng.choice(WOMEN if sex == "F" else MEN),
                _cuil(40_000_000 + k * 7_919, sex),
                dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 15000)),
                start,
                add_months(start, rng.randint(2, 8)),
            )
        )
    for spec in specs:
        d, cycle = spec.data, spec.cycle
        if spec.index == 3:
            lines.append(
                _registry_line(
                    d["last_name"], d["first_name"], d["cuil"], d["birth_date"], cycle.first_month, cycle.last_month
                )
            )
        elif spec.index == 7:
            lines.append(
                _registry_line(
                    d["last_name"], d["first_name"], "", d["birth_date"], cycle.first_month, cycle.first_month
                )
            )
        elif update and spec.index == 1 and cycle.first_month == PAID_MONTH:
            lines.append(
                _registry_line(d["last_name"], d["first_name"], d["cuil"], d["birth_date"], PAID_MONTH, PAID_MONTH)
            )
    return "".join(lines).encode()
