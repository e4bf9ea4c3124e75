"""Ministry oversight endpoints: screening flags (ministry reviewers and auditors) and payment
batches (payments officers and auditors), each read through its app's scoped selector."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from api.permissions import HasRolePermissions
from enrollment.screening import selectors as screening_selectors
from enrollment.screening.models import MatchFlag
from payments import selectors as payments_selectors
from payments.models import PaymentBatch

ID = r"[0-9]{1,18}"


class MatchFlagSerializer(serializers.ModelSerializer):
    cuil = serializers.CharField(source="enrollment.worker.cuil", read_only=True)
    cycle = serializers.IntegerField(source="enrollment.cycle_id", read_only=True)

    class Meta:
        model = MatchFlag
        fields = [
            "id",
            "enrollment",
            "cuil",
            "cycle",
            "kind",
            "level",
            "score",
            "reasons",
            "month",
            "status",
            "note",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary=_("Alertas de control (solo Ministerio)")),
    retrieve=extend_schema(summary=_("Una alerta de control")),
)
class MatchFlagViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MatchFlagSerializer
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["screening.view_matchflag"]}
    filterset_fields = ["status", "level", "kind", "enrollment"]
    lookup_value_regex = ID
    queryset = MatchFlag.objects.none()  # the schema's model; requests use the scoped selector

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MatchFlag.objects.none()
        return screening_selectors.flags_for(self.request.user).order_by("pk")


class PaymentBatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentBatch
        fields = [
            "id",
            "month",
            "province",
            "agreement",
            "status",
            "item_count",
            "held_count",
            "total_amount",
            "progress_total",
            "progress_done",
            "built_by",
            "built_at",
            "approved_by",
            "approved_at",
            "reconciled_at",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary=_("Lotes de pago (roles de pagos y auditoría)")),
    retrieve=extend_schema(summary=_("Un lote de pago")),
)
class PaymentBatchViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PaymentBatchSerializer
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["payments.view_paymentbatch"]}
    filterset_fields = ["status", "month", "province"]
    lookup_value_regex = ID
    queryset = PaymentBatch.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PaymentBatch.objects.none()
        return payments_selectors.batches_for(self.request.user).order_by("pk")


#: (URL prefix, viewset, basename) for the API router.
ROUTES: list[tuple[str, type, str]] = [
    ("screening-flags", MatchFlagViewSet, "matchflag"),
    ("batches", PaymentBatchViewSet, "paymentbatch"),
]
