"""The demo year, produced through the real services (``manage.py seed_demo``).

Offices and unions register their workers with the registration service; the SMVM series and
SIPA's monthly extract (3 to 10 months of agrarian pay per worker, so 2, 3 or 4 months of aid)
are loaded by the real loaders; another programme's registry is loaded by the real loader and
every new enrollment is screened by the real engine (so each flag carries its matched record); a
reviewer resolves some flags and approves or rejects through the enrollment services (approval
schedules the installments); a payments officer builds the month's batch (re-screening against
the registry's monthly update holds what now conflicts), a second officer approves it, the bank
file is exported, and the bank's return file — generated from the exported file — is
reconciled, which makes the beneficiaries paid active; Río Negro's agreement pays the next
month on a batch of its own, which completes the enrollments with nothing left to pay
("Finalizada"); one beneficiary is suspended with a coded
cause and reinstated with one month stated as owed; the periods that ended close their
registration; some are referred to training and followed to their outcome.

Rules: nothing is written around the services (no ``UPDATE`` of states, flags or
installments); idempotent — each step looks for what it would create and only does what is
missing, so running the seed twice duplicates nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from demo import data
from demo.data import APPROVE, CLEAR_MATCH, CONFIRM_CONFLICT, REJECT, WorkerSpec
from demo.voice import seed_voice
from enrollment import registration
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, Suspension, SuspensionCause, Worker
from enrollment.screening import services as screening_services
from enrollment.screening.models import ExternalRegistry, MatchFlag, RegistryVersion
from enrollment.suspensions import months_passed_under, reinstate_enrollment, suspend_enrollment
from payments.bank_files import export_bank_file
from payments.batches import approve_batch, build_batch, monthly_screening, request_batch
from payments.common import batch_month_for
from payments.models import BankFile, PaymentBatch
from payments.returns import reconcile_batch
from provinces.models import Agreement, AgreementQuota, Crop, Cycle, Organisation, Province
from provinces.roles import MINISTRY_ROLES
from provinces.services import close_registration_for_ended_cycles, grant_membership
from training import services as training_services
from training.models import Course, Provider, Referral

S = Enrollment.Status
B = PaymentBatch.Status


def seed(stdout=None) -> None:
    users = _people()
    cycles = _programme()
    specs = data.worker_specs()
    _sipa(specs)
    registry = _registry(by=users["revisora"], specs=specs, update=False)
    enrollments = _register(specs=specs, cycles=cycles, users=users)
    enrollment_services.screen_submitted(enrollment_ids=[e.pk for e in enrollments.values()])
    _review(specs=specs, enrollments=enrollments, reviewer=users["revisora"])
    _registry(by=users["revisora"], specs=specs, update=True, registry=registry)
    # paid "a mes vencido": the installments of a month go in the next month's batch
    _pay(
        month=batch_month_for(data.PAID_MONTH),
        builder=users["pagos"],
        approver=users["pagos2"],
        reviewer=users["revisora"],
    )
    # Río Negro's agreement pays its July on its own batch, approved and reconciled: a worker
    # entitled to two months (June and July) has both paid, and her enrollment ends "Finalizada".
    _pay(
        month=batch_month_for(data.WAITING_MONTH),
        builder=users["pagos"],
        approver=users["pagos2"],
        reviewer=users["revisora"],
        agreement=Agreement.objects.get(number=data.PAID_AHEAD_AGREEMENT),
    )
    _pay(month=batch_month_for(data.WAITING_MONTH), builder=users["pagos"], approver=None, reviewer=users["revisora"])
    _suspend_and_reinstate(reviewer=users["revisora"])
    _refer(enrollments=enrollments, users=users)
    seed_voice(users=users)
    # What Celery beat does every night, done once now so the demo opens as beat would leave it:
    # the periods that ended say "Cerrada".
    close_registration_for_ended_cycles()
    if stdout:
        stdout.write(
            f"Datos de demostración listos: {Worker.objects.count()} trabajadores, "
            f"{Enrollment.objects.count()} inscripciones, {len(cycles)} períodos.\n"
        )


def _verified(user):
    """The demo acts as its officers would after typing their authenticator code: a seed has no
    session, so the user object is marked verified the way ``tests/twofactor.py`` does, for the
    money approvals that require a second factor."""
    user.is_verified = lambda: True
    return user


def _demo_device(user) -> None:
    """The demo ministry user's authenticator: confirmed, with the published demo key."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="demo", key=data.DEMO_OTP_KEY, confirmed=True)


