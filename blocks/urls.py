from django.urls import path

from blocks import views

app_name = "blocks"
urlpatterns = [
    path("", views.area_browser, name="area_browser"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path(
        "imports/<int:pk>/report.<str:fmt>",
        views.import_report,
        name="import_report",
    ),
    path("<str:code>/", views.area_detail, name="area_detail"),
    path("<str:code>/blocks/", views.block_list, name="block_list"),
    path("<str:code>/roster/", views.roster_edit, name="roster_edit"),
    path("<str:code>/roster/replace/", views.roster_replace, name="roster_replace"),
    path("<str:code>/roster/<int:posting_id>/end/", views.roster_end, name="roster_end"),
    path("<str:code>/import/", views.import_start, name="import_start"),
    path("<str:code>/orphans/", views.orphan_check, name="orphan_check"),
]
