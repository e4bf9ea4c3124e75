"""The REST API (v1). Views parse input, call the same services and scoped selectors as the web
UI, and answer; business rules live in the services."""

from __future__ import annotations

import csv
import ipaddress

from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from api import selectors as api_selectors
from api import services as api_services
from api.exceptions import InvalidCuil, django_validation_to_drf
from api.filters import CourseFilter, EnrollmentFilter, ReferralFilter, StatusLookupFilter, WorkerFilter
from api.models import ApiToken, StatusLookup
from api.permissions import HasRolePermissions
from api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenInputSerializer,
    ApiTokenSerializer,
    BeneficiaryStatusSerializer,
    BulkEnrollmentInputSerializer,
    BulkEnrollmentResultSerializer,
    BulkWorkerInputSerializer,
    BulkWorkerResultSerializer,
    CourseInputSerializer,
    CourseSerializer,
    EmploymentOfficeSerializer,
    EnrollmentDetailSerializer,
    EnrollmentInputSerializer,
    EnrollmentSerializer,
    HeldRegistrationSerializer,
    ProviderSerializer,
    ReferralInputSerializer,
    ReferralMoveSerializer,
    ReferralSerializer,
    StatusLookupSerializer,
    WorkerInputSerializer,
    WorkerSerializer,
)
from enrollment import registration
from enrollment import services as enrollment_services
from enrollment.identity import compact_cuil, is_valid_cuil
from enrollment.selectors import enrollments_for, workers_for
from provinces.models import Crop, Organisation, Province
from provinces.selectors import cycles_for
from provinces.spreadsheets import spreadsheet_safe
from training import services as training_services
from training.selectors import courses_for, offices_for, providers_for, referrals_for, with_seats_taken

ID = r"[0-9]{1,18}"


def _client_ip(request) -> str | None:
    """The caller's address as the throttle sees it (``X-Forwarded-For`` only through the
    ``API_NUM_PROXIES`` proxies we trust), if it is an IP address at all."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return None


def _validated(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _pick(queryset, pk, field: str):
    """An object the user may use, by id; otherwise a field error (not found and out of scope
    read the same)."""
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise exceptions.ValidationError({field: [_("No existe o no está a su alcance.")]})
    return obj


# --- workers and enrollments ------------------------------------------------------------------


def _service_errors(run):
    """Run ``run()`` and turn a service's refusal into DRF's error for the item."""
    from django.core.exceptions import PermissionDenied, ValidationError

    try:
        return run(), None
    except exceptions.ValidationError as error:
        return None, error.detail
    except ValidationError as error:
        return None, django_validation_to_drf(error).detail
    except PermissionDenied as error:
        return None, {"non_field_errors": [str(error) or _("No permitido.")]}


def _all_or_nothing(items, one):
    """Apply ``one`` to each item in one transaction; any failure rolls back all and answers
    400 with the errors by item index."""
    errors: dict[str, object] = {}
    done = []
    with transaction.atomic():
        for index, item in enumerate(items):
            with transaction.atomic():
                result, error = _service_errors(lambda item=item: one(item))
            if error is not None:
                errors[str(index)] = error
            else:
                done.append(result)
        if errors:
            transaction.set_rollback(True)
            raise exceptions.ValidationError({"items": errors})
    return done


def held_body(review, item: dict) -> dict:
    """The 202 answer for a registration held for review: status, reason, item and the
    caller's own data as sent."""
    return {"status": "en_revision", "reason": str(review.sender_reason), "review_id": review.pk, **item}