def demo_code(username: str) -> str:
    """The 6-digit code a demo ministry user's authenticator shows now.

    Refused (ValueError) unless ``username`` is one of the demo's ministry users and their device
    still has the published demo key: a real account's codes are never printed."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if username not in {u for u, _name, role, _org in data.USERS if role in MINISTRY_ROLES}:
        raise ValueError(username)
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True, key=data.DEMO_OTP_KEY).first()
    if device is None:
        raise ValueError(username)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def _people() -> dict:
    user_model = get_user_model()
    orgs = {}
    for name, kind, province_name in data.ORGANISATIONS:
        province = Province.objects.get(name=province_name) if province_name else None
        orgs[name], _ = Organisation.objects.get_or_create(name=name, defaults={"kind": kind, "province": province})
    if not user_model.objects.filter(username="admin").exists():
        user_model.objects.create_superuser("admin", "admin@interzafra.local", data.DEMO_PASSWORD)
    users = {}
    for username, (first, last), role, org_name in data.USERS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(
                username, f"{username}@interzafra.local", data.DEMO_PASSWORD, first_name=first, last_name=last
            )
        grant_membership(user=user, organisation=orgs[org_name], role=role)
        users[username] = user
        if role in MINISTRY_ROLES:
            _demo_device(user)
    for org_name, (username, role) in data.CLERKS.items():
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(username, first_name="Carga", last_name=org_name[:150])
            user.set_unusable_password()
            user.save(update_fields=["password"])
        grant_membership(user=user, organisation=orgs[org_name], role=role)
        users[username] = user
    # who registers for each organisation
    users["by_org"] = {org: users[name] for name, _n, _r, org in data.USERS} | {
        org: users[name] for org, (name, _r) in data.CLERKS.items()
    }
    return users


def _programme() -> dict[data.CycleSpec, Cycle]:
    cycles = {}
    specs = data.cycle_specs()
    for province_name, number, budget, quotas, _cycles in data.AGREEMENTS:
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
        for spec in (s for s in specs if s.number == number):
            crop = Crop.objects.get(code=spec.crop)
            cycles[spec], _ = Cycle.objects.get_or_create(
                agreement=agreement,
                crop=crop,
                first_month=spec.first_month,
                defaults={
                    "name": f"Interzafra {crop.name} {province_name} {spec.first_month.year}",
                    "months": spec.months,
                },
            )
    return cycles


def _registry(*, by, specs: list[WorkerSpec], update: bool, registry: ExternalRegistry | None = None):
    """Another programme's beneficiaries, loaded by the real loader: a first list before the
    registrations, and its monthly update after the approvals."""
    registry = registry or ExternalRegistry.objects.filter(code=data.REGISTRY_CODE).first()
    if registry is None:
        registry = screening_services.save_registry(
            by=by,
            code=data.REGISTRY_CODE,
            programme="Potenciar Trabajo (padrón de demostración)",
            kind=ExternalRegistry.Kind.NATIONAL_PROGRAMME,
            is_incompatible=True,
        )
    loaded = RegistryVersion.objects.filter(registry=registry).exclude(status=RegistryVersion.Status.FAILED).count()
    if loaded < (2 if update else 1):
        content = data.registry_file(specs, update=update)
        name = f"{data.REGISTRY_CODE}-{'actualizacion' if update else 'inicial'}.csv"
        version = screening_services.upload_registry_file(by=by, registry=registry, uploaded=ContentFile(content, name))
        screening_services.load_registry_version(version_id=version.pk)
    return registry


def _sipa(specs: list[WorkerSpec]) -> None:
    """The SMVM series and SIPA's monthly extract for the demo's workers, through the loaders
    (an upsert: loading it again changes nothing). Screening judges eligibility from it, and the
    entitlement table the months of aid."""
    for month, amount in data.MINIMUM_WAGES:
        screening_services.set_minimum_wage(month=month, amount=Decimal(amount))
    screening_services.load_remunerations(fileobj=io.BytesIO(data.sipa_file(specs)))


def _register(*, specs: list[WorkerSpec], cycles: dict, users: dict) -> dict[WorkerSpec, Enrollment]:
    """Each organisation registers its workers in their period, as an officer would at *Inscribir*."""
    enrolled = {
        (cuil, cycle_id): e
        for e, cuil, cycle_id in (
            (e, e.worker.cuil, e.cycle_id)
            for e in Enrollment.objects.filter(cycle__in=cycles.values()).select_related("worker")
        )
    }
    enrollments = {}
    for spec in specs:
        cycle = cycles[spec.cycle]
        enrollment = enrolled.get((spec.cuil, cycle.pk))
        if enrollment is None:
            officer = users["by_org"][spec.registrar]
            registered = registration.register_and_enroll(by=officer, data=spec.data, cycle=cycle)
            if registered.enrollment is None:  # the demo's people are its own: none is held for review
                raise RuntimeError(f"demo worker {spec.cuil} was held for review: {registered.review}")
            enrollment = registered.enrollment
        enrollments[spec] = enrollment
    return enrollments


def _review(*, specs: list[WorkerSpec], enrollments: dict, reviewer) -> None:
    """The reviewer's decisions: registry matches confirmed (then rejected) or cleared (then
    approved), and the rest approved in bulk or rejected with a reason."""
    pending = {
        e.pk: e for e in Enrollment.objects.filter(pk__in=[e.pk for e in enrollments.values()], status=S.PENDING_REVIEW)
    }
    to_approve = []
    for spec in specs:
        enrollment = pending.get(enrollments[spec].pk)
        if enrollment is None:
            continue  # decided in an earlier run, or never sent to review
        if spec.decision in (CONFIRM_CONFLICT, CLEAR_MATCH):
            same = spec.decision == CONFIRM_CONFLICT
            for flag in MatchFlag.objects.filter(
                enrollment=enrollment, kind=MatchFlag.Kind.REGISTRY, status=MatchFlag.Status.OPEN
            ):
                screening_services.resolve_flag(
                    flag=flag,
                    by=reviewer,
                    same_person=same,
                    note=(
                        "Percibe el beneficio en los meses del período: lo confirma ANSES."
                        if same
                        else "Otra persona: el padrón del otro programa registró mal el CUIL (nota de ANSES)."
                    ),
                )
            if same:
                enrollment_services.reject_enrollment(
                    enrollment=enrollment,
                    by=reviewer,
                    reason="Percibe Potenciar Trabajo en los mismos meses: beneficio incompatible.",
                )
            else:
                to_approve.append(enrollment)
        elif spec.decision == APPROVE:
            to_approve.append(enrollment)
        elif spec.decision == REJECT:
            enrollment_services.reject_enrollment(
                enrollment=enrollment, by=reviewer, reason="No reside en la provincia del convenio."
            )
    if to_approve:
        refused = enrollment_services.bulk_decide(
            enrollments=to_approve, by=reviewer, approve=True, reason="Cumple los requisitos del programa."
        )
        if refused:  # the demo's story no longer matches what the services decide
            raise RuntimeError("; ".join(refused))


def _pay(*, month: dt.date, builder, approver, reviewer, agreement: Agreement | None = None) -> None:
    """One month's batch (of every agreement, or of ``agreement``): built by one payments officer
    (the monthly re-screening holds what now conflicts), approved by another, exported, and
    reconciled with the bank's return, which activates the paid enrollments and completes those
    with nothing left to pay. Without an ``approver`` the batch is left built, waiting for the
    second officer."""
    batch = PaymentBatch.objects.filter(month=month, province=None, agreement=agreement).first()
    if batch is None:
        batch = request_batch(month=month, by=builder, agreement=agreement)
    if batch.status == B.BUILDING:
        batch = build_batch(batch_id=batch.pk, screen=monthly_screening())
    if approver is None:
        return
    if batch.status == B.BUILT:
        batch = approve_batch(batch=batch, by=_verified(approver))
    if batch.status in (B.APPROVED, B.EXPORTED):
        bank_file = export_bank_file(batch=batch, fmt=BankFile.Format.CSV, by=builder)
        batch.refresh_from_db()
    if batch.status == B.EXPORTED:
        content, name = _bank_return(bank_file)
        reconcile_batch(batch=batch, content=content, filename=name, by=builder)


def _suspend_and_reinstate(*, reviewer) -> None:
    """One beneficiary suspended for registered pay above the aid and reinstated when the
    employer reports it was a one-day job: of the months that passed under the suspension,
    the reviewer states the last one is owed (the others are not paid)."""
    if Suspension.objects.exists():
        return
    enrollment = Enrollment.objects.filter(status=S.APPROVED).order_by("pk").first()
    if enrollment is None:
        return
    suspend_enrollment(
        enrollment=enrollment,
        by=reviewer,
        cause=SuspensionCause.PAY_ABOVE_AID,
        note="SIPA registra un alta en una empresa de transporte con remuneración mayor a la ayuda.",
    )
    passed = months_passed_under(enrollment)
    reinstate_enrollment(
        enrollment=enrollment,
        by=reviewer,
        reason="El empleador informó la baja: fue un alta de un solo día.",
        owed_months=passed[-1:],
        owed_reason="En ese mes no cobró otra remuneración." if passed else "",
    )


#: Every eighth transfer comes back from the bank rejected.
REJECTED_EVERY = 8


def _bank_return(bank_file: BankFile) -> tuple[bytes, str]:
    """The bank's answer to an exported CSV (docs/bank-files.md): each transfer credited, except
    every eighth, rejected for a closed account, and each branch-pickup order collected."""
    with bank_file.file.open("rb") as handle:
        lines = handle.read().decode().splitlines()
    header = lines[0].split(";")
    out = [f"H;{header[1]};{header[2]}"]
    total = Decimal("0.00")
    details = [line.split(";") for line in lines if line.startswith("D;")]
    for n, (_d, reference, _cbu, cuil, _name, amount) in enumerate(details, start=1):
        if n % REJECTED_EVERY == 0:
            out.append(f"D;{reference};{cuil};{amount};RECHAZADA;Cuenta cerrada o CBU inexistente")
        else:
            out.append(f"D;{reference};{cuil};{amount};ACREDITADA;")
        total += Decimal(amount)
    # Branch-pickup orders (their own section): each one collected at the branch.
    orders = [line.split(";") for line in lines if line.startswith("P;")]
    for _p, reference, _dni, cuil, _name, amount, *_rest in orders:
        out.append(f"D;{reference};{cuil};{amount};COBRADA;")
        total += Decimal(amount)
    out.append(f"T;{len(details) + len(orders)};{total:.2f}")
    return ("\n".join(out) + "\n").encode(), f"devolucion_{header[1]}.csv"


#: Referral outcomes, in order, for the first beneficiaries of Mendoza, Jujuy and Río Negro.
OUTCOMES = [
    Referral.Status.COMPLETED,
    Referral.Status.ATTENDING,
    Referral.Status.REFERRED,
    Referral.Status.ACCEPTED,
    Referral.Status.DROPPED,
    Referral.Status.NO_SHOW,
    Referral.Status.DECLINED,
    Referral.Status.COMPLETED,
]
#: The path from ``referred`` to each outcome.
PATHS = {
    Referral.Status.REFERRED: [],
    Referral.Status.ACCEPTED: [Referral.Status.ACCEPTED],
    Referral.Status.ATTENDING: [Referral.Status.ACCEPTED, Referral.Status.ATTENDING],
    Referral.Status.COMPLETED: [Referral.Status.ACCEPTED, Referral.Status.ATTENDING, Referral.Status.COMPLETED],
    Referral.Status.DROPPED: [Referral.Status.ACCEPTED, Referral.Status.ATTENDING, Referral.Status.DROPPED],
    Referral.Status.NO_SHOW: [Referral.Status.NO_SHOW],
    Referral.Status.DECLINED: [Referral.Status.DECLINED],
}
STEP_DAYS = {
    Referral.Status.ACCEPTED: dt.date(2026, 5, 25),
    Referral.Status.ATTENDING: dt.date(2026, 6, 1),
    Referral.Status.DROPPED: dt.date(2026, 7, 10),
    Referral.Status.COMPLETED: dt.date(2026, 8, 31),
    Referral.Status.NO_SHOW: dt.date(2026, 6, 1),
    Referral.Status.DECLINED: dt.date(2026, 5, 25),
}
TRAINERS = {"Mendoza": "mendoza", "Jujuy": "carga_jujuy", "Río Negro": "carga_rionegro"}


def _refer(*, enrollments: dict, users: dict) -> None:
    """Provincial officers refer beneficiaries to a course and follow them to their outcome."""
    beneficiaries = (
        Enrollment.objects.filter(
            pk__in=[e.pk for e in enrollments.values()],
            status__in=[S.APPROVED, S.ACTIVE],
            cycle__agreement__province__name__in=list(TRAINERS),
        )
        .select_related("cycle__agreement__province", "worker")
        .order_by("pk")
    )
    for n, enrollment in enumerate(beneficiaries[: len(OUTCOMES)]):
        province = enrollment.cycle.agreement.province
        officer = users[TRAINERS[province.name]]
        course = _course(province=province, officer=officer)
        referral = Referral.objects.filter(worker=enrollment.worker, course=course).first()
        if referral is None:
            referral = training_services.refer_worker(
                by=officer,
                enrollment=enrollment,
                line=Referral.Line.VOCATIONAL,
                course=course,
                referred_on=dt.date(2026, 5, 20),
            )
        path = PATHS[OUTCOMES[n]]
        done = path.index(referral.status) + 1 if referral.status in path else 0
        for step in path[done:]:
            completed = step == Referral.Status.COMPLETED
            referral = training_services.move_referral(
                by=officer,
                referral=referral,
                to=step,
                on=STEP_DAYS[step],
                certificate_number=f"CFP-{referral.pk:05d}" if completed else None,
                job_placement=True if completed and n == 0 else None,
                employer="Bodega La Colina" if completed and n == 0 else None,
            )


def _course(*, province: Province, officer) -> Course:
    name = f"Centro de Formación Profesional de {province.name}"
    provider = Provider.objects.filter(name=name).first() or training_services.save_provider(
        by=officer, name=name, province=province
    )
    topic = "Mantenimiento de maquinaria agrícola"
    return Course.objects.filter(provider=provider, topic=topic).first() or training_services.save_course(
        by=officer,
        provider=provider,
        kind=Course.Kind.VOCATIONAL,
        topic=topic,
        place="Escuela Agrotécnica",
        province=province,
        start_date=dt.date(2026, 6, 1),
        end_date=dt.date(2026, 8, 31),
        capacity=25,
        modality=Course.Modality.IN_PERSON,
        sessions=12,
    )
