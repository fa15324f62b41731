"""/api/events/, /api/assignments/ and /api/hotline/import/ (events/api.py)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from events import api

router = DefaultRouter(trailing_slash=True)
router.register("events", api.EventViewSet, basename="event")
router.register("assignments", api.AssignmentViewSet, basename="assignment")
urlpatterns = [
    path("hotline/import/", api.HotlineImportView.as_view(), name="api-hotline-import"),
    *router.urls,
]
