"""``GET /api/stats/summary/?area=<code>&from=<date>&to=<date>``: every measure of an area
and period under the glossary's names, each rate with its numerator and denominator, and
how current they are (``as_of``, ``rolled_up_at``, ``behind``, ``pending_cells``)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards import board
from dashboards.selectors import LATEST_DAY, MAX_CUSTOM_DAYS, Reader, period_for, visible_area


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
        start, end = attrs.get("from_"), attrs.get("to")
        if bool(start) != bool(end):
            raise serializers.ValidationError(_("Give both from and to, or neither (this month)."))
        if start and end < start:
            raise serializers.ValidationError(_("to is before from."))
        # The pages shorten a longer or later period to what they can show; an app is told
        # instead, or it would take the numbers of another period for the one it asked.
        if start and (end > LATEST_DAY or (end - start).days > MAX_CUSTOM_DAYS):
            raise serializers.ValidationError(
                _(
                    "A period is at most %(days)s days long, from and to included, and ends "
                    "on %(latest)s at the latest."
                )
                % {"days": MAX_CUSTOM_DAYS + 1, "latest": LATEST_DAY.isoformat()}
            )
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
        reader = Reader(code=area.code, period=period, now=now)
        body = {
            "area": {"code": area.code, "name": area.name, "level": area.level},
            "from": period.start.isoformat(),
            "to": period.last_day.isoformat(),
            # The numbers are the summary plus every change since, or (``behind``: the
            # roll-up far behind) counted from the cases: current as of the answer.
            **reader.freshness(),
            **board.summary(reader=reader),
        }
        return Response(body)
