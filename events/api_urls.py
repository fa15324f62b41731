"""/api/events/, /api/assignments/ and /api/hotline/import/ (events/api.py); the reference
data /api/departments/ and /api/categories/ (events/reference_api.py)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from events import api, assisted_api, reference_api

router = DefaultRouter(trailing_slash=True)
router.register("events", api.EventViewSet, basename="event")
router.register("assignments", api.AssignmentViewSet, basename="assignment")
router.register(
    "assisted-requests", assisted_api.AssistedRequestViewSet, basename="assisted-request"
)
urlpatterns = [
    path("hotline/import/", api.HotlineImportView.as_view(), name="api-hotline-import"),
    path("departments/", reference_api.DepartmentListView.as_view(), name="api-departments"),
    path("categories/", reference_api.CategoryListView.as_view(), name="api-categories"),
    path(
        "assisted-services/",
        assisted_api.AssistedServiceListView.as_view(),
        name="api-assisted-services",
    ),
    *router.urls,
]
