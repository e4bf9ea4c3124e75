"""Serializers: strict input (unknown fields are an error) and plain output."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.models import ApiToken, StatusLookup
from enrollment.identity import compact_cuil, is_valid_cuil
from enrollment.models import Enrollment, Worker
from training.models import Course, EmploymentOffice, Provider, Referral

MAX_BULK_ITEMS = 500


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    status = serializers.IntegerField(help_text=gettext_lazy("Código HTTP."))
    code = serializers.CharField(
        help_text=gettext_lazy("Código estable del error: invalid, invalid_cuil, not_authenticated, token_expired, ...")
    )
    message = serializers.CharField(help_text=gettext_lazy("Explicación legible."))
    fields = serializers.DictField(
        help_text=gettext_lazy("Campo → mensajes; en envíos múltiples, items → índice → campo → mensajes."),
    )


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, instead of silently ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, f in self.fields.items() if not f.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: [_("Campo desconocido.")] for name in unknown})
        return super().to_internal_value(data)


class CuilField(serializers.CharField):
    """A CUIL with or without dashes; checked with its verification digit, stored compact."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 13)
        kwargs.setdefault("help_text", gettext_lazy("CUIL, con o sin guiones (20-12345678-3)."))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = compact_cuil(super().to_internal_value(data))
        if not is_valid_cuil(value):
            raise serializers.ValidationError(_("El CUIL no es válido."), code="invalid_cuil")
        return value


# --- workers and enrollments ------------------------------------------------------------------


class WorkerSerializer(serializers.ModelSerializer):
    province_name = serializers.CharField(source="province.name", read_only=True)
    registered_by_name = serializers.CharField(source="registered_by.name", read_only=True)

    class Meta:
        model = Worker
        fields = [
            "id",
            "cuil",
            "dni",
            "last_name",
            "first_name",
            "birth_date",
            "sex",
            "nationality",
            "province",
            "province_name",
            "locality",
            "registered_by",
            "registered_by_name",
            "created_at",
        ]
        read_only_fields = fields


class WorkerInputSerializer(StrictSerializer):
    """A worker to register. Registering a CUIL already in the caller's scope, with the same
    names and birth date, updates only its contact and residence data with the fields sent (the
    ones left out or sent empty keep their stored values, so optional fields have no default).
    Any other known CUIL is held for an identity review (answered 202)."""

    cuil = CuilField()
    last_name = serializers.CharField(max_length=120)
    first_name = serializers.CharField(max_length=120)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=Worker.Sex.choices)
    nationality = serializers.CharField(max_length=60, required=False)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    province = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text=gettext_lazy("Id de la provincia."))
    locality = serializers.CharField(max_length=120)
    cbu = serializers.CharField(max_length=40, required=False, allow_blank=True)
    renatre = serializers.CharField(max_length=20, required=False, allow_blank=True)
    organisation = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text=gettext_lazy("Organización que registra (opcional)."),
    )


class BulkWorkerInputSerializer(StrictSerializer):
    items = WorkerInputSerializer(many=True, allow_empty=False, max_length=MAX_BULK_ITEMS)


class HeldRegistrationSerializer(serializers.Serializer):
    """A registration held for a ministry reviewer: the reason, the review item and exactly what
    the caller sent — never another organisation's stored data."""

    status = serializers.ChoiceField(choices=["en_revision"], help_text=gettext_lazy("Siempre «en_revision»."))
    reason = serializers.CharField(
        help_text=gettext_lazy(
            "«inscripto/a por otra organización — requiere revisión» o, para un trabajador a su "
            "alcance, «datos en conflicto»."
        )
    )
    review_id = serializers.IntegerField(help_text=gettext_lazy("Id de la revisión de identidad."))
    index = serializers.IntegerField(
        required=False, help_text=gettext_lazy("En envíos múltiples: posición del elemento en items.")
    )
    cuil = serializers.CharField()
    last_name = serializers.CharField(required=False)
    first_name = serializers.CharField(required=False)
    birth_date = serializers.DateField(required=False)
    sex = serializers.CharField(required=False)
    nationality = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    address = serializers.CharField(required=False)
    province = serializers.IntegerField(required=False)
    locality = serializers.CharField(required=False)
    cbu = serializers.CharField(required=False)
    renatre = serializers.CharField(required=False)
    organisation = serializers.IntegerField(required=False)


