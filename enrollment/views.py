from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from enrollment import bank_account_views, imports, lists, registration, seams, services, tasks
from enrollment.detail import render_enrollment_detail
from enrollment.filters import EnrollmentFilter, ImportJobFilter, ReviewFilter, WorkerFilter
from enrollment.forms import CHECKED_AS_TYPED, BulkDecisionForm, DecisionForm, RegistrationForm, UploadForm
from enrollment.identity_reviews import identity_reviews_for, open_review_count, sender_message
from enrollment.selectors import enrollments_for, status_history, workers_for
from enrollment.suspension_proposals import open_proposal_count
from enrollment.validation import WorkerDataCleaner
from provinces.forms import apply_service_errors
from provinces.listing import render_list
from provinces.roles import Role
from provinces.scoping import scope_of
from provinces.spreadsheets import csv_stream


def _require_registering_role(user) -> None:
    if not scope_of(user).has_role(Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER):
        raise PermissionDenied


def _require_reviewer(user) -> None:
    if not user.has_perm("enrollment.review_enrollment"):
        raise PermissionDenied


@login_required
def worker_list(request):
    """Workers in the user's scope, by CUIL, name, province and registering organisation."""
    return render_list(
        request,
        filterset=WorkerFilter(request.GET, queryset=workers_for(request.user), request=request),
        template="enrollment/worker_list.html",
        columns=lists.WORKER_COLUMNS,
        filename="trabajadores",
        noun=lists.workers_noun,
        order_by=("last_name_norm", "first_name_norm", "pk"),
    )


@login_required
def worker_detail(request, pk):
    worker = get_object_or_404(workers_for(request.user), pk=pk)
    enrollments = enrollments_for(request.user).filter(worker=worker)
    history = status_history(enrollments.values_list("pk", flat=True))
    context = {"worker": worker, "enrollments": enrollments, "history": history}
    context.update(bank_account_views.worker_section(user=request.user, worker=worker))
    context["identity_reviews"] = identity_reviews_for(request.user).filter(cuil=worker.cuil).order_by("-created_at")
    context["payments"] = seams.payment_history(user=request.user, worker=worker)
    return render(request, "enrollment/worker_detail.html", context)


@login_required
def enrollment_list(request):
    # The filters narrow the user's scope; they never widen it (the base queryset is scoped).
    return render_list(
        request,
        filterset=EnrollmentFilter(request.GET, queryset=enrollments_for(request.user), request=request),
        template="enrollment/enrollment_list.html",
        columns=lists.ENROLLMENT_COLUMNS,
        filename="inscripciones",
        noun=lists.enrollments_noun,
        order_by=("worker__last_name_norm", "worker__first_name_norm", "-cycle__first_month", "pk"),
    )


