from rest_framework.routers import DefaultRouter

from blocks import api

router = DefaultRouter(trailing_slash=True)
router.register("areas", api.AreaViewSet, basename="area")
router.register("blocks", api.BlockViewSet, basename="block")
router.register("postings", api.PostingViewSet, basename="posting")
urlpatterns = router.urls
