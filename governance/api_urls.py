"""/api/: every app's resources under one router, the OpenAPI schema and offline Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from dashboards.api import StatsSummaryView
from governance.notification_api import NotificationViewSet
from governance.tokens import TokenView

notification_router = DefaultRouter(trailing_slash=True)
notification_router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include(notification_router.urls)),
    path("", include("blocks.api_urls")),
    path("", include("events.api_urls")),
    path("", include("liaison.api_urls")),
    path("stats/summary/", StatsSummaryView.as_view(), name="api-stats-summary"),
]