@login_required
def register(request):
    """One form for the worker and the cycle: registered and enrolled together, or neither."""
    _require_registering_role(request.user)
    form = RegistrationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = registration.register_and_enroll(
                by=request.user, data=form.worker_data(), cycle=form.cleaned_data["cycle"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied as denied:
            form.add_error(None, str(denied) or _("No puede registrar a esta persona."))
        else:
            if result.review is not None:
                # What the caller sent and the item's state; nothing of a stored worker.
                messages.warning(request, sender_message(result.review))
                return redirect("enrollment:identity_review_detail", pk=result.review.pk)
            messages.success(
                request,
                _("%(worker)s quedó inscripto/a en %(cycle)s.")
                % {"worker": result.worker, "cycle": result.enrollment.cycle.name},
            )
            if result.cbu_change is not None:
                messages.info(
                    request,
                    _(
                        "El CBU informado es distinto del registrado: quedó como pedido de cambio, "
                        "que aprueba otra persona."
                    ),
                )
            return redirect("enrollment:worker_detail", pk=result.worker.pk)
    return render(request, "enrollment/register.html", {"form": form})


@login_required
@require_POST
def register_check(request):
    """Check one field of the registration form as it changes (htmx): the same rules as the
    service, so the person sees the message next to the field before sending the form."""
    _require_registering_role(request.user)
    field = request.GET.get("field", "")
    if field not in CHECKED_AS_TYPED:
        raise Http404
    value = request.POST.get(field, "").strip()
    problems: list[str] = []
    note = ""
    if value:
        values, errors = WorkerDataCleaner().clean({field: value}, partial=True)
        problems = errors.get(field, [])
        if field == "cuil" and not problems:
            known = workers_for(request.user).filter(cuil=values["cuil"]).first()
            if known is not None:
                note = _(
                    "Ya registrado/a: %(worker)s. Se actualizarán solo sus datos de contacto y domicilio; "
                    "si el nombre o la fecha de nacimiento no coinciden, pasará a revisión."
                ) % {"worker": known}
    return render(request, "enrollment/_field_check.html", {"field": field, "problems": problems, "note": note})


@login_required
def enrollment_detail(request, pk):
    enrollment = get_object_or_404(enrollments_for(request.user), pk=pk)
    return render_enrollment_detail(request, enrollment)


@login_required
@require_POST
def decide(request, pk):
    """A reviewer approves or rejects one enrollment (a reason is required to reject)."""
    _require_reviewer(request.user)
    enrollment = get_object_or_404(enrollments_for(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["action"] == "approve":
                services.approve_enrollment(enrollment=enrollment, by=request.user, reason=form.cleaned_data["reason"])
            else:
                services.reject_enrollment(enrollment=enrollment, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, _("Decisión registrada: %(status)s.") % {"status": enrollment.get_status_display()}
            )
            return redirect("enrollment:enrollment_detail", pk=enrollment.pk)
    return render_enrollment_detail(request, enrollment, status=400, form=form)


@login_required
def review_queue(request):
    """Ministry reviewers: filter by CUIL, province, cycle, status and alerts; decide one by one
    or in bulk. Each row counts its open screening flags."""
    _require_reviewer(request.user)
    scoped = enrollments_for(request.user)
    form = BulkDecisionForm(request.POST or None, queryset=scoped)
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["enrollments"])
        approve = form.cleaned_data["action"] == "approve"
        failures = services.bulk_decide(
            enrollments=chosen, by=request.user, approve=approve, reason=form.cleaned_data["reason"]
        )
        done = len(chosen) - len(failures)
        messages.success(
            request,
            (
                ngettext("%(n)s inscripción aprobada.", "%(n)s inscripciones aprobadas.", done)
                if approve
                else ngettext("%(n)s inscripción rechazada.", "%(n)s inscripciones rechazadas.", done)
            )
            % {"n": done},
        )
        for failure in failures:
            messages.error(request, failure)
        return redirect(request.get_full_path())
    response = render_list(
        request,
        filterset=ReviewFilter(request.GET, queryset=scoped),
        template="enrollment/review_queue.html",
        columns=lists.REVIEW_COLUMNS,
        filename="revision",
        noun=lists.enrollments_noun,
        per_page=100,
        order_by=("created_at", "pk"),
        rows_of=lists.with_open_flags,
        context={
            "form": form,
            "identity_open": open_review_count(request.user),
            "suspension_open": open_proposal_count(request.user),
        },
    )
    if request.method == "POST":
        response.status_code = 400
    return response


# --- survey-list imports ---------------------------------------------------------------------


@login_required
def import_list(request):
    """Survey lists in the user's scope, filtered, counted, paged and exported."""
    can_upload = scope_of(request.user).has_role(Role.PROVINCIAL_OFFICER, Role.UNION_OFFICER)
    return render_list(
        request,
        filterset=ImportJobFilter(request.GET, queryset=imports.import_jobs_for(request.user), request=request),
        template="enrollment/import_list.html",
        columns=lists.IMPORT_JOB_COLUMNS,
        filename="padrones",
        noun=lists.import_jobs_noun,
        order_by=("-created_at", "-pk"),
        context={"can_upload": can_upload},
    )


@login_required
def import_upload(request):
    _require_registering_role(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.create_import_job(
                by=request.user, upload=form.cleaned_data["file"], cycle=form.cleaned_data["cycle"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            tasks.analyse_import_job.delay(job.pk)
            return redirect("enrollment:import_detail", pk=job.pk)
    return render(request, "enrollment/import_upload.html", {"form": form})


def _job_context(request, job):
    same_file = (
        imports.import_jobs_for(request.user)
        .filter(sha256=job.sha256, cycle=job.cycle, created_at__lt=job.created_at)
        .exclude(status=job.Status.CANCELLED)
        .order_by("-created_at")
        .first()
    )
    periods = list(
        job.periods.select_related("cycle__agreement__province", "cycle__crop").order_by(
            "cycle__agreement__province__name", "cycle__crop__name", "cycle__first_month"
        )
    )
    return {
        "job": job,
        "periods": periods,
        "unrouted_error_rows": max(job.error_rows - sum(p.error_rows for p in periods), 0) if periods else 0,
        "errors": job.errors.all()[:50],
        "may_act": _may_act_on(request.user, job),
        "nothing_to_confirm": imports.nothing_to_confirm(job) if job.status == job.Status.READY else "",
        "same_file": same_file,
        "applied_rows": job.applied_rows() if job.status == job.Status.CONFIRMED else None,
        "unlisted_errors_text": imports.unlisted_errors_text(job.unlisted_errors) if job.unlisted_errors else "",
    }


def _may_act_on(user, job) -> bool:
    try:
        imports.require_job_actor(user, job)
    except PermissionDenied:
        return False
    return True


@login_required
def import_detail(request, pk):
    job = get_object_or_404(imports.import_jobs_for(request.user), pk=pk)
    return render(request, "enrollment/import_detail.html", _job_context(request, job))


@login_required
def import_progress(request, pk):
    """The status block alone, polled by htmx while a task works on the job."""
    job = get_object_or_404(imports.import_jobs_for(request.user), pk=pk)
    return render(request, "enrollment/_import_status.html", _job_context(request, job))


@login_required
@require_POST
def import_confirm(request, pk):
    job = get_object_or_404(imports.import_jobs_for(request.user), pk=pk)
    try:
        imports.confirm_import(job=job, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        tasks.apply_import_job.delay(job.pk)
    return redirect("enrollment:import_detail", pk=job.pk)


@login_required
@require_POST
def import_cancel(request, pk):
    job = get_object_or_404(imports.import_jobs_for(request.user), pk=pk)
    try:
        imports.cancel_import(job=job, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("enrollment:import_detail", pk=job.pk)


@login_required
@require_POST
def import_resume(request, pk):
    """Queue the job's task again (after a worker crash); the tasks are idempotent."""
    job = get_object_or_404(imports.import_jobs_for(request.user), pk=pk)
    imports.require_job_actor(request.user, job)
    if job.status in (job.Status.QUEUED, job.Status.ANALYSING):
        tasks.analyse_import_job.delay(job.pk)
    elif job.status == job.Status.CONFIRMED:
        tasks.apply_import_job.delay(job.pk)
    return redirect("enrollment:import_detail", pk=job.pk)


@login_required
def import_errors_csv(request, pk):
    """Streamed as it is read: a list's problems can be many thousand rows."""
    job = get_object_or_404(imports.import_jobs_for(request.user), pk=pk)
    response = StreamingHttpResponse(
        csv_stream(imports.errors_csv_rows(job=job)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="errores-padron-{job.pk}.csv"'
    return response
