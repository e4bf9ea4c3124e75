"""Pages for CBU changes and shared CBUs: the request form, the queue "Cambios de CBU", a
request's page with its decision, and the reviewers' resolution of shared CBUs. They parse,
call ``enrollment.bank_accounts`` and render; the rules live there."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from enrollment import bank_accounts, lists
from enrollment.filters import CbuChangeFilter
from enrollment.models import CbuChangeRequest, Worker
from enrollment.selectors import workers_for
from provinces.forms import apply_service_errors
from provinces.listing import render_list
from provinces.roles import Role
from provinces.scoping import scope_of

#: Who reads the queue: those who decide, and auditors.
QUEUE_ROLES = (Role.PAYMENTS_OFFICER, Role.MINISTRY_REVIEWER, Role.AUDITOR)


class CbuChangeForm(forms.Form):
    cbu = forms.CharField(label=gettext_lazy("CBU nuevo (22 dígitos)"), max_length=30)
    reason = forms.CharField(label=gettext_lazy("Motivo del cambio"), widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.CharField(
        label=gettext_lazy("Constancia presentada"),
        help_text=gettext_lazy("Por ejemplo: constancia de CBU del banco, con fecha y titular."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionNoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Nota de la decisión"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SharedCbuForm(forms.Form):
    cbu = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("Qué se verificó"), widget=forms.Textarea(attrs={"rows": 2, "cols": 30}))


def changes_for(user):
    """CBU change requests of the workers the user may see."""
    return CbuChangeRequest.objects.filter(worker__in=workers_for(user)).select_related(
        "worker", "requested_by", "decided_by"
    )


def _require_queue_role(user) -> None:
    if not scope_of(user).has_role(*QUEUE_ROLES):
        raise PermissionDenied


def _shows_full_cbu(user) -> bool:
    """Lists mask CBUs to the last four digits, except to those who may decide."""
    return bank_accounts.may_decide(user)


@login_required
def request_change(request, pk):
    worker = get_object_or_404(workers_for(request.user), pk=pk)
    if not bank_accounts.may_request(request.user):
        raise PermissionDenied
    form = CbuChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = bank_accounts.request_cbu_change(by=request.user, worker=worker, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Se pidió el cambio de CBU. Las cuotas quedan retenidas hasta que otra persona lo apruebe."),
            )
            warning = bank_accounts.shared_cbu_warning(cbu=change.new_cbu, worker=worker)
            if warning:
                messages.warning(request, warning)
            return redirect("enrollment:worker_detail", pk=worker.pk)
    return render(request, "enrollment/cbu_change_form.html", {"worker": worker, "form": form})


@login_required
def queue(request):
    _require_queue_role(request.user)
    shared = bank_accounts.unresolved_shared_cbus()
    workers = Worker.objects.in_bulk([pk for _cbu, ids in shared for pk in ids])
    full = _shows_full_cbu(request.user)
    rows = [
        {
            "cbu": cbu,
            "shown": cbu if full else bank_accounts.mask_cbu(cbu),
            "workers": [workers[pk] for pk in ids if pk in workers],
            "form": SharedCbuForm(initial={"cbu": cbu}, prefix=f"s{index}"),
            "prefix": f"s{index}",
        }
        for index, (cbu, ids) in enumerate(shared[:200])
    ]
    return render_list(
        request,
        filterset=CbuChangeFilter(request.GET, queryset=changes_for(request.user)),
        template="enrollment/cbu_changes.html",
        columns=lists.cbu_change_columns(full_cbu=full),
        filename="cambios-de-cbu",
        noun=lists.cbu_changes_noun,
        order_by=("-requested_at", "-pk"),
        context={
            "full_cbu": full,
            "shared": rows,
            "shared_total": len(shared),
            "may_resolve": scope_of(request.user).has_role(Role.MINISTRY_REVIEWER),
        },
    )


@login_required
def detail(request, pk):
    change = get_object_or_404(changes_for(request.user), pk=pk)
    reason = bank_accounts.why_cannot_decide(request.user, change)
    form = DecisionNoteForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        actions = {
            "approve": bank_accounts.approve_cbu_change,
            "reject": bank_accounts.reject_cbu_change,
            "cancel": bank_accounts.cancel_cbu_change,
        }
        if action not in actions:
            raise PermissionDenied
        if form.is_valid():
            try:  # PermissionDenied (role, four eyes, second factor) answers 403
                actions[action](change=change, by=request.user, note=form.cleaned_data["note"])
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Cambio de CBU: %(status)s.") % {"status": _status_label(change)})
                return redirect("enrollment:cbu_change_detail", pk=change.pk)
    full = _shows_full_cbu(request.user) or change.requested_by_id == request.user.pk
    return render(
        request,
        "enrollment/cbu_change_detail.html",
        {
            "change": change,
            "form": form,
            "why_not": reason,
            "may_decide": change.status == CbuChangeRequest.Status.PENDING and not reason,
            "may_cancel": change.status == CbuChangeRequest.Status.PENDING
            and (change.requested_by_id == request.user.pk or scope_of(request.user).has_role(Role.MINISTRY_REVIEWER)),
            "old_cbu": change.old_cbu if full else bank_accounts.mask_cbu(change.old_cbu),
            "new_cbu": change.new_cbu if full else bank_accounts.mask_cbu(change.new_cbu),
        },
    )


def _status_label(change: CbuChangeRequest) -> str:
    change.refresh_from_db(fields=["status"])
    return str(change.get_status_display())


@login_required
@require_POST
def resolve_shared(request):
    if not scope_of(request.user).has_role(Role.MINISTRY_REVIEWER):
        raise PermissionDenied
    prefix = request.POST.get("prefix", "")
    form = SharedCbuForm(request.POST, prefix=prefix)
    if not form.is_valid():
        messages.error(request, _("Indique qué se verificó (por ejemplo, titulares distintos confirmados)."))
        return redirect("enrollment:cbu_changes")
    try:
        bank_accounts.confirm_distinct_holders(by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as denied:
        messages.error(request, str(denied))
    else:
        messages.success(request, _("CBU compartido resuelto: titulares distintos confirmados."))
    return redirect("enrollment:cbu_changes")


def worker_section(*, user, worker: Worker) -> dict:
    """What the worker's page shows about their bank data: the CBU history (every request and
    its state, newest first), the pending one, and whether the user may ask for a change."""
    full = _shows_full_cbu(user)
    changes = list(worker.cbu_changes.select_related("requested_by", "decided_by"))
    for change in changes:
        change.old_shown = change.old_cbu if full else bank_accounts.mask_cbu(change.old_cbu)
        change.new_shown = change.new_cbu if full else bank_accounts.mask_cbu(change.new_cbu)
    return {
        "cbu_changes": changes,
        "cbu_pending": next((c for c in changes if c.status == CbuChangeRequest.Status.PENDING), None),
        "may_request_cbu": bank_accounts.may_request(user),
        "cbu_shared": bool(bank_accounts.shared_cbu_warning(cbu=worker.cbu, worker=worker)),
    }
