"""Identity reviews through the API: whoever sent a registration held for review reads its
state by the ``review_id`` the 202 answer gave. Read through ``identity_reviews_for``: an item
another organisation sent answers 404 exactly like an unknown one, and no answer carries a
stored worker's data — only what was sent, the reason as the sender may read it, and the
decision."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from enrollment.identity_reviews import identity_reviews_for
from enrollment.models import IdentityReview

ID = r"[0-9]{1,18}"


class IdentityReviewSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(help_text=gettext_lazy("«en_revision» o «decidido»."))
    reason = serializers.SerializerMethodField(help_text=gettext_lazy("El motivo, como puede leerlo quien envió."))
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)

    class Meta:
        model = IdentityReview
        fields = [
            "id",
            "status",
            "reason",
            "cuil",
            "cycle",
            "organisation",
            "import_job",
            "row_number",
            "submitted",
            "created_at",
            "decision",
            "decision_label",
            "decision_reason",
            "decided_at",
        ]
        read_only_fields = fields

    def get_status(self, review: IdentityReview) -> str:
        return "en_revision" if review.state == IdentityReview.State.OPEN else "decidido"

    def get_reason(self, review: IdentityReview) -> str:
        return str(review.sender_reason)


@extend_schema_view(
    list=extend_schema(summary=_("Revisiones de identidad a su alcance")),
    retrieve=extend_schema(summary=_("Una revisión de identidad (por el review_id de la respuesta 202)")),
)
class IdentityReviewViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IdentityReviewSerializer
    lookup_value_regex = ID

    def get_queryset(self):
        return identity_reviews_for(self.request.user).order_by("pk")
