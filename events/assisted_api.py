"""``/api/assisted-services/`` (the catalogue of 帮代办 services) and
``/api/assisted-requests/`` (the requests for them: cases of the block, scoped like
``/api/events/``; POST asks for one). Acting on a request is acting on its case:
``/api/events/{number}/accept/``, ``resolve/``, ``verify/``, ``rate/`` … (``events.assisted``)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from blocks.models import Area
from events import serializers as s
from events.api import (
    LIST_ERRORS,
    WRITE_ERRORS,
    ApiEventFilter,
    EventViewSet,
    _valid,
    log_case,
)
from events.assisted import assisted_services, service_limit
from events.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from events.models import Category, CategoryKind, Event
from events.reference_api import ReferenceList, caller_districts
from governance.api import ApiPagination
from governance.parsers import JSONParser


class ServiceLimitSerializer(serializers.Serializer):
    district = serializers.CharField(help_text="the district's code")
    working_days = serializers.IntegerField(help_text="0 when the limit is in minutes")
    minutes = serializers.IntegerField(help_text="0 when the limit is in working days")


class AssistedServiceSerializer(serializers.ModelSerializer):
    time_limit = serializers.SerializerMethodField(
        help_text="the block's time to get it done in each of the caller's districts (from the "
        "booked time when booked)",
    )

    class Meta:
        model = Category
        fields = ["code", "name", "description", "time_limit"]
        extra_kwargs = {"code": {"help_text": "what POST /api/assisted-requests/ takes as service"}}

    @extend_schema_field(ServiceLimitSerializer(many=True))
    def get_time_limit(self, service: Category) -> list[dict]:
        districts = self.context.get("districts")
        if districts is None:
            user = self.context["request"].user
            codes = caller_districts(user=user)
            if codes is None:
                codes = Area.objects.filter(level=Area.Level.DISTRICT).values_list(
                    "code", flat=True
                )
            districts = self.context["districts"] = sorted(codes)
        limits = []
        for code in districts:
            limit = service_limit(service, district_code=code)
            if limit is not None:
                limits.append(
                    {"district": code, "working_days": limit.working_days, "minutes": limit.minutes}
                )
        return limits


@extend_schema(summary="The catalogue of assisted services (帮代办), with each one's time limit")
class AssistedServiceListView(ReferenceList):
    serializer_class = AssistedServiceSerializer

    def get_queryset(self) -> QuerySet[Category]:
        return assisted_services()


class AssistedRequestCreateSerializer(s.EventCreateSerializer):
    """Ask for an assisted service on a resident's behalf (block staff; 预约: ``booked_at``)."""

    category = None
    priority = None
    service = serializers.CharField(max_length=40, help_text="the service's code")
    description = serializers.CharField(
        max_length=2000, required=False, allow_blank=True,
        help_text="what the resident needs; the service's name when left out",
    )  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="Requests for assisted services the caller may see (cases, scoped like events)",
        responses={200: s.EventSerializer(many=True), **LIST_ERRORS},
    ),
)
class AssistedRequestViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.EventSerializer
    filterset_class = ApiEventFilter
    pagination_class = ApiPagination
    ordering_fields = ["created_at", "updated_at", "booked_at", "due_at", "number", "status"]
    ordering = ["-created_at", "-id"]
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Event]:
        # The case list's rows (with their open 督办 cards), only the assisted ones.
        return EventViewSet.get_queryset(self).filter(category__kind=CategoryKind.ASSISTED_SERVICE)

    @extend_schema(
        summary="Ask for an assisted service (the block takes it as a case; booked_at books it)",
        request=AssistedRequestCreateSerializer,
        responses={201: s.EventCreatedSerializer, **WRITE_ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = _valid(AssistedRequestCreateSerializer, request)
        service = assisted_services().filter(code=data["service"]).first()
        if service is None:
            raise serializers.ValidationError(
                {"service": [_("Choose a service from the catalogue.")]}
            )
        data["description"] = data.get("description", "").strip() or service.name
        return log_case(request, data, category=service)
