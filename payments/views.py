from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.bank_accounts import may_decide
from enrollment.selectors import workers_for
from payments import batches, common, installments, lists, rates, returns, selectors
from payments.bank_files import request_bank_file
from payments.filters import BatchFilter, InstallmentFilter
from payments.forms import BatchRequestForm, RateProposalForm, ReasonForm, ReturnFileForm, YearForm
from payments.models import BankFile, Installment, Rate
from provinces.listing import render_list
from provinces.scoping import require_perm

VIEW = "payments.view_paymentbatch"
#: held installments listed on a batch's page (the Cuotas list, filtered, has them all)
HELD_SHOWN = 200
MANAGE = common.MANAGE


def _require_view(request) -> None:
    require_perm(request.user, VIEW)


def _batch(request, pk):
    _require_view(request)
    return get_object_or_404(selectors.batches_for(request.user), pk=pk)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
def batch_list(request):
    _require_view(request)
    form = BatchRequestForm(request.POST or None)
    if request.method == "POST":
        require_perm(request.user, MANAGE)
        if form.is_valid():
            try:
                batch = batches.request_batch(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("%(batch)s: solicitado.") % {"batch": batch})
                return redirect("payments:batch_detail", pk=batch.pk)
    return render_list(
        request,
        filterset=BatchFilter(request.GET, queryset=selectors.batches_for(request.user)),
        template="payments/batch_list.html",
        columns=lists.BATCH_COLUMNS,
        filename="lotes-de-pago",
        noun=lists.batches_noun,
        per_page=30,
        order_by=("-month", "-created_at", "-pk"),
        context={"form": form, "lag": settings.PAYMENT_LAG_MONTHS},
    )


def _batch_context(request, batch) -> dict:
    """What the batch page shows: its summary, lines, held installments and bank files, and
    whether a task of the batch is still running (the page then polls ``batch_progress``)."""
    items = Paginator(selectors.batch_items(batch=batch), 50).get_page(request.GET.get("page"))
    held = selectors.held_for_batch(batch=batch)
    return_files = list(batch.return_files.defer("content").select_related("uploaded_by"))
    applying = any(f.status == f.Status.QUEUED for f in return_files)
    return {
        "batch": batch,
        "items": items,
        "held": held[:HELD_SHOWN],
        "held_total": held.count(),
        "reconciliations": selectors.reconciliations_of(batch=batch),
        "return_files": return_files,
        "working": batch.status == batch.Status.BUILDING or applying,
        # Lines show the CBU's last four digits, except to those who may decide CBU changes.
        "full_cbu": may_decide(request.user),
    }


@login_required
def batch_detail(request, pk):
    batch = _batch(request, pk)
    context = {**_batch_context(request, batch), **_files_context(batch), "return_form": ReturnFileForm()}
    return render(request, "payments/batch_detail.html", context)


def _files_context(batch) -> dict:
    files = list(batch.files.select_related("exported_by").order_by("format"))
    return {"files": files, "pending": any(f.status == BankFile.Status.QUEUED for f in files)}


@login_required
def bank_files(request, pk):
    batch = _batch(request, pk)
    return render(request, "payments/_bank_files.html", {"batch": batch, **_files_context(batch)})


@login_required
def batch_progress(request, pk):
    """The batch's state and summary, and (out of band) its returns, held installments and
    lines: what the page swaps in while it polls, so it never needs a reload."""
    batch = _batch(request, pk)
    context = {**_batch_context(request, batch), "oob": True}
    parts = ("_progress", "_batch_returns", "_batch_held", "_batch_lines")
    html = "".join(render_to_string(f"payments/{part}.html", context, request=request) for part in parts)
    return HttpResponse(html)


def _act(request, pk, action, done_message):
    batch = _batch(request, pk)
    require_perm(request.user, MANAGE)
    try:
        result = action(batch)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("No tiene permiso para esta acción."))
    else:
        messages.success(request, done_message(result))
    return redirect("payments:batch_detail", pk=batch.pk)


