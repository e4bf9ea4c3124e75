"""Claims through the API: unions and provincial offices file a claim on a worker's behalf and
read its state. Everything is read through ``claims_for`` and ``workers_for``: a claim or
worker outside the caller's scope answers exactly like an unknown one (404 for a claim, the
"not found or out of scope" field error for a worker)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from api.permissions import HasRolePermissions
from api.serializers import CuilField, StrictSerializer
from claims import services as claim_services
from claims.models import Claim
from claims.selectors import claims_for
from enrollment.screening.models import MatchFlag
from enrollment.selectors import enrollments_for, workers_for
from payments.selectors import installments_for

ID = r"[0-9]{1,18}"
_ID_FIELD = {"min_value": 1, "max_value": 2**63 - 1, "required": False, "allow_null": True}


class ClaimSerializer(serializers.ModelSerializer):
    cuil = serializers.CharField(source="worker.cuil", read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "cuil",
            "subject",
            "enrollment",
            "flag",
            "installment",
            "filed_by_kind",
            "channel",
            "description",
            "status",
            "due_on",
            "created_at",
            "taken_at",
            "decided_at",
            "resolution",
            "effect",
        ]
        read_only_fields = fields


class ClaimInputSerializer(StrictSerializer):
    cuil = CuilField(help_text=gettext_lazy("CUIL de la persona, registrada y a su alcance."))
    subject = serializers.ChoiceField(choices=Claim.Subject.choices)
    description = serializers.CharField(max_length=claim_services.MAX_DESCRIPTION)
    enrollment = serializers.IntegerField(**_ID_FIELD)
    installment = serializers.IntegerField(**_ID_FIELD)
    flag = serializers.IntegerField(**_ID_FIELD)


def _pick(queryset, pk, field: str):
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise exceptions.ValidationError({field: [_("No existe o no está a su alcance.")]})
    return obj


@extend_schema_view(
    list=extend_schema(summary=_("Reclamos a su alcance")),
    retrieve=extend_schema(summary=_("Estado de un reclamo")),
)
class ClaimViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ClaimSerializer
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["claims.view_claim"], "POST": ["claims.add_claim"]}
    lookup_value_regex = ID

    def get_queryset(self):
        return claims_for(self.request.user).order_by("pk")

    def retrieve(self, request, *args, **kwargs):
        claim = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        return Response(ClaimSerializer(claim).data)

    @extend_schema(
        summary=_("Presentar un reclamo en nombre de una persona"),
        description=_(
            "Lo presenta un sindicato u oficina provincial. Qué se reclama: rejection (inscripción rechazada, "
            "con enrollment), flag (alerta sin resolver, con flag), hold (cuota retenida con installment, o "
            "inscripción suspendida con enrollment), not_received y wrong_amount (con installment), "
            "data_correction. Presentar dos veces el mismo reclamo abierto devuelve el primero."
        ),
        request=ClaimInputSerializer,
        responses={201: ClaimSerializer, 200: ClaimSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = ClaimInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        worker = workers_for(user).filter(cuil=data["cuil"]).first()
        if worker is None:
            raise exceptions.ValidationError({"cuil": [_("No existe o no está a su alcance.")]})
        enrollments = enrollments_for(user).filter(worker=worker)
        before = Claim.objects.filter(worker=worker).count()
        claim = claim_services.file_claim(
            by=user,
            worker=worker,
            subject=data["subject"],
            description=data["description"],
            enrollment=_pick(enrollments, data.get("enrollment"), "enrollment"),
            installment=_pick(installments_for(user).filter(worker=worker), data.get("installment"), "installment"),
            flag=_pick(MatchFlag.objects.filter(enrollment__in=enrollments), data.get("flag"), "flag"),
            channel=Claim.Channel.API,
        )
        created = Claim.objects.filter(worker=worker).count() > before
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
