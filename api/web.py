"""Web pages of the API app: personal tokens, and the access log for auditors."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from api import selectors, services
from api.web_filters import (
    LOOKUP_COLUMNS,
    TOKEN_COLUMNS,
    LookupFilter,
    TokenFilter,
    lookups_noun,
    tokens_noun,
)
from provinces.listing import render_list
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
    return render_list(
        request,
        filterset=TokenFilter(request.GET, queryset=selectors.tokens_for(request.user), request=request),
        template="api/tokens.html",
        columns=TOKEN_COLUMNS,
        filename="tokens-api",
        noun=tokens_noun,
        order_by=("-created_at", "-pk"),
        context={"form": form, "new_key": new_key},
    )


@login_required
@require_POST
def revoke(request, pk):
    token = get_object_or_404(selectors.tokens_for(request.user), pk=pk)
    services.revoke_token(by=request.user, token=token)
    messages.success(request, _("Token revocado."))
    return redirect("api_web:tokens")


@login_required
def access_log(request):
    """The status lookups log (API and public page), for auditors: searched, filtered, counted,
    paged and exported (``provinces.listing``). A value the filter cannot search (a NUL
    character, an absurd length) answers 400 with the form's reason."""
    require_perm(request.user, "api.view_statuslookup")
    filterset = LookupFilter(request.GET, queryset=selectors.lookups_for(request.user), request=request)
    response = render_list(
        request,
        filterset=filterset,
        template="api/access_log.html",
        columns=LOOKUP_COLUMNS,
        filename="consultas-de-estado",
        noun=lookups_noun,
        per_page=100,
        order_by=("-at", "-pk"),
    )
    if not filterset.is_valid():
        response.status_code = 400
    return response
