"""Web pages of the API app: personal tokens, and the access log for auditors."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api import selectors, services
from provinces.scoping import require_perm


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nombre (para qué sistema)"), max_length=100)
    days = forms.IntegerField(label=gettext_lazy("Días de vigencia"), min_value=1, max_value=365, initial=90)


@login_required
def tokens(request):
    new_key = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                _token, new_key = services.create_token(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                form = TokenForm()
    else:
        form = TokenForm()
    page = Paginator(selectors.tokens_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "api/tokens.html", {"form": form, "page": page, "new_key": new_key})


@login_required
@require_POST
def revoke(request, pk):
    token = get_object_or_404(selectors.tokens_for(request.user), pk=pk)
    services.revoke_token(by=request.user, token=token)
    messages.success(request, _("Token revocado."))
    return redirect("api_web:tokens")


class AccessLogFilterForm(forms.Form):
    # Free text: the log keeps invalid CUILs as they were typed, and an auditor may look for one.
    cuil = forms.CharField(label=gettext_lazy("CUIL"), max_length=200, required=False)


@login_required
def access_log(request):
    require_perm(request.user, "api.view_statuslookup")
    lookups = selectors.lookups_for(request.user)
    form = AccessLogFilterForm(request.GET)
    if not form.is_valid():  # a NUL character or an absurd length: 400, with the form's reason
        page = Paginator(lookups.none(), 100).get_page(1)
        return render(request, "api/access_log.html", {"page": page, "cuil": "", "form": form}, status=400)
    cuil = form.cleaned_data["cuil"].replace("-", "").strip()
    if cuil:
        lookups = lookups.filter(cuil=cuil)
    page = Paginator(lookups, 100).get_page(request.GET.get("page"))
    return render(request, "api/access_log.html", {"page": page, "cuil": cuil, "form": form})
