from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.selectors import workers_for
from notifications.services import set_contact
from provinces.scoping import require_perm


@login_required
@require_POST
def contact(request, worker_pk):
    """An officer records how a worker of their scope wants to be told (404 outside it)."""
    require_perm(request.user, "notifications.change_contact")
    worker = get_object_or_404(workers_for(request.user), pk=worker_pk)
    email = request.POST.get("email", "").strip()
    try:
        if email:
            validate_email(email)
    except ValidationError:
        messages.error(request, _("El correo electrónico no es válido."))
    else:
        set_contact(
            by=request.user,
            worker=worker,
            opted_out=bool(request.POST.get("opted_out")),
            email=email,
            whatsapp=bool(request.POST.get("whatsapp")),
        )
        messages.success(request, _("Preferencias de avisos guardadas."))
    return redirect(f"/trabajadores/{worker.pk}/legajo/#messages")
