"""REST API of the territory: areas, blocks with their teams, and the roster (DESIGN §7).

Every queryset comes from the selectors, scoped to the user (out of scope: 404). Everyone
reads what is in their scope; only street administrators (and administrators) change the
roster, and only through blocks.services, so the API keeps the same rules and audit log as
the pages.
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from blocks import geo, selectors, services
from blocks.access import visible_areas
from blocks.models import Area, Posting
from governance.api import StrictBooleanFilter
from governance.privacy import MasksPhonesInText, mask_phone


class AreaFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(
        field_name="code", lookup_expr="startswith", label=_("code prefix")
    )
    level = django_filters.ChoiceFilter(choices=Area.Level.choices)
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    parent = django_filters.CharFilter(field_name="parent__code", label=_("parent code"))
    open = StrictBooleanFilter(field_name="closed_on", lookup_expr="isnull")

    class Meta:
        model = Area
        fields = ["code", "level", "name", "parent", "open"]


class AreaSerializer(serializers.ModelSerializer):
    # A district has none.
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Area
        fields = [
            "code", "name", "level", "parent", "households", "centre_lat", "centre_lon",
            "closed_on",
        ]  # fmt: skip


class TeamMemberSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Posting
        fields = ["id", "role", "assistant_kind", "name", "phone", "started_on"]

    def get_name(self, obj: Posting) -> str:
        return obj.user.get_full_name() or obj.user.username

    def get_phone(self, obj: Posting) -> str:
        return mask_phone(obj.user.phone)


class BlockSerializer(AreaSerializer):
    team = TeamMemberSerializer(many=True, read_only=True)

    class Meta(AreaSerializer.Meta):
        fields = [*AreaSerializer.Meta.fields, "boundary", "team"]


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Areas of every level the user may see; ``?code=4303020`` is everything under a code."""

    serializer_class = AreaSerializer
    filterset_class = AreaFilter
    lookup_field = "code"
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        return visible_areas(self.request.user).select_related("parent").order_by("code")


class LocateSerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)


class LocatedSerializer(serializers.Serializer):
    found = serializers.BooleanField()
    block = BlockSerializer(allow_null=True, help_text="null when found is false")


class BlockViewSet(viewsets.ReadOnlyModelViewSet):
    """Blocks with their active 1+N+1 team (phones masked), in a constant number of queries."""

    serializer_class = BlockSerializer
    filterset_class = AreaFilter
    lookup_field = "code"
    ordering_fields = ["code", "name", "households"]

    def get_queryset(self):
        return selectors.block_list_with_teams(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True),
            OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True),
        ],
        responses={200: LocatedSerializer},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def locate(self, request, format=None):
        """``?lat=…&lon=…``: the block the point lies in, if the user may see it;
        ``{"found": false}`` for a point in no block (or in a block out of scope)."""
        params = LocateSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        block_id = geo.block_id_at(params.validated_data["lat"], params.validated_data["lon"])
        block = self.get_queryset().filter(pk=block_id).first() if block_id else None
        if block is None:
            return Response({"found": False, "block": None})
        return Response({"found": True, "block": BlockSerializer(block).data})


class PostingSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("note",)
    area = serializers.SlugRelatedField(slug_field="code", queryset=Area.objects.all())
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all()
    )
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Posting
        fields = [
            "id", "area", "user", "name", "phone", "role", "assistant_kind", "legal_kind",
            "pairing", "started_on", "ended_on", "note",
        ]  # fmt: skip
        # pairing: a first secretary's paired department (its id, /api/departments/).
        read_only_fields = ["ended_on"]
        # The one-active-governor rule is the service's to explain (in Chinese), not the
        # serializer's generic "must be unique".
        validators: list = []

    def get_name(self, obj: Posting) -> str:
        return obj.user.get_full_name() or obj.user.username

    def get_phone(self, obj: Posting) -> str:
        return mask_phone(obj.user.phone)


class ReplaceSerializer(serializers.Serializer):
    area = serializers.CharField()
    # A plain string (the service refuses any role but these two), so that the schema has
    # one "role" enum, the roster's.
    role = serializers.CharField(help_text="governor | supervisor")
    user = serializers.CharField()


class PostingFilter(django_filters.FilterSet):
    area = django_filters.CharFilter(
        field_name="area__code", lookup_expr="startswith", label=_("code prefix")
    )
    role = django_filters.ChoiceFilter(choices=Posting.Role.choices)
    active = StrictBooleanFilter(field_name="ended_on", lookup_expr="isnull")

    class Meta:
        model = Posting
        fields = ["area", "role", "active"]


class PostingViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The roster, with history: create a posting, ``end`` it, or ``replace`` a governor or
    supervisor. Postings are never deleted."""

    serializer_class = PostingSerializer
    filterset_class = PostingFilter
    ordering_fields = ["started_on", "area__code"]

    def get_queryset(self):
        return (
            selectors.postings_visible(user=self.request.user)
            .select_related("area", "user")
            .order_by("area__code", "role", "started_on", "pk")
        )

    def _area(self, code: str) -> Area:
        area = visible_areas(self.request.user).filter(code=code).first()
        if area is None:
            raise NotFound()
        return area

    def _person(self, username: str):
        person = get_user_model().objects.filter(username=username, is_active=True).first()
        if person is None:
            raise serializers.ValidationError({"user": [_("No such person.")]})
        return person

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        posting = services.posting_create(
            actor=request.user,
            request=request,
            user=data["user"],
            area=self._area(data["area"].code),
            role=data["role"],
            assistant_kind=data.get("assistant_kind", ""),
            legal_kind=data.get("legal_kind", ""),
            pairing=data.get("pairing"),
            started_on=data.get("started_on"),
            note=data.get("note", ""),
        )
        return Response(self.get_serializer(posting).data, status=201)

    @extend_schema(request=None, responses={200: PostingSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None, format=None):
        posting = self.get_object()
        posting = services.posting_end(actor=request.user, request=request, posting=posting)
        return Response(self.get_serializer(posting).data)

    @extend_schema(request=ReplaceSerializer, responses={201: PostingSerializer})
    @action(detail=False, methods=["post"], serializer_class=ReplaceSerializer)
    def replace(self, request, format=None):
        serializer = ReplaceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        block = self._area(data["area"])
        posting = services.posting_replace(
            actor=request.user,
            request=request,
            block=block,
            role=data["role"],
            user=self._person(data["user"]),
        )
        return Response(PostingSerializer(posting).data, status=201)
