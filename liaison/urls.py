from django.urls import path

from liaison import views

app_name = "liaison"
urlpatterns = [
    path("", views.hub, name="hub"),
    path("cadres/", views.cadres, name="cadres"),
    path("cadres/links/<int:link_id>/end/", views.cadre_unlink, name="cadre_unlink"),
    path("coverage/", views.coverage, name="coverage"),
    path("visits/", views.visits, name="visits"),
    path("visits/<int:visit_id>/", views.visit_detail, name="visit_detail"),
    path("findings/<int:finding_id>/case/", views.finding_case, name="finding_case"),
    path("findings/<int:finding_id>/close/", views.finding_close, name="finding_close"),
    path("households/", views.household_leaders, name="household_leaders"),
    path(
        "households/<int:leader_id>/link/",
        views.household_leader_link,
        name="household_leader_link",
    ),
    path(
        "households/<int:leader_id>/end/", views.household_leader_end, name="household_leader_end"
    ),
    path(
        "households/<int:leader_id>/matters/",
        views.household_matter_take_down,
        name="household_matter_take_down",
    ),
    path(
        "household-matters/<int:matter_id>/<str:what>/",
        views.household_matter_decide,
        name="household_matter_decide",
    ),
    path("h/<str:token>/", views.household_report, name="household_report"),
    path(
        "households/<int:leader_id>/reveal/",
        views.household_leader_reveal,
        name="household_leader_reveal",
    ),
    path("wishes/<int:wish_id>/reveal/", views.wish_reveal, name="wish_reveal"),
    path("registrations/", views.registrations, name="registrations"),
    path("wishes/", views.wishes, name="wishes"),
    path("wishes/<int:wish_id>/", views.wish_detail, name="wish_detail"),
    path("groups/", views.joint_groups, name="joint_groups"),
    path("groups/<str:code>/", views.joint_group, name="joint_group"),
    path("demand/", views.demand_lists, name="demand_lists"),
    path("demand/<int:list_id>/", views.demand_list, name="demand_list"),
    path("demand/<int:list_id>/export.xlsx", views.demand_list_export, name="demand_list_export"),
    path("problems/", views.problem_lists, name="problem_lists"),
    path("problems/<int:list_id>/", views.problem_list, name="problem_list"),
    path(
        "problems/<int:list_id>/export.xlsx", views.problem_list_export, name="problem_list_export"
    ),
    path("services/", views.service_items, name="service_items"),
    path("services/export.xlsx", views.service_items_export, name="service_items_export"),
    path(
        "services/<int:item_id>/<str:what>/", views.service_item_action, name="service_item_action"
    ),
    path("meetings/", views.meetings, name="meetings"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/export.xlsx", views.ledger_export, name="ledger_export"),
    path("ledger/<int:item_id>/", views.ledger_item, name="ledger_item"),
    path("admissions/", views.admissions_page, name="admissions"),
    path("admissions/<int:admission_id>/", views.admission_detail, name="admission_detail"),
    path("public/ledger/<str:street_code>/", views.public_ledger, name="public_ledger"),
]
