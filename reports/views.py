import io
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.routers import reading_from_replica
from enrollment.identity import is_valid_cuil
from enrollment.selectors import workers_for
from provinces.scoping import require_perm, scope_of
from provinces.spreadsheets import csv_stream
from reports import dashboard, services, today, worker_story
from reports.exports import CONTENT_TYPES, REPORTS, clean_params, csv_rows, write_report
from reports.models import ReportJob
from reports.selectors import search_workers


@login_required
def home(request):
    """What waits on the user today, by role, each count linking to its list."""
    scope = scope_of(request.user)
    return render(request, "home.html", {"scope": scope, "tasks": today.todays_work(request.user)})


def _require_role(user) -> None:
    if not scope_of(user).roles:
        raise PermissionDenied


@login_required
def dashboard_view(request):
    _require_role(request.user)
    with reading_from_replica():
        sections = dashboard.sections_for(request.user)
    return render(request, "reports/dashboard.html", {"sections": sections, "scope": scope_of(request.user)})


@login_required
def search(request):
    require_perm(request.user, "enrollment.view_worker")
    query = request.GET.get("q", "").strip()
    results = None
    bad_cuil = False
    if query:
        with reading_from_replica():
            results = list(search_workers(user=request.user, query=query))
        digits = re.sub(r"\D", "", query)
        bad_cuil = not results and len(digits) == 11 and not is_valid_cuil(digits)
    return render(request, "reports/search.html", {"query": query, "results": results, "bad_cuil": bad_cuil})


@login_required
def worker_page(request, pk):
    require_perm(request.user, "enrollment.view_worker")
    worker = get_object_or_404(workers_for(request.user), pk=pk)
    sections = worker_story.sections_for(request.user, worker)
    return render(request, "reports/worker.html", {"worker": worker, "sections": sections})


@login_required
def report_list(request):
    require_perm(request.user, "enrollment.view_enrollment")
    reports = [
        {"kind": kind, "form": kind.form(user=request.user, auto_id=f"id_{kind.key}_%s")}
        for kind in REPORTS.values()
        if kind.allowed(request.user)
    ]
    jobs = ReportJob.objects.filter(requested_by=request.user)[:20]
    return render(request, "reports/report_list.html", {"reports": reports, "jobs": jobs})


@require_POST
@login_required
def report_create(request, kind):
    require_perm(request.user, "enrollment.view_enrollment")
    report = REPORTS.get(kind)
    if report is None:
        raise Http404
    fmt = request.POST.get("format", "csv")
    if fmt not in CONTENT_TYPES:
        messages.error(request, _("Formato desconocido."))
        return redirect("reports:report_list")
    try:
        params = clean_params(kind=report, user=request.user, data=request.POST)
    except ValidationError as error:
        for field_errors in error.message_dict.values():
            for message in field_errors:
                messages.error(request, message)
        return redirect("reports:report_list")
    with reading_from_replica():
        rows = report.rows(request.user, params)
        count = rows.count()
        if count <= settings.REPORTS_INLINE_MAX_ROWS and fmt == "csv":
            # Streamed as it is read; the rows are read again, from the replica, as they are sent.
            def lines():
                with reading_from_replica():
                    yield from csv_stream(csv_rows(report, report.rows(request.user, params).iterator(chunk_size=2000)))

            response = StreamingHttpResponse(lines(), content_type=CONTENT_TYPES[fmt])
            response["Content-Disposition"] = f'attachment; filename="{report.filename(params)}.{fmt}"'
            return response
        if count <= settings.REPORTS_INLINE_MAX_ROWS:
            # An XLSX is a zip written at the end: kept in memory, as small as the inline limit.
            buffer = io.BytesIO()
            write_report(fmt, buffer, report, rows.iterator(chunk_size=2000))
            response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[fmt])
            response["Content-Disposition"] = f'attachment; filename="{report.filename(params)}.{fmt}"'
            return response
    job = services.request_report(by=request.user, kind=kind, params=request.POST, format=fmt)
    return redirect("reports:job_detail", pk=job.pk)


def _own_job(request, pk) -> ReportJob:
    # A report holds personal data: only the person who asked for it may see or download it.
    return get_object_or_404(ReportJob, pk=pk, requested_by=request.user)


@login_required
def job_detail(request, pk):
    job = _own_job(request, pk)
    template = "reports/_job_status.html" if request.htmx else "reports/job_detail.html"
    return render(request, template, {"job": job, "report": REPORTS.get(job.kind)})


@login_required
def job_download(request, pk):
    job = _own_job(request, pk)
    if job.status != ReportJob.Status.DONE or not job.file:
        return redirect(reverse("reports:job_detail", args=[job.pk]))
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.file.name.rsplit("/", 1)[-1],
        content_type=CONTENT_TYPES[job.format],
    )
