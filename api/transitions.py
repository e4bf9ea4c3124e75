"""An enrollment's transitions after approval through the API, the same services as the web:
``POST /api/v1/enrollments/<id>/suspend/`` and ``/reinstate/`` (ministry reviewers) and
``/withdraw/`` (a reviewer, or the provincial or union officer in whose scope it is). An
enrollment outside the caller's scope answers 404 exactly like an unknown one; a role that may
not make the transition answers 403; a refusal of the service, 400 with its message."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import django_validation_to_drf
from api.permissions import HasRolePermissions
from api.serializers import EnrollmentSerializer, StrictSerializer
from enrollment import services as enrollment_services
from enrollment import suspensions
from enrollment.models import SuspensionCause
from enrollment.selectors import enrollments_for


class SuspendInputSerializer(StrictSerializer):
    cause = serializers.ChoiceField(
        choices=SuspensionCause.choices, help_text=gettext_lazy("Código de la causa de la suspensión.")
    )
    note = serializers.CharField(max_length=2000, help_text=gettext_lazy("Qué se encontró y dónde consta."))


class ReinstateInputSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, help_text=gettext_lazy("Por qué se rehabilita."))
    owed_months = serializers.ListField(
        child=serializers.DateField(),
        required=False,
        default=list,
        max_length=12,
        help_text=gettext_lazy(
            "Meses ya transcurridos del período que se adeudan (AAAA-MM-01). Sin ellos, los meses que "
            "pasaron durante la suspensión no se pagan."
        ),
    )
    owed_reason = serializers.CharField(
        max_length=2000, required=False, default="", help_text=gettext_lazy("Por qué se adeudan esos meses.")
    )


class WithdrawInputSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, help_text=gettext_lazy("El pedido del trabajador/a."))


class _Transition(APIView):
    permission_classes = [HasRolePermissions]
    input_serializer: type[serializers.Serializer]

    def act(self, *, enrollment, by, data: dict):
        raise NotImplementedError

    def post(self, request, pk: int):
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment = get_object_or_404(enrollments_for(request.user), pk=pk)
        try:
            changed = self.act(enrollment=enrollment, by=request.user, data=data.validated_data)
        except ValidationError as error:
            raise django_validation_to_drf(error) from error
        return Response(EnrollmentSerializer(enrollments_for(request.user).get(pk=changed.pk)).data)


class SuspendView(_Transition):
    required_perms = {"POST": ["enrollment.review_enrollment"]}
    input_serializer = SuspendInputSerializer

    @extend_schema(
        summary=_("Suspender una inscripción con una causa codificada"),
        description=_(
            "Solo revisores/as del Ministerio, sobre una inscripción aprobada o activa: las cuotas no pagadas "
            "se cancelan. Desconocida o fuera de su alcance: 404."
        ),
        request=SuspendInputSerializer,
        responses={200: EnrollmentSerializer},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, *, enrollment, by, data: dict):
        return suspensions.suspend_enrollment(enrollment=enrollment, by=by, cause=data["cause"], note=data["note"])


class ReinstateView(_Transition):
    required_perms = {"POST": ["enrollment.review_enrollment"]}
    input_serializer = ReinstateInputSerializer

    @extend_schema(
        summary=_("Rehabilitar una inscripción suspendida"),
        description=_(
            "Solo revisores/as del Ministerio. Vuelve al estado que tenía; se programan las cuotas desde el "
            "mes en curso y, de los meses ya transcurridos, solo los declarados adeudados (con motivo). "
            "Desconocida o fuera de su alcance: 404."
        ),
        request=ReinstateInputSerializer,
        responses={200: EnrollmentSerializer},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, *, enrollment, by, data: dict):
        owed: list[dt.date] = data["owed_months"]
        return suspensions.reinstate_enrollment(
            enrollment=enrollment, by=by, reason=data["reason"], owed_months=owed, owed_reason=data["owed_reason"]
        )


class WithdrawView(_Transition):
    required_perms = {"POST": ["enrollment.view_enrollment"]}
    input_serializer = WithdrawInputSerializer

    @extend_schema(
        summary=_("Dar de baja una inscripción a pedido del trabajador/a"),
        description=_(
            "Un/a revisor/a, o el oficial provincial o de sindicato con la inscripción a su alcance. Las cuotas "
            "no pagadas se cancelan y la baja no se deshace. Desconocida o fuera de su alcance: 404."
        ),
        request=WithdrawInputSerializer,
        responses={200: EnrollmentSerializer},
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, *, enrollment, by, data: dict):
        return enrollment_services.withdraw_enrollment(enrollment=enrollment, by=by, reason=data["reason"])
