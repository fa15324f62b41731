"""/api/notifications/: the bell for apps (token clients) — one's own notices, the unread
count, mark one or all read. Another person's notice is a 404, like on the pages.

A notice's body may quote a case's description or a note: phone numbers in it are masked
(DESIGN §6), like everywhere else the API shows free text."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.models import Notification
from governance.notifications import (
    notification_mark_read,
    notifications_for,
    notifications_mark_all_read,
    notifications_unread_count,
)
from governance.privacy import MasksPhonesInText


class NotificationSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("title", "body")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="one's notices not read yet")


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="how many notices this call marked read")


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    filterset_fields: list[str] = []
    ordering_fields = ["created_at"]

    def get_queryset(self):
        notices = notifications_for(user=self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            notices = notices.filter(read_at__isnull=True)
        return notices

    @extend_schema(responses={200: UnreadCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request, format=None) -> Response:
        return Response({"unread": notifications_unread_count(user=request.user)})

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None, format=None) -> Response:
        if not str(pk).isdigit() or not notification_mark_read(
            user=request.user, notification_id=int(pk)
        ):
            raise Http404
        notice = notifications_for(user=request.user).get(pk=pk)
        return Response(NotificationSerializer(notice).data)

    @extend_schema(request=None, responses={200: MarkedReadSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request, format=None) -> Response:
        return Response({"marked": notifications_mark_all_read(user=request.user)})
