"""The home page: what waits on the signed-in person today.

Each line is a count of what the user may read in one queue (reviews, flags, claims, identity
reviews, CBU changes, batches, survey lists, access grants), and a link to the list that shows
exactly those rows. The counts go through the same scoped selectors as the lists, so a line never
counts what its list would not show. A line appears only to roles that may open its list.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from claims.models import Claim
from claims.selectors import claims_for
from enrollment.bank_account_views import QUEUE_ROLES, changes_for
from enrollment.identity_reviews import identity_reviews_for
from enrollment.imports import import_jobs_for
from enrollment.models import CbuChangeRequest, Enrollment, IdentityReview, ImportJob
from enrollment.screening import sweep
from enrollment.screening.models import MatchFlag
from enrollment.screening.selectors import flags_for
from enrollment.selectors import enrollments_for
from payments.models import PaymentBatch
from payments.selectors import batches_for
from provinces.roles import REGISTERING_ROLES, Role
from provinces.scoping import scope_of
from provinces.selectors import pending_grants_for


@dataclass(frozen=True)
class Task:
    key: str
    text: str
    count: int
    url: str


def _url(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def todays_work(user) -> list[Task]:
    """The queues the user works on or reads, each with its count and its filtered list."""
    scope = scope_of(user)
    roles = scope.roles
    tasks: list[Task] = []
    if not roles:  # a superuser without a role works in the admin
        return tasks

    def add(key, text, count, url, **words):
        # ``text`` is the ngettext of the call (so that makemessages finds both forms).
        shown = number_format(count, force_grouping=True)
        tasks.append(Task(key=key, text=text % {"n": shown, **words}, count=count, url=url))

    if Role.MINISTRY_REVIEWER in roles or roles & REGISTERING_ROLES or Role.AUDITOR in roles:
        pending = enrollments_for(user).filter(status=Enrollment.Status.PENDING_REVIEW).count()
        add(
            "pending_review",
            ngettext("%(n)s inscripción pendiente de revisión", "%(n)s inscripciones pendientes de revisión", pending),
            pending,
            _url("enrollment:review_queue")
            if Role.MINISTRY_REVIEWER in roles
            else _url("enrollment:enrollment_list", status=Enrollment.Status.PENDING_REVIEW),
        )
    if user.has_perm("screening.view_matchflag") and roles & {Role.MINISTRY_REVIEWER, Role.AUDITOR}:
        flags = flags_for(user).filter(status=MatchFlag.Status.OPEN).count()
        add(
            "open_flags",
            ngettext("%(n)s alerta de control sin resolver", "%(n)s alertas de control sin resolver", flags),
            flags,
            _url("screening:flag_list", estado=MatchFlag.Status.OPEN),
        )
    if roles & {Role.MINISTRY_REVIEWER, Role.AUDITOR}:
        _unscreened(user, add)
    if user.has_perm("enrollment.view_identityreview") and roles & {Role.MINISTRY_REVIEWER, Role.AUDITOR}:
        reviews = identity_reviews_for(user).filter(state=IdentityReview.State.OPEN).count()
        add(
            "identity_reviews",
            ngettext("%(n)s conflicto de identidad por decidir", "%(n)s conflictos de identidad por decidir", reviews),
            reviews,
            _url("enrollment:identity_review_list", estado=IdentityReview.State.OPEN),
        )
    if roles & set(QUEUE_ROLES):
        changes = changes_for(user).filter(status=CbuChangeRequest.Status.PENDING).count()
        add(
            "cbu_changes",
            ngettext("%(n)s cambio de CBU por decidir", "%(n)s cambios de CBU por decidir", changes),
            changes,
            _url("enrollment:cbu_changes", estado=CbuChangeRequest.Status.PENDING),
        )
    if user.has_perm("claims.view_claim") and roles - {Role.ACCESS_ADMIN}:
        claims = claims_for(user).filter(status__in=Claim.OPEN_STATES).count()
        add(
            "open_claims",
            ngettext("%(n)s reclamo abierto", "%(n)s reclamos abiertos", claims),
            claims,
            _url("claims:list"),
        )
    if user.has_perm("payments.view_paymentbatch") and roles & {Role.PAYMENTS_OFFICER, Role.AUDITOR}:
        built = batches_for(user).filter(status=PaymentBatch.Status.BUILT).count()
        add(
            "batches_to_approve",
            ngettext("%(n)s lote de pago armado para aprobar", "%(n)s lotes de pago armados para aprobar", built),
            built,
            _url("payments:batch_list", estado=PaymentBatch.Status.BUILT),
        )
    if roles & (REGISTERING_ROLES | {Role.MINISTRY_REVIEWER, Role.AUDITOR}):
        jobs = import_jobs_for(user)
        if roles & REGISTERING_ROLES:
            ready = jobs.filter(status=ImportJob.Status.READY).count()
            add(
                "imports_ready",
                ngettext("%(n)s padrón listo para confirmar", "%(n)s padrones listos para confirmar", ready),
                ready,
                _url("enrollment:import_list", estado=ImportJob.Status.READY),
            )
        failed = jobs.filter(status=ImportJob.Status.FAILED).count()
        add(
            "failed_imports",
            ngettext("%(n)s padrón con error", "%(n)s padrones con error", failed),
            failed,
            _url("enrollment:import_list", estado=ImportJob.Status.FAILED),
        )
    if Role.ACCESS_ADMIN in roles:
        grants = pending_grants_for(user).count()
        add(
            "access_grants",
            ngettext("%(n)s pedido de rol por aprobar", "%(n)s pedidos de rol por aprobar", grants),
            grants,
            _url("access:home"),
        )
    return tasks


def _unscreened(user, add) -> None:
    """Enrollments left without their screening (``enrollment.screening.sweep``): shown only
    when there are some, with the error of those the sweeper will not queue again."""
    mine = enrollments_for(user)
    stale = sweep.stale(mine).count()
    if not stale:
        return
    minutes = sweep.stale_after_minutes()
    add(
        "unscreened",
        ngettext(
            "%(n)s inscripción sin controlar desde hace más de %(minutes)s minutos",
            "%(n)s inscripciones sin controlar desde hace más de %(minutes)s minutos",
            stale,
        ),
        stale,
        _url("enrollment:enrollment_list", sin_controlar="vencido"),
        minutes=minutes,
    )
    stuck = sweep.given_up(mine)
    failed = stuck.count()
    if failed:
        add(
            "screening_failed",
            ngettext(
                "%(n)s inscripción cuyo control falló dos veces: %(error)s",
                "%(n)s inscripciones cuyo control falló dos veces: %(error)s",
                failed,
            ),
            failed,
            _url("enrollment:enrollment_list", sin_controlar="fallido"),
            error=sweep.last_error(stuck) or gettext("el proceso se interrumpió sin informar un error"),
        )