class WorkerRegistrationMixin:
    """Registration of workers (one or many) through ``enrollment.services.register_worker``."""

    def _register(self, item: dict) -> tuple[bool, dict]:
        """(held for review?, the answer's body). A held registration answers with what the
        caller sent, never with what another organisation stored."""
        user = self.request.user
        data = dict(item)
        data["province"] = _pick(Province.objects.all(), data["province"], "province")
        organisation = _pick(Organisation.objects.all(), data.pop("organisation", None), "organisation")
        result = registration.register_worker(by=user, data=data, organisation=organisation)
        if result.review is not None:
            return True, held_body(result.review, item)
        return False, WorkerSerializer(result.worker).data

    @extend_schema(
        summary=_("Registrar (o actualizar) un trabajador"),
        description=_(
            "Un CUIL nuevo se registra (201). Un CUIL a su alcance con el mismo nombre y fecha de "
            "nacimiento actualiza solo teléfono, domicilio, localidad y provincia (201; un dato "
            "enviado vacío no borra el registrado; nombres, fecha de nacimiento y CBU no cambian). "
            "Cualquier otro CUIL conocido —registrado por otra organización, o con otro nombre o "
            "fecha de nacimiento— queda retenido para una revisión de identidad: 202 con "
            "status «en_revision», el motivo, review_id y solo los datos enviados."
        ),
        request=WorkerInputSerializer,
        responses={201: WorkerSerializer, 202: HeldRegistrationSerializer},
    )
    def create(self, request):
        outcome, error = _service_errors(lambda: self._register(_validated(WorkerInputSerializer, request)))
        if error is not None:
            raise exceptions.ValidationError(error)
        held, body = outcome
        return Response(body, status=status.HTTP_202_ACCEPTED if held else status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Registrar muchos (todo o nada)"),
        description=_(
            "Cada elemento se valida con las mismas reglas que un registro individual. Si alguno "
            "falla no se guarda ninguno y la respuesta 400 lista los errores por índice en fields.items. "
            "Los registrados o actualizados van en created; los retenidos para revisión de identidad, "
            "en in_review con su índice (la misma forma que la respuesta 202 individual)."
        ),
        request=BulkWorkerInputSerializer,
        responses={201: BulkWorkerResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        items = _validated(BulkWorkerInputSerializer, request)["items"]
        created, in_review = [], []
        for index, (held, body) in enumerate(_all_or_nothing(items, self._register)):
            if held:
                in_review.append({**body, "index": index})
            else:
                created.append(body)
        return Response({"created": created, "in_review": in_review}, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary=_("Trabajadores a su alcance")),
    retrieve=extend_schema(summary=_("Un trabajador")),
)
class WorkerViewSet(WorkerRegistrationMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = WorkerSerializer
    filterset_class = WorkerFilter
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["enrollment.view_worker"], "POST": ["enrollment.add_worker"]}
    lookup_value_regex = ID

    def get_queryset(self):
        return workers_for(self.request.user).order_by("pk")


@extend_schema_view(
    list=extend_schema(summary=_("Inscripciones a su alcance")),
    retrieve=extend_schema(summary=_("Una inscripción")),
)
class EnrollmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = EnrollmentSerializer
    filterset_class = EnrollmentFilter
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["enrollment.view_enrollment"], "POST": ["enrollment.add_enrollment"]}
    lookup_value_regex = ID

    def get_queryset(self):
        return enrollments_for(self.request.user).order_by("pk")

    def get_serializer_class(self):
        return EnrollmentDetailSerializer if self.action == "retrieve" else EnrollmentSerializer

    def _enroll(self, item: dict):
        user = self.request.user
        worker = workers_for(user).filter(cuil=item["cuil"]).first()
        if worker is None:
            raise exceptions.ValidationError({"cuil": [_("No hay un trabajador con ese CUIL a su alcance.")]})
        cycle = _pick(cycles_for(user), item["cycle"], "cycle")
        organisation = _pick(Organisation.objects.all(), item.get("organisation"), "organisation")
        return enrollment_services.enroll_worker(by=user, worker=worker, cycle=cycle, organisation=organisation)

    @extend_schema(
        summary=_("Inscribir a un trabajador registrado en un período"),
        request=EnrollmentInputSerializer,
        responses={201: EnrollmentSerializer},
    )
    def create(self, request, *args, **kwargs):
        enrollment = self._enroll(_validated(EnrollmentInputSerializer, request))
        return Response(EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Inscribir a muchos (todo o nada)"),
        description=_(
            "Cada elemento se valida con las mismas reglas que una inscripción individual. Si alguno "
            "falla no se guarda ninguno y la respuesta 400 lista los errores por índice en fields.items."
        ),
        request=BulkEnrollmentInputSerializer,
        responses={201: BulkEnrollmentResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        items = _validated(BulkEnrollmentInputSerializer, request)["items"]
        created = _all_or_nothing(items, self._enroll)
        return Response({"created": EnrollmentSerializer(created, many=True).data}, status=status.HTTP_201_CREATED)


# --- beneficiary status -------------------------------------------------------------------------


class BeneficiaryStatusView(APIView):
    """Enrollment state, cycle, installments paid and pending, and open referrals of one worker.

    A CUIL outside the caller's scope answers 404 exactly like an unknown one. Every lookup is
    written to the access log (who, which CUIL, when, result).
    """

    @extend_schema(
        summary=_("Estado de un beneficiario por CUIL"),
        parameters=[
            OpenApiParameter(
                "cuil", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("CUIL (11 dígitos, con o sin guiones).")
            )
        ],
        responses={200: BeneficiaryStatusSerializer},
    )
    def get(self, request, cuil: str):
        user = request.user
        compact = compact_cuil(cuil)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        ip = _client_ip(request)
        if not is_valid_cuil(compact):
            api_services.log_status_lookup(by=user, token=token, cuil=cuil, result=StatusLookup.Result.INVALID, ip=ip)
            raise InvalidCuil({"cuil": [_("El CUIL no es válido.")]})
        data = api_services.look_up_status(by=user, token=token, cuil=compact, ip=ip)
        if data is None:
            raise exceptions.NotFound()
        return Response(data)


@extend_schema_view(
    list=extend_schema(summary=_("Registro de consultas de estado (auditoría)")),
    retrieve=extend_schema(summary=_("Una consulta registrada")),
)
class StatusLookupViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StatusLookupSerializer
    filterset_class = StatusLookupFilter
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["api.view_statuslookup"]}
    lookup_value_regex = ID

    def get_queryset(self):
        return api_selectors.lookups_for(self.request.user)

    @extend_schema(
        summary=_("Exportar el registro de consultas (CSV)"),
        responses={(200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description=_("Archivo CSV"))},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        queryset = self.filter_queryset(self.get_queryset()).values_list(
            "at", "user__username", "cuil", "result", "ip", "token_id"
        )

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())

        def rows():
            yield writer.writerow(["fecha_hora", "usuario", "cuil", "resultado", "ip", "token"])
            for at, username, cuil, result, ip, token_id in queryset.iterator(chunk_size=2000):
                # The CUIL is logged as typed (invalid ones too) and usernames may start with + - @:
                # neither may run as a formula in the auditor's spreadsheet.
                safe = [spreadsheet_safe(username or "público"), spreadsheet_safe(cuil)]
                yield writer.writerow([at.isoformat(), *safe, result, ip or "", token_id or ""])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="consultas-de-estado.csv"'
        return response


# --- tokens ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Tokens de API (propios; todos para el Ministerio y auditores)")),
    retrieve=extend_schema(summary=_("Un token")),
    destroy=extend_schema(summary=_("Revocar un token"), responses={204: None}),
)
class ApiTokenViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ApiTokenSerializer
    lookup_value_regex = ID

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return api_selectors.tokens_for(self.request.user)

    @extend_schema(
        summary=_("Crear un token (la clave se muestra solo en esta respuesta)"),
        request=ApiTokenInputSerializer,
        responses={201: ApiTokenCreatedSerializer},
    )
    def create(self, request):
        data = _validated(ApiTokenInputSerializer, request)
        owner = None
        if data.get("user") is not None and data["user"] != request.user.pk:
            if not request.user.has_perm("api.manage_tokens"):
                raise exceptions.PermissionDenied(_("Solo el personal del Ministerio crea tokens para otros usuarios."))
            owner = api_services.user_by_id(data["user"])
            if owner is None:
                raise exceptions.ValidationError({"user": [_("No existe o no está activo.")]})
        token, key = api_services.create_token(by=request.user, user=owner, name=data["name"], days=data["days"])
        body = ApiTokenCreatedSerializer(token).data
        body["key"] = key
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        api_services.revoke_token(by=self.request.user, token=instance)


