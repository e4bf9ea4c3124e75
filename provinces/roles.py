"""The programme's roles. Each is a Django group; scope (province, organisation) is object-level."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCIAL_OFFICER = "provincial_officer", _("Oficial provincial")
    UNION_OFFICER = "union_officer", _("Oficial de sindicato o asociación")
    MINISTRY_REVIEWER = "ministry_reviewer", _("Revisor/a del Ministerio")
    PAYMENTS_OFFICER = "payments_officer", _("Oficial de pagos del Ministerio")
    AUDITOR = "auditor", _("Auditor/a")
    ACCESS_ADMIN = "access_admin", _("Administrador/a de accesos")


#: Roles whose scope is the whole country: they read every province's records.
NATIONAL_ROLES = frozenset({Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER, Role.AUDITOR})

#: The ministry's national roles: they need two-factor authentication, and granting one takes a
#: second access administrator's approval (see ``provinces.access``). The access administrator
#: reads no worker, so it is not in ``NATIONAL_ROLES`` (scope).
MINISTRY_ROLES = NATIONAL_ROLES | {Role.ACCESS_ADMIN}

#: Roles that register workers, and roles that approve what is paid.
REGISTERING_ROLES = frozenset({Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER})
APPROVING_ROLES = frozenset({Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER})

#: Pairs of roles one person may not hold together, so that nobody registers, approves and pays
#: alone, nobody audits their own work and nobody administers access while acting on records.
INCOMPATIBLE_ROLES: frozenset[frozenset[str]] = frozenset(
    {frozenset({a, b}) for a in REGISTERING_ROLES for b in APPROVING_ROLES}
    | {frozenset({Role.MINISTRY_REVIEWER, Role.PAYMENTS_OFFICER})}
    | {frozenset({Role.AUDITOR, other}) for other in REGISTERING_ROLES | APPROVING_ROLES}
    | {frozenset({Role.ACCESS_ADMIN, other}) for other in Role.values if other != Role.ACCESS_ADMIN}
)


def conflicting_roles(role: str, held) -> list[str]:
    """The roles among ``held`` that may not be held together with ``role``."""
    return sorted(other for other in held if frozenset({role, other}) in INCOMPATIBLE_ROLES)


#: Organisation kinds each role may belong to.
ROLE_ORGANISATION_KINDS = {
    Role.PROVINCIAL_OFFICER: {"territorial_agency", "provincial_office", "municipality"},
    Role.UNION_OFFICER: {"union", "producers_association"},
    Role.MINISTRY_REVIEWER: {"ministry"},
    Role.PAYMENTS_OFFICER: {"ministry"},
    Role.AUDITOR: {"ministry"},
    Role.ACCESS_ADMIN: {"ministry"},
}

_READ_REFERENCE = [
    "provinces.view_province",
    "provinces.view_crop",
    "provinces.view_organisation",
    "provinces.view_agreement",
    "provinces.view_cycle",
]
_REGISTER = [
    "enrollment.view_worker",
    "enrollment.add_worker",
    "enrollment.change_worker",
    "enrollment.view_enrollment",
    "enrollment.add_enrollment",
]

#: Model permissions each role's group holds. What a role may do to a *particular* object is
#: then narrowed by its scope (see ``provinces.scoping``).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.PROVINCIAL_OFFICER: _READ_REFERENCE + _REGISTER,
    Role.UNION_OFFICER: _READ_REFERENCE + _REGISTER,
    Role.MINISTRY_REVIEWER: _READ_REFERENCE
    + [
        "provinces.add_agreement",
        "provinces.change_agreement",
        "provinces.add_cycle",
        "provinces.change_cycle",
        "provinces.add_organisation",
        "provinces.change_organisation",
        "provinces.view_membership",
        "provinces.view_history",
        "enrollment.view_worker",
        "enrollment.view_enrollment",
        "enrollment.review_enrollment",
    ],
    Role.PAYMENTS_OFFICER: _READ_REFERENCE
    + [
        "enrollment.view_worker",
        "enrollment.view_enrollment",
        "payments.view_rate",
        "payments.propose_rate",
        "payments.approve_rate",
        "payments.view_installment",
        "payments.view_paymentbatch",
        "payments.manage_payments",
        "payments.reissue_installment",
    ],
    Role.AUDITOR: _READ_REFERENCE
    + [
        "provinces.view_history",
        "provinces.view_membership",
        "enrollment.view_worker",
        "enrollment.view_enrollment",
        "payments.view_rate",
        "payments.view_installment",
        "payments.view_paymentbatch",
    ],
}

# Access administration (provinces.access): grants and revokes roles, approves another
# administrator's national grants, resets a lost second factor. Reads organisations and people,
# never workers, enrolments or payments.
ROLE_PERMISSIONS[Role.ACCESS_ADMIN] = _READ_REFERENCE + [
    "provinces.view_membership",
    "provinces.add_membership",
    "provinces.delete_membership",
    "provinces.view_rolegrant",
    "provinces.manage_access",
]

# Training and employment referrals (training/): managed by ministry reviewers everywhere and by
# provincial officers in their provinces; auditors read.
_TRAINING_MANAGE = [
    f"training.{action}_{model}"
    for model in ("provider", "employmentoffice", "course", "referral")
    for action in ("view", "add", "change")
]
ROLE_PERMISSIONS[Role.PROVINCIAL_OFFICER] += _TRAINING_MANAGE
ROLE_PERMISSIONS[Role.MINISTRY_REVIEWER] += _TRAINING_MANAGE
ROLE_PERMISSIONS[Role.AUDITOR] += [f"training.view_{m}" for m in ("provider", "employmentoffice", "course", "referral")]

# REST API (api/): ministry reviewers manage everyone's API tokens; auditors read and export the
# access log of status lookups and see the tokens.
ROLE_PERMISSIONS[Role.MINISTRY_REVIEWER] += ["api.manage_tokens", "api.view_apitoken"]
ROLE_PERMISSIONS[Role.AUDITOR] += ["api.view_statuslookup", "api.view_apitoken"]
# Screening (enrollment.screening): ministry reviewers load registries, run and resolve;
# auditors read. Provincial and union officers see no flags.
ROLE_PERMISSIONS[Role.MINISTRY_REVIEWER] += [
    "screening.view_matchflag",
    "screening.resolve_matchflag",
    "screening.view_externalregistry",
    "screening.add_externalregistry",
    "screening.load_externalregistry",
    "screening.view_screeningrun",
    "screening.add_screeningrun",
]
ROLE_PERMISSIONS[Role.AUDITOR] += [
    "screening.view_matchflag",
    "screening.view_externalregistry",
    "screening.view_screeningrun",
]
# Payments (payments/): provincial officers read the installments of their provinces and union
# officers those of the enrollments they registered (the dashboard's transfers, the installment
# list, a worker's payments, the payments report), always narrowed by their scope. Batches, bank
# files, reconciliation, rates and every payment action stay with the ministry's payments roles.
ROLE_PERMISSIONS[Role.PROVINCIAL_OFFICER] += ["payments.view_installment"]
ROLE_PERMISSIONS[Role.UNION_OFFICER] += ["payments.view_installment"]
# Claims (claims/): officers file claims on behalf of workers in their scope and read them;
# ministry reviewers and payments officers take and decide them (each effect also needs the
# permission of the service that carries it out); auditors read.
ROLE_PERMISSIONS[Role.PROVINCIAL_OFFICER] += ["claims.view_claim", "claims.add_claim"]
ROLE_PERMISSIONS[Role.UNION_OFFICER] += ["claims.view_claim", "claims.add_claim"]
ROLE_PERMISSIONS[Role.MINISTRY_REVIEWER] += ["claims.view_claim", "claims.decide_claim"]
ROLE_PERMISSIONS[Role.PAYMENTS_OFFICER] += ["claims.view_claim", "claims.decide_claim"]
ROLE_PERMISSIONS[Role.AUDITOR] += ["claims.view_claim"]
# Messages to workers (notifications/): officers record a worker's contact preferences (or her
# opting out); the ministry's reviewers and auditors read the outbox.
ROLE_PERMISSIONS[Role.PROVINCIAL_OFFICER] += ["notifications.view_contact", "notifications.change_contact"]
ROLE_PERMISSIONS[Role.UNION_OFFICER] += ["notifications.view_contact", "notifications.change_contact"]
ROLE_PERMISSIONS[Role.MINISTRY_REVIEWER] += ["notifications.view_message", "notifications.view_contact"]
ROLE_PERMISSIONS[Role.AUDITOR] += ["notifications.view_message", "notifications.view_contact"]
# Identity reviews (enrollment.IdentityReview): a known CUIL arriving with other identity data,
# or from outside the caller's scope, waits for a ministry reviewer; auditors read. Officers see
# only the items their organisations sent, through the scoping function, without a model grant.
ROLE_PERMISSIONS[Role.MINISTRY_REVIEWER] += ["enrollment.view_identityreview", "enrollment.decide_identityreview"]
ROLE_PERMISSIONS[Role.AUDITOR] += ["enrollment.view_identityreview"]
