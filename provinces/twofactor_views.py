"""Two-factor pages: enrol an authenticator (QR as inline SVG, the key as text, a code to
confirm, backup codes shown once) and verify a code after signing in with the password."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import match_token

from provinces import twofactor
from provinces.forms import CodeForm, apply_service_errors


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
def enrol(request):
    if twofactor.confirmed_device(request.user) is not None:
        return render(request, "provinces/twofactor/enrolled.html", {"next": _next(request)})
    device = twofactor.start_enrolment(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.confirm_enrolment(user=request.user, device=device, token=form.cleaned_data["token"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            device.refresh_from_db()
            otp_login(request, device)
            return render(request, "provinces/twofactor/codes.html", {"codes": codes, "next": _next(request)})
    return render(
        request,
        "provinces/twofactor/enrol.html",
        {
            "form": form,
            "qr": twofactor.provisioning_svg(device),
            "secret": twofactor.secret_text(device),
            "next": _next(request),
            "required": twofactor.needs_two_factor(request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def verify(request):
    if twofactor.confirmed_device(request.user) is None:
        return redirect(f"{reverse('twofactor:enrol')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].strip().replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("token", _wrong_code())
    return render(
        request,
        "provinces/twofactor/verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


def _wrong_code() -> str:
    from django.utils.translation import gettext as _

    return _(
        "El código no es correcto o ya se usó. Ingrese el que muestra ahora la aplicación, o un código de respaldo."
    )