# --- training ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=_("Instituciones de capacitación a su alcance")),
    retrieve=extend_schema(summary=_("Una institución de capacitación")),
)
class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProviderSerializer
    filterset_fields = ["province"]
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["training.view_provider"]}
    lookup_value_regex = ID

    def get_queryset(self):
        return providers_for(self.request.user).order_by("pk")


@extend_schema_view(
    list=extend_schema(summary=_("Oficinas de empleo a su alcance")),
    retrieve=extend_schema(summary=_("Una oficina de empleo")),
)
class EmploymentOfficeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EmploymentOfficeSerializer
    filterset_fields = ["province"]
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["training.view_employmentoffice"]}
    lookup_value_regex = ID

    def get_queryset(self):
        return offices_for(self.request.user).order_by("pk")


@extend_schema_view(
    list=extend_schema(summary=_("Cursos y entrenamientos a su alcance")),
    retrieve=extend_schema(summary=_("Un curso o entrenamiento")),
)
class CourseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CourseSerializer
    filterset_class = CourseFilter
    permission_classes = [HasRolePermissions]
    required_perms = {"GET": ["training.view_course"], "POST": ["training.add_course"]}
    lookup_value_regex = ID

    def get_queryset(self):
        return with_seats_taken(courses_for(self.request.user)).order_by("pk")

    @extend_schema(
        summary=_("Crear un curso o entrenamiento"), request=CourseInputSerializer, responses={201: CourseSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = _validated(CourseInputSerializer, request)
        user = request.user
        data["provider"] = _pick(providers_for(user), data["provider"], "provider")
        data["province"] = _pick(Province.objects.all(), data["province"], "province")
        course = training_services.save_course(by=user, **data)
        course = self.get_queryset().get(pk=course.pk)
        return Response(CourseSerializer(course).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary=_("Derivaciones a su alcance")),
    retrieve=extend_schema(summary=_("Una derivación")),
)
class ReferralViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    permission_classes = [HasRolePermissions]
    required_perms = {
        "GET": ["training.view_referral"],
        "POST": ["training.add_referral"],
        "move": ["training.change_referral"],
    }
    lookup_value_regex = ID

    def get_queryset(self):
        return referrals_for(self.request.user).order_by("pk")

    @extend_schema(
        summary=_("Derivar a un beneficiario"), request=ReferralInputSerializer, responses={201: ReferralSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = _validated(ReferralInputSerializer, request)
        user = request.user
        data["enrollment"] = _pick(enrollments_for(user), data["enrollment"], "enrollment")
        data["course"] = _pick(courses_for(user), data.get("course"), "course")
        data["office"] = _pick(offices_for(user), data.get("office"), "office")
        data["destination_province"] = _pick(
            Province.objects.all(), data.get("destination_province"), "destination_province"
        )
        data["destination_crop"] = _pick(Crop.objects.all(), data.get("destination_crop"), "destination_crop")
        referral = training_services.refer_worker(by=user, **data)
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Cambiar el estado o el resultado de una derivación"),
        request=ReferralMoveSerializer,
        responses={200: ReferralSerializer},
    )
    @action(detail=True, methods=["post"], url_path="move")
    def move(self, request, pk=None):
        referral = get_object_or_404(self.get_queryset(), pk=pk)
        data = _validated(ReferralMoveSerializer, request)
        referral = training_services.move_referral(
            by=request.user,
            referral=referral,
            to=data["status"],
            on=data.get("on"),
            certificate_number=data.get("certificate_number"),
            job_placement=data.get("job_placement"),
            employer=data.get("employer"),
        )
        return Response(ReferralSerializer(referral).data)
