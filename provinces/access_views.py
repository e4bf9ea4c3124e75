"""Access administrators' pages: people and their roles, pending national grants, grant and
revoke, new accounts, second-factor resets; and the public page of a set-password link. The
rules are in ``provinces.access``; anyone without ``provinces.manage_access`` gets 403."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from provinces import access
from provinces.forms import AccountForm, GrantForm, apply_service_errors
from provinces.models import RoleGrant, TwoFactorReset
from provinces.scoping import require_perm
from provinces.selectors import memberships_for, pending_grants_for, people_for_access


def _site_url(request) -> str:
    return request.build_absolute_uri("/")


def _person(request, pk):
    require_perm(request.user, "provinces.manage_access")
    return get_object_or_404(get_user_model(), pk=pk)


def _refused(request, error) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(error))


@login_required
def home(request):
    require_perm(request.user, "provinces.manage_access")
    query = request.GET.get("q", "").strip()
    if "\x00" in query:  # PostgreSQL text cannot hold it: no person's name has one
        return HttpResponseBadRequest(_("La búsqueda no es válida."))
    return render(
        request,
        "provinces/access/home.html",
        {
            "people": people_for_access(request.user, query=query)[:200],
            "query": query,
            "pending": pending_grants_for(request.user),
        },
    )


@login_required
def person(request, pk):
    user = _person(request, pk)
    return _render_person(request, user, GrantForm())


def _render_person(request, user, form, status=200):
    from provinces.twofactor import confirmed_device

    return render(
        request,
        "provinces/access/person.html",
        {
            "person": user,
            "memberships": memberships_for(request.user).filter(user=user),
            "grants": RoleGrant.objects.filter(user=user).select_related("organisation", "requested_by", "decided_by"),
            "resets": TwoFactorReset.objects.filter(user=user).select_related("by"),
            "has_device": confirmed_device(user) is not None,
            "form": form,
            "is_self": user.pk == request.user.pk,
        },
        status=status,
    )


@require_POST
@login_required
def person_grant(request, pk):
    user = _person(request, pk)
    form = GrantForm(request.POST)
    if form.is_valid():
        try:
            granted = access.grant_role(by=request.user, user=user, **form.cleaned_data)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if isinstance(granted, RoleGrant):
                messages.success(request, _("Pedido registrado: otro/a administrador/a de accesos debe aprobarlo."))
            else:
                messages.success(request, _("Rol otorgado."))
            return redirect("access:person", pk=user.pk)
    return _render_person(request, user, form, status=400)


@login_required
def account_create(request):
    require_perm(request.user, "provinces.manage_access")
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, granted, link = access.create_account(
                by=request.user, site_url=_site_url(request), **form.cleaned_data
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return render(
                request,
                "provinces/access/link.html",
                {"person": user, "link": link, "pending": isinstance(granted, RoleGrant)},
            )
    return render(request, "provinces/access/account_form.html", {"form": form})


def _decide_grant(request, pk, decide, done: str):
    """Approve or refuse a pending role request the caller may decide (another's 404)."""
    require_perm(request.user, "provinces.manage_access")
    grant = get_object_or_404(pending_grants_for(request.user), pk=pk)
    try:
        decide(by=request.user, grant=grant, reason=request.POST.get("reason", ""))
    except (PermissionDenied, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, done % {"user": grant.user.username})
    return redirect("access:home")


@require_POST
@login_required
def grant_approve(request, pk):
    return _decide_grant(request, pk, access.approve_grant, _("Rol aprobado y otorgado a %(user)s."))


@require_POST
@login_required
def grant_refuse(request, pk):
    return _decide_grant(request, pk, access.refuse_grant, _("Pedido rechazado."))


@require_POST
@login_required
def membership_revoke(request, pk):
    require_perm(request.user, "provinces.manage_access")
    membership = get_object_or_404(memberships_for(request.user), pk=pk)
    try:
        access.revoke_role(by=request.user, membership=membership, reason=request.POST.get("reason", ""))
    except (PermissionDenied, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, _("Se quitó el rol."))
    return redirect("access:person", pk=membership.user_id)


@require_POST
@login_required
def two_factor_reset(request, pk):
    user = _person(request, pk)
    try:
        access.reset_two_factor(by=request.user, user=user, reason=request.POST.get("reason", ""))
    except (PermissionDenied, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, _("Verificación en dos pasos reiniciada: la persona la activa de nuevo al ingresar."))
    return redirect("access:person", pk=user.pk)


@require_POST
@login_required
def link_reissue(request, pk):
    user = _person(request, pk)
    try:
        link = access.issue_password_link(by=request.user, user=user, site_url=_site_url(request))
    except (PermissionDenied, ValidationError) as error:
        _refused(request, error)
        return redirect("access:person", pk=user.pk)
    return render(request, "provinces/access/link.html", {"person": user, "link": link, "pending": False})


def set_password(request, uidb64, token):
    """The one-time link: choose a password once; a used or expired link says so."""
    user = access.user_from_link(uidb64)
    state = access.link_state(user, token)
    if state != "valid":
        return render(request, "provinces/access/link_invalid.html", {"state": state}, status=410)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access.choose_password(user=user, token=token, password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied:
            return render(request, "provinces/access/link_invalid.html", {"state": "used"}, status=410)
        else:
            messages.success(request, _("Contraseña guardada. Ya puede ingresar."))
            return redirect("login")
    return render(request, "provinces/access/set_password.html", {"form": form, "person": user})
