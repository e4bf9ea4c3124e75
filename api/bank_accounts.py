"""CBU changes through the API: an officer in scope asks for a change of a worker's CBU
(``POST /api/v1/workers/<id>/cbu-change/``) and reads its state (``/api/v1/cbu-changes/``).
Everything goes through ``enrollment.bank_accounts`` and ``workers_for``: a worker or request
outside the caller's scope answers exactly like an unknown one (404). CBUs are shown by their
last four digits only; deciding happens in the web UI, with a second factor."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import django_validation_to_drf
from api.permissions import HasRolePermissions
from api.serializers import StrictSerializer
from enrollment import bank_accounts
from enrollment.models import CbuChangeRequest
from enrollment.selectors import workers_for

ID = r"[0-9]{1,18}"


class CbuChangeSerializer(serializers.ModelSerializer):
    cuil = serializers.CharField(source="worker.cuil", read_only=True)
    old_cbu_last4 = serializers.SerializerMethodField(help_text=gettext_lazy("Últimos 4 dígitos del CBU anterior."))
    new_cbu_last4 = serializers.SerializerMethodField(help_text=gettext_lazy("Últimos 4 dígitos del CBU pedido."))

    class Meta:
        model = CbuChangeRequest
        fields = [
            "id",
            "worker",
            "cuil",
            "old_cbu_last4",
            "new_cbu_last4",
            "reason",
            "evidence",
            "status",
            "requested_at",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields

    def get_old_cbu_last4(self, obj) -> str:
        return obj.old_cbu[-4:]

    def get_new_cbu_last4(self, obj) -> str:
        return obj.new_cbu[-4:]


class CbuChangeInputSerializer(StrictSerializer):
    cbu = serializers.CharField(max_length=40, help_text=gettext_lazy("CBU nuevo, 22 dígitos."))
    reason = serializers.CharField(max_length=2000, help_text=gettext_lazy("Motivo del cambio."))
    evidence = serializers.CharField(
        max_length=2000, help_text=gettext_lazy("Constancia presentada (por ejemplo, constancia de CBU del banco).")
    )


def changes_for(user):
    return CbuChangeRequest.objects.filter(worker__in=workers_for(user)).select_related("worker")


class WorkerCbuChangeView(APIView):
    permission_classes = [HasRolePermissions]
    required_perms = {"POST": ["enrollment.view_worker"]}

    @extend_schema(
        summary=_("Pedir un cambio de CBU"),
        description=_(
            "Lo pide un oficial provincial o de sindicato con el/la trabajador/a a su alcance, o un/a revisor/a. "
            "Otra persona (oficial de pagos o revisor/a, con segundo factor) lo aprueba o rechaza en la web; "
            "mientras tanto las cuotas no pagadas quedan retenidas. Un/a trabajador/a desconocido/a o fuera de "
            "su alcance responde 404; un pedido ya pendiente, 400."
        ),
        request=CbuChangeInputSerializer,
        responses={201: CbuChangeSerializer},
    )
    def post(self, request, pk: int):
        data = CbuChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        worker = get_object_or_404(workers_for(request.user), pk=pk)
        try:
            change = bank_accounts.request_cbu_change(worker=worker, by=request.user, **data.validated_data)
        except ValidationError as error:
            raise django_validation_to_drf(error) from error
        body = CbuChangeSerializer(change).data
        warning = bank_accounts.shared_cbu_warning(cbu=change.new_cbu, worker=worker)
        if warning:
            body["warning"] = warning
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary=_("Cambios de CBU a su alcance")),
    retrieve=extend_schema(summary=_("Estado de un cambio de CBU")),
)
class CbuChangeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CbuChangeSerializer
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["enrollment.view_worker"]}
    lookup_value_regex = ID

    def get_queryset(self):
        return changes_for(self.request.user).order_by("pk")