@login_required
@require_POST
def batch_approve(request, pk):
    return _act(
        request,
        pk,
        lambda batch: batches.approve_batch(batch=batch, by=request.user),
        lambda batch: _("Lote aprobado."),
    )


@login_required
@require_POST
def batch_export(request, pk, fmt):
    if fmt not in BankFile.Format.values:
        raise PermissionDenied
    return _act(
        request,
        pk,
        lambda batch: request_bank_file(batch=batch, fmt=fmt, by=request.user),
        lambda f: (
            _("Archivo %(name)s exportado (SHA-256 %(sha)s).") % {"name": f.filename, "sha": f.sha256}
            if f.status == BankFile.Status.DONE
            else _("Archivo %(name)s en preparación: se escribe en segundo plano.") % {"name": f.filename}
        ),
    )


@login_required
@require_POST
def batch_reconcile(request, pk):
    batch = _batch(request, pk)
    require_perm(request.user, MANAGE)
    form = ReturnFileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Adjunte el archivo de respuesta del banco."))
        return redirect("payments:batch_detail", pk=batch.pk)
    upload = form.cleaned_data["file"]
    # One byte past the limit is enough for the service to refuse the file.
    content = upload.read(settings.RETURN_FILE_MAX_BYTES + 1)
    return _act(
        request,
        pk,
        lambda b: returns.submit_return_file(batch=b, content=content, filename=upload.name, by=request.user),
        lambda f: (
            _("Archivo %(name)s recibido: se aplica en segundo plano.") % {"name": f.filename}
            if f.status == f.Status.QUEUED
            else _("Archivo %(name)s ya recibido (%(status)s).")
            % {"name": f.filename, "status": f.get_status_display()}
        ),
    )


@login_required
def bank_file_download(request, pk):
    _require_view(request)
    bank_file = get_object_or_404(
        BankFile.objects.filter(batch__in=selectors.batches_for(request.user), status=BankFile.Status.DONE), pk=pk
    )
    content_type = "text/csv" if bank_file.format == BankFile.Format.CSV else "text/plain"
    response = FileResponse(
        bank_file.file.open("rb"),
        as_attachment=True,
        filename=bank_file.filename,
        content_type=f"{content_type}; charset=utf-8",
    )
    response["X-Content-SHA256"] = bank_file.sha256
    return response


def _installment_action(request, pk, action):
    require_perm(request.user, MANAGE)
    installment = get_object_or_404(selectors.installments_for(request.user), pk=pk)
    try:
        action(installment)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Cuota actualizada."))
    return redirect("payments:worker_payments", pk=installment.worker_id)


@login_required
@require_POST
def installment_release(request, pk):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _installment_action(
        request, pk, lambda i: installments.release_hold(installment=i, by=request.user, reason=reason)
    )


@login_required
@require_POST
def installment_reissue(request, pk):
    return _installment_action(request, pk, lambda i: installments.reissue_installment(installment=i, by=request.user))


@login_required
@require_POST
def installment_reissue_order(request, pk):
    """Re-issue an installment whose branch-pickup order the bank rejected, with a note."""
    form = ReasonForm(request.POST)
    note = form.cleaned_data["reason"] if form.is_valid() else ""
    return _installment_action(
        request, pk, lambda i: installments.reissue_pickup_order(installment=i, by=request.user, note=note)
    )


@login_required
def worker_payments(request, pk):
    require_perm(request.user, "payments.view_installment")
    worker = get_object_or_404(workers_for(request.user), pk=pk)
    history = selectors.payment_history(user=request.user, worker=worker)
    return render(
        request,
        "payments/worker_payments.html",
        {"worker": worker, "installments": history, "Status": Installment.Status},
    )


