from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.selectors import enrollments_for, workers_for
from provinces.forms import apply_service_errors
from provinces.listing import render_list
from provinces.scoping import require_perm
from provinces.selectors import cycles_for, provinces_for
from training import selectors, services
from training.filters import (
    COURSE_COLUMNS,
    REFERRAL_COLUMNS,
    CourseFilter,
    ReferralFilter,
    courses_noun,
    referrals_noun,
)
from training.forms import AttendanceUploadForm, CourseForm, MoveReferralForm, OfficeForm, ProviderForm, ReferralForm


@login_required
def course_list(request):
    """Courses held in the user's provinces, searched, filtered, counted, paged and exported
    (``provinces.listing``)."""
    require_perm(request.user, "training.view_course")
    return render_list(
        request,
        filterset=CourseFilter(request.GET, queryset=selectors.courses_for(request.user), request=request),
        template="training/course_list.html",
        columns=COURSE_COLUMNS,
        filename="cursos",
        noun=courses_noun,
        order_by=("-start_date", "pk"),
        rows_of=selectors.with_seats_taken,
    )


@login_required
def course_detail(request, pk):
    require_perm(request.user, "training.view_course")
    course = get_object_or_404(selectors.with_seats_taken(selectors.courses_for(request.user)), pk=pk)
    roster = selectors.course_roster(user=request.user, course=course)
    return render(
        request,
        "training/course_detail.html",
        {"course": course, "roster": roster, "upload_form": AttendanceUploadForm(), "move_form": MoveReferralForm()},
    )


@login_required
def course_edit(request, pk=None):
    course = get_object_or_404(selectors.courses_for(request.user), pk=pk) if pk else None
    require_perm(request.user, "training.change_course" if course else "training.add_course")
    kwargs = {"providers": selectors.providers_for(request.user), "provinces": provinces_for(request.user)}
    if request.method == "POST":
        form = CourseForm(request.POST, instance=course, **kwargs)
        if form.is_valid():
            try:
                saved = services.save_course(by=request.user, course=course, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Curso guardado."))
                return redirect("training:course_detail", pk=saved.pk)
    else:
        form = CourseForm(instance=course, **kwargs)
    return render(request, "training/form.html", {"form": form, "title": _("Curso o entrenamiento")})


@login_required
@require_POST
def attendance_upload(request, pk):
    require_perm(request.user, "training.change_referral")
    course = get_object_or_404(selectors.courses_for(request.user), pk=pk)
    form = AttendanceUploadForm(request.POST, request.FILES)
    errors, unlisted = [], 0
    if form.is_valid():
        # One byte past the limit is enough for the service to refuse the file.
        data = form.cleaned_data["file"].read(settings.ATTENDANCE_MAX_BYTES + 1)
        result = services.import_attendance(by=request.user, course=course, data=data)
        if result.ok:
            messages.success(request, _("Asistencia actualizada: %(n)s personas.") % {"n": result.updated})
            return redirect("training:course_detail", pk=course.pk)
        errors, unlisted = result.errors, result.unlisted_errors
    course = selectors.with_seats_taken(selectors.courses_for(request.user)).get(pk=course.pk)
    return render(
        request,
        "training/course_detail.html",
        {
            "course": course,
            "roster": selectors.course_roster(user=request.user, course=course),
            "upload_form": form,
            "upload_errors": errors,
            "unlisted_errors": unlisted,
            "move_form": MoveReferralForm(),
        },
        status=400,
    )


@login_required
def worker_referrals(request, worker_pk):
    require_perm(request.user, "training.view_referral")
    worker = get_object_or_404(workers_for(request.user), pk=worker_pk)
    referrals = selectors.referrals_for(request.user).filter(worker=worker)
    form = None
    if request.user.has_perm("training.add_referral"):
        form_kwargs = {
            "enrollments": enrollments_for(request.user).filter(
                worker=worker, status__in=services.REFERABLE_ENROLLMENT_STATES
            ),
            "courses": selectors.courses_for(request.user),
            "offices": selectors.offices_for(request.user),
        }
        if request.method == "POST":
            form = ReferralForm(request.POST, **form_kwargs)
            if form.is_valid():
                try:
                    services.refer_worker(by=request.user, **form.cleaned_data)
                except ValidationError as error:
                    apply_service_errors(form, error)
                except PermissionDenied as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("Derivación registrada."))
                    return redirect("training:worker_referrals", worker_pk=worker.pk)
        else:
            form = ReferralForm(**form_kwargs)
    return render(
        request,
        "training/worker_referrals.html",
        {"worker": worker, "referrals": referrals, "form": form, "move_form": MoveReferralForm()},
    )


