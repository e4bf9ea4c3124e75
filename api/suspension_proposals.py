"""Suspensions the monthly re-screening proposed, through the API: ministry reviewers and
auditors read them (``GET /api/v1/suspension-proposals/``, filtered by ``status``), and a
reviewer accepts one — the enrollment is suspended with the proposal's cause — or dismisses it,
each with a note (``POST .../<id>/accept/`` and ``.../<id>/dismiss/``). The same services as the
Revisión page (``enrollment.suspension_proposals``). Other roles read an empty list; a proposal
outside the caller's reach answers 404 exactly like an unknown one; an auditor's decision, 403;
a refusal of the service (already decided, the enrollment no longer suspendable), 400."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.exceptions import django_validation_to_drf
from api.permissions import HasRolePermissions
from api.serializers import StrictSerializer
from enrollment.models import SuspensionProposal
from enrollment.suspension_proposals import accept_proposal, dismiss_proposal, proposals_for
from provinces.roles import Role
from provinces.scoping import scope_of

ID = r"[0-9]{1,18}"
P = SuspensionProposal.Status


class SuspensionProposalSerializer(serializers.ModelSerializer):
    cuil = serializers.CharField(source="enrollment.worker.cuil", read_only=True)
    enrollment_status = serializers.CharField(source="enrollment.status", read_only=True)
    cause_label = serializers.CharField(source="get_cause_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    decided_by = serializers.SerializerMethodField(help_text=gettext_lazy("Quién decidió (nombre y apellido)."))

    class Meta:
        model = SuspensionProposal
        fields = [
            "id",
            "enrollment",
            "cuil",
            "enrollment_status",
            "cause",
            "cause_label",
            "month",
            "detail",
            "status",
            "status_label",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "suspension",
        ]
        read_only_fields = fields

    def get_decided_by(self, proposal: SuspensionProposal) -> str:
        user = proposal.decided_by
        return (user.get_full_name() or user.username) if user is not None else ""


class DecisionInputSerializer(StrictSerializer):
    # Required by the services (``accept_proposal``, ``dismiss_proposal``), which word the refusal.
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Nota de la decisión: qué se verificó (obligatoria)."),
    )


def readable_proposals(user) -> QuerySet[SuspensionProposal]:
    """What the caller may read: ministry reviewers and auditors, within their scope; nothing for
    any other role."""
    if user.has_perm("enrollment.review_enrollment") or scope_of(user).has_role(Role.AUDITOR):
        return proposals_for(user)
    return SuspensionProposal.objects.none()


_STATUS = OpenApiParameter(
    "status",
    OpenApiTypes.STR,
    enum=list(P.values),
    description=gettext_lazy("Solo las propuestas en este estado (open, accepted, dismissed)."),
)


@extend_schema_view(
    list=extend_schema(
        summary=_("Suspensiones propuestas por el control mensual"),
        description=_(
            "Para revisores/as y auditores/as del Ministerio; para otros roles la lista está vacía. "
            "Las más antiguas primero."
        ),
        parameters=[_STATUS],
    ),
    retrieve=extend_schema(summary=_("Una suspensión propuesta")),
)
class SuspensionProposalViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SuspensionProposalSerializer
    permission_classes = [HasRolePermissions]
    required_perms = {
        "GET": ["enrollment.view_enrollment"],
        "accept": ["enrollment.review_enrollment"],
        "dismiss": ["enrollment.review_enrollment"],
    }
    lookup_value_regex = ID

    def get_queryset(self):
        qs = readable_proposals(self.request.user).order_by("created_at", "pk")
        wanted = self.request.query_params.get("status") if self.action == "list" else None
        if wanted is not None:
            if wanted not in P.values:
                raise exceptions.ValidationError({"status": [_("Estado desconocido: use open, accepted o dismissed.")]})
            qs = qs.filter(status=wanted)
        return qs

    def _decide(self, request, pk, decide):
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = get_object_or_404(readable_proposals(request.user), pk=pk)
        try:
            decide(proposal, data.validated_data["note"])
        except ValidationError as error:
            raise django_validation_to_drf(error, renamed={"reason": "note"}) from error
        return Response(SuspensionProposalSerializer(readable_proposals(request.user).get(pk=proposal.pk)).data)

    @extend_schema(
        summary=_("Aceptar una suspensión propuesta"),
        description=_(
            "Solo revisores/as del Ministerio: la inscripción se suspende con la causa de la propuesta y la "
            "nota, y sus cuotas no pagadas se cancelan. Ya decidida, o la inscripción ya no está aprobada ni "
            "activa: 400. Desconocida o fuera de su alcance: 404."
        ),
        request=DecisionInputSerializer,
        responses={200: SuspensionProposalSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._decide(
            request, pk, lambda proposal, note: accept_proposal(proposal=proposal, by=request.user, note=note)
        )

    @extend_schema(
        summary=_("Descartar una suspensión propuesta"),
        description=_(
            "Solo revisores/as del Ministerio, con el motivo: la misma coincidencia no se vuelve a proponer. "
            "Ya decidida: 400. Desconocida o fuera de su alcance: 404."
        ),
        request=DecisionInputSerializer,
        responses={200: SuspensionProposalSerializer},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        return self._decide(
            request, pk, lambda proposal, note: dismiss_proposal(proposal=proposal, by=request.user, reason=note)
        )
