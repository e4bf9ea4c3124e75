import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from enrollment.screening import history, services
from enrollment.screening.filters import FLAG_COLUMNS, RUN_COLUMNS, FlagFilter, RunFilter, flags_noun, runs_noun
from enrollment.screening.forms import AcceptHistoryForm, RegistryForm, ResolveForm, RunForm, UploadForm
from enrollment.screening.models import MatchFlag
from enrollment.screening.selectors import (
    MATCH_KINDS,
    flag_evidence,
    flags_for,
    registries_for,
    runs_for,
)
from provinces.listing import render_list
from provinces.selectors import cycles_for


def _errors(error: ValidationError) -> list[str]:
    return error.messages


@login_required
def flag_list(request):
    """Flags in the user's scope (open ones first by default), filtered, paged and exported."""
    return render_list(
        request,
        filterset=FlagFilter(request.GET, queryset=flags_for(request.user)),
        template="screening/flag_list.html",
        columns=FLAG_COLUMNS,
        filename="alertas",
        noun=flags_noun,
        order_by=("level", "-score", "pk"),
    )


@login_required
def flag_detail(request, pk):
    flag = get_object_or_404(flags_for(request.user), pk=pk)
    # A flag for missing SIPA data is accepted (with a note), not resolved as a match.
    accepting = flag.kind == MatchFlag.Kind.NO_SIPA
    form = (AcceptHistoryForm if accepting else ResolveForm)(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("screening.resolve_matchflag"):
            raise PermissionDenied
        if form.is_valid():
            try:
                if accepting:
                    history.accept_unverified_history(flag=flag, by=request.user, note=form.cleaned_data["note"])
                else:
                    services.resolve_flag(
                        flag=flag,
                        by=request.user,
                        same_person=form.cleaned_data["decision"] == "same",
                        note=form.cleaned_data["note"],
                    )
            except ValidationError as error:
                for message in _errors(error):
                    form.add_error(None, message)
            else:
                messages.success(request, _("Alerta resuelta."))
                return redirect("screening:flag_detail", pk=flag.pk)
    worker = flag.enrollment.worker
    ours = {
        "fuente": _("Inscripción controlada"),
        "cuil": worker.cuil,
        "apellido": worker.last_name,
        "nombre": worker.first_name,
        "fecha_nacimiento": worker.birth_date.isoformat(),
        "periodo": flag.enrollment.cycle.name,
        "provincia": flag.enrollment.cycle.agreement.province.name,
        "meses": f"{flag.enrollment.cycle.first_month:%m/%Y}–{flag.enrollment.cycle.last_month:%m/%Y}",
    }
    labels = {
        "fuente": _("Fuente"),
        "cuil": _("CUIL"),
        "dni": _("DNI"),
        "apellido": _("Apellido"),
        "nombre": _("Nombre"),
        "fecha_nacimiento": _("Fecha de nacimiento"),
        "periodo": _("Período"),
        "provincia": _("Provincia"),
        "meses": _("Meses"),
        "estado": _("Estado"),
        "mes": _("Mes"),
        "cuit_empleador": _("CUIT del empleador"),
        "remuneracion": _("Remuneración"),
        "version": _("Versión del padrón"),
        "fila": _("Fila"),
    }
    keys = list(dict.fromkeys([*ours, *flag.matched]))
    rows = [
        {
            "label": labels.get(k, k),
            "ours": _shown(k, ours.get(k, "")),
            "theirs": _shown(k, flag.matched.get(k, "")),
            "differs": k != "fuente" and str(ours.get(k, "")).upper() != str(flag.matched.get(k, "")).upper(),
        }
        for k in keys
    ]
    can_resolve = (
        request.user.has_perm("screening.resolve_matchflag")
        and flag.status == MatchFlag.Status.OPEN
        and (flag.kind in MATCH_KINDS or accepting)
    )
    context = {
        "flag": flag,
        "rows": rows,
        "evidence": flag_evidence(flag),
        "form": form,
        "can_resolve": can_resolve,
        "accepting": accepting,
    }
    return render(request, "screening/flag_detail.html", context)


def _shown(key: str, value) -> str:
    """A snapshot value as es-AR writes it: CUIL NN-NNNNNNNN-N, dates dd/mm/aaaa."""
    text = str(value or "")
    if key == "cuil" and len(text) == 11 and text.isdigit():
        return f"{text[:2]}-{text[2:10]}-{text[10:]}"
    if key == "fecha_nacimiento" and text:
        try:
            return dt.date.fromisoformat(text).strftime("%d/%m/%Y")
        except ValueError:
            return text
    return text


@login_required
def registry_list(request):
    registries = registries_for(request.user)
    form = RegistryForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("screening.load_externalregistry"):
            raise PermissionDenied
        if form.is_valid():
            try:
                registry = services.save_registry(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                for message in _errors(error):
                    form.add_error(None, message)
            else:
                messages.success(request, _("Padrón creado."))
                return redirect("screening:registry_detail", pk=registry.pk)
    return render(request, "screening/registry_list.html", {"registries": registries, "form": form})


@login_required
def registry_detail(request, pk):
    registry = get_object_or_404(registries_for(request.user), pk=pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.user.has_perm("screening.load_externalregistry"):
            raise PermissionDenied
        if form.is_valid():
            services.upload_registry_file(by=request.user, registry=registry, uploaded=form.cleaned_data["file"])
            messages.success(request, _("Archivo recibido: se está cargando."))
            return redirect("screening:registry_detail", pk=registry.pk)
    versions = registry.versions.select_related("uploaded_by")[:10]
    return render(request, "screening/registry_detail.html", {"registry": registry, "versions": versions, "form": form})


@login_required
def run_list(request):
    runs = runs_for(request.user)
    form = RunForm(request.POST or None, cycles=cycles_for(request.user))
    if request.method == "POST":
        if not request.user.has_perm("screening.add_screeningrun"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            run = services.start_run(
                by=request.user,
                cycle=data["cycle"],
                month=data["month"],
                monthly_aid=data["monthly_aid"],
                label=str(data["cycle"] or "") + (f" · {data['month']:%m/%Y}" if data["month"] else ""),
            )
            messages.success(request, _("Control iniciado."))
            return redirect("screening:run_detail", pk=run.pk)
    return render_list(
        request,
        filterset=RunFilter(request.GET, queryset=runs, request=request),
        template="screening/run_list.html",
        columns=RUN_COLUMNS,
        filename="controles",
        noun=runs_noun,
        per_page=30,
        order_by=("-created_at", "-pk"),
        context={"form": form},
    )


@login_required
def run_detail(request, pk):
    run = get_object_or_404(runs_for(request.user), pk=pk)
    template = "screening/_run_progress.html" if request.htmx else "screening/run_detail.html"
    return render(request, template, {"run": run})
