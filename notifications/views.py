from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.selectors import workers_for
from notifications.filters import OUTBOX_COLUMNS, OutboxFilter, messages_noun
from notifications.models import Contact, Message
from notifications.services import set_contact
from provinces.listing import render_list
from provinces.scoping import require_perm

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


@login_required
def message_list(request):
    """The outbox as the ministry's reviewers and auditors read it: every message written to a
    worker, what it said, where it went and whether it was sent (the programme's record of what
    it told each person), filtered, counted, paged and exported (``provinces.listing``)."""
    require_perm(request.user, "notifications.view_message")
    return render_list(
        request,
        filterset=OutboxFilter(request.GET, queryset=Message.objects.select_related("worker"), request=request),
        template="notifications/message_list.html",
        columns=OUTBOX_COLUMNS,
        filename="avisos",
        noun=messages_noun,
        order_by=("-created_at", "-pk"),
    )
