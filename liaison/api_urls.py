from rest_framework.routers import DefaultRouter

from liaison import api

router = DefaultRouter(trailing_slash=True)
router.register("cadre-links", api.CadreLinkViewSet, basename="cadre-link")
router.register("visits", api.VisitViewSet, basename="visit")
router.register("household-leaders", api.HouseholdLeaderViewSet, basename="household-leader")
router.register("household-matters", api.HouseholdMatterViewSet, basename="household-matter")
router.register("party-organisations", api.OrganisationViewSet, basename="party-organisation")
router.register("party-members", api.MemberViewSet, basename="party-member")
router.register("wishes", api.WishViewSet, basename="wish")
router.register("joint-groups", api.JointGroupViewSet, basename="joint-group")
router.register("demand-lists", api.DemandListViewSet, basename="demand-list")
router.register("problem-lists", api.ProblemListViewSet, basename="problem-list")
router.register("service-items", api.ServiceItemViewSet, basename="service-item")
router.register("joint-meetings", api.MeetingViewSet, basename="joint-meeting")
router.register("task-admissions", api.TaskAdmissionViewSet, basename="task-admission")
router.register("ledger-items", api.LedgerItemViewSet, basename="ledger-item")
urlpatterns = router.urls
