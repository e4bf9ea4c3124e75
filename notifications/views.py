from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from stdnum.ar.cuit import format as format_cuil

from enrollment.selectors import workers_for
from notifications.models import Contact, Message
from notifications.services import set_contact
from provinces.forms import DateInput
from provinces.scoping import require_perm
from provinces.spreadsheets import csv_stream
from provinces.spreadsheets import spreadsheet_safe as safe

#: The longest e-mail address a worker's preferences store.
EMAIL_MAX_LENGTH = Contact._meta.get_field("email").max_length


@login_required
@require_POST
def contact(request, worker_pk):
    """An officer records how a worker of their scope wants to be told (404 outside it)."""
    require_perm(request.user, "notifications.change_contact")
    worker = get_object_or_404(workers_for(request.user), pk=worker_pk)
    email = request.POST.get("email", "").strip()
    problem = ""
    if len(email) > EMAIL_MAX_LENGTH:  # the validator takes up to 320 characters, the column 254
        problem = _("El correo electrónico tiene más de %(n)s caracteres: revíselo.") % {"n": EMAIL_MAX_LENGTH}
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            problem = _("El correo electrónico no es válido.")
    if problem:
        messages.error(request, problem)
    else:
        set_contact(
            by=request.user,
            worker=worker,
            opted_out=bool(request.POST.get("opted_out")),
            email=email,
            whatsapp=bool(request.POST.get("whatsapp")),
            mobile_confirmed=bool(request.POST.get("mobile_confirmed")),
        )
        messages.success(request, _("Preferencias de avisos guardadas."))
    return redirect(f"/trabajadores/{worker.pk}/legajo/#messages")


class OutboxFilter(forms.Form):
    """What the outbox page filters by: the message's kind, state and channel, the worker's CUIL
    (with or without dashes, or part of it) and the day it was written."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Tipo"), choices=[("", gettext_lazy("Todos"))] + Message.Kind.choices, required=False
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Estado"), choices=[("", gettext_lazy("Todos"))] + Message.Status.choices, required=False
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Canal"), choices=[("", gettext_lazy("Todos"))] + Message.Channel.choices, required=False
    )
    cuil = forms.CharField(label=gettext_lazy("CUIL"), required=False, max_length=13)
    since = forms.DateField(label=gettext_lazy("Desde"), required=False, widget=DateInput())
    until = forms.DateField(label=gettext_lazy("Hasta"), required=False, widget=DateInput())

    def clean_cuil(self):
        digits = "".join(c for c in self.cleaned_data["cuil"] if c.isdigit())
        if self.cleaned_data["cuil"].strip() and (not digits or len(digits) > 11):
            raise ValidationError(_("Escriba el CUIL o parte de él, con o sin guiones."))
        return digits

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError(_("La fecha «desde» es posterior a la fecha «hasta»."))
        return data


def _outbox(request) -> tuple[OutboxFilter, QuerySet[Message] | None]:
    """The messages the filter asks for, or ``None`` when the filter is not valid (the page
    then shows the errors and no rows, never an unfiltered list)."""
    require_perm(request.user, "notifications.view_message")
    form = OutboxFilter(request.GET or None)
    messages_qs = Message.objects.select_related("worker")
    if not form.is_bound:
        return form, messages_qs
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    for field in ("kind", "status", "channel"):
        if data[field]:
            messages_qs = messages_qs.filter(**{field: data[field]})
    if data["cuil"]:
        messages_qs = messages_qs.filter(worker__cuil__contains=data["cuil"])
    if data["since"]:
        messages_qs = messages_qs.filter(created_at__date__gte=data["since"])
    if data["until"]:
        messages_qs = messages_qs.filter(created_at__date__lte=data["until"])
    return form, messages_qs


@login_required
def message_list(request):
    """The outbox as the ministry's reviewers and auditors read it: every message written to a
    worker, what it said, where it went and whether it was sent (the programme's record of what
    it told each person)."""
    form, found = _outbox(request)
    page = Paginator(found if found is not None else Message.objects.none(), 50).get_page(request.GET.get("page"))
    context = {
        "filter": form,
        "page": page,
        "total": page.paginator.count,
        "query": request.GET.urlencode(),
        "valid": found is not None,
    }
    return render(request, "notifications/message_list.html", context)


@login_required
def message_export(request):
    """The filtered outbox as CSV, streamed; text a spreadsheet would run as a formula is kept as text."""
    form, found = _outbox(request)
    if found is None:
        return HttpResponseBadRequest(" ".join(str(e) for errors in form.errors.values() for e in errors))
    kinds, statuses, channels = dict(Message.Kind.choices), dict(Message.Status.choices), dict(Message.Channel.choices)
    rows = found.order_by("pk").values_list(
        "pk", "created_at", "worker__cuil", "kind", "channel", "recipient", "status", "attempts", "sent_at", "body"
    )

    def lines():
        yield [
            _("aviso"),
            _("escrito"),
            _("cuil"),
            _("tipo"),
            _("canal"),
            _("destinatario"),
            _("estado"),
            _("intentos"),
            _("enviado"),
            _("texto"),
        ]
        for pk, created, cuil, kind, channel, recipient, status, attempts, sent, body in rows.iterator(chunk_size=2000):
            yield [
                pk,
                _local(created),
                format_cuil(cuil),
                kinds[kind],
                channels[channel],
                safe(recipient),
                statuses[status],
                attempts,
                _local(sent),
                safe(body),
            ]

    response = StreamingHttpResponse(csv_stream(lines()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="avisos-{timezone.localdate():%Y%m%d}.csv"'
    return response


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""
