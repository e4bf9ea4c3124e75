from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from enrollment.imports import registrable_cycles_for
from enrollment.imports.read import max_upload_bytes
from enrollment.models import Enrollment, Worker
from provinces.forms import DateInput
from provinces.models import Cycle, Province
from provinces.selectors import provinces_for

WORKER_FIELDS = (
    "cuil",
    "last_name",
    "first_name",
    "birth_date",
    "sex",
    "nationality",
    "phone",
    "address",
    "province",
    "locality",
    "cbu",
    "renatre",
)


#: Fields checked on the server as soon as they change (htmx), before the form is sent.
CHECKED_AS_TYPED = ("cuil", "birth_date", "cbu")


class RegistrationForm(forms.Form):
    """A worker and the cycle to enroll them in. Field checks live in the service, which
    returns its messages keyed by these field names, so they show next to each field."""

    # one person, one period: the survey list's note on rows and files is not for this form
    cycle = forms.ModelChoiceField(label=_("Período interzafra"), queryset=Cycle.objects.none())
    cuil = forms.CharField(label=_("CUIL"), max_length=13, help_text=_("11 dígitos, con o sin guiones."))
    last_name = forms.CharField(label=_("Apellido"), max_length=120)
    first_name = forms.CharField(label=_("Nombre"), max_length=120)
    birth_date = forms.DateField(label=_("Fecha de nacimiento"), widget=DateInput())
    sex = forms.ChoiceField(label=_("Sexo"), choices=Worker.Sex.choices)
    nationality = forms.CharField(label=_("Nacionalidad"), max_length=60, initial="Argentina")
    phone = forms.CharField(label=_("Teléfono"), max_length=30, required=False)
    address = forms.CharField(label=_("Domicilio"), max_length=200, required=False)
    province = forms.ModelChoiceField(label=_("Provincia de residencia"), queryset=Province.objects.none())
    locality = forms.CharField(label=_("Localidad"), max_length=120)
    cbu = forms.CharField(
        label=_("CBU"),
        max_length=26,
        required=False,
        help_text=_("22 dígitos. Puede cargarse después."),
    )
    renatre = forms.CharField(label=_("N° RENATRE"), max_length=20, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = registrable_cycles_for(user)
        self.fields["province"].queryset = provinces_for(user)
        for name in ("cycle", "province"):
            only = list(self.fields[name].queryset[:2])
            if len(only) == 1:
                self.fields[name].initial = only[0].pk
        # The branch-pickup notice under the CBU field is read with it.
        self.fields["cbu"].widget.attrs["aria-describedby"] = "check-cbu cbu-pickup"
        check_url = reverse("enrollment:register_check")
        for name in CHECKED_AS_TYPED:
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": f"{check_url}?field={name}",
                    "hx-trigger": "change",
                    "hx-target": f"#check-{name}",
                    "hx-swap": "outerHTML",
                }
            )
            self.fields[name].widget.attrs.setdefault("aria-describedby", f"check-{name}")

    def worker_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in WORKER_FIELDS}


class UploadForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=_("Período interzafra"),
        queryset=Cycle.objects.none(),
        help_text=_(
            "Cada fila va al período abierto de su provincia y actividad; las de un archivo sin esas columnas, a este."
        ),
    )
    file = forms.FileField(
        label=_("Padrón (CSV o XLSX)"),
        help_text=_("Use la plantilla: una fila por trabajador/a, encabezados en la primera fila."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = registrable_cycles_for(user)
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx"
        self.max_mb = max_upload_bytes() // (1024 * 1024)


class DecisionForm(forms.Form):
    ACTIONS = [("approve", _("Aprobar")), ("reject", _("Rechazar"))]

    action = forms.ChoiceField(label=_("Decisión"), choices=ACTIONS)
    reason = forms.CharField(
        label=_("Motivo"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Indique el motivo del rechazo."))
        return data


class BulkDecisionForm(DecisionForm):
    enrollments = forms.ModelMultipleChoiceField(
        label=_("Inscripciones"),
        queryset=Enrollment.objects.none(),
        error_messages={"required": _("Marque al menos una inscripción.")},
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrollments"].queryset = queryset