class BulkWorkerResultSerializer(serializers.Serializer):
    created = WorkerSerializer(many=True, help_text=gettext_lazy("Registrados o actualizados."))
    in_review = HeldRegistrationSerializer(many=True, help_text=gettext_lazy("Retenidos para revisión."))


class EnrollmentSerializer(serializers.ModelSerializer):
    cuil = serializers.CharField(source="worker.cuil", read_only=True)
    cycle_name = serializers.CharField(source="cycle.name", read_only=True)
    province = serializers.CharField(source="cycle.agreement.province.name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "worker",
            "cuil",
            "cycle",
            "cycle_name",
            "province",
            "organisation",
            "organisation_name",
            "status",
            "status_reason",
            "status_changed_at",
            "created_at",
        ]
        read_only_fields = fields


class EntitlementSerializer(serializers.Serializer):
    months = serializers.IntegerField(help_text=gettext_lazy("Meses de ayuda (2 a 4, como máximo los del período)."))
    stored = serializers.BooleanField(
        help_text=gettext_lazy("Verdadero si quedó determinado al programar las cuotas; falso si es un estimado.")
    )
    reason = serializers.CharField(help_text=gettext_lazy("El motivo en palabras."))


class EnrollmentDetailSerializer(EnrollmentSerializer):
    """One enrollment, with its months of aid (docs/entitlement.md); null when no table is in
    force for its period."""

    entitlement = serializers.SerializerMethodField()

    class Meta(EnrollmentSerializer.Meta):
        fields = [*EnrollmentSerializer.Meta.fields, "entitlement"]
        read_only_fields = fields

    @extend_schema_field(EntitlementSerializer(allow_null=True))
    def get_entitlement(self, enrollment: Enrollment) -> dict | None:
        from enrollment.screening.entitlement import describe, entitlement_of, planned_months

        found = entitlement_of(enrollment)
        if found is None:
            return None
        months = enrollment.cycle.months
        return {
            "months": planned_months(found, period_months=months),
            "stored": found.pk is not None,
            "reason": describe(found, period_months=months),
        }


class EnrollmentInputSerializer(StrictSerializer):
    cuil = CuilField(help_text=gettext_lazy("CUIL de un trabajador ya registrado y a su alcance."))
    cycle = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text=gettext_lazy("Id del período."))
    organisation = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text=gettext_lazy("Organización que inscribe (opcional)."),
    )


class BulkEnrollmentInputSerializer(StrictSerializer):
    items = EnrollmentInputSerializer(many=True, allow_empty=False, max_length=MAX_BULK_ITEMS)


class BulkEnrollmentResultSerializer(serializers.Serializer):
    created = EnrollmentSerializer(many=True)


# --- beneficiary status -------------------------------------------------------------------------


class InstallmentsSummarySerializer(serializers.Serializer):
    paid = serializers.IntegerField()
    pending = serializers.IntegerField()
    items = serializers.ListField(
        child=serializers.DictField(),
        help_text=gettext_lazy(
            "Cuotas: number, month, amount, status y pickup_day — el día desde el que se cobra por ventanilla "
            "en Banco Nación con el DNI cuando no hay CBU (null si se transfiere o aún no está en un lote)."
        ),
    )


class StatusEnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cycle = serializers.IntegerField()
    cycle_name = serializers.CharField()
    province = serializers.CharField()
    crop = serializers.CharField()
    first_month = serializers.DateField()
    months = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Enrollment.Status.choices)
    status_changed_at = serializers.DateTimeField(allow_null=True)
    installments = InstallmentsSummarySerializer()


class StatusReferralSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    line = serializers.ChoiceField(choices=Referral.Line.choices)
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    referred_on = serializers.DateField()
    course = serializers.CharField(allow_null=True)
    office = serializers.CharField(allow_null=True)


class BeneficiaryStatusSerializer(serializers.Serializer):
    cuil = serializers.CharField()
    last_name = serializers.CharField()
    first_name = serializers.CharField()
    enrollments = StatusEnrollmentSerializer(many=True)
    open_referrals = StatusReferralSerializer(many=True)


class StatusLookupSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = StatusLookup
        fields = ["id", "at", "user", "username", "token", "cuil", "result", "ip"]
        read_only_fields = fields


# --- tokens ------------------------------------------------------------------------------------


class ApiTokenSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "user",
            "username",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "is_active",
        ]
        read_only_fields = fields


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text=gettext_lazy("La clave: se muestra solo esta vez."))

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiTokenInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    days = serializers.IntegerField(
        min_value=1, max_value=365, required=False, default=90, help_text=gettext_lazy("Días de vigencia (1 a 365).")
    )
    user = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text=gettext_lazy("Solo personal del Ministerio: crear el token para otro usuario."),
    )


# --- training ----------------------------------------------------------------------------------


class ProviderSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text=gettext_lazy("Puede estar vacío."))

    class Meta:
        model = Provider
        fields = ["id", "name", "cuit", "province", "email", "phone"]
        read_only_fields = fields


class EmploymentOfficeSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text=gettext_lazy("Puede estar vacío."))

    class Meta:
        model = EmploymentOffice
        fields = ["id", "name", "province", "locality", "address", "email", "phone"]
        read_only_fields = fields


class CourseSerializer(serializers.ModelSerializer):
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    province_name = serializers.CharField(source="province.name", read_only=True)
    seats_taken = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "provider",
            "provider_name",
            "kind",
            "topic",
            "place",
            "locality",
            "province",
            "province_name",
            "start_date",
            "end_date",
            "capacity",
            "seats_taken",
            "modality",
            "sessions",
        ]
        read_only_fields = fields


class CourseInputSerializer(StrictSerializer):
    provider = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    kind = serializers.ChoiceField(choices=Course.Kind.choices)
    topic = serializers.CharField(max_length=200)
    place = serializers.CharField(max_length=200)
    locality = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    province = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    capacity = serializers.IntegerField(min_value=1, max_value=100000)
    modality = serializers.ChoiceField(choices=Course.Modality.choices)
    sessions = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=1)


class ReferralSerializer(serializers.ModelSerializer):
    cuil = serializers.CharField(source="worker.cuil", read_only=True)
    target = serializers.CharField(source="target_display", read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "enrollment",
            "worker",
            "cuil",
            "line",
            "target",
            "course",
            "office",
            "destination_province",
            "destination_crop",
            "travel_from",
            "travel_to",
            "support_amount",
            "support_detail",
            "status",
            "referred_on",
            "accepted_on",
            "started_on",
            "ended_on",
            "sessions_attended",
            "certificate_issued",
            "certificate_number",
            "job_placement",
            "employer",
        ]
        read_only_fields = fields


class ReferralInputSerializer(StrictSerializer):
    enrollment = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    line = serializers.ChoiceField(choices=Referral.Line.choices)
    course = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True)
    office = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True)
    destination_province = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True)
    destination_crop = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False, allow_null=True)
    travel_from = serializers.DateField(required=False, allow_null=True)
    travel_to = serializers.DateField(required=False, allow_null=True)
    support_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, coerce_to_string=True
    )
    support_detail = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReferralMoveSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    on = serializers.DateField(required=False, allow_null=True)
    certificate_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    job_placement = serializers.BooleanField(required=False)
    employer = serializers.CharField(max_length=200, required=False, allow_blank=True)
