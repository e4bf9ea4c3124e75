import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from provinces.models import Agreement, Crop, Cycle, Organisation
from provinces.roles import Role


def apply_service_errors(form, error: ValidationError, *, renamed: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: each field's messages next to the field
    (``renamed`` maps a service's argument to the form field that carries it), the rest at the top."""
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            field = (renamed or {}).get(field, field)
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error)


class DateInput(forms.DateInput):
    """A date typed as dd/mm/aaaa, whatever the browser's language (a browser's own date picker
    shows the order of its language, mm/dd in English): a text field with the format written
    next to it and tied to it (``aria-describedby``). What is typed is read as day/month/year in
    every interface language; an ISO date (2026-12-05) is accepted too."""

    input_type = "text"
    template_name = "provinces/widgets/date_input.html"

    def __init__(self, attrs=None, **kwargs):
        attrs = {"placeholder": _("dd/mm/aaaa"), "autocomplete": "off", "size": 12, **(attrs or {})}
        super().__init__(attrs=attrs, format="%d/%m/%Y", **kwargs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        hint = f"{widget_attrs.get('id') or name}-format"
        context["widget"]["format_id"] = hint
        widget_attrs["aria-describedby"] = " ".join(filter(None, [widget_attrs.get("aria-describedby"), hint]))
        return context

    def format_value(self, value):
        # a submitted form shows the date back as typed: dd/mm/aaaa (it was read into ISO)
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                return value
        return super().format_value(value)

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        if isinstance(value, str):
            parts = value.strip().split("/")
            if len(parts) == 3 and all(part.isascii() and part.isdigit() for part in parts) and len(parts[2]) == 4:
                day, month, year = (int(part) for part in parts)
                try:
                    return dt.date(year, month, day).isoformat()
                except ValueError:
                    pass  # the field says the date does not exist, showing what was typed
        return value


class ServiceForm(forms.Form):
    """A form that only parses input: the rules live in the service it feeds, so that the web
    form and the API give the same messages. Fields are taken from the model."""

    model: type
    field_names: list[str]
    widgets: dict = {}

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = forms.models.model_to_dict(instance, fields=self.field_names)
        super().__init__(*args, **kwargs)
        generated = forms.models.fields_for_model(self.model, fields=self.field_names, widgets=self.widgets)
        for name in self.field_names:
            if name not in self.declared_fields:
                self.fields[name] = generated[name]
        self.order_fields(self.field_names)


class AgreementForm(ServiceForm):
    model = Agreement
    field_names = ["province", "number", "title", "start_date", "end_date", "budget", "status"]
    widgets = {"start_date": DateInput(), "end_date": DateInput()}


class QuotaForm(forms.Form):
    crop = forms.ModelChoiceField(label=_("Actividad"), queryset=Crop.objects.all(), required=False)
    quota = forms.IntegerField(label=_("Cupo"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("crop") and data.get("quota") is None:
            self.add_error("quota", _("Indique el cupo de la actividad."))
        return data


QuotaFormSet = forms.formset_factory(QuotaForm, extra=3)


def quotas_from(formset) -> dict:
    quotas: dict = {}
    for form in formset.forms:
        crop = form.cleaned_data.get("crop")
        if crop is None:
            continue
        if crop in quotas:
            raise forms.ValidationError(_("La actividad %(crop)s figura dos veces.") % {"crop": crop.name})
        quotas[crop] = form.cleaned_data["quota"]
    return quotas


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class CycleForm(ServiceForm):
    model = Cycle
    field_names = ["agreement", "crop", "name", "first_month", "months", "registration_open"]
    first_month = forms.DateField(
        label=_("Primer mes"), widget=MonthInput(), input_formats=["%Y-%m", "%Y-%m-%d", "%m/%Y"]
    )
    months = forms.IntegerField(label=_("Cantidad de meses"))

    def __init__(self, *args, agreements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agreements is not None:
            self.fields["agreement"].queryset = agreements


class OrganisationForm(ServiceForm):
    model = Organisation
    field_names = ["name", "kind", "province", "cuit"]
    cuit = forms.CharField(label=_("CUIT"), max_length=13, required=False, help_text=_("Con o sin guiones."))


class GrantForm(forms.Form):
    """Give a role to a person who already has an account (the rules are in provinces.access)."""

    organisation = forms.ModelChoiceField(label=_("Organización"), queryset=Organisation.objects.all())
    role = forms.ChoiceField(label=_("Rol"), choices=Role.choices)
    reason = forms.CharField(label=_("Motivo"), max_length=300, help_text=_("Queda en el registro de auditoría."))


class AccountForm(GrantForm):
    """A new account: no password here; the person chooses it through a one-time link."""

    username = forms.CharField(label=_("Usuario"), max_length=150)
    first_name = forms.CharField(label=_("Nombre"), max_length=150)
    last_name = forms.CharField(label=_("Apellido"), max_length=150)
    email = forms.EmailField(
        label=_("Correo electrónico"), help_text=_("Allí recibe el enlace para elegir su contraseña.")
    )
    field_order = ["username", "first_name", "last_name", "email", "organisation", "role", "reason"]


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("Código"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
