"""Writes for provinces, organisations, memberships, agreements and cycles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import pghistory
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, DateTimeField, ExpressionWrapper, F, Func, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from provinces import seams
from provinces.models import Agreement, AgreementQuota, Crop, Cycle, Membership, Organisation, add_months
from provinces.roles import ROLE_ORGANISATION_KINDS, Role, conflicting_roles
from provinces.scoping import forget_scope, require_perm


@transaction.atomic
def acts_for_organisation(role: str, organisation: Organisation) -> bool:
    """Whether ``role`` in ``organisation`` is scoped to what the organisation registered
    (``act_for_organisation``) rather than to its province: unions and producers' associations,
    and a municipality's provincial officers — a municipality acts for its own people, not the
    whole province."""
    return role == Role.UNION_OFFICER or (
        role == Role.PROVINCIAL_OFFICER and organisation.kind == Organisation.Kind.MUNICIPALITY
    )


def grant_membership(*, user, organisation: Organisation, role: str) -> Membership:
    """Put ``user`` in ``role`` for ``organisation``: the role's group plus the object-level scope.

    A role may only be held in an organisation of a fitting kind (a union officer in a union or
    producers' association, a provincial officer in a provincial or municipal office...), and
    is scoped to the organisation's registrations (unions, associations, municipalities) or to
    its province (provincial offices, territorial agencies); it is
    never together with an incompatible one (``provinces.roles.INCOMPATIBLE_ROLES``). This is
    the act itself, for the demo, fixtures and ``provinces.access`` — which decides who may ask
    for it; people never reach it directly.
    """
    role = Role(role)
    if organisation.kind not in ROLE_ORGANISATION_KINDS[role]:
        raise ValidationError(
            _("El rol %(role)s no corresponde a una organización de tipo %(kind)s.")
            % {"role": role.label, "kind": organisation.get_kind_display()}
        )
    conflicts = conflicting_roles(role, set(Membership.objects.filter(user=user).values_list("role", flat=True)))
    if conflicts:
        raise ValidationError(
            _("%(role)s es incompatible con %(others)s.")
            % {"role": role.label, "others": ", ".join(str(Role(r).label) for r in conflicts)}
        )
    membership, _created = Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    user.groups.add(Group.objects.get(name=role))
    if acts_for_organisation(role, organisation):
        assign_perm("provinces.act_for_organisation", user, organisation)
    elif role == Role.PROVINCIAL_OFFICER:
        assign_perm("provinces.act_in_province", user, organisation.province)
    forget_scope(user)
    return membership


def _validate_agreement(
    *, agreement: Agreement | None, start_date: dt.date, end_date: dt.date, budget: Decimal
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if start_date and end_date and end_date < start_date:
        errors.setdefault("end_date", []).append(_("La fecha de fin de vigencia no puede ser anterior a la de inicio."))
    if budget is not None and budget < 0:
        errors.setdefault("budget", []).append(_("El presupuesto no puede ser negativo."))
    if agreement is not None and agreement.pk and start_date and end_date:
        first = start_date.replace(day=1)
        outside = [
            c.name for c in agreement.cycles.all() if c.first_month < first or c.last_month > end_date.replace(day=1)
        ]
        if outside:
            errors.setdefault("end_date", []).append(
                _("Estos períodos quedarían fuera de la vigencia del convenio: %(cycles)s.")
                % {"cycles": ", ".join(outside)}
            )
    return errors


def _validate_quotas(*, agreement: Agreement | None, quotas: Mapping[Crop, int]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not quotas:
        errors.setdefault("quotas", []).append(_("El convenio debe fijar el cupo de al menos una actividad."))
    for crop, quota in quotas.items():
        if quota is None or quota < 1:
            errors.setdefault("quotas", []).append(_("El cupo de %(crop)s debe ser al menos 1.") % {"crop": crop.name})
        elif agreement is not None and agreement.pk:
            used = seams.quota_in_use(agreement=agreement, crop=crop)
            if quota < used:
                errors.setdefault("quotas", []).append(
                    _("El cupo de %(crop)s (%(quota)s) es menor que las inscripciones ya hechas (%(used)s).")
                    % {"crop": crop.name, "quota": quota, "used": used}
                )
    if agreement is not None and agreement.pk:
        in_use = set(agreement.cycles.values_list("crop__name", flat=True)) - {c.name for c in quotas}
        if in_use:
            errors.setdefault("quotas", []).append(
                _("No se puede quitar una actividad que tiene períodos: %(crops)s.")
                % {"crops": ", ".join(sorted(in_use))}
            )
    return errors


@transaction.atomic
def save_agreement(
    *,
    by,
    agreement: Agreement | None = None,
    province,
    number: str,
    title: str,
    start_date: dt.date,
    end_date: dt.date,
    budget: Decimal,
    status: str = Agreement.Status.DRAFT,
    quotas: Mapping[Crop, int],
) -> Agreement:
    """Create or update an agreement and its quota per activity.

    Rules: the period is ordered; the budget is not negative; every quota is at least 1 and
    never below the enrolments already made for that activity (checked with the agreement row
    locked, so it cannot race an enrolment); a period (cycle) never falls outside the agreement.
    """
    require_perm(by, "provinces.change_agreement" if agreement else "provinces.add_agreement")
    if agreement is not None:
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    errors = _validate_agreement(agreement=agreement, start_date=start_date, end_date=end_date, budget=budget)
    for field, messages in _validate_quotas(agreement=agreement, quotas=quotas).items():
        errors.setdefault(field, []).extend(messages)
    same_number = Agreement.objects.filter(number=number)
    if agreement is not None:
        same_number = same_number.exclude(pk=agreement.pk)
    if same_number.exists():
        errors.setdefault("number", []).append(_("Ya existe un convenio con ese número."))
    if errors:
        raise ValidationError(errors)

    with pghistory.context(user=by.pk):
        if agreement is None:
            agreement = Agreement(province=province)
        agreement.province = province
        agreement.number = number
        agreement.title = title
        agreement.start_date = start_date
        agreement.end_date = end_date
        agreement.budget = budget
        agreement.status = status
        agreement.save()
        existing = {q.crop_id: q for q in agreement.quotas.all()}
        for crop, quota in quotas.items():
            row = existing.pop(crop.pk, None)
            if row is None:
                AgreementQuota.objects.create(agreement=agreement, crop=crop, quota=quota)
            elif row.quota != quota:
                row.quota = quota
                row.save(update_fields=["quota"])
        for row in existing.values():
            row.delete()
    return agreement


@transaction.atomic
def save_cycle(
    *,
    by,
    cycle: Cycle | None = None,
    agreement: Agreement,
    crop: Crop,
    name: str,
    first_month: dt.date,
    months: int,
    registration_open: bool = True,
) -> Cycle:
    """Create or update an inter-harvest period.

    Rules: 1 to 4 months; the activity is one the agreement sets a quota for; every month of
    the period lies inside the agreement's period.
    """
    require_perm(by, "provinces.change_cycle" if cycle else "provinces.add_cycle")
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    errors: dict[str, list[str]] = {}
    if months is None or not 1 <= months <= Cycle.MAX_MONTHS:
        errors.setdefault("months", []).append(
            _("Un período interzafra dura entre 1 y %(max)s meses.") % {"max": Cycle.MAX_MONTHS}
        )
    if not agreement.quotas.filter(crop=crop).exists():
        errors.setdefault("crop", []).append(
            _("El convenio %(number)s no fija cupo para %(crop)s.") % {"number": agreement.number, "crop": crop.name}
        )
    if first_month is not None:
        first_month = first_month.replace(day=1)
        if not errors.get("months"):
            last = add_months(first_month, months - 1)
            if first_month < agreement.start_date.replace(day=1) or last > agreement.end_date.replace(day=1):
                errors.setdefault("first_month", []).append(
                    _(
                        "El período (%(first)s a %(last)s) debe caer dentro de la vigencia del convenio "
                        "(%(start)s a %(end)s)."
                    )
                    % {
                        "first": first_month.strftime("%m/%Y"),
                        "last": last.strftime("%m/%Y"),
                        "start": agreement.start_date.strftime("%d/%m/%Y"),
                        "end": agreement.end_date.strftime("%d/%m/%Y"),
                    }
                )
    duplicate = Cycle.objects.filter(agreement=agreement, crop=crop, first_month=first_month)
    if cycle is not None:
        duplicate = duplicate.exclude(pk=cycle.pk)
    if duplicate.exists():
        errors.setdefault("first_month", []).append(
            _("Ya hay un período de esa actividad que empieza ese mes en este convenio.")
        )
    if (
        cycle is not None
        and (cycle.crop_id != crop.pk or cycle.agreement_id != agreement.pk)
        and cycle.enrollments.exists()
    ):
        errors.setdefault("crop", []).append(
            _("No se puede cambiar el convenio o la actividad de un período que ya tiene inscripciones.")
        )
    if errors:
        raise ValidationError(errors)
    with pghistory.context(user=by.pk):
        cycle = cycle or Cycle()
        cycle.agreement = agreement
        cycle.crop = crop
        cycle.name = name
        cycle.first_month = first_month
        cycle.months = months
        cycle.registration_open = registration_open
        cycle.save()
    return cycle


@transaction.atomic
def close_registration_for_ended_cycles(*, today: dt.date | None = None) -> int:
    """Close registration of every period that has ended (today is past its last month), in one
    UPDATE audited under the reason below. Returns how many closed.

    A period takes registrations while it runs: workers reach the lists during the break, and
    an officer may still close one earlier by hand (``save_cycle``). Run daily by Celery beat;
    safe to run any number of times (a closed period is not touched again)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    # first_month + months months: the first day after the period (make_interval(years, months))
    ends = Cast(
        ExpressionWrapper(
            F("first_month") + Func(Value(0), F("months"), function="make_interval"), output_field=DateTimeField()
        ),
        DateField(),
    )
    with pghistory.context(reason="cierre automático de inscripción: terminó el período"):
        return (
            Cycle.objects.alias(ends=ends)
            .filter(registration_open=True, ends__lte=today)
            .update(registration_open=False)
        )


LOCAL_KINDS = {
    Organisation.Kind.TERRITORIAL_AGENCY,
    Organisation.Kind.PROVINCIAL_OFFICE,
    Organisation.Kind.MUNICIPALITY,
}


@transaction.atomic
def save_organisation(
    *, by, organisation: Organisation | None = None, name: str, kind: str, province=None, cuit: str = ""
) -> Organisation:
    """Create or update an organisation. Provincial offices, municipalities and territorial
    agencies belong to a province; the ministry is national; a CUIT, when given, is valid."""
    from stdnum.ar import cuit as cuit_number

    require_perm(by, "provinces.change_organisation" if organisation else "provinces.add_organisation")
    errors: dict[str, list[str]] = {}
    if kind in LOCAL_KINDS and province is None:
        errors.setdefault("province", []).append(
            _("Una oficina provincial, municipio o agencia territorial pertenece a una provincia.")
        )
    if kind == Organisation.Kind.MINISTRY and province is not None:
        errors.setdefault("province", []).append(_("El Ministerio es de alcance nacional: deje la provincia vacía."))
    cuit = cuit_number.compact(cuit or "")
    if cuit and not cuit_number.is_valid(cuit):
        errors.setdefault("cuit", []).append(
            _("El CUIT %(cuit)s no es válido (revise el dígito verificador).") % {"cuit": cuit}
        )
    same_name = Organisation.objects.filter(name__iexact=name)
    if organisation is not None:
        same_name = same_name.exclude(pk=organisation.pk)
    if same_name.exists():
        errors.setdefault("name", []).append(_("Ya existe una organización con ese nombre."))
    if organisation is not None and organisation.kind != kind and organisation.memberships.exists():
        errors.setdefault("kind", []).append(_("No se puede cambiar el tipo de una organización que tiene miembros."))
    if errors:
        raise ValidationError(errors)
    with pghistory.context(user=by.pk):
        organisation = organisation or Organisation()
        organisation.name, organisation.kind, organisation.province, organisation.cuit = name, kind, province, cuit
        organisation.save()
    return organisation