@login_required
def installment_list(request):
    """Installments filtered by month, status, kind, province and agreement: the list behind
    every figure of the transfers dashboard, with the count and the amount it shows. Read-only,
    within the user's scope (``selectors.installments_for``)."""
    require_perm(request.user, "payments.view_installment")
    visible = selectors.installments_for(request.user).select_related("worker")
    flt = InstallmentFilter(request.GET, queryset=visible, request=request)
    # A filter the form refuses (a malformed month or CUIL, a province or agreement out of scope)
    # lists nothing, rather than being dropped and read as "every one".
    rows = flt.qs if flt.is_valid() else visible.none()
    total = rows.order_by().aggregate(total=Sum("amount"))["total"] or 0
    return render_list(
        request,
        filterset=flt,
        template="payments/installment_list.html",
        columns=lists.installment_columns(request.user),
        filename="cuotas",
        noun=lists.installments_noun,
        order_by=("-month", "province__name", "worker__last_name_norm", "pk"),
        context={"total_amount": total},
        count_values={"amount": number_format(total, decimal_pos=2, use_l10n=True, force_grouping=True)},
    )


@login_required
def monthly_totals(request):
    require_perm(request.user, "payments.view_installment")
    form = YearForm(request.GET)
    if not form.is_valid():  # a year the page cannot read (-1, 99999, abc) answers 400, with the reason
        return render(request, "payments/monthly_totals.html", {"rows": [], "form": form}, status=400)
    year = form.cleaned_data["anio"]
    rows = selectors.monthly_totals(user=request.user, year=year)
    return render(request, "payments/monthly_totals.html", {"rows": rows, "year": year, "form": form})


@login_required
def rate_list(request):
    """The resolutions' amounts: those in force, those waiting for a second person, those turned
    down; a payments officer proposes a new one here and another one approves it."""
    require_perm(request.user, "payments.view_rate")
    form = RateProposalForm(request.POST or None)
    if request.method == "POST":
        require_perm(request.user, rates.PROPOSE)
        if form.is_valid():
            try:
                rate = rates.propose_rate(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Monto de %(month)s propuesto: lo aprueba otro oficial de pagos.")
                    % {"month": f"{rate.effective_month:%m/%Y}"},
                )
                return redirect("payments:rate_list")
    listed = Rate.objects.select_related("proposed_by", "decided_by").order_by("-effective_month", "-pk")
    return render(
        request,
        "payments/rate_list.html",
        {
            "pending": [r for r in listed if r.status == Rate.Status.PENDING],
            "rates": [r for r in listed if r.status != Rate.Status.PENDING],
            "form": form,
            "reject_form": ReasonForm(),
        },
    )


def _rate_action(request, pk, action, done_message):
    require_perm(request.user, "payments.view_rate")
    require_perm(request.user, rates.APPROVE)
    rate = get_object_or_404(Rate, pk=pk)
    try:
        result = action(rate)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("No tiene permiso para esta acción."))
    else:
        messages.success(request, done_message(result))
    return redirect("payments:rate_list")


@login_required
@require_POST
def rate_approve(request, pk):
    return _rate_action(
        request,
        pk,
        lambda rate: rates.approve_rate(rate=rate, by=request.user),
        lambda result: (
            _("Monto aprobado y aplicado: %(raised)s cuotas actualizadas, %(differences)s diferencias programadas.")
            % result[1]
        ),
    )


@login_required
@require_POST
def rate_reject(request, pk):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _rate_action(
        request,
        pk,
        lambda rate: rates.reject_rate(rate=rate, by=request.user, reason=reason),
        lambda rate: _("Monto de %(month)s rechazado.") % {"month": f"{rate.effective_month:%m/%Y}"},
    )


@login_required
@require_POST
def rate_apply(request, pk):
    require_perm(request.user, "payments.view_rate")
    require_perm(request.user, MANAGE)
    rate = get_object_or_404(Rate, pk=pk)
    try:
        result = rates.apply_retroactive_rate(rate=rate, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("Resolución aplicada: %(raised)s cuotas actualizadas, %(differences)s diferencias programadas.") % result,
        )
    return redirect("payments:rate_list")