@login_required
@require_POST
def referral_move(request, pk):
    require_perm(request.user, "training.change_referral")
    referral = get_object_or_404(selectors.referrals_for(request.user), pk=pk)
    form = MoveReferralForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.move_referral(
                by=request.user,
                referral=referral,
                to=data["status"],
                on=data["on"],
                certificate_number=data["certificate_number"] or None,
                job_placement=data["job_placement"] or None,
                employer=data["employer"] or None,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Derivación actualizada."))
    else:
        messages.error(request, _("Revise los datos del cambio de estado."))
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("training:worker_referrals", worker_pk=referral.worker_id)


@login_required
def referral_list(request):
    """Referrals in the user's scope, searched by the worker and filtered by state, line,
    province, period, placement and days: the list behind every referral figure of the
    dashboard, counted, paged and exported (``provinces.listing``)."""
    require_perm(request.user, "training.view_referral")
    return render_list(
        request,
        filterset=ReferralFilter(request.GET, queryset=selectors.referrals_for(request.user), request=request),
        template="training/referral_list.html",
        columns=REFERRAL_COLUMNS,
        filename="derivaciones",
        noun=referrals_noun,
        order_by=("-referred_on", "-pk"),
    )


@login_required
def referral_report(request):
    require_perm(request.user, "training.view_referral")
    cycle_id = request.GET.get("cycle")
    cycle_id = int(cycle_id) if cycle_id and cycle_id.isascii() and cycle_id.isdigit() else None
    rows = selectors.referral_counts(user=request.user, cycle_id=cycle_id)
    return render(
        request,
        "training/report.html",
        {"rows": rows, "cycles": cycles_for(request.user), "cycle_id": cycle_id},
    )


@login_required
def provider_list(request):
    require_perm(request.user, "training.view_provider")
    return render(
        request,
        "training/directory.html",
        {
            "providers": selectors.providers_for(request.user),
            "offices": selectors.offices_for(request.user),
        },
    )


def _simple_edit(request, *, form_class, save, perm, title, instance=None):
    require_perm(request.user, perm)
    provinces = provinces_for(request.user)
    if request.method == "POST":
        form = form_class(request.POST, instance=instance, provinces=provinces)
        if form.is_valid():
            try:
                save(**form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error) or _("No gestiona esa provincia."))
            else:
                messages.success(request, _("Guardado."))
                return redirect("training:directory")
    else:
        form = form_class(instance=instance, provinces=provinces)
    return render(request, "training/form.html", {"form": form, "title": title})


@login_required
def provider_edit(request, pk=None):
    provider = get_object_or_404(selectors.providers_for(request.user), pk=pk) if pk else None
    return _simple_edit(
        request,
        form_class=ProviderForm,
        instance=provider,
        perm="training.change_provider" if provider else "training.add_provider",
        title=_("Institución de capacitación"),
        save=lambda **data: services.save_provider(by=request.user, provider=provider, **data),
    )


@login_required
def office_edit(request, pk=None):
    office = get_object_or_404(selectors.offices_for(request.user), pk=pk) if pk else None
    return _simple_edit(
        request,
        form_class=OfficeForm,
        instance=office,
        perm="training.change_employmentoffice" if office else "training.add_employmentoffice",
        title=_("Oficina de empleo"),
        save=lambda **data: services.save_office(by=request.user, office=office, **data),
    )
