"""The public status page: no login; CUIL + birth date → the worker's own status, and a claim
form bound to that lookup by a short-lived signed token.

Unknown CUIL, wrong birth date and a worker never enrolled answer the same message. Every
lookup (found, not found, invalid, refused by the rate limit) goes to the access log."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from rest_framework.throttling import BaseThrottle

from api.models import StatusLookup
from api.services import log_public_lookup
from claims.models import Claim
from claims.selectors import default_target
from claims.services import file_claim
from enrollment.models import Worker
from provinces.forms import apply_service_errors
from selfservice import limits
from selfservice.forms import LookupForm, PublicClaimForm
from selfservice.status import find_worker, worker_status

_SALT = "selfservice.claim"
R = StatusLookup.Result


def _ip(request) -> str | None:
    import ipaddress

    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return None


def not_found_message() -> str:
    return _(
        "No encontramos una inscripción con esos datos. Revise el CUIL y la fecha de nacimiento; si son"
        " correctos, consulte en la oficina de empleo o el sindicato donde se inscribió."
    )


def _limited(request, *, ip: str | None, cuil: str):
    log_public_lookup(cuil=cuil, result=R.LIMITED, ip=ip)
    response = render(
        request,
        "selfservice/lookup.html",
        {"form": LookupForm(), "message": _("Hizo demasiadas consultas seguidas. Espere un rato y vuelva a intentar.")},
        status=429,
    )
    return response


def _status_page(request, worker: Worker, claim_form=None, filed=None, already_open=False):
    status = worker_status(worker)
    form = claim_form or PublicClaimForm(
        initial={"token": signing.dumps(worker.pk, salt=_SALT)}, subjects=status.claim_subjects
    )
    return render(
        request,
        "selfservice/status.html",
        {"status": status, "claim_form": form, "filed": filed, "already_open": already_open},
    )


@never_cache
def lookup(request):
    if request.method != "POST":
        return render(request, "selfservice/lookup.html", {"form": LookupForm()})
    ip = _ip(request)
    typed = (request.POST.get("cuil") or "")[:32]
    if not limits.allow("ip", ip or "unknown"):
        return _limited(request, ip=ip, cuil=typed)
    form = LookupForm(request.POST)
    if not form.is_valid():
        if "cuil" in form.errors:
            log_public_lookup(cuil=typed, result=R.INVALID, ip=ip)
        return render(request, "selfservice/lookup.html", {"form": form}, status=400)
    cuil = form.cleaned_data["cuil"]
    if not limits.allow("cuil", cuil):
        return _limited(request, ip=ip, cuil=cuil)
    worker = find_worker(cuil=cuil, birth_date=form.cleaned_data["birth_date"])
    log_public_lookup(cuil=cuil, result=R.FOUND if worker else R.NOT_FOUND, ip=ip)
    if worker is None:
        # what she typed stays in the form, so she can check it as the message asks
        return render(request, "selfservice/lookup.html", {"form": form, "message": not_found_message()}, status=404)
    return _status_page(request, worker)


@never_cache
def claim(request):
    """File a claim from the status page. The token proves the lookup; it expires after
    ``SELF_SERVICE_TOKEN_SECONDS``, after which the worker looks herself up again."""
    if request.method != "POST":
        return render(request, "selfservice/lookup.html", {"form": LookupForm()})
    ip = _ip(request)
    if not limits.allow("ip", ip or "unknown"):
        return _limited(request, ip=ip, cuil="")
    try:
        worker_pk = signing.loads(
            request.POST.get("token", ""), salt=_SALT, max_age=settings.SELF_SERVICE_TOKEN_SECONDS
        )
        worker = Worker.objects.get(pk=worker_pk)
    except (signing.BadSignature, Worker.DoesNotExist):
        message = _("Pasó demasiado tiempo desde su consulta. Vuelva a ingresar su CUIL y fecha de nacimiento.")
        return render(request, "selfservice/lookup.html", {"form": LookupForm(), "message": message}, status=400)
    status = worker_status(worker)
    form = PublicClaimForm(request.POST, subjects=status.claim_subjects)
    if form.is_valid():
        subject = form.cleaned_data["subject"]
        open_claims = Claim.objects.filter(worker=worker, status__in=Claim.OPEN_STATES)
        open_before = set(open_claims.values_list("pk", flat=True))
        try:
            filed = file_claim(
                by=None,
                worker=worker,
                subject=subject,
                description=form.cleaned_data["description"],
                **default_target(worker=worker, subject=subject),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            # the same claim still open: say so, rather than "received" for text that was not added
            return _status_page(request, worker, filed=filed, already_open=filed.pk in open_before)
    return _status_page(request, worker, claim_form=form)
