"""Demo data: a realistic programme year. Idempotent: every object is found by its natural key."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from stdnum.ar import cbu as cbu_number
from stdnum.ar import cuit as cuit_number

from enrollment.identity import normalise_name
from enrollment.models import Enrollment, Worker
from provinces.models import Agreement, AgreementQuota, Crop, Cycle, Organisation, Province
from provinces.roles import Role
from provinces.services import grant_membership

DEMO_PASSWORD = "interzafra-demo"
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


@transaction.atomic
def seed(stdout=None) -> None:
    user_model = get_user_model()
    orgs = {}
    for name, kind, province_name in ORGANISATIONS:
        province = Province.objects.get(name=province_name) if province_name else None
        orgs[name], _ = Organisation.objects.get_or_create(name=name, defaults={"kind": kind, "province": province})

    if not user_model.objects.filter(username="admin").exists():
        user_model.objects.create_superuser("admin", "admin@interzafra.local", DEMO_PASSWORD)
    users = {}
    for username, (first, last), role, org_name in USERS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(
                username, f"{username}@interzafra.local", DEMO_PASSWORD, first_name=first, last_name=last
            )
        grant_membership(user=user, organisation=orgs[org_name], role=role)
        users[username] = user

    cycles = []
    for province_name, number, budget, quotas, cycle_specs in AGREEMENTS:
        province = Province.objects.get(name=province_name)
        agreement, _ = Agreement.objects.get_or_create(
            number=number,
            defaults={
                "province": province,
                "title": f"Programa Interzafras {province_name} 2026-2027",
                "start_date": dt.date(2026, 3, 1),
                "end_date": dt.date(2027, 6, 30),
                "budget": Decimal(budget),
                "status": Agreement.Status.ACTIVE,
            },
        )
        for code, quota in quotas.items():
            AgreementQuota.objects.get_or_create(
                agreement=agreement, crop=Crop.objects.get(code=code), defaults={"quota": quota}
            )
        for code, first_month, months in cycle_specs:
            crop = Crop.objects.get(code=code)
            cycle, _ = Cycle.objects.get_or_create(
                agreement=agreement,
                crop=crop,
                first_month=first_month,
                defaults={"name": f"Interzafra {crop.name} {province_name} {first_month.year}", "months": months},
            )
            cycles.append(cycle)

    rng = random.Random(2026)
    statuses = (
        [Enrollment.Status.SUBMITTED] * 4
        + [Enrollment.Status.PENDING_REVIEW] * 3
        + [Enrollment.Status.APPROVED, Enrollment.Status.ACTIVE, Enrollment.Status.REJECTED]
    )
    n = 0
    for cycle in cycles:
        province = cycle.agreement.province
        for _ in range(12):
            n += 1
            sex = rng.choice("FM")
            first = rng.choice(WOMEN if sex == "F" else MEN)
            last = rng.choice(SURNAMES)
            if rng.random() < 0.2:
                last = f"{last} {rng.choice(SURNAMES)}"
            registrar = orgs[rng.choice(REGISTRARS[province.name])]
            worker, _ = Worker.objects.get_or_create(
                cuil=_cuil(22_000_000 + n * 137_911 % 20_000_000, sex),
                defaults={
                    "last_name": last,
                    "first_name": first,
                    "last_name_norm": normalise_name(last),
                    "first_name_norm": normalise_name(first),
                    "birth_date": dt.date(1965, 1, 1) + dt.timedelta(days=rng.randint(0, 13000)),
                    "sex": sex,
                    "nationality": "Bolivia" if rng.random() < 0.08 else "Argentina",
                    "phone": f"381{rng.randint(4000000, 6999999)}",
                    "province": province,
                    "locality": rng.choice(LOCALITIES[province.name]),
                    "cbu": _cbu(n),
                    "renatre": f"{rng.randint(100000, 999999)}",
                    "registered_by": registrar,
                },
            )
            status = rng.choice(statuses)
            Enrollment.objects.get_or_create(
                worker=worker,
                cycle=cycle,
                defaults={
                    "organisation": worker.registered_by,
                    "status": status,
                    "status_reason": "Rechazada: no reside en la provincia" if status == "rejected" else "",
                },
            )
    # Approved and active demo enrollments get their monthly installments, as approval would.
    from payments.installments import schedule_installments_bulk

    schedule_installments_bulk(
        enrollment_ids=Enrollment.objects.filter(
            status__in=[Enrollment.Status.APPROVED, Enrollment.Status.ACTIVE]
        ).values_list("pk", flat=True),
        by=users["revisora"],
    )
    _seed_activity(reviewer=users["revisora"])
    if stdout:
        stdout.write(
            f"Datos de demostración listos: {Worker.objects.count()} trabajadores, "
            f"{Enrollment.objects.count()} inscripciones, {len(cycles)} períodos.\n"
        )


def _seed_activity(*, reviewer) -> None:
    """Some of what follows approval, so that every dashboard section shows something: the first
    installments paid (a few rejected by the bank or held), screening flags open and resolved,
    and training referrals with their outcomes. Idempotent: each step only touches what is not
    there yet."""
    from django.utils import timezone

    from enrollment.screening.models import MatchFlag
    from payments.models import Installment
    from training.models import Course, Provider, Referral

    now = timezone.now()
    first = list(
        Installment.objects.filter(kind=Installment.Kind.REGULAR, number=1, status=Installment.Status.DUE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rejected, held = first[::9], first[1::9]
    Installment.objects.filter(pk__in=rejected).update(
        status=Installment.Status.REJECTED, bank_reason="CBU inexistente o cerrada"
    )
    Installment.objects.filter(pk__in=held).update(
        status=Installment.Status.HELD, hold_reason="Alerta de control sin resolver"
    )
    Installment.objects.filter(pk__in=set(first) - set(rejected) - set(held)).update(
        status=Installment.Status.PAID, paid_at=now
    )

    kinds = [
        (MatchFlag.Kind.PROGRAMME, MatchFlag.Level.SAME, MatchFlag.Status.OPEN),
        (MatchFlag.Kind.REGISTRY, MatchFlag.Level.POSSIBLE, MatchFlag.Status.OPEN),
        (MatchFlag.Kind.REGISTRY, MatchFlag.Level.POSSIBLE, MatchFlag.Status.NOT_SAME),
        (MatchFlag.Kind.EMPLOYMENT, MatchFlag.Level.POSSIBLE, MatchFlag.Status.CLEARED),
        (MatchFlag.Kind.ELIGIBILITY, MatchFlag.Level.SAME, MatchFlag.Status.SAME_PERSON),
        (MatchFlag.Kind.PROGRAMME, MatchFlag.Level.POSSIBLE, MatchFlag.Status.OPEN),
    ]
    flagged = Enrollment.objects.filter(
        status__in=[Enrollment.Status.PENDING_REVIEW, Enrollment.Status.SUBMITTED, Enrollment.Status.APPROVED]
    ).order_by("pk")[: len(kinds)]
    for enrollment, (kind, level, status) in zip(flagged, kinds, strict=False):
        resolved = status != MatchFlag.Status.OPEN
        MatchFlag.objects.get_or_create(
            enrollment=enrollment,
            match_key=f"demo-{kind}",
            defaults={
                "kind": kind,
                "level": level,
                "status": status,
                "score": Decimal("0.950") if level == MatchFlag.Level.SAME else Decimal("0.780"),
                "reasons": "Datos de demostración: coincidencia de CUIL y apellido",
                "note": "Revisado con la documentación presentada" if resolved else "",
                "resolved_by": reviewer if resolved else None,
                "resolved_at": now if resolved else None,
            },
        )

    outcomes = [
        Referral.Status.COMPLETED,
        Referral.Status.ATTENDING,
        Referral.Status.REFERRED,
        Referral.Status.ACCEPTED,
        Referral.Status.DROPPED,
        Referral.Status.NO_SHOW,
        Referral.Status.DECLINED,
        Referral.Status.COMPLETED,
    ]
    beneficiaries = Enrollment.objects.filter(
        status__in=[Enrollment.Status.APPROVED, Enrollment.Status.ACTIVE]
    ).select_related("cycle__agreement__province")
    for n, enrollment in enumerate(beneficiaries.order_by("pk")[: len(outcomes)]):
        province = enrollment.cycle.agreement.province
        provider, _ = Provider.objects.get_or_create(
            name=f"Centro de Formación Profesional de {province.name}", defaults={"province": province}
        )
        course, _ = Course.objects.get_or_create(
            provider=provider,
            topic="Mantenimiento de maquinaria agrícola",
            defaults={
                "place": "Escuela Agrotécnica",
                "province": province,
                "start_date": dt.date(2026, 6, 1),
                "end_date": dt.date(2026, 8, 31),
                "capacity": 25,
                "sessions": 12,
            },
        )
        status = outcomes[n]
        started = status in (Referral.Status.ATTENDING, Referral.Status.COMPLETED, Referral.Status.DROPPED)
        Referral.objects.get_or_create(
            worker=enrollment.worker,
            course=course,
            defaults={
                "enrollment": enrollment,
                "line": Referral.Line.VOCATIONAL,
                "status": status,
                "referred_on": dt.date(2026, 5, 20),
                "started_on": dt.date(2026, 6, 1) if started else None,
                "ended_on": dt.date(2026, 8, 31) if status == Referral.Status.COMPLETED else None,
                "certificate_issued": status == Referral.Status.COMPLETED,
                "job_placement": status == Referral.Status.COMPLETED and n == 0,
                "employer": "Ingenio La Providencia" if status == Referral.Status.COMPLETED and n == 0 else "",
                "referred_by": reviewer,
                "status_changed_at": now,
            },
        )
