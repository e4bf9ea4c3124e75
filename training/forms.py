from django import forms
from django.utils.translation import gettext_lazy as _

from provinces.forms import DateInput
from provinces.models import Crop, Province
from training.models import Course, EmploymentOffice, Provider, Referral


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = ["name", "province", "cuit", "email", "phone"]

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        if provinces is not None:
            self.fields["province"].queryset = provinces


class OfficeForm(forms.ModelForm):
    class Meta:
        model = EmploymentOffice
        fields = ["name", "province", "locality", "address", "email", "phone"]

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        if provinces is not None:
            self.fields["province"].queryset = provinces


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "provider",
            "kind",
            "topic",
            "place",
            "locality",
            "province",
            "start_date",
            "end_date",
            "capacity",
            "modality",
            "sessions",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, providers=None, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        if providers is not None:
            self.fields["provider"].queryset = providers
        if provinces is not None:
            self.fields["province"].queryset = provinces


class ReferralForm(forms.Form):
    enrollment = forms.ModelChoiceField(label=_("Inscripción"), queryset=None)
    line = forms.ChoiceField(label=_("Línea"), choices=Referral.Line.choices)
    course = forms.ModelChoiceField(label=_("Curso o entrenamiento"), queryset=None, required=False)
    office = forms.ModelChoiceField(label=_("Oficina de empleo"), queryset=None, required=False)
    destination_province = forms.ModelChoiceField(
        label=_("Provincia de destino"), queryset=Province.objects.all(), required=False
    )
    destination_crop = forms.ModelChoiceField(
        label=_("Actividad de destino"), queryset=Crop.objects.all(), required=False
    )
    travel_from = forms.DateField(label=_("Fecha de viaje (ida)"), required=False, widget=DateInput())
    travel_to = forms.DateField(label=_("Fecha de regreso"), required=False, widget=DateInput())
    support_amount = forms.DecimalField(
        label=_("Ayuda otorgada (ARS)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    support_detail = forms.CharField(label=_("Detalle de la ayuda"), max_length=200, required=False)
    notes = forms.CharField(label=_("Observaciones"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, enrollments, courses, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrollment"].queryset = enrollments
        self.fields["course"].queryset = courses
        self.fields["office"].queryset = offices


class MoveReferralForm(forms.Form):
    status = forms.ChoiceField(label=_("Nuevo estado"), choices=Referral.Status.choices)
    on = forms.DateField(label=_("Fecha"), required=False, widget=DateInput())
    certificate_number = forms.CharField(label=_("Número de certificado"), max_length=40, required=False)
    job_placement = forms.BooleanField(label=_("Obtuvo empleo"), required=False)
    employer = forms.CharField(label=_("Empleador"), max_length=200, required=False)


class AttendanceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Archivo CSV de la institución"),
        help_text=_("Columnas: cuil, asistencias, estado (opcional), certificado (opcional)."),
    )
