"""``GET /api/stats/summary/?area=<code>&from=<date>&to=<date>``: every measure of an area
and period under the glossary's names, each rate with its numerator and denominator."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards import board, rollup
from dashboards.selectors import period_for, visible_area


class SummaryQuery(serializers.Serializer):
    area = serializers.CharField(required=False, max_length=21)
    # "from" is a Python keyword: the field is renamed below.
    from_ = serializers.DateField(required=False)
    to = serializers.DateField(required=False)

    def to_internal_value(self, data):
        data = data.copy()
        if "from" in data:
            data["from_"] = data["from"]
        return super().to_internal_value(data)

    def validate(self, attrs):
        if bool(attrs.get("from_")) != bool(attrs.get("to")):
            raise serializers.ValidationError("Give both from and to, or neither (this month).")
        if attrs.get("from_") and attrs["to"] < attrs["from_"]:
            raise serializers.ValidationError("to is before from.")
        return attrs


class StatsSummaryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("area", str, description="area code (default: the user's area)"),
            OpenApiParameter("from", OpenApiTypes.DATE, description="first day (local)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="last day (local), inclusive"),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Leaders' numbers (一事一考) of an area and period",
    )
    def get(self, request: Request) -> Response:
        query = SummaryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        area = visible_area(user=request.user, code=query.validated_data.get("area"))
        start: date | None = query.validated_data.get("from_")
        end: date | None = query.validated_data.get("to")
        period = period_for(
            "custom" if start else "month", today=timezone.localdate(now), start=start, end=end
        )
        body = {
            "area": {"code": area.code, "name": area.name, "level": area.level},
            "from": period.start.isoformat(),
            "to": period.last_day.isoformat(),
            "as_of": rollup.as_of(),
            **board.summary(code=area.code, period=period, now=now),
        }
        return Response(body)
